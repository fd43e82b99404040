import { expect } from "chai";
import { network } from "hardhat";
import CCRModule from "../deploy/modules/CCR.ts";
import { APEC_ECONOMIES } from "../deploy/apec.ts";
import { DEMO_SCHEMAS } from "../deploy/demoData.ts";
import { economyCode, Status } from "../src/codes.ts";
import { apecEconomyParameters, DEMO_ISSUERS, demoQuery, seedDemo, singleKeyCouncil } from "../deploy/demoData.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";

describe("Ignition module and demo framework", function () {
  it("deploys CCR with the 21 APEC economies and the ERC-1056 DID registry, and seeds the demo", async function () {
    const { ethers, ignition } = await network.create();
    const [council] = await ethers.getSigners();
    const { economies, authorities } = apecEconomyParameters(ethers.provider);
    const deployed = await ignition.deploy(CCRModule, {
      parameters: { CCR: { economies, authorities, councilTransferDelay: 3600 } },
      displayUi: false,
    });
    const registry = ICCR__factory.connect(await deployed.registry.getAddress(), council);
    expect(await registry.defaultAdmin()).to.equal(council.address);
    for (const [i, { iso }] of APEC_ECONOMIES.entries()) {
      expect(await registry.getEconomy(economyCode(iso))).to.deep.equal([authorities[i], true, 0n]);
    }
    // The DID registry answers ERC-1056 calls: an identity owns itself until changed.
    const didRegistry = new ethers.Contract(
      await deployed.didRegistry.getAddress(),
      ["function identityOwner(address) view returns (address)"],
      council,
    );
    expect(await didRegistry.getFunction("identityOwner")(council.address)).to.equal(council.address);

    const demo = await seedDemo(registry, ethers.provider, singleKeyCouncil(council));
    expect(await registry.schemaCount()).to.equal(DEMO_SCHEMAS.length);
    expect(await registry.issuerCount()).to.equal(DEMO_ISSUERS.length);
    const verdicts = await registry.verdicts(
      demo.credentials.map((c) => demoQuery(c, demo.accounts)),
      economyCode("JP"),
    );
    expect(verdicts.map((v) => Number(v.status))).to.deep.equal(demo.credentials.map((c) => Status[c.expected]));
    expect(demo.credentials.filter((c) => c.expected === "REVOKED")).to.have.length(2);
    expect(demo.credentials.filter((c) => c.expected === "SUSPENDED")).to.have.length(1);
    // Mutual recognition: a Japanese verifier accepts Singapore's CBPR certification, not Australia's diplomas.
    const sgCbpr = demo.credentials.findIndex((c) => c.issuer === "sg-agent" && c.schema === 0);
    const diploma = demo.credentials.findIndex((c) => c.batch !== undefined);
    expect(verdicts[sgCbpr]?.recognised).to.equal(true);
    expect(verdicts[diploma]?.recognised).to.equal(false);
  });
});
