import { expect } from "chai";
import { CCRNames__factory } from "../types/ethers-contracts/index.js";
import { AU, JP, SG, accredit, ethers, frameworkFixture, loadFixture } from "./fixture.ts";

async function namesFixture() {
  const framework = await frameworkFixture();
  const names = await new CCRNames__factory(framework.council).deploy(await framework.registry.getAddress());
  return { ...framework, names };
}

describe("CCRNames (names and profiles beside the registry)", function () {
  it("lets the council name an economy and its authority, and nobody else", async function () {
    const { names, registry, council, authSG, stranger } = await loadFixture(namesFixture);
    await expect(names.nameEconomy(SG, "Singapore", "Republic of Singapore", "https://gov.sg", "PDPC"))
      .to.emit(names, "EconomyNamed")
      .withArgs(SG, "Singapore", "Republic of Singapore", "https://gov.sg", "PDPC");
    const [profile, authorityName] = await names.economyProfile(SG);
    expect([profile.name, profile.legalName, profile.website, authorityName]).to.deep.equal([
      "Singapore",
      "Republic of Singapore",
      "https://gov.sg",
      "PDPC",
    ]);
    for (const caller of [authSG, stranger]) {
      await expect(names.connect(caller).nameEconomy(SG, "X", "", "", "Y"))
        .to.be.revertedWithCustomError(names, "NotCouncil")
        .withArgs(caller.address);
    }
    await expect(names.connect(council).nameEconomy("0x5553", "United States", "", "", "FTC"))
      .to.be.revertedWithCustomError(names, "NotMemberEconomy")
      .withArgs("0x5553");
    expect(await names.registry()).to.equal(await registry.getAddress());
  });

  it("lets only an issuer's own authority name it, uniquely in its economy; the issuer may set its own website", async function () {
    const { names, registry, authSG, authAU, authJP, issuer, auIssuer, stranger, other, now } =
      await loadFixture(namesFixture);
    await expect(
      names.connect(authSG).nameIssuer(issuer.address, "Acme Assurance", "Acme Assurance Pte Ltd", "https://acme.sg"),
    )
      .to.emit(names, "IssuerNamed")
      .withArgs(issuer.address, "Acme Assurance", "Acme Assurance Pte Ltd", "https://acme.sg", authSG.address);
    expect(await names.issuerNamed(SG, "Acme Assurance")).to.equal(issuer.address);
    // ASCII letters' case does not make another name.
    expect(await names.issuerNamed(SG, "ACME assurance")).to.equal(issuer.address);
    expect(await names.issuerNamed(AU, "Acme Assurance")).to.equal(ethers.ZeroAddress);
    await expect(names.connect(authJP).nameIssuer(issuer.address, "Other", "", ""))
      .to.be.revertedWithCustomError(names, "NotIssuersAuthority")
      .withArgs(authJP.address, issuer.address, SG);
    await expect(names.connect(authAU).nameIssuer(stranger.address, "Nobody", "", ""))
      .to.be.revertedWithCustomError(names, "NotAnIssuer")
      .withArgs(stranger.address);
    // Names are the economy's: AU's authority may name its own issuer alike, and the SG name still means SG's issuer.
    await names.connect(authAU).nameIssuer(auIssuer.address, "Acme Assurance", "", "");
    expect(await names.issuerNamed(AU, "Acme Assurance")).to.equal(auIssuer.address);
    expect(await names.issuerNamed(SG, "Acme Assurance")).to.equal(issuer.address);
    // Within one economy a name is one issuer's, whatever the case of its letters.
    await accredit(registry, authSG, other, SG, 1n, now, 0);
    await expect(names.connect(authSG).nameIssuer(other.address, "acme ASSURANCE", "", ""))
      .to.be.revertedWithCustomError(names, "NameTaken")
      .withArgs("acme ASSURANCE", issuer.address, SG);
    // A rename frees the old name.
    await names.connect(authSG).nameIssuer(issuer.address, "Acme CBPR", "", "");
    expect(await names.issuerNamed(SG, "Acme Assurance")).to.equal(ethers.ZeroAddress);
    await names.connect(authSG).nameIssuer(other.address, "Acme Assurance", "", "");
    expect(await names.issuerNamed(SG, "Acme Assurance")).to.equal(other.address);

    await expect(names.connect(issuer).setWebsite("https://acme.example"))
      .to.emit(names, "IssuerWebsiteSet")
      .withArgs(issuer.address, "https://acme.example");
    expect((await names.issuerProfile(issuer.address)).website).to.equal("https://acme.example");
    await expect(names.connect(stranger).setWebsite("https://x.example"))
      .to.be.revertedWithCustomError(names, "NotAnIssuer")
      .withArgs(stranger.address);
  });

  it("frees a released issuer's name, and a re-accredited address starts without the old profile", async function () {
    const { names, registry, authSG, authJP, other, now } = await loadFixture(namesFixture);
    await accredit(registry, authSG, other, SG, 1n, now, 0);
    await names.connect(authSG).nameIssuer(other.address, "Lion Certifiers", "", "https://lion.example");
    await registry.releaseIssuer(other.address);
    expect(await names.issuerNamed(SG, "Lion Certifiers")).to.equal(ethers.ZeroAddress);
    expect((await names.issuerProfile(other.address)).name).to.equal("");
    await accredit(registry, authJP, other, JP, 1n, now, 0);
    expect((await names.issuerProfile(other.address)).website).to.equal("");
    await names.connect(other).setWebsite("https://other.example");
    expect(await names.issuerProfile(other.address)).to.deep.equal(["", "", "https://other.example"]);
  });

  it("refuses a name that begins or ends with a space or a control character", async function () {
    const { names, authAU, auIssuer } = await loadFixture(namesFixture);
    for (const name of [" University", "University ", "University\n", "\tUniversity"]) {
      await expect(names.connect(authAU).nameIssuer(auIssuer.address, name, "", ""))
        .to.be.revertedWithCustomError(names, "UntrimmedName")
        .withArgs("name", name);
    }
    await expect(names.nameEconomy(AU, "Australia", "", "", "OAIC "))
      .to.be.revertedWithCustomError(names, "UntrimmedName")
      .withArgs("authorityName", "OAIC ");
  });

  it("refuses empty and over-long names and texts, naming the field, its length and the limit", async function () {
    const { names, authAU, auIssuer, issuer } = await loadFixture(namesFixture);
    await expect(names.nameEconomy(AU, "", "", "", "OAIC"))
      .to.be.revertedWithCustomError(names, "InvalidField")
      .withArgs("name", 0, 64);
    await expect(names.nameEconomy(AU, "Australia", "", "", "x".repeat(65)))
      .to.be.revertedWithCustomError(names, "InvalidField")
      .withArgs("authorityName", 65, 64);
    await expect(names.connect(authAU).nameIssuer(auIssuer.address, "U", "l".repeat(201), ""))
      .to.be.revertedWithCustomError(names, "InvalidField")
      .withArgs("legalName", 201, 200);
    await expect(names.connect(authAU).nameIssuer(auIssuer.address, "U", "", "w".repeat(201)))
      .to.be.revertedWithCustomError(names, "InvalidField")
      .withArgs("website", 201, 200);
    await expect(names.connect(issuer).setWebsite("w".repeat(201)))
      .to.be.revertedWithCustomError(names, "InvalidField")
      .withArgs("website", 201, 200);
    // Multi-byte names count bytes: 16 four-byte characters fill the 64.
    await names.connect(authAU).nameIssuer(auIssuer.address, "🎓".repeat(16), "", "");
    expect((await names.issuerProfile(auIssuer.address)).name).to.equal("🎓".repeat(16));
  });
});
