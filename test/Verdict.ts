import { expect } from "chai";
import { Decider, IssuerStanding, REASONS, Status } from "../src/codes.ts";
import { buildBatch, memberSets } from "../src/batch.ts";
import { FactsStandIn__factory, VerdictReader__factory } from "../types/ethers-contracts/index.js";
import {
  accredit,
  AU,
  CBPR,
  DAY,
  DIPLOMA,
  ethers,
  frameworkFixture,
  JP,
  KYC,
  loadFixture,
  NONE,
  randomHash,
  SG,
  single,
  time,
  YEAR,
} from "./fixture.ts";

describe("Verdict", function () {
  it("gives the complete answer for a valid credential", async function () {
    const { registry, issuer, now } = await loadFixture(frameworkFixture);
    const hash = randomHash();
    await registry.connect(issuer).anchor(hash, CBPR, now, now + YEAR);
    const anchoredAt = await time.latest();
    const v = await registry.verdict(single(issuer, hash), SG);
    expect(v.status).to.equal(Status.VALID);
    expect(v.issuerStanding).to.equal(IssuerStanding.ACTIVE);
    expect(v.recognised).to.equal(true);
    expect(v.batchMember).to.equal(false);
    expect([v.issuer, v.economy, v.schema]).to.deep.equal([issuer.address, SG, BigInt(CBPR)]);
    expect([v.anchoredAt, v.validFrom, v.validUntil]).to.deep.equal([
      BigInt(anchoredAt),
      BigInt(now),
      BigInt(now + YEAR),
    ]);
    expect([v.decidedBy, v.decidedAt, v.reason, v.compromisedAt]).to.deep.equal([BigInt(Decider.NONE), 0n, 0n, 0n]);
  });

  it("answers through its read-only VerdictReader, which verifiers may also ask directly", async function () {
    const { registry, issuer } = await loadFixture(frameworkFixture);
    const hash = randomHash();
    await registry.connect(issuer).anchor(hash, CBPR, 0, 0);
    // The reader's one call: the record, the issuer's record and the accreditation as raw storage words.
    const [record, issuerWord, meta] = await registry.verdictFacts([BigInt(issuer.address), BigInt(hash), 0n]);
    const stored = await registry.getCredential(issuer.address, hash);
    expect([record & 0xffffffn, (record >> 80n) & 0xffffffffffn]).to.deep.equal([stored.issuerId, stored.anchoredAt]);
    expect(issuerWord & 0xffffffn).to.equal((await registry.getIssuer(issuer.address)).id);
    expect(ethers.getAddress(ethers.toBeHex(meta & ((1n << 160n) - 1n), 20))).to.equal(issuer.address);
    const reader = VerdictReader__factory.connect(await registry.verdictReader(), ethers.provider);
    expect(await ethers.provider.getCode(await reader.getAddress())).to.not.equal("0x");
    expect(await reader.verdict(single(issuer, hash), SG)).to.deep.equal(
      await registry.verdict(single(issuer, hash), SG),
    );
    // A call the reader refuses (calldata that does not decode) is refused by the registry too, not answered empty.
    const selector = registry.interface.getFunction("verdict").selector;
    const refused = await ethers.provider.call({ to: await registry.getAddress(), data: selector }).then(
      () => false,
      () => true,
    );
    expect(refused).to.equal(true);
  });

  it("answers UNKNOWN for a hash never anchored", async function () {
    const { registry, issuer } = await loadFixture(frameworkFixture);
    const v = await registry.verdict(single(issuer, randomHash()), SG);
    expect([v.status, v.issuer, v.recognised]).to.deep.equal([BigInt(Status.UNKNOWN), ethers.ZeroAddress, false]);
  });

  it("follows time: NOT_YET_VALID, VALID, EXPIRED", async function () {
    const { registry, issuer } = await loadFixture(frameworkFixture);
    const now = await time.latest();
    const hash = randomHash();
    await registry.connect(issuer).anchor(hash, CBPR, now + DAY, now + 2 * DAY);
    expect((await registry.verdict(single(issuer, hash), NONE)).status).to.equal(Status.NOT_YET_VALID);
    await time.increaseTo(now + DAY);
    expect((await registry.verdict(single(issuer, hash), NONE)).status).to.equal(Status.VALID);
    await time.increaseTo(now + 2 * DAY);
    expect((await registry.verdict(single(issuer, hash), NONE)).status).to.equal(Status.VALID);
    await time.increaseTo(now + 2 * DAY + 1);
    expect((await registry.verdict(single(issuer, hash), NONE)).status).to.equal(Status.EXPIRED);
  });

  it("reports recognition by the verifier's economy", async function () {
    const { registry, issuer, authJP } = await loadFixture(frameworkFixture);
    const hash = randomHash();
    await registry.connect(issuer).anchor(hash, CBPR, 0, 0);
    expect((await registry.verdict(single(issuer, hash), JP)).recognised).to.equal(false);
    expect((await registry.verdict(single(issuer, hash), NONE)).recognised).to.equal(false);
    await registry.connect(authJP).recognise(SG, CBPR);
    expect((await registry.verdict(single(issuer, hash), JP)).recognised).to.equal(true);
    expect((await registry.verdict(single(issuer, hash), AU)).recognised).to.equal(false);
    await registry.removeEconomy(JP);
    expect((await registry.verdict(single(issuer, hash), JP)).recognised).to.equal(false);
  });

  it("recognises per schema: an economy recognised for one schema is not recognised for its others", async function () {
    const { registry, issuer, authJP } = await loadFixture(frameworkFixture);
    const cbpr = randomHash();
    const kyc = randomHash();
    await registry.connect(issuer).anchor(cbpr, CBPR, 0, 0);
    await registry.connect(issuer).anchor(kyc, KYC, 0, 0);
    // JP recognises SG's CBPR accreditations only: SG's KYC credentials are valid, and not recognised by JP.
    await registry.connect(authJP).recognise(SG, CBPR);
    const [ofCbpr, ofKyc] = await registry.verdicts([single(issuer, cbpr), single(issuer, kyc)], JP);
    expect([ofCbpr?.status, ofCbpr?.recognised]).to.deep.equal([BigInt(Status.VALID), true]);
    expect([ofKyc?.status, ofKyc?.recognised]).to.deep.equal([BigInt(Status.VALID), false]);
    expect((await registry.verdict(single(issuer, kyc), JP)).recognised).to.equal(false);
    // And the other way round.
    await registry.connect(authJP).withdrawRecognition(SG, CBPR);
    await registry.connect(authJP).recognise(SG, KYC);
    expect((await registry.verdict(single(issuer, cbpr), JP)).recognised).to.equal(false);
    expect((await registry.verdict(single(issuer, kyc), JP)).recognised).to.equal(true);
  });

  it("a removed economy neither recognises nor is recognised, and its recognitions do not return on readmission", async function () {
    const { registry, issuer, auIssuer, authJP, authAU, stranger } = await loadFixture(frameworkFixture);
    const sg = randomHash();
    await registry.connect(issuer).anchor(sg, CBPR, 0, 0);
    const au = randomHash();
    await registry.connect(auIssuer).anchor(au, DIPLOMA, 0, 0);
    await registry.connect(authJP).recognise(AU, DIPLOMA);
    await registry.connect(authAU).recognise(SG, CBPR);
    expect((await registry.verdict(single(auIssuer, au), JP)).recognised).to.equal(true);
    expect((await registry.verdict(single(issuer, sg), AU)).recognised).to.equal(true);
    // AU is removed (its issuer revoked first, without compromise: its credentials stay valid).
    await registry.connect(authAU).revokeIssuer(auIssuer.address, 0);
    await registry.removeEconomy(AU);
    const removed = await registry.verdict(single(auIssuer, au), JP);
    expect([removed.status, removed.recognised]).to.deep.equal([BigInt(Status.VALID), false]);
    expect((await registry.verdict(single(issuer, sg), AU)).recognised).to.equal(false);
    expect(await registry.recognisedSchemas(JP, AU)).to.equal(0n);
    expect(await registry.recognisedSchemas(AU, SG)).to.equal(0n);
    // Readmitted under a new authority: nothing it granted or was granted before applies again.
    await registry.admitEconomy(AU, stranger.address);
    expect((await registry.verdict(single(auIssuer, au), JP)).recognised).to.equal(false);
    expect((await registry.verdict(single(issuer, sg), AU)).recognised).to.equal(false);
    expect(await registry.recognisedSchemas(JP, AU)).to.equal(0n);
    expect(await registry.recognisedSchemas(AU, SG)).to.equal(0n);
    await expect(registry.connect(authJP).withdrawRecognition(AU, DIPLOMA))
      .to.be.revertedWithCustomError(registry, "RecognitionUnchanged")
      .withArgs(JP, AU, DIPLOMA);
    // Recognitions given anew hold as usual.
    await expect(registry.connect(authJP).recognise(AU, DIPLOMA))
      .to.emit(registry, "RecognitionGranted")
      .withArgs(JP, AU, DIPLOMA, authJP.address);
    await registry.connect(stranger).recognise(SG, CBPR);
    expect((await registry.verdict(single(auIssuer, au), JP)).recognised).to.equal(true);
    expect((await registry.verdict(single(issuer, sg), AU)).recognised).to.equal(true);
  });

  it("a released accreditation's credentials keep their economy and read its end as a revocation", async function () {
    const { registry, issuer, authJP } = await loadFixture(frameworkFixture);
    const hash = randomHash();
    await registry.connect(issuer).anchor(hash, CBPR, 0, 0);
    await registry.releaseIssuer(issuer.address);
    await accredit(registry, authJP, issuer, JP, 1n, 0, 0);
    const v = await registry.verdict(single(issuer, hash), SG);
    expect([v.status, v.issuerStanding, v.economy, v.recognised]).to.deep.equal([
      BigInt(Status.VALID),
      BigInt(IssuerStanding.REVOKED),
      SG,
      true,
    ]);
  });

  it("applies issuer suspension and compromise; revocation without compromise leaves credentials valid", async function () {
    const { registry, issuer, authSG } = await loadFixture(frameworkFixture);
    const before = randomHash();
    await registry.connect(issuer).anchor(before, CBPR, 0, 0);
    await time.increase(100);
    const compromise = await time.latest();
    const after = randomHash();
    await registry.connect(issuer).anchor(after, CBPR, 0, 0);

    await registry.connect(authSG).suspendIssuer(issuer.address);
    expect((await registry.verdict(single(issuer, before), NONE)).status).to.equal(Status.ISSUER_SUSPENDED);
    expect((await registry.verdict(single(issuer, before), NONE)).issuerStanding).to.equal(IssuerStanding.SUSPENDED);
    await registry.connect(authSG).reinstateIssuer(issuer.address);
    expect((await registry.verdict(single(issuer, before), NONE)).status).to.equal(Status.VALID);

    await registry.connect(authSG).revokeIssuer(issuer.address, compromise);
    const early = await registry.verdict(single(issuer, before), NONE);
    const late = await registry.verdict(single(issuer, after), NONE);
    expect([early.status, early.issuerStanding]).to.deep.equal([BigInt(Status.VALID), BigInt(IssuerStanding.REVOKED)]);
    expect([late.status, late.compromisedAt]).to.deep.equal([BigInt(Status.ISSUER_REVOKED), BigInt(compromise)]);
  });

  it("reports an issuer whose accreditation lapsed or has not begun, and keeps its credentials valid", async function () {
    const { registry, issuer, authSG, now } = await loadFixture(frameworkFixture);
    const hash = randomHash();
    await registry.connect(issuer).anchor(hash, CBPR, 0, 0);
    await time.increaseTo(now + 3 * YEAR + 1);
    const v = await registry.verdict(single(issuer, hash), NONE);
    expect([v.status, v.issuerStanding]).to.deep.equal([BigInt(Status.VALID), BigInt(IssuerStanding.LAPSED)]);
    await registry.connect(authSG).amendAccreditation(issuer.address, 1n, now + 4 * YEAR, 0);
    expect((await registry.verdict(single(issuer, hash), NONE)).issuerStanding).to.equal(IssuerStanding.PENDING);
  });

  describe("precedence (first match wins)", function () {
    it("ISSUER_REVOKED > REVOKED > EXPIRED > SUSPENDED > ISSUER_SUSPENDED > NOT_YET_VALID", async function () {
      const { registry, issuer, authSG } = await loadFixture(frameworkFixture);
      const now = await time.latest();
      const hash = randomHash();
      await registry.connect(issuer).anchor(hash, CBPR, now + 10 * DAY, now + 20 * DAY);
      const status = async () => (await registry.verdict(single(issuer, hash), NONE)).status;
      expect(await status()).to.equal(Status.NOT_YET_VALID);
      await registry.connect(authSG).suspendIssuer(issuer.address);
      expect(await status()).to.equal(Status.ISSUER_SUSPENDED);
      await registry.connect(authSG).suspendCredential(issuer.address, hash, REASONS.certificateHold);
      expect(await status()).to.equal(Status.SUSPENDED);
      await time.increaseTo(now + 20 * DAY + 1);
      expect(await status()).to.equal(Status.EXPIRED);
      await registry.connect(authSG).revokeCredential(issuer.address, hash, REASONS.superseded);
      expect(await status()).to.equal(Status.REVOKED);
      await registry.connect(authSG).revokeIssuer(issuer.address, now);
      expect(await status()).to.equal(Status.ISSUER_REVOKED);
    });
  });

  describe("batch members", function () {
    async function batchFixture() {
      const f = await frameworkFixture();
      const hashes = Array.from({ length: 300 }, () => randomHash());
      const batch = buildBatch(hashes);
      await f.registry.connect(f.auIssuer).anchorBatch(batch.root, batch.size, DIPLOMA, 0, 0);
      const member = (index: number, hash = hashes[index] ?? "") => ({
        issuer: f.auIssuer.address,
        credential: hash,
        batchRoot: batch.root,
        index,
        proof: batch.proof(index),
      });
      return { ...f, batch, hashes, member };
    }

    it("verifies a member with its proof from @openzeppelin/merkle-tree", async function () {
      const { registry, auIssuer, member } = await loadFixture(batchFixture);
      const v = await registry.verdict(member(257), AU);
      expect([v.status, v.batchMember, v.issuer, v.recognised]).to.deep.equal([
        BigInt(Status.VALID),
        true,
        auIssuer.address,
        true,
      ]);
    });

    it("answers UNKNOWN for a wrong proof, index, hash or root", async function () {
      const { registry, batch, member, hashes } = await loadFixture(batchFixture);
      const wrong = [
        { ...member(5), index: 6 },
        { ...member(5), proof: member(6).proof },
        member(5, randomHash()),
        { ...member(5), batchRoot: randomHash() },
        { ...member(5), index: batch.size + 5 },
        { ...member(5), credential: hashes[6] ?? "" },
      ];
      for (const query of wrong) {
        const v = await registry.verdict(query, NONE);
        expect([v.status, v.batchMember]).to.deep.equal([BigInt(Status.UNKNOWN), true]);
      }
    });

    it("answers UNKNOWN for a member past the size its issuer anchored, even with a valid proof of a larger tree", async function () {
      const { registry, auIssuer } = await loadFixture(frameworkFixture);
      const hashes = Array.from({ length: 8 }, () => randomHash());
      const tree = buildBatch(hashes);
      // The issuer anchors the root of 8 leaves but declares 5 members: leaves 5 to 7 are not credentials of it.
      await registry.connect(auIssuer).anchorBatch(tree.root, 5, DIPLOMA, 0, 0);
      const query = (index: number) => ({
        issuer: auIssuer.address,
        credential: hashes[index] ?? "",
        batchRoot: tree.root,
        index,
        proof: tree.proof(index),
      });
      expect((await registry.verdict(query(4), NONE)).status).to.equal(BigInt(Status.VALID));
      for (const index of [5, 7]) {
        const v = await registry.verdict(query(index), NONE);
        expect([v.status, v.batchMember], `index ${index}`).to.deep.equal([BigInt(Status.UNKNOWN), true]);
      }
    });

    it("applies member and whole-batch status", async function () {
      const { registry, auIssuer, batch, member } = await loadFixture(batchFixture);
      await registry
        .connect(auIssuer)
        .suspendMembers(auIssuer.address, batch.root, memberSets([7]), REASONS.certificateHold);
      await registry
        .connect(auIssuer)
        .revokeMembers(auIssuer.address, batch.root, memberSets([8]), REASONS.privilegeWithdrawn);
      const statuses = async () =>
        (await registry.verdicts([member(7), member(8), member(9)], NONE)).map((v) => v.status);
      expect(await statuses()).to.deep.equal([Status.SUSPENDED, Status.REVOKED, Status.VALID].map(BigInt));
      await registry.connect(auIssuer).suspendBatch(auIssuer.address, batch.root, REASONS.certificateHold);
      expect(await statuses()).to.deep.equal([Status.SUSPENDED, Status.REVOKED, Status.SUSPENDED].map(BigInt));
      await registry.connect(auIssuer).revokeBatch(auIssuer.address, batch.root, REASONS.cessationOfOperation);
      expect(await statuses()).to.deep.equal([Status.REVOKED, Status.REVOKED, Status.REVOKED].map(BigInt));
      const v = await registry.verdict(member(9), NONE);
      expect([v.decidedBy, v.decidedAt, v.reason]).to.deep.equal([
        BigInt(Decider.BATCH),
        BigInt(await time.latest()),
        BigInt(REASONS.cessationOfOperation),
      ]);
    });

    it("names the revocation that decided, not a later suspension of the batch", async function () {
      const { registry, auIssuer, authAU, batch, member } = await loadFixture(batchFixture);
      await registry
        .connect(auIssuer)
        .revokeMembers(auIssuer.address, batch.root, memberSets([4]), REASONS.keyCompromise);
      await time.increase(DAY);
      await registry.connect(authAU).suspendBatch(auIssuer.address, batch.root, REASONS.certificateHold);
      const held = await time.latest();
      // The member's own revocation decides: its time and reason are in the event history, not the batch's hold.
      const revoked = await registry.verdict(member(4), NONE);
      expect([revoked.status, revoked.decidedBy, revoked.decidedAt, revoked.reason]).to.deep.equal(
        [Status.REVOKED, Decider.MEMBER, 0, 0].map(BigInt),
      );
      // Its neighbour is suspended by the batch's hold, which names its own time and reason.
      const suspended = await registry.verdict(member(5), NONE);
      expect([suspended.status, suspended.decidedBy, suspended.decidedAt, suspended.reason]).to.deep.equal(
        [Status.SUSPENDED, Decider.BATCH, held, REASONS.certificateHold].map(BigInt),
      );
      // Before the hold began, nothing of it is reported.
      const before = await registry.verdictAt(member(5), NONE, held - 1);
      expect([before.status, before.decidedBy, before.decidedAt, before.reason]).to.deep.equal(
        [Status.VALID, Decider.NONE, 0, 0].map(BigInt),
      );
    });
  });

  it("answers many credentials, single and batch members mixed, in one call", async function () {
    const { registry, issuer, auIssuer } = await loadFixture(frameworkFixture);
    const hashes = [randomHash(), randomHash(), randomHash()];
    const batch = buildBatch(hashes);
    await registry.connect(auIssuer).anchorBatch(batch.root, 3, DIPLOMA, 0, 0);
    const lone = randomHash();
    await registry.connect(issuer).anchor(lone, CBPR, 0, 0);
    await registry.connect(issuer).revokeCredential(issuer.address, lone, REASONS.affiliationChanged);
    const result = await registry.verdicts(
      [
        single(issuer, lone),
        {
          issuer: auIssuer.address,
          credential: hashes[2] ?? "",
          batchRoot: batch.root,
          index: 2,
          proof: batch.proof(2),
        },
        single(issuer, randomHash()),
      ],
      SG,
    );
    expect(result.map((v) => [v.status, v.recognised])).to.deep.equal([
      [BigInt(Status.REVOKED), true],
      [BigInt(Status.VALID), false],
      [BigInt(Status.UNKNOWN), false],
    ]);
  });

  it("answers each query of a call as it answers it alone, whatever economies the call's issuers are of", async function () {
    const { registry, authJP, authSG, authAU, issuer, auIssuer, other } = await loadFixture(frameworkFixture);
    await accredit(registry, authJP, other, JP, 1n << BigInt(CBPR), 0, 0);
    await registry.connect(authJP).recognise(SG, CBPR);
    await registry.connect(authSG).recognise(AU, DIPLOMA);
    const queries: ReturnType<typeof single>[] = [];
    // Issuers' economies alternate, so the reader's per-call memory of the last economy is tested at every change.
    for (const [who, schema] of [
      [issuer, CBPR],
      [auIssuer, DIPLOMA],
      [issuer, CBPR],
      [other, CBPR],
      [other, CBPR],
      [auIssuer, DIPLOMA],
    ] as const) {
      const hash = randomHash();
      await registry.connect(who).anchor(hash, schema, 0, 0);
      queries.push(single(who, hash));
    }
    queries.push(single(issuer, randomHash()));
    const verdictsOf = async (economy: string) => {
      const alone = await Promise.all(queries.map(async (q) => [...(await registry.verdict(q, economy))]));
      const together = await registry.verdicts(queries, economy);
      expect(together.map((v) => [...v])).to.deep.equal(alone);
      return together.map((v) => v.recognised);
    };
    expect(await verdictsOf(JP)).to.deep.equal([true, false, true, true, true, false, false]);
    expect(await verdictsOf(SG)).to.deep.equal([true, true, true, false, false, true, false]);
    expect(await verdictsOf(AU)).to.deep.equal([false, true, false, false, false, true, false]);
    expect(await verdictsOf(NONE)).to.deep.equal([false, false, false, false, false, false, false]);
    // Once AU is removed it recognises nothing, even its own issuers, and is recognised by no one.
    await registry.connect(authAU).revokeIssuer(auIssuer.address, 0);
    await registry.removeEconomy(AU);
    expect(await verdictsOf(AU)).to.deep.equal([false, false, false, false, false, false, false]);
    expect(await verdictsOf(SG)).to.deep.equal([true, false, true, false, false, false, false]);
  });

  it("passes on its registry's refusal and refuses an answer of the wrong size", async function () {
    const [deployer] = await ethers.getSigners();
    if (deployer === undefined) throw new Error("no signer");
    const query = single(deployer.address, randomHash());
    const refusing = await new FactsStandIn__factory(deployer).deploy(0);
    const reader = VerdictReader__factory.connect(await refusing.READER(), deployer);
    await expect(reader.verdict(query, NONE)).to.be.revertedWithCustomError(refusing, "FactsRefused").withArgs(3);
    await expect(reader.verdicts([query, query], NONE))
      .to.be.revertedWithCustomError(refusing, "FactsRefused")
      .withArgs(6);
    const short = await new FactsStandIn__factory(deployer).deploy(4);
    const shortReader = VerdictReader__factory.connect(await short.READER(), deployer);
    // 4 words come back (offset, length, 4 items: 192 bytes) where one query needs 5 (224 bytes).
    await expect(shortReader.verdict(query, NONE))
      .to.be.revertedWithCustomError(shortReader, "UnexpectedFacts")
      .withArgs(await short.getAddress(), 192, 224);
  });

  describe("at a point in time", function () {
    it("answers as the registry would have at T for revocation, expiry, compromise and anchoring", async function () {
      const { registry, issuer, authSG } = await loadFixture(frameworkFixture);
      const t0 = await time.latest();
      const hash = randomHash();
      await registry.connect(issuer).anchor(hash, CBPR, 0, t0 + 30 * DAY);
      const anchoredAt = await time.latest();
      await time.increase(DAY);
      await registry.connect(issuer).revokeCredential(issuer.address, hash, REASONS.superseded);
      const revokedAt = await time.latest();
      const at = async (t: number) => (await registry.verdictAt(single(issuer, hash), NONE, t)).status;
      expect(await at(anchoredAt - 1)).to.equal(Status.UNKNOWN);
      expect(await at(anchoredAt)).to.equal(Status.VALID);
      expect(await at(revokedAt - 1)).to.equal(Status.VALID);
      expect(await at(revokedAt)).to.equal(Status.REVOKED);
      expect(await at(await time.latest())).to.equal((await registry.verdict(single(issuer, hash), NONE)).status);

      const other = randomHash();
      await registry.connect(issuer).anchor(other, CBPR, 0, t0 + 30 * DAY);
      const otherAt = await time.latest();
      expect((await registry.verdictAt(single(issuer, other), NONE, t0 + 30 * DAY + 1)).status).to.equal(
        Status.EXPIRED,
      );
      await registry.connect(authSG).revokeIssuer(issuer.address, otherAt);
      const issuerRevokedAt = await time.latest();
      expect((await registry.verdictAt(single(issuer, other), NONE, issuerRevokedAt - 1)).status).to.equal(
        Status.VALID,
      );
      expect((await registry.verdictAt(single(issuer, other), NONE, issuerRevokedAt)).status).to.equal(
        Status.ISSUER_REVOKED,
      );
    });
  });
});
