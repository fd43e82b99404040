/**
 * Anchoring the service's closed batches, with the issuance engine's own stage (`findAnchor`, `sendAnchor`): the
 * chain is asked first (a batch anchored before a kill is recorded, never sent again), then the root is sent and
 * recorded once it has the confirmations asked for. On start, batches a stopped or killed service left open are
 * closed and anchored like any other.
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
  /** This process's name for its batches. */
  owner: string;
  /** Seconds between looks for batches to close and anchor. */
  tick: number;
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

  /** Closes what earlier processes left open, anchors everything closed, then keeps doing so every `tick` seconds. */
  async start(): Promise<void> {
    const { store, owner } = this.#options;
    for (const batch of await store.openBatchesNotOf(owner)) await store.closeBatch(batch.id, this.#now());
    await this.runOnce();
    this.#timer = setInterval(() => void this.runOnce(), this.#options.tick * 1000);
    this.#timer.unref();
  }

  /** One round: close the batches that are due, anchor the closed ones (one round at a time). */
  runOnce(): Promise<void> {
    const round = this.#running.then(async () => {
      await this.#options.lanes.closeDue(this.#now());
      await this.#anchorClosed();
    });
    this.#running = round.catch(() => undefined);
    return round;
  }

  async #anchorClosed(): Promise<void> {
    this.#behind = await this.#options.store.unanchored();
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
      await this.#anchorClosed().catch(() => undefined);
    }
    return (await this.#options.store.unanchored()).length;
  }
}
