/**
 * The audit index as a store: its tables, rows and events, and what both stores (SQLite, PostgreSQL) share. `db.ts`
 * opens one; the stores import this module only.
 */
import type { Deployment } from "../deployment.ts";
import { CCRError } from "../errors.ts";

/**
 * The auditor's index: every event of the registry with its block, transaction and decoded arguments, in plain SQL
 * tables (`meta`, `blocks`, `events`, `event_keys`, `checkpoint`) kept in SQLite (a file, through `node:sqlite`; the
 * default) or PostgreSQL (a `postgres://` URL: one index shared by several auditors and `ccr serve`). `event_keys`
 * names what each event is about (`issuer:0x…`, `economy:SG`, `credential:0x…`, `batch:0x…`, `schema:3`,
 * `account:0x…`) for timelines. Both stores keep the same guarantees: a range of blocks lands with its checkpoint in
 * one transaction, and a writer stores a range only if the checkpoint is still where it started from, so several
 * syncs at once never double or skip anything.
 */
export const INDEX_FORMAT = "ccr-audit/1";

/** The last block the index covers, and that block's hash (to notice a reorganisation). */
export interface Checkpoint {
  block: number;
  hash: string;
}

/** One stored event, its arguments decoded (numbers as decimal strings, bytes as hex). */
export interface StoredEvent {
  block: number;
  logIndex: number;
  txHash: string;
  name: string;
  args: Record<string, string>;
  timestamp: number;
}

/** A row of the events table joined with its block's time, as either store returns it (PostgreSQL: BIGINTs as text). */
export interface EventRow {
  block: number | string;
  log_index: number;
  tx_hash: string;
  name: string;
  args: string;
  timestamp: number | string;
}

export const eventOfRow = (r: EventRow): StoredEvent => ({
  block: Number(r.block),
  logIndex: Number(r.log_index),
  txHash: r.tx_hash,
  name: r.name,
  args: JSON.parse(r.args) as Record<string, string>,
  timestamp: Number(r.timestamp),
});

/** An event as a sync stores it: its arguments as JSON text and what it is about. */
export interface IndexedEvent {
  block: number;
  logIndex: number;
  txHash: string;
  name: string;
  args: string;
  keys: readonly string[];
}

/** A range of blocks as one sync step stores it, with the checkpoint it moves to. */
export interface IndexRange {
  blocks: ReadonlyMap<number, { hash: string; timestamp: number }>;
  events: readonly IndexedEvent[];
  checkpoint: Checkpoint;
}

/** Which events to read: by name, and/or by what they are about (`event_keys`); all of them when empty. */
export interface EventFilter {
  names?: readonly string[];
  keys?: readonly string[];
}

/** The operations every store offers; each is one statement or one transaction. */
export interface IndexStore {
  /** Where the index is, for messages (a file path, or the database URL without its password). */
  readonly location: string;
  /** What to do with an index that cannot be used ("remove the file", "drop its tables"). */
  readonly removeHint: string;
  checkpoint(): Promise<Checkpoint | undefined>;
  /**
   * Stores `range` if the checkpoint is still `from` (undefined before the first range); otherwise stores nothing,
   * since another sync got there first, and returns the checkpoint that sync left.
   */
  store(
    range: IndexRange,
    from: Checkpoint | undefined,
  ): Promise<{ stored: true } | { stored: false; now: Checkpoint | undefined }>;
  /** Stored blocks, newest first, at or below `below`, at most `limit` of them. */
  blocks(below: number, limit: number): Promise<{ number: number; hash: string }[]>;
  /** Deletes everything after block `keep` (-1: everything) and moves the checkpoint back to it. */
  rollBack(keep: number): Promise<void>;
  /**
   * Events in chain order, read in pages: a history of millions does not have to fit in memory (iterated with
   * `for await`: SQLite reads synchronously, PostgreSQL does not).
   */
  events(filter?: EventFilter): AsyncIterable<StoredEvent> | Iterable<StoredEvent>;
  /** The issuers ever accredited by `economy`'s authority. */
  issuersOf(economy: string): Promise<string[]>;
  meta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** The index's tables in either store's SQL; `integer` is the type of block numbers and times (64-bit in both). */
export function tablesSql(integer: "INTEGER" | "BIGINT"): string {
  return `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
  number    ${integer} PRIMARY KEY,
  hash      TEXT NOT NULL,
  timestamp ${integer} NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  block     ${integer} NOT NULL REFERENCES blocks (number),
  log_index INTEGER NOT NULL,
  tx_hash   TEXT NOT NULL,
  name      TEXT NOT NULL,
  args      TEXT NOT NULL,
  PRIMARY KEY (block, log_index)
);
CREATE TABLE IF NOT EXISTS event_keys (
  block     ${integer} NOT NULL,
  log_index INTEGER NOT NULL,
  key       TEXT NOT NULL,
  PRIMARY KEY (key, block, log_index)
);
CREATE TABLE IF NOT EXISTS checkpoint (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  block ${integer} NOT NULL,
  hash  TEXT NOT NULL
);
`;
}

/** Rows per page when a store reads events. */
export const EVENTS_PER_PAGE = 20_000;

/** What an index was built against; an index is only ever extended against the same chain and registry. */
export function identityOf(deployment: Deployment): Record<string, string> {
  return {
    format: INDEX_FORMAT,
    chainId: String(deployment.chainId),
    genesisHash: deployment.genesisHash,
    registry: deployment.registry.address.toLowerCase(),
    fromBlock: String(deployment.registry.blockNumber),
  };
}

/** `location` fit to show: a PostgreSQL URL without its password, a file as it is. */
export function printableLocation(location: string): string {
  if (!isPostgres(location)) return location;
  try {
    const url = new URL(location);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "the given postgres:// URL";
  }
}

/** Whether `location` names a PostgreSQL database rather than an SQLite file. */
export const isPostgres = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/**
 * Why a PostgreSQL database could not be reached, for the audit index and the issuer service's store alike: a
 * server that asks for a password no one gave says so (and where to give one); anything else is `otherwise(reason)`.
 */
export function postgresProblem(
  code: "INDEX_FILE" | "ISSUER_STORE" | "VERIFIER_STORE",
  location: string,
  cause: unknown,
  otherwise: (reason: string) => string,
): CCRError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CCRError(
    code,
    /password must be a string/.test(reason)
      ? `the PostgreSQL server of ${location} asks for a password and none was given: set PGPASSWORD or add the ` +
          "database to ~/.pgpass (a password in the URL would show in the process list)"
      : otherwise(reason),
    { cause },
  );
}

/** What an unusable index's error says, whatever the store. */
export function unusableIndex(location: string, cause: unknown, hint: string): CCRError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CCRError(
    "INDEX_FILE",
    `${location} cannot be used as an audit index: ${reason}. Use another --db; if it is an index that was ` +
      `damaged, ${hint} and run "ccr audit sync" to rebuild it`,
    { cause },
  );
}
