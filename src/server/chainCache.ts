/**
 * What `ccr serve` reads from the chain, computed once per block and shared by every request that needs it: hundreds
 * of users asking for the framework at once cost one read of the framework, not hundreds of RPC fan-outs.
 *
 * Freshness: a request never gets an answer from before it arrived. `latest()` joins a read of the latest block only
 * if that read started after the caller asked (otherwise it waits for it and joins the next one), so a change mined
 * before a request is always in its answer; answers are keyed by the block's hash, so a restarted chain (block numbers
 * again from 0) never meets an old answer.
 */
import { CCRError } from "../errors.ts";
import { rpc, type RegistryConnection } from "../registry.ts";

/** The latest block: what an answer computed "now" is computed at. */
export interface LatestBlock {
  number: number;
  hash: string;
  timestamp: number;
}

/** The most answers kept for one block (distinct TRQP queries, say); beyond it the oldest are computed again. */
const MAX_ENTRIES = 10_000;

export class ChainCache {
  /** The read of the latest block in flight, if any, and the one queued behind it. */
  #current: Promise<LatestBlock> | undefined;
  #next: Promise<LatestBlock> | undefined;
  /** The block the entries are for, and the answers (as promises: concurrent askers share one computation). */
  #block = "";
  readonly #entries = new Map<string, Promise<unknown>>();

  constructor(private readonly connection: RegistryConnection) {}

  /** The latest block, read after this call was made (shared with every caller that asked at about the same time). */
  latest(): Promise<LatestBlock> {
    if (this.#current === undefined) {
      this.#current = this.#read().finally(() => (this.#current = undefined));
      return this.#current;
    }
    // A read is in flight, but it may have started before this call: wait for it, then share the next one.
    this.#next ??= this.#current.then(
      () => this.#promote(),
      () => this.#promote(),
    );
    return this.#next;
  }

  /** Turns the queued read into the current one. */
  #promote(): Promise<LatestBlock> {
    this.#next = undefined;
    return this.latest();
  }

  async #read(): Promise<LatestBlock> {
    const { provider, rpcUrl } = this.connection;
    const block = await rpc(rpcUrl, "reading the latest block", () => provider.getBlock("latest"));
    if (block === null || block.hash === null) {
      throw new CCRError("RPC_UNAVAILABLE", `the node at ${rpcUrl} has no latest block`);
    }
    return { number: block.number, hash: block.hash, timestamp: block.timestamp };
  }

  /**
   * `compute(block)` for the latest block, once per block and `key`: concurrent and later callers at the same block
   * share its answer. A failure is not kept: the next caller computes again.
   */
  async atLatest<T>(key: string, compute: (block: LatestBlock) => Promise<T>): Promise<T> {
    const block = await this.latest();
    if (block.hash !== this.#block) {
      this.#block = block.hash;
      this.#entries.clear();
    }
    let entry = this.#entries.get(key) as Promise<T> | undefined;
    if (entry === undefined) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
      entry = compute(block);
      this.#entries.set(key, entry);
      entry.catch(() => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      });
    }
    return entry;
  }
}
