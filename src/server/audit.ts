/**
 * The audit index behind `ccr serve --db`: kept up to date with the chain (one sync at start, then every few
 * seconds, never two at once), read for the dashboard's report and timelines, and checked on request.
 */
import { checkIndex, lastCheck, recordCheck, type CheckRecord } from "../audit/check.ts";
import { indexedAddress, timeline, type TimelineEntry } from "../audit/history.ts";
import { buildReport, type Report } from "../audit/report.ts";
import { syncIndex } from "../audit/sync.ts";
import { printableLocation } from "../audit/db.ts";
import { CCRError } from "../errors.ts";
import type { RegistryConnection } from "../registry.ts";

export interface SyncState {
  /** The last block the index holds, once a sync has finished. */
  block?: number;
  syncedAt?: string;
  /** Why the last sync failed (the index keeps what it had). */
  error?: string;
  /**
   * Set when the chain behind the RPC is no longer the one the server started with (a restarted devnet: the same id,
   * another genesis): syncing stopped for good, and the index keeps the first chain's history only.
   */
  chainChanged?: { expected: string; found: string } | undefined;
}

export interface TimelineAnswer {
  subject: string;
  member?: number;
  entries: TimelineEntry[];
}

/** Subjects named as the index keys them: a credential or batch hash, an economy code, a schema. */
const CREDENTIAL_OR_ECONOMY = /^(0x[0-9a-fA-F]{64}|[A-Z]{2}|schema:\d+)$/;

export class AuditIndex {
  readonly state: SyncState = {};
  private syncing: Promise<void> | undefined;
  private checking: Promise<CheckRecord> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly connection: RegistryConnection,
  ) {}

  /** Where the index is, fit to show (a PostgreSQL URL without its password). */
  get location(): string {
    return printableLocation(this.file);
  }

  /** Syncs now and then every `intervalSeconds` (0: only now), in the background. */
  start(intervalSeconds: number): Promise<void> {
    const first = this.sync();
    if (intervalSeconds > 0) {
      this.timer = setInterval(() => void this.sync(), intervalSeconds * 1000);
      this.timer.unref();
    }
    return first;
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.syncing ?? Promise.resolve();
  }

  /** One sync at a time: a call while one runs waits for it instead of starting another. */
  sync(): Promise<void> {
    if (this.state.chainChanged !== undefined) return Promise.resolve();
    this.syncing ??= this.sameChain()
      .then(async (same) => {
        if (!same) return;
        const result = await syncIndex(this.connection, this.file);
        this.state.block = result.toBlock;
        this.state.syncedAt = new Date().toISOString();
        delete this.state.error;
      })
      .catch((error: unknown) => {
        this.state.error = error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        this.syncing = undefined;
      });
    return this.syncing;
  }

  /**
   * Whether the chain behind the RPC is still the one the server started with; when it is not, says so in `state`
   * and stops syncing, so that another chain's events never go into this index.
   */
  private async sameChain(): Promise<boolean> {
    const { provider, genesisHash, rpcUrl } = this.connection;
    const found = (await provider.getBlock(0))?.hash ?? "none";
    if (found.toLowerCase() === genesisHash.toLowerCase()) return true;
    clearInterval(this.timer);
    this.state.chainChanged = { expected: genesisHash, found };
    this.state.error =
      `the chain at ${rpcUrl} is no longer the one this server started with (genesis ${genesisHash}, now ${found}: ` +
      `a restarted node is a new chain). Syncing stopped; the index keeps the first chain's history to block ` +
      `${this.state.block ?? "none"}. Restart ccr serve with the new chain's deployment file (and another --db)`;
    return false;
  }

  async report(query: Record<string, string | undefined>): Promise<Report> {
    const { deployment } = this.connection;
    const date = (name: string): Date | undefined => {
      const text = query[name];
      if (text === undefined || text === "") return undefined;
      const value = new Date(text);
      if (Number.isNaN(value.getTime())) throw new CCRError("INVALID_ARGUMENT", `${name} "${text}" is not a date`);
      return value;
    };
    const given = (name: string): string | undefined => (query[name] === "" ? undefined : query[name]);
    const issuer = given("issuer");
    return buildReport(this.file, deployment, {
      economy: given("economy"),
      issuer: issuer === undefined ? undefined : await indexedAddress(this.file, deployment, issuer),
      schema: given("schema"),
      from: date("from"),
      to: date("to"),
    });
  }

  /** A subject's timeline: a credential or batch hash, an economy code, a schema (`schema:<id>`), or an issuer or
   * account (name, address, DID). */
  async timeline(subject: string, member?: number): Promise<TimelineAnswer> {
    const { deployment } = this.connection;
    const target = CREDENTIAL_OR_ECONOMY.test(subject) ? subject : await indexedAddress(this.file, deployment, subject);
    return {
      subject: target,
      ...(member === undefined ? {} : { member }),
      entries: await timeline(this.file, deployment, target, member),
    };
  }

  lastCheck(): Promise<CheckRecord | undefined> {
    return lastCheck(this.file, this.connection.deployment);
  }

  /** Syncs, then checks the index against the chain and keeps the result; one check at a time. */
  check(): Promise<CheckRecord> {
    this.checking ??= this.sync()
      .then(() => checkIndex(this.file, this.connection))
      .then((result) => recordCheck(this.file, this.connection.deployment, result))
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }
}
