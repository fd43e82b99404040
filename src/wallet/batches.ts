/**
 * The service's Merkle batches: credentials join the open batch of their schema in order, each signed with its place
 * (batch and index) and journalled before the next one is placed, so a batch's members are always 0..n-1 with no
 * gap, whatever fails. A batch closes when it is full or when its window has passed; then it is anchored
 * (`anchorer.ts`). The batch's validity window is the one on chain and in every member.
 */
import { randomUUID } from "node:crypto";
import { BatchClosedError, type BatchRecord, type IssuerStore, type JournalledCredential } from "./store.ts";

/** A place in a batch: what a credential names in its status (`batch.id`, `batch.index`) before it is signed. */
export interface Slot {
  batch: BatchRecord;
  index: number;
}

export interface BatchPolicy {
  /** Members at most. */
  size: number;
  /** Seconds a batch stays open. */
  window: number;
  /** Seconds a credential is valid (0: no expiry); its window starts when its batch opens. */
  lifetime: number;
}

/** The open batch of one schema, and how many members it has. */
interface Lane {
  batch: BatchRecord;
  members: number;
}

export class BatchLanes {
  readonly #store: IssuerStore;
  readonly #owner: string;
  readonly #policy: BatchPolicy;
  readonly #lanes = new Map<number, Lane>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = 0;

  /** The chain's latest block time (seconds), when the lanes are given a way to read it. */
  readonly #chainTime: (() => Promise<number>) | undefined;

  /**
   * `owner` names this process's batches (another process's open batches are closed when it is found dead);
   * `chainTime`, when given, reads the chain's latest block time: a batch is valid from the earlier of it and the
   * wall clock, as `ccr issue`'s runs are (a node's block times lag the wall clock, and a devnet mines no block while
   * idle: a batch valid from after its anchoring block would read "not yet valid" until the next one).
   */
  constructor(store: IssuerStore, owner: string, policy: BatchPolicy, chainTime?: () => Promise<number>) {
    this.#store = store;
    this.#owner = owner;
    this.#policy = policy;
    this.#chainTime = chainTime;
  }

  get policy(): BatchPolicy {
    return this.#policy;
  }

  /** How many batches these lanes have closed. */
  get closed(): number {
    return this.#closed;
  }

  /** Runs `work` after every placement and closing queued before it. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The open batch of `schemaId` with room for `count` more, opened (and the full or due one closed) when needed. */
  async #lane(schemaId: number, count: number, now: number): Promise<Lane> {
    const lane = this.#lanes.get(schemaId);
    const due = lane !== undefined && now - lane.batch.openedAt >= this.#policy.window;
    if (lane !== undefined && !due && lane.members + count <= this.#policy.size) return lane;
    if (lane !== undefined) await this.#close(schemaId, lane, now);
    const validUntil = this.#policy.lifetime === 0 ? 0 : now + this.#policy.lifetime;
    const chainNow = this.#chainTime === undefined ? now : await this.#chainTime().catch(() => now);
    const batch: BatchRecord = {
      id: randomUUID(),
      owner: this.#owner,
      schemaId,
      validFrom: Math.min(now, chainNow),
      validUntil,
      openedAt: now,
    };
    await this.#store.openBatch(batch);
    const opened: Lane = { batch, members: 0 };
    this.#lanes.set(schemaId, opened);
    return opened;
  }

  async #close(schemaId: number, lane: Lane, now: number): Promise<void> {
    this.#lanes.delete(schemaId);
    await this.#store.closeBatch(lane.batch.id, now);
    this.#closed++;
  }

  /**
   * Places `count` credentials of `schemaId` in one batch: `sign` makes them for their slots, and they are journalled
   * before anything else is placed. Nothing is journalled when `sign` fails, and the slots are given again; with
   * `offerId`, nothing either when that offer was issued already (then undefined).
   */
  place(
    schemaId: number,
    count: number,
    now: number,
    sign: (slots: Slot[]) => Promise<JournalledCredential[]>,
    offerId?: string,
  ): Promise<JournalledCredential[] | undefined> {
    return this.#serial(async () => {
      for (let attempt = 1; ; attempt++) {
        const lane = await this.#lane(schemaId, count, now);
        const slots = Array.from({ length: count }, (_, k) => ({ batch: lane.batch, index: lane.members + k }));
        const credentials = await sign(slots);
        try {
          if (!(await this.#store.journal(credentials, offerId))) return undefined;
        } catch (error) {
          // Closed under this process by another one that took it for gone: this process says it is alive, and the
          // credentials are signed again for a new batch (a few times at most; then the request fails, nothing kept).
          if (!(error instanceof BatchClosedError) || attempt >= 3) throw error;
          this.#lanes.delete(schemaId);
          await this.#store.heartbeat(this.#owner, now);
          continue;
        }
        lane.members += count;
        if (lane.members >= this.#policy.size) await this.#close(schemaId, lane, now);
        return credentials;
      }
    });
  }

  /** Closes every open batch whose window has passed (all of them with `all`, when the service stops). */
  closeDue(now: number, all = false): Promise<void> {
    return this.#serial(async () => {
      for (const [schemaId, lane] of [...this.#lanes]) {
        if (all || now - lane.batch.openedAt >= this.#policy.window) await this.#close(schemaId, lane, now);
      }
    });
  }
}
