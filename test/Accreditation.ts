import { expect } from "chai";
import { economyCode, IssuerStanding, MAX_SCHEMAS, schemaBitmap } from "../src/codes.ts";
import { CCRRegistry__factory } from "../types/ethers-contracts/index.js";
import {
  accredit,
  AU,
  CBPR,
  COUNCIL_DELAY,
  DIPLOMA,
  ethers,
  frameworkFixture,
  JP,
  KYC,
  loadFixture,
  SG,
  time,
  YEAR,
} from "./fixture.ts";

describe("Accreditation", function () {
  describe("deployment", function () {
    it("admits the first economies and emits EconomyAdmitted for each", async function () {
      const { registry, deployed, authSG, authJP } = await loadFixture(frameworkFixture);
      const receipt = await deployed.deploymentTransaction()?.wait();
      expect(receipt).to.not.equal(undefined);
      const admitted = await registry.queryFilter(registry.filters.EconomyAdmitted());
      expect(admitted.map((e) => [e.args.economy, e.args.authority])).to.deep.equal([
        [SG, authSG.address],
        [JP, authJP.address],
        [AU, (await registry.getEconomy(AU)).authority],
      ]);
      expect(await registry.economyOf(authSG.address)).to.equal(SG);
      expect(await registry.economyOf(authJP.address)).to.equal(JP);
    });

    it("refuses economy and authority lists of different lengths", async function () {
      const [council, a] = await ethers.getSigners();
      const factory = new CCRRegistry__factory(council);
      await expect(factory.deploy(council.address, COUNCIL_DELAY, [SG, JP], [a.address]))
        .to.be.revertedWithCustomError(factory, "EconomyListMismatch")
        .withArgs(2, 1);
    });

    it("declares its interfaces and version", async function () {
      const { registry } = await loadFixture(frameworkFixture);
      expect(await registry.ccrVersion()).to.equal("2");
      expect(await registry.supportsInterface("0x01ffc9a7")).to.equal(true);
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("council", function () {
    it("admits an economy", async function () {
      const { registry, stranger } = await loadFixture(frameworkFixture);
      const US = economyCode("US");
      await expect(registry.admitEconomy(US, stranger.address))
        .to.emit(registry, "EconomyAdmitted")
        .withArgs(US, stranger.address);
      expect(await registry.getEconomy(US)).to.deep.equal([stranger.address, true, 0n]);
    });

    it("refuses invalid economy codes, members and authorities", async function () {
      const { registry, stranger, authSG } = await loadFixture(frameworkFixture);
      for (const code of ["0x7367", "0x0000", "0x5300", "0x5b41"]) {
        await expect(registry.admitEconomy(code, stranger.address))
          .to.be.revertedWithCustomError(registry, "InvalidEconomyCode")
          .withArgs(code);
      }
      await expect(registry.admitEconomy(SG, stranger.address))
        .to.be.revertedWithCustomError(registry, "EconomyAlreadyMember")
        .withArgs(SG);
      const US = economyCode("US");
      await expect(registry.admitEconomy(US, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "InvalidAuthority")
        .withArgs(ethers.ZeroAddress);
      await expect(registry.admitEconomy(US, authSG.address))
        .to.be.revertedWithCustomError(registry, "InvalidAuthority")
        .withArgs(authSG.address);
    });

    it("only the council governs", async function () {
      const { registry, deployed, stranger } = await loadFixture(frameworkFixture);
      const role = await deployed.DEFAULT_ADMIN_ROLE();
      const calls = [
        registry.connect(stranger).admitEconomy(economyCode("US"), stranger.address),
        registry.connect(stranger).removeEconomy(JP),
        registry.connect(stranger).appointAuthority(JP, stranger.address),
        registry.connect(stranger).registerSchema("x", "y", ethers.id("x")),
        registry.connect(stranger).deprecateSchema(0),
      ];
      for (const call of calls) {
        await expect(call)
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, role);
      }
    });

    it("removes an economy without live issuers and clears its authority", async function () {
      const { registry, authJP } = await loadFixture(frameworkFixture);
      await expect(registry.removeEconomy(JP)).to.emit(registry, "EconomyRemoved").withArgs(JP, authJP.address);
      expect(await registry.getEconomy(JP)).to.deep.equal([ethers.ZeroAddress, false, 0n]);
      expect(await registry.economyOf(authJP.address)).to.equal("0x0000");
      await expect(registry.removeEconomy(JP)).to.be.revertedWithCustomError(registry, "EconomyNotMember").withArgs(JP);
      await expect(registry.connect(authJP).offerAccreditation(authJP.address, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "NotAnAuthority")
        .withArgs(authJP.address);
    });

    it("refuses to remove an economy whose issuers are not all revoked", async function () {
      const { registry, authSG, issuer } = await loadFixture(frameworkFixture);
      await expect(registry.removeEconomy(SG))
        .to.be.revertedWithCustomError(registry, "EconomyHasLiveIssuers")
        .withArgs(SG, 1);
      await registry.connect(authSG).revokeIssuer(issuer.address, 0);
      await expect(registry.removeEconomy(SG)).to.emit(registry, "EconomyRemoved");
    });

    it("appoints a new authority; the old one loses its powers", async function () {
      const { registry, council, authJP, stranger } = await loadFixture(frameworkFixture);
      await expect(registry.appointAuthority(JP, stranger.address))
        .to.emit(registry, "AuthorityChanged")
        .withArgs(JP, authJP.address, stranger.address, council.address);
      expect(await registry.economyOf(authJP.address)).to.equal("0x0000");
      expect(await registry.economyOf(stranger.address)).to.equal(JP);
      await expect(registry.appointAuthority(economyCode("US"), stranger.address))
        .to.be.revertedWithCustomError(registry, "EconomyNotMember")
        .withArgs(economyCode("US"));
    });

    it("registers schemas up to the limit and deprecates them", async function () {
      const { registry } = await loadFixture(frameworkFixture);
      const digest = ethers.sha256(ethers.toUtf8Bytes('{"type":"object"}'));
      await expect(registry.registerSchema("Certificate of Origin", "https://s/origin.json", digest))
        .to.emit(registry, "SchemaRegistered")
        .withArgs(3, "Certificate of Origin", "https://s/origin.json", digest);
      expect(await registry.schemaCount()).to.equal(4);
      expect(await registry.getSchema(3)).to.deep.equal([
        "Certificate of Origin",
        "https://s/origin.json",
        digest,
        false,
      ]);
      // A name, a URI and a digest are all required.
      for (const [name, uri, d] of [
        ["", "https://s/x.json", digest],
        ["X", "", digest],
        ["X", "https://s/x.json", ethers.ZeroHash],
      ] as const) {
        await expect(registry.registerSchema(name, uri, d))
          .to.be.revertedWithCustomError(registry, "InvalidSchema")
          .withArgs(name, uri, d);
      }
      await expect(registry.getSchema(4)).to.be.revertedWithCustomError(registry, "UnknownSchema").withArgs(4);
      await expect(registry.deprecateSchema(3)).to.emit(registry, "SchemaDeprecated").withArgs(3);
      expect((await registry.getSchema(3)).deprecated).to.equal(true);
      await expect(registry.deprecateSchema(3))
        .to.be.revertedWithCustomError(registry, "SchemaIsDeprecated")
        .withArgs(3);
      await expect(registry.deprecateSchema(9)).to.be.revertedWithCustomError(registry, "UnknownSchema").withArgs(9);
      for (let i = 4; i < MAX_SCHEMAS; i++) await registry.registerSchema(`s${i}`, "u", digest);
      await expect(registry.registerSchema("one too many", "u", digest))
        .to.be.revertedWithCustomError(registry, "SchemaLimitReached")
        .withArgs(MAX_SCHEMAS);
    });

    it("releases an address an authority claimed but never used; its accreditation ends as a revocation", async function () {
      const { registry, authSG, authJP, issuer, operator, council, stranger } = await loadFixture(frameworkFixture);
      await expect(registry.connect(stranger).releaseIssuer(issuer.address)).to.be.revertedWithCustomError(
        registry,
        "AccessControlUnauthorizedAccount",
      );
      await expect(registry.releaseIssuer(stranger.address))
        .to.be.revertedWithCustomError(registry, "UnknownIssuer")
        .withArgs(stranger.address);
      await expect(registry.releaseIssuer(issuer.address))
        .to.emit(registry, "IssuerReleased")
        .withArgs(issuer.address, SG, 1, council.address);
      const released = await time.latest();
      expect((await registry.getIssuer(issuer.address)).standing).to.equal(IssuerStanding.NONE);
      expect((await registry.getEconomy(SG)).liveIssuers).to.equal(0);
      const meta = await registry.getIssuerMeta(1);
      expect([meta.account, meta.economy, meta.changedAt]).to.deep.equal([issuer.address, SG, BigInt(released)]);
      // Its operators do not follow the address into a new accreditation.
      expect(await registry.isOperator(issuer.address, operator.address)).to.equal(false);
      // SG's authority no longer manages it; the address may accept another economy's offer, under a new id.
      await expect(registry.connect(authSG).suspendIssuer(issuer.address))
        .to.be.revertedWithCustomError(registry, "UnknownIssuer")
        .withArgs(issuer.address);
      await accredit(registry, authJP, issuer, JP, 1n, 0, 0);
      expect((await registry.getIssuer(issuer.address)).id).to.equal(3n);
      expect(await registry.isOperator(issuer.address, operator.address)).to.equal(false);
    });

    it("hands the council over in two steps after the delay", async function () {
      const { registry, council, stranger } = await loadFixture(frameworkFixture);
      await registry.beginDefaultAdminTransfer(stranger.address);
      const [, schedule] = await registry.pendingDefaultAdmin();
      await expect(registry.connect(stranger).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(registry, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
      await time.increaseTo(schedule + 1n);
      await registry.connect(stranger).acceptDefaultAdminTransfer();
      expect(await registry.defaultAdmin()).to.equal(stranger.address);
      await expect(registry.connect(council).registerSchema("x", "y", ethers.id("x"))).to.be.revertedWithCustomError(
        registry,
        "AccessControlUnauthorizedAccount",
      );
    });
  });

  describe("authority", function () {
    it("accredits an address only with its consent: the authority offers, the address accepts", async function () {
      const { registry, authJP, stranger, now } = await loadFixture(frameworkFixture);
      const schemas = schemaBitmap([CBPR, KYC]);
      await expect(registry.connect(authJP).offerAccreditation(stranger.address, schemas, now, now + YEAR))
        .to.emit(registry, "AccreditationOffered")
        .withArgs(stranger.address, JP, schemas, now, now + YEAR, authJP.address);
      // An offer changes nothing for the address until it accepts.
      expect((await registry.getIssuer(stranger.address)).standing).to.equal(IssuerStanding.NONE);
      expect(await registry.getOffer(stranger.address, JP)).to.deep.equal([authJP.address, now, now + YEAR, schemas]);
      await expect(registry.connect(stranger).acceptAccreditation(JP, schemas, now, now + YEAR))
        .to.emit(registry, "IssuerAccredited")
        .withArgs(stranger.address, JP, 3, schemas, now, now + YEAR, stranger.address);
      expect(await registry.getOffer(stranger.address, JP)).to.deep.equal([ethers.ZeroAddress, 0n, 0n, 0n]);
      expect(await registry.getIssuer(stranger.address)).to.deep.equal([
        3n,
        JP,
        BigInt(IssuerStanding.ACTIVE),
        BigInt(now),
        BigInt(now + YEAR),
        schemas,
      ]);
      const meta = await registry.getIssuerMeta(3);
      expect([meta.account, meta.economy, meta.compromisedAt]).to.deep.equal([stranger.address, JP, 0n]);
      expect(await registry.issuerCount()).to.equal(3);
      expect((await registry.getEconomy(JP)).liveIssuers).to.equal(1);
    });

    it("no authority can claim an address first: competing offers, the address accepts the one it wants", async function () {
      const { registry, authSG, authJP, stranger } = await loadFixture(frameworkFixture);
      // SG sees JP's pending offer and makes its own first; the address still chooses JP.
      await registry.connect(authSG).offerAccreditation(stranger.address, 1n, 0, 0);
      await registry.connect(authJP).offerAccreditation(stranger.address, 1n, 0, 0);
      await expect(registry.connect(stranger).acceptAccreditation(JP, 1n, 0, 0))
        .to.emit(registry, "IssuerAccredited")
        .withArgs(stranger.address, JP, 3, 1n, 0, 0, stranger.address);
      // Once an issuer, it belongs to JP: SG's offer can no longer be accepted, nor a new one made.
      await expect(registry.connect(stranger).acceptAccreditation(SG, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "IssuerAlreadyRegistered")
        .withArgs(stranger.address, JP);
      await expect(registry.connect(authSG).offerAccreditation(stranger.address, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "IssuerAlreadyRegistered")
        .withArgs(stranger.address, JP);
    });

    it("accepts only the terms offered, by the authority still in office", async function () {
      const { registry, council, authJP, stranger, other } = await loadFixture(frameworkFixture);
      const s = registry.connect(stranger);
      await expect(s.acceptAccreditation(JP, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "NoMatchingOffer")
        .withArgs(stranger.address, JP, 1n, 0, 0);
      await registry.connect(authJP).offerAccreditation(stranger.address, 1n, 0, 1000);
      for (const [schemas, from, until] of [
        [3n, 0, 1000],
        [1n, 1, 1000],
        [1n, 0, 0],
      ] as const) {
        await expect(s.acceptAccreditation(JP, schemas, from, until))
          .to.be.revertedWithCustomError(registry, "NoMatchingOffer")
          .withArgs(stranger.address, JP, schemas, from, until);
      }
      // A new offer replaces the old one; a new authority lets the earlier offer lapse.
      await registry.connect(authJP).offerAccreditation(stranger.address, 1n, 0, 0);
      await registry.connect(council).appointAuthority(JP, other.address);
      await expect(s.acceptAccreditation(JP, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "NoMatchingOffer")
        .withArgs(stranger.address, JP, 1n, 0, 0);
      // A schema deprecated between offer and acceptance is refused as in a new offer.
      await registry.connect(other).offerAccreditation(stranger.address, schemaBitmap([KYC]), 0, 0);
      await registry.connect(council).deprecateSchema(KYC);
      await expect(s.acceptAccreditation(JP, schemaBitmap([KYC]), 0, 0))
        .to.be.revertedWithCustomError(registry, "SchemaIsDeprecated")
        .withArgs(KYC);
    });

    it("withdraws an offer", async function () {
      const { registry, authJP, stranger } = await loadFixture(frameworkFixture);
      await expect(registry.connect(authJP).withdrawOffer(stranger.address))
        .to.be.revertedWithCustomError(registry, "NoMatchingOffer")
        .withArgs(stranger.address, JP, 0n, 0, 0);
      await registry.connect(authJP).offerAccreditation(stranger.address, 1n, 0, 0);
      await expect(registry.connect(authJP).withdrawOffer(stranger.address))
        .to.emit(registry, "AccreditationOfferWithdrawn")
        .withArgs(stranger.address, JP, authJP.address);
      await expect(registry.connect(stranger).acceptAccreditation(JP, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "NoMatchingOffer")
        .withArgs(stranger.address, JP, 1n, 0, 0);
    });

    it("refuses bad offers with the offending values", async function () {
      const { registry, authJP, authSG, issuer, stranger, council } = await loadFixture(frameworkFixture);
      const j = registry.connect(authJP);
      await expect(registry.connect(stranger).offerAccreditation(stranger.address, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "NotAnAuthority")
        .withArgs(stranger.address);
      await expect(j.offerAccreditation(ethers.ZeroAddress, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "InvalidIssuer")
        .withArgs(ethers.ZeroAddress);
      await expect(j.offerAccreditation(issuer.address, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "IssuerAlreadyRegistered")
        .withArgs(issuer.address, SG);
      await expect(j.offerAccreditation(stranger.address, 0n, 0, 0))
        .to.be.revertedWithCustomError(registry, "EmptySchemaSet")
        .withArgs(stranger.address);
      await expect(j.offerAccreditation(stranger.address, schemaBitmap([5]), 0, 0))
        .to.be.revertedWithCustomError(registry, "UnknownSchema")
        .withArgs(5);
      await expect(j.offerAccreditation(stranger.address, 1n, 100, 100))
        .to.be.revertedWithCustomError(registry, "InvalidWindow")
        .withArgs(100, 100);
      await registry.connect(council).deprecateSchema(KYC);
      await expect(j.offerAccreditation(stranger.address, schemaBitmap([CBPR, KYC]), 0, 0))
        .to.be.revertedWithCustomError(registry, "SchemaIsDeprecated")
        .withArgs(KYC);
      // An issuer that already holds a deprecated schema keeps it through an amendment.
      await expect(
        registry.connect(authSG).amendAccreditation(issuer.address, schemaBitmap([CBPR, KYC]), 0, 0),
      ).to.emit(registry, "AccreditationAmended");
    });

    it("amends and renews; never for another economy's issuer or a revoked one", async function () {
      const { registry, authSG, authJP, issuer, now } = await loadFixture(frameworkFixture);
      await expect(
        registry.connect(authSG).amendAccreditation(issuer.address, schemaBitmap([DIPLOMA]), now, now + 5 * YEAR),
      )
        .to.emit(registry, "AccreditationAmended")
        .withArgs(issuer.address, SG, schemaBitmap([DIPLOMA]), now, now + 5 * YEAR, authSG.address);
      expect((await registry.getIssuer(issuer.address)).schemas).to.equal(schemaBitmap([DIPLOMA]));
      await expect(registry.connect(authJP).amendAccreditation(issuer.address, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "IssuerOfOtherEconomy")
        .withArgs(issuer.address, SG, JP);
      await expect(registry.connect(authJP).amendAccreditation(authJP.address, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "UnknownIssuer")
        .withArgs(authJP.address);
      await registry.connect(authSG).revokeIssuer(issuer.address, 0);
      await expect(registry.connect(authSG).amendAccreditation(issuer.address, 1n, 0, 0))
        .to.be.revertedWithCustomError(registry, "InvalidIssuerTransition")
        .withArgs(issuer.address, IssuerStanding.REVOKED);
    });

    it("suspends, reinstates and revokes issuers along the allowed transitions", async function () {
      const { registry, authSG, authJP, issuer } = await loadFixture(frameworkFixture);
      const s = registry.connect(authSG);
      await expect(s.reinstateIssuer(issuer.address))
        .to.be.revertedWithCustomError(registry, "InvalidIssuerTransition")
        .withArgs(issuer.address, IssuerStanding.ACTIVE);
      await expect(s.suspendIssuer(issuer.address))
        .to.emit(registry, "IssuerSuspended")
        .withArgs(issuer.address, SG, authSG.address);
      await expect(s.suspendIssuer(issuer.address))
        .to.be.revertedWithCustomError(registry, "InvalidIssuerTransition")
        .withArgs(issuer.address, IssuerStanding.SUSPENDED);
      await expect(registry.connect(authJP).reinstateIssuer(issuer.address))
        .to.be.revertedWithCustomError(registry, "IssuerOfOtherEconomy")
        .withArgs(issuer.address, SG, JP);
      await expect(s.reinstateIssuer(issuer.address))
        .to.emit(registry, "IssuerReinstated")
        .withArgs(issuer.address, SG, authSG.address);
      const now = await time.latest();
      await expect(s.revokeIssuer(issuer.address, now + 100))
        .to.be.revertedWithCustomError(registry, "InvalidCompromiseTime")
        .withArgs(now + 100, now + 1);
      await expect(s.revokeIssuer(issuer.address, now - 50))
        .to.emit(registry, "IssuerRevoked")
        .withArgs(issuer.address, SG, now - 50, authSG.address);
      expect((await registry.getIssuerMeta(1)).compromisedAt).to.equal(now - 50);
      expect((await registry.getEconomy(SG)).liveIssuers).to.equal(0);
      await expect(s.revokeIssuer(issuer.address, 0))
        .to.be.revertedWithCustomError(registry, "InvalidIssuerTransition")
        .withArgs(issuer.address, IssuerStanding.REVOKED);
      await expect(s.reinstateIssuer(issuer.address))
        .to.be.revertedWithCustomError(registry, "InvalidIssuerTransition")
        .withArgs(issuer.address, IssuerStanding.REVOKED);
    });

    it("hands its role to a new address", async function () {
      const { registry, authSG, stranger, issuer } = await loadFixture(frameworkFixture);
      await expect(registry.connect(authSG).transferAuthority(stranger.address))
        .to.emit(registry, "AuthorityChanged")
        .withArgs(SG, authSG.address, stranger.address, authSG.address);
      await expect(registry.connect(authSG).suspendIssuer(issuer.address))
        .to.be.revertedWithCustomError(registry, "NotAnAuthority")
        .withArgs(authSG.address);
      await expect(registry.connect(stranger).suspendIssuer(issuer.address)).to.emit(registry, "IssuerSuspended");
    });

    it("recognises and withdraws recognition of another economy's accreditations", async function () {
      const { registry, authSG, authJP } = await loadFixture(frameworkFixture);
      const s = registry.connect(authSG);
      await expect(s.recognise(JP, CBPR))
        .to.emit(registry, "RecognitionGranted")
        .withArgs(SG, JP, CBPR, authSG.address);
      expect(await registry.recognisedSchemas(SG, JP)).to.equal(schemaBitmap([CBPR]));
      await expect(s.recognise(JP, CBPR))
        .to.be.revertedWithCustomError(registry, "RecognitionUnchanged")
        .withArgs(SG, JP, CBPR);
      await expect(s.recognise(SG, CBPR)).to.be.revertedWithCustomError(registry, "SelfRecognition").withArgs(SG);
      await expect(s.recognise(economyCode("US"), CBPR))
        .to.be.revertedWithCustomError(registry, "EconomyNotMember")
        .withArgs(economyCode("US"));
      await expect(s.recognise(JP, 7)).to.be.revertedWithCustomError(registry, "UnknownSchema").withArgs(7);
      await expect(registry.connect(authJP).withdrawRecognition(SG, CBPR))
        .to.be.revertedWithCustomError(registry, "RecognitionUnchanged")
        .withArgs(JP, SG, CBPR);
      await expect(s.withdrawRecognition(JP, 200))
        .to.be.revertedWithCustomError(registry, "RecognitionUnchanged")
        .withArgs(SG, JP, 200);
      await expect(s.withdrawRecognition(JP, CBPR))
        .to.emit(registry, "RecognitionWithdrawn")
        .withArgs(SG, JP, CBPR, authSG.address);
      expect(await registry.recognisedSchemas(SG, JP)).to.equal(0n);
    });
  });

  describe("issuer operators", function () {
    it("adds and removes operators", async function () {
      const { registry, issuer, operator, stranger } = await loadFixture(frameworkFixture);
      expect(await registry.isOperator(issuer.address, operator.address)).to.equal(true);
      await expect(registry.connect(issuer).addOperator(stranger.address))
        .to.emit(registry, "OperatorAdded")
        .withArgs(issuer.address, stranger.address);
      for (const bad of [ethers.ZeroAddress, issuer.address, stranger.address]) {
        await expect(registry.connect(issuer).addOperator(bad))
          .to.be.revertedWithCustomError(registry, "InvalidOperator")
          .withArgs(issuer.address, bad);
      }
      await expect(registry.connect(issuer).removeOperator(stranger.address))
        .to.emit(registry, "OperatorRemoved")
        .withArgs(issuer.address, stranger.address);
      await expect(registry.connect(issuer).removeOperator(stranger.address))
        .to.be.revertedWithCustomError(registry, "InvalidOperator")
        .withArgs(issuer.address, stranger.address);
    });

    it("only accredited, unrevoked issuers add operators", async function () {
      const { registry, issuer, authSG, stranger } = await loadFixture(frameworkFixture);
      await expect(registry.connect(stranger).addOperator(issuer.address))
        .to.be.revertedWithCustomError(registry, "UnknownIssuer")
        .withArgs(stranger.address);
      await registry.connect(authSG).revokeIssuer(issuer.address, 0);
      await expect(registry.connect(issuer).addOperator(stranger.address))
        .to.be.revertedWithCustomError(registry, "InvalidIssuerTransition")
        .withArgs(issuer.address, IssuerStanding.REVOKED);
    });
  });
});
