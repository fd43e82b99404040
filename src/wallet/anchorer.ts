/**
 * Anchoring the service's closed batches as they close, a few at once, with the issuance engine's own stage
 * (`findAnchor`, `sendAnchor`): the chain is asked first whenever it may hold the anchor already (a batch of an earlier
 * life, of another process, or one whose sending failed: anchored before a kill, it is recorded, never sent again),
 * then the root is sent and recorded once it has the confirmations asked for. Several service processes may share one
 * store (PostgreSQL): each anchors its own batches and says it is alive every round; the batches of a process gone
 * (its earlier life, when it starts again under the same name, or one not heard from for `lease` seconds) are closed
 * and anchored by the others. The pace of the anchoring tells the service when to defer its answers (`keepingUp`).
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
  /** Seconds within which a credential handed out is to be anchored (more than the lanes' window). */
  anchorWithin: number;
  now?: () => number;
  /** A monotonic clock in seconds, for how long anchoring takes (default: `performance.now()`). */
  clock?: () => number;
  log?: ((line: string) => void) | undefined;
}

/** Seconds since the epoch. */
export const seconds = (): number => Math.floor(Date.now() / 1000);

/** How the anchoring goes, as the deferral rule reads it. */
export interface AnchoringPace {
  /** Closed batches waiting for their anchor, the one under way included (and any closed since they were read). */
  queued: number;
  /** Seconds one batch's anchoring took, the slowest of the last few (0 before the first). */
  perBatch: number;
  /** Seconds the anchoring under way longest has run (0 when none is). */
  running: number;
}

/**
 * Anchorings under way at once: a batch is anchored as soon as it closes, not after the ones before it (each waits
 * for the node a few times, and a busy service serves its requests between).
 */
export const IN_FLIGHT = 4;

/** Seconds the forecast keeps in hand: times are whole seconds, and a forecast is one. */
export const FORECAST_MARGIN = 1;

/**
 * Seconds until a credential handed out now is anchored, at worst: its batch closes within `window` (and the `tick`
 * that closes it); the batches queued before it are anchored `inFlight` at a time, and its own in the wave after
 * theirs, each as slow as the slowest of late (or as the one under way longest, when that has run longer).
 */
export function anchoringForecast(pace: AnchoringPace, window: number, tick: number, inFlight = IN_FLIGHT): number {
  const each = Math.max(pace.perBatch, pace.running);
  const waves = Math.floor(pace.queued / inFlight);
  const ahead = Math.max(0, waves * each - pace.running);
  return Math.max(window + tick, ahead) + each;
}

/** How many recent anchorings the pace is taken from. */
const PACE_SAMPLES = 3;

export class ServiceAnchorer {
  readonly #options: AnchorerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #lastError: string | undefined;
  /** Closed batches not yet anchored, with when each closed (as last read, less those anchored since). */
  #behind: BatchRecord[] = [];
  /** The lanes' count of closed batches when `#behind` was read: those closed since are queued too. */
  #closedAtRead = 0;
  /** Seconds the last few anchorings took. */
  #durations: number[] = [];
  /** The anchorings under way, by batch, with when each began (by the monotonic clock). */
  readonly #inFlight = new Map<string, { done: Promise<void>; since: number }>();
  /**
   * Batches anchored since `#behind` was last read (a read that began before their anchoring was recorded may still
   * name them); forgotten at the next read after.
   */
  #anchored = new Set<string>();
  /** When this process started its rounds: the batches it opened after are its own life's. */
  #startedAt = Infinity;
  /** Batches whose anchoring this process has sent or tried to send (the chain may have it). */
  readonly #tried = new Set<string>();
  /** Anchoring transactions sent by this process. */
  sent = 0;

  constructor(options: AnchorerOptions) {
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now ?? seconds)();
  }

  #clock(): number {
    return this.#options.clock?.() ?? performance.now() / 1000;
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
    this.#startedAt = this.#now();
    await this.#closeAbandoned(true);
    await this.runOnce();
    this.#timer = setInterval(() => void this.runOnce(), this.#options.tick * 1000);
    this.#timer.unref();
  }

  /**
   * One round: close the batches that are due, and start anchoring the closed ones (rounds read one at a time; the
   * anchorings they start run on, up to `IN_FLIGHT` at once). Resolves once the anchorings this round started are
   * done.
   */
  runOnce(): Promise<void> {
    const round = this.#running.then(async () => {
      const seen = await this.#closeAbandoned(false);
      await this.#options.lanes.closeDue(this.#now());
      return this.#anchorClosed(seen);
    });
    this.#running = round.then(
      () => undefined,
      () => undefined,
    );
    return round.then(async (started) => {
      await Promise.all(started);
    });
  }

  /**
   * Starts anchoring the closed batches this process is to anchor (its own, and those of processes that are gone)
   * that are not under way already, oldest first, as many as there is room for in flight; returns those started.
   */
  async #anchorClosed(seen: ReadonlyMap<string, number>): Promise<Promise<void>[]> {
    const { store, owner, lanes } = this.#options;
    // Counted before the read: a batch closed in between is counted twice, never missed.
    const closed = lanes.closed;
    const unanchored = (await store.unanchored()).filter((b) => b.owner === owner || this.#gone(b, seen, false));
    this.#behind = unanchored.filter((b) => !this.#anchored.has(b.id));
    this.#anchored = new Set([...this.#anchored].filter((id) => unanchored.some((b) => b.id === id)));
    this.#closedAtRead = closed;
    const started: Promise<void>[] = [];
    for (const batch of this.#behind) {
      if (this.#inFlight.size >= IN_FLIGHT) break;
      if (this.#inFlight.has(batch.id)) continue;
      const since = this.#clock();
      const anchoring = this.#anchor(batch, since).then(
        () => {
          this.#lastError = undefined;
          this.#anchored.add(batch.id);
          this.#behind = this.#behind.filter((b) => b.id !== batch.id);
        },
        (error: unknown) => {
          this.#lastError = error instanceof Error ? error.message : String(error);
          this.#options.log?.(`batch ${batch.id} is not anchored yet: ${this.#lastError}`);
        },
      );
      const done = anchoring.finally(() => this.#inFlight.delete(batch.id));
      this.#inFlight.set(batch.id, { done, since });
      started.push(done);
    }
    return started;
  }

  /** Anchors `batch` (begun at `since`, by the monotonic clock), and counts how long it took when it had members. */
  async #anchor(batch: BatchRecord, since: number): Promise<void> {
    const { store } = this.#options;
    const hashes = await store.memberHashes(batch.id);
    if (hashes.length === 0) {
      await store.markAnchored(batch.id, { root: ZeroHash, transaction: ZeroHash, blockNumber: 0, at: this.#now() });
      return;
    }
    await this.#send(batch, hashes);
    this.#durations = [...this.#durations, this.#clock() - since].slice(-PACE_SAMPLES);
  }

  /** Anchors `batch`'s root (unless the chain has it already) and records it. */
  async #send(batch: BatchRecord, hashes: string[]): Promise<void> {
    const { connection, store, issuer, anchorer } = this.#options;
    const { root } = buildBatch(hashes);
    const terms = { issuer, schemaId: batch.schemaId, validFrom: batch.validFrom, validUntil: batch.validUntil };
    const signer = connection.registry.runner;
    const confirmations = signer instanceof ManagedSigner ? signer.policy.confirmations : 1;
    let tx: Sent | undefined = this.#mayBeAnchored(batch)
      ? await findAnchor(connection, terms, root, hashes.length, confirmations)
      : undefined;
    if (tx === undefined) {
      this.#tried.add(batch.id);
      try {
        tx = await sendAnchor({ connection, issuer, anchorer }, terms, root, hashes.length);
        this.sent++;
      } catch (error) {
        tx = await findAnchor(connection, terms, root, hashes.length, confirmations);
        if (tx === undefined) throw error;
      }
    }
    await store.markAnchored(batch.id, { root, ...tx, at: this.#now() });
    this.#tried.delete(batch.id);
  }

  /**
   * Whether the chain may hold `batch`'s anchor already, so that it is looked up before one is sent: unless this
   * process opened it in this life and has not tried to send it (one round trip less while the service is busy; a
   * sending refused because another process took the batch over and anchored it is looked up all the same).
   */
  #mayBeAnchored(batch: BatchRecord): boolean {
    return batch.owner !== this.#options.owner || batch.openedAt <= this.#startedAt || this.#tried.has(batch.id);
  }

  /** How the anchoring goes now. */
  pace(): AnchoringPace {
    const since = Math.min(Infinity, ...[...this.#inFlight.values()].map((a) => a.since));
    return {
      queued: this.#behind.length + Math.max(0, this.#options.lanes.closed - this.#closedAtRead),
      perBatch: Math.max(0, ...this.#durations),
      running: since === Infinity ? 0 : this.#clock() - since,
    };
  }

  /**
   * Whether a credential handed out now would be anchored within `anchorWithin`: the last attempt did not fail, no
   * closed batch has waited longer than its share (`anchorWithin` less the window), and the forecast at the
   * anchoring's recent pace, with a second in hand, is within it. When not, the service defers its answers instead.
   */
  keepingUp(): boolean {
    if (this.#lastError !== undefined) return false;
    const { anchorWithin, lanes, tick } = this.#options;
    const { window } = lanes.policy;
    const now = this.#now();
    if (this.#behind.some((b) => b.closedAt !== undefined && now - b.closedAt > anchorWithin - window)) return false;
    return anchoringForecast(this.pace(), window, tick) + FORECAST_MARGIN <= anchorWithin;
  }

  /**
   * Stops the rounds; closes the open batches and anchors them (a last round) unless `quick`. Returns the batches
   * left unanchored (the next start anchors them).
   */
  async stop(quick = false): Promise<number> {
    clearInterval(this.#timer);
    await this.#running;
    await Promise.all([...this.#inFlight.values()].map((a) => a.done));
    const { store, owner, lanes } = this.#options;
    const left = async () => (await store.unanchored()).filter((b) => b.owner === owner).length;
    if (!quick) {
      await lanes.closeDue(this.#now(), true);
      // Last rounds, for as long as each anchors something (a few batches at a time).
      for (let before = await left(); before > 0;) {
        await Promise.all(await this.#anchorClosed(await store.lastSeen()).catch(() => []));
        const after = await left();
        if (after >= before) break;
        before = after;
      }
    }
    return left();
  }
}
