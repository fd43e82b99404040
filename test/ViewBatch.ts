import { expect } from "chai";
import { readViews, type ViewCall } from "../src/viewBatch.ts";
import { CBPR, DIPLOMA, ethers, frameworkFixture, loadFixture, randomHash, single, SG } from "./fixture.ts";

describe("ViewBatch (many view calls in one eth_call, nothing deployed)", function () {
  async function anchored() {
    const f = await loadFixture(frameworkFixture);
    const hashes = [randomHash(), randomHash(), randomHash()];
    for (const hash of hashes) await f.registry.connect(f.issuer).anchor(hash, CBPR, 0, 0);
    await f.registry.connect(f.issuer).revokeCredential(f.issuer.address, hashes[1] ?? "", 4);
    return { ...f, hashes, address: await f.registry.getAddress() };
  }

  it("returns what each view returns when called alone, in order", async function () {
    const { registry, address, hashes, issuer } = await anchored();
    const calls: ViewCall[] = [
      ...hashes.map((hash) => ({ method: "getCredential", args: [issuer.address, hash] })),
      { method: "getIssuer", args: [issuer.address] },
      { method: "memberBits", args: [issuer.address, randomHash(), 0] },
      { method: "verdict", args: [single(issuer, hashes[1] ?? ""), SG] },
      { method: "schemaCount", args: [] },
    ];
    const outcomes = await readViews(ethers.provider, address, registry.interface, calls);
    expect(outcomes.map((o) => o.ok)).to.deep.equal(calls.map(() => true));
    const results = outcomes.map((o) => (o.ok ? o.result : undefined));
    for (const [i, hash] of hashes.entries()) {
      expect(results[i]?.[0]).to.deep.equal(await registry.getCredential(issuer.address, hash));
    }
    expect(results[3]?.[0]).to.deep.equal(await registry.getIssuer(issuer.address));
    expect([...(results[4] ?? [])]).to.deep.equal([0n, 0n, 0n]);
    expect(results[5]?.[0]).to.deep.equal(await registry.verdict(single(issuer, hashes[1] ?? ""), SG));
    expect(results[6]?.[0]).to.equal(3n);
  });

  it("reports a call that reverts by its error and arguments, and answers the others", async function () {
    const { registry, address, hashes, issuer } = await anchored();
    const outcomes = await readViews(ethers.provider, address, registry.interface, [
      { method: "getSchema", args: [DIPLOMA] },
      { method: "getSchema", args: [77] },
      { method: "getCredential", args: [issuer.address, hashes[0]] },
    ]);
    expect(outcomes[0]?.ok).to.equal(true);
    expect(outcomes[1]).to.deep.equal({ ok: false, reason: "UnknownSchema(77)" });
    expect(outcomes[2]?.ok).to.equal(true);
  });

  it("splits long lists into several calls within the node's code size limits, all at one block", async function () {
    const { registry, address, hashes, issuer } = await anchored();
    const block = await ethers.provider.getBlockNumber();
    const later = randomHash();
    await registry.connect(issuer).anchor(later, CBPR, 0, 0);
    // 600 records of 9 words each are far more than one call may return (24,576 bytes).
    const calls = Array.from({ length: 600 }, (_, i) => ({
      method: "getCredential",
      args: [issuer.address, i === 599 ? later : (hashes[i % 3] ?? "")],
    }));
    let requests = 0;
    const outcomes = await readViews(ethers.provider, address, registry.interface, calls, {
      blockTag: block,
      parallel: 3,
      read: (_doing, request) => {
        requests++;
        return request();
      },
    });
    expect(requests).to.be.greaterThan(1);
    expect(outcomes).to.have.length(600);
    const states = outcomes.map((o) => (o.ok ? Number((o.result[0] as { state: bigint }).state) : -1));
    expect(states.slice(0, 3)).to.deep.equal([1, 3, 1]); // ACTIVE, REVOKED, ACTIVE
    expect(states[597]).to.equal(1);
    expect(states[599]).to.equal(0); // anchored after the block read: NONE there
  });
});
