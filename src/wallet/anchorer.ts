/**
 * Anchoring the service's closed batches, with the issuance engine's own stage (`findAnchor`, `sendAnchor`): the
 * chain is asked first (a batch anchored before a kill is recorded, never sent again), then the root is sent and
 * recorded once it has the confirmations asked for. Several service processes may share one store (PostgreSQL): each
 * anchors its own batches and says it is alive every round; the batches of a process gone (its earlier life, when it
 * starts again under the same name, or one not heard from for `lease` seconds) are closed and anchored by the others.
 */
import { ZeroHash } from "ethers";
import { buildBatch } from "../batch.ts";
import type { RegistryConnection, Sent } from "../registry.ts";
import { ManagedSigner } from "../transactions.ts";
import { findAnchor, sendAnchor } from "../vc/issuance/anchor.ts";
import type { BatchLanes } from "./batches.ts";
import type { BatchRecord, IssuerStore } from "./store.ts";

export interface AnchorerOptions {
  connection: RegistryConnection;
  /** The accredited issuer, and the account that sends its anchors (itself or an operator), checksummed. */
  issuer: string;
  anchorer: string;
  store: IssuerStore;
  lanes: BatchLanes;
  /** This process's name for its batches: the same when it starts again, another for each process sharing the store. */
  owner: string;
  /** Seconds between looks for batches to close and anchor. */
  tick: number;
  /** Seconds after which a process not heard from is taken for gone (default: 30). */
  lease?: number | undefined;
  now?: () => number;
  log?: ((line: string) => void) | undefined;
}

/** Seconds since the epoch. */
export const seconds = (): number => Math.floor(Date.now() / 1000);

export class ServiceAnchorer {
  readonly #options: AnchorerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #lastError: string | undefined;
  /** Closed batches not yet anchored, with when each closed. */
  #behind: BatchRecord[] = [];
  /** Anchoring transactions sent by this process. */
  sent = 0;

  constructor(options: AnchorerOptions) {
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now ?? seconds)();
  }

  /** Whether `batch`'s process is gone: this process's earlier life (when `starting`), or one not heard from. */
  #gone(batch: BatchRecord, seen: ReadonlyMap<string, number>, starting: boolean): boolean {
    const { owner, lease = 30 } = this.#options;
    if (batch.owner === owner) return starting;
    return (seen.get(batch.owner) ?? 0) < this.#now() - lease;
  }

  /**
   * Says this process is alive, and closes the open batches of processes that are gone; returns when each process
   * was last heard from (the round's anchoring reads it too).
   */
  async #closeAbandoned(starting: boolean): Promise<Map<string, number>> {
    const { store, owner } = this.#options;
    await store.heartbeat(owner, this.#now());
    const seen = await store.lastSeen();
    for (const batch of await store.openBatches()) {
      if (this.#gone(batch, seen, starting)) await store.closeBatch(batch.id, this.#now());
    }
    return seen;
  }

  /** Closes what earlier processes left open, anchors everything closed, then keeps doing so every `tick` seconds. */
  async start(): Promise<void> {
    await this.#closeAbandoned(true);
    await this.runOnce();
    this.#timer = setInterval(() => void this.runOnce(), this.#options.tick * 1000);
    this.#timer.unref();
  }

  /** One round: close the batches that are due, anchor the closed ones (one round at a time). */
  runOnce(): Promise<void> {
    const round = this.#running.then(async () => {
      const seen = await this.#closeAbandoned(false);
      await this.#options.lanes.closeDue(this.#now());
      await this.#anchorClosed(seen);
    });
    this.#running = round.catch(() => undefined);
    return round;
  }

  /** Anchors the closed batches this process is to anchor: its own, and those of processes that are gone. */
  async #anchorClosed(seen: ReadonlyMap<string, number>): Promise<void> {
    const { store, owner } = this.#options;
    this.#behind = (await store.unanchored()).filter((b) => b.owner === owner || this.#gone(b, seen, false));
    for (const batch of [...this.#behind]) {
      try {
        await this.#anchor(batch);
        this.#lastError = undefined;
        this.#behind = this.#behind.filter((b) => b.id !== batch.id);
      } catch (error) {
        this.#lastError = error instanceof Error ? error.message : String(error);
        this.#options.log?.(`batch ${batch.id} is not anchored yet: ${this.#lastError}`);
        return;
      }
    }
  }

  async #anchor(batch: BatchRecord): Promise<void> {
    const { connection, store, issuer, anchorer } = this.#options;
    const hashes = await store.memberHashes(batch.id);
    if (hashes.length === 0) {
      await store.markAnchored(batch.id, { root: ZeroHash, transaction: ZeroHash, blockNumber: 0, at: this.#now() });
      return;
    }
    const { root } = buildBatch(hashes);
    const terms = { issuer, schemaId: batch.schemaId, validFrom: batch.validFrom, validUntil: batch.validUntil };
    const signer = connection.registry.runner;
    const confirmations = signer instanceof ManagedSigner ? signer.policy.confirmations : 1;
    let tx: Sent | undefined = await findAnchor(connection, terms, root, hashes.length, confirmations);
    if (tx === undefined) {
      try {
        tx = await sendAnchor({ connection, issuer, anchorer }, terms, root, hashes.length);
        this.sent++;
      } catch (error) {
        tx = await findAnchor(connection, terms, root, hashes.length, confirmations);
        if (tx === undefined) throw error;
      }
    }
    await store.markAnchored(batch.id, { root, ...tx, at: this.#now() });
  }

  /**
   * Whether a credential handed out now would be anchored in time: no closed batch has waited longer than `window`
   * seconds and the last attempt did not fail. When not, the service defers its answers instead.
   */
  keepingUp(window: number): boolean {
    if (this.#lastError !== undefined) return false;
    const now = this.#now();
    return this.#behind.every((b) => b.closedAt === undefined || now - b.closedAt <= window);
  }

  /**
   * Stops the rounds; closes the open batches and anchors them (a last round) unless `quick`. Returns the batches
   * left unanchored (the next start anchors them).
   */
  async stop(quick = false): Promise<number> {
    clearInterval(this.#timer);
    await this.#running;
    if (!quick) {
      await this.#options.lanes.closeDue(this.#now(), true);
      await this.#anchorClosed(await this.#options.store.lastSeen()).catch(() => undefined);
    }
    const { store, owner } = this.#options;
    return (await store.unanchored()).filter((b) => b.owner === owner).length;
  }
}
