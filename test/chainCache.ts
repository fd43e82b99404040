import { expect } from "chai";
import type { RegistryConnection } from "../src/registry.ts";
import { ChainCache } from "../src/server/chainCache.ts";

/**
 * A node whose `getBlock("latest")` answers only when the test says: each read is recorded with the block the chain
 * had when the read began, and answered with that block when released.
 */
function controlledNode() {
  let chain = { number: 1, hash: "0x01", timestamp: 1000 };
  const reads: { block: typeof chain; release: () => void }[] = [];
  const provider = {
    getBlock: () =>
      new Promise((resolve) => {
        const block = { ...chain };
        reads.push({ block, release: () => resolve(block) });
      }),
  };
  const connection = { provider, rpcUrl: "http://127.0.0.1:1" } as unknown as RegistryConnection;
  return {
    connection,
    reads,
    mine: () => (chain = { number: chain.number + 1, hash: `0x0${chain.number + 1}`, timestamp: chain.timestamp + 1 }),
    /** The chain is replaced by another (a restarted devnet): the same number, another hash. */
    restart: (hash: string) => (chain = { ...chain, hash }),
  };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("ccr serve's chain cache (once per block, never older than the request)", function () {
  it("shares one read of the latest block among callers, and never answers a caller with a read begun before it", async function () {
    const node = controlledNode();
    const cache = new ChainCache(node.connection);
    const first = cache.latest();
    expect(node.reads).to.have.length(1);
    // A block is mined while that read is in flight (it saw block 1): callers from now on must see block 2.
    node.mine();
    const later = [cache.latest(), cache.latest(), cache.latest()];
    expect(node.reads).to.have.length(1);
    node.reads[0]?.release();
    expect((await first).number).to.equal(1);
    await settle();
    // The later callers share one new read, begun after they asked.
    expect(node.reads).to.have.length(2);
    node.reads[1]?.release();
    expect((await Promise.all(later)).map((b) => b.number)).to.deep.equal([2, 2, 2]);
    expect(node.reads).to.have.length(2);
  });

  it("computes an answer once per block and key, again at a new block, and keeps no failure", async function () {
    const node = controlledNode();
    const cache = new ChainCache(node.connection);
    const released = async <T>(promise: Promise<T>): Promise<T> => {
      const outcome = promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      for (;;) {
        await settle();
        const pending = node.reads.find((r) => !("done" in r));
        if (pending === undefined) break;
        Object.assign(pending, { done: true });
        pending.release();
      }
      const settled = await outcome;
      if ("error" in settled) throw settled.error;
      return settled.value;
    };
    let computed = 0;
    const compute = (block: { number: number }) => Promise.resolve(`framework at ${block.number} (${++computed})`);
    expect(await released(cache.atLatest("framework", compute))).to.equal("framework at 1 (1)");
    expect(await released(cache.atLatest("framework", compute))).to.equal("framework at 1 (1)");
    expect(await released(cache.atLatest("other", compute))).to.equal("framework at 1 (2)");
    node.mine();
    expect(await released(cache.atLatest("framework", compute))).to.equal("framework at 2 (3)");

    let fail = true;
    const flaky = () => (fail ? Promise.reject(new Error("node down")) : Promise.resolve("answered"));
    await released(cache.atLatest("flaky", flaky)).then(
      () => expect.fail("a failure was answered"),
      (error: Error) => expect(error.message).to.equal("node down"),
    );
    fail = false;
    expect(await released(cache.atLatest("flaky", flaky))).to.equal("answered");
  });

  it("keys answers by block hash: a restarted chain's block of the same number is another block", async function () {
    const node = controlledNode();
    const cache = new ChainCache(node.connection);
    const answer = async (): Promise<string> => {
      const answered = cache.atLatest("framework", (block) => Promise.resolve(`${block.number} ${block.hash}`));
      await settle();
      node.reads.at(-1)?.release();
      return answered;
    };
    expect(await answer()).to.equal("1 0x01");
    node.restart("0xaa");
    expect(await answer()).to.equal("1 0xaa");
  });
});
