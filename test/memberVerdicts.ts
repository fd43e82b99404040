import { expect } from "chai";
import { REASONS, Status } from "../src/codes.ts";
import { buildBatch, memberSets } from "../src/batch.ts";
import { readVerdicts } from "../src/registry.ts";
import { readVerdictsByClass, type VerdictQuery } from "../src/vc/memberVerdicts.ts";
import { AU, CBPR, DIPLOMA, NONE, ethers, frameworkFixture, loadFixture, randomHash, YEAR } from "./fixture.ts";

/** Every query's verdict as `verdicts` gives it for the whole list, against `readVerdictsByClass`'s. */
async function compare(f: Awaited<ReturnType<typeof frameworkFixture>>, queries: VerdictQuery[], economy: string) {
  const connection = { registry: f.registry, provider: ethers.provider, reader: await f.registry.verdictReader() };
  const block = await ethers.provider.getBlockNumber();
  const byClass = await readVerdictsByClass(connection, queries, economy, block);
  const oneByOne = await readVerdicts(connection, queries, economy, block);
  expect(byClass).to.have.length(queries.length);
  byClass.forEach((v, i) => expect([...v], `query ${i}`).to.deep.equal([...(oneByOne[i] ?? [])]));
  return byClass.map((v) => Number(v.status));
}

describe("Verdicts by class (src/vc/memberVerdicts.ts)", function () {
  async function batchesFixture() {
    const f = await frameworkFixture();
    const au = f.registry.connect(f.auIssuer);
    // Batch A: 600 members over three member words; batch B: a tree of 4 anchored with size 2.
    const a = Array.from({ length: 600 }, () => randomHash());
    const b = Array.from({ length: 4 }, () => randomHash());
    const batchA = buildBatch(a);
    const batchB = buildBatch(b);
    await au.anchorBatch(batchA.root, batchA.size, DIPLOMA, 0, 0);
    await au.anchorBatch(batchB.root, 2, DIPLOMA, 0, 0);
    const single = randomHash();
    await f.registry.connect(f.issuer).anchor(single, CBPR, f.now, f.now + YEAR);
    const member = (hashes: string[], batch: typeof batchA, index: number): VerdictQuery => ({
      issuer: f.auIssuer.address,
      credential: hashes[index] ?? "",
      batchRoot: batch.root,
      index: BigInt(index),
      proof: batch.proof(index),
    });
    const queries = [
      ...a.map((_, i) => member(a, batchA, i)),
      ...b.map((_, i) => member(b, batchB, i)),
      { issuer: f.issuer.address, credential: single, batchRoot: ethers.ZeroHash, index: 0n, proof: [] },
      { issuer: f.issuer.address, credential: randomHash(), batchRoot: ethers.ZeroHash, index: 0n, proof: [] },
    ];
    return { ...f, au, batchA, batchB, queries };
  }

  it("gives every member the verdict the registry gives it alone: member, batch and issuer states, sizes, singles", async function () {
    const f = await loadFixture(batchesFixture);
    const { au, auIssuer, batchA, queries } = f;
    const statuses = await compare(f, queries, AU);
    expect(statuses.slice(0, 602).every((s) => s === Status.VALID)).to.equal(true);
    expect(statuses.slice(602, 604)).to.deep.equal([Status.UNKNOWN, Status.UNKNOWN]); // beyond batch B's size
    expect(statuses.slice(604)).to.deep.equal([Status.VALID, Status.UNKNOWN]);

    await au.suspendMembers(auIssuer.address, batchA.root, memberSets([7, 300]), REASONS.certificateHold);
    await au.revokeMembers(auIssuer.address, batchA.root, memberSets([8, 599, 300]), REASONS.privilegeWithdrawn);
    const marked = await compare(f, queries, AU);
    expect([7, 8, 300, 599, 9].map((i) => marked[i])).to.deep.equal([
      Status.SUSPENDED,
      Status.REVOKED,
      Status.REVOKED,
      Status.REVOKED,
      Status.VALID,
    ]);
    // Another economy's verifier, which does not recognise the issuer's, and the batch suspended then revoked.
    await compare(f, queries, NONE);
    await au.suspendBatch(auIssuer.address, batchA.root, REASONS.certificateHold);
    expect((await compare(f, queries, AU))[9]).to.equal(Status.SUSPENDED);
    await au.revokeBatch(auIssuer.address, batchA.root, REASONS.cessationOfOperation);
    expect((await compare(f, queries, AU))[9]).to.equal(Status.REVOKED);
  });

  it("answers an empty list with an empty one, and a list of one", async function () {
    const f = await loadFixture(batchesFixture);
    const connection = { registry: f.registry, provider: ethers.provider, reader: await f.registry.verdictReader() };
    expect(await readVerdictsByClass(connection, [], AU, "latest")).to.deep.equal([]);
    await compare(f, f.queries.slice(5, 6), AU);
  });
});
