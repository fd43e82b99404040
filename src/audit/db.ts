import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Deployment } from "../deployment.ts";
import { CCRError } from "../errors.ts";

/**
 * The auditor's index: every event of the registry with its block, transaction and decoded arguments, in plain SQL
 * (SQLite through `node:sqlite` here; nothing SQLite-specific but the JSON text column, so a server database can
 * follow). `event_keys` names what each event is about (`issuer:0x…`, `economy:SG`, `credential:0x…`, `batch:0x…`,
 * `schema:3`, `actor:0x…`) for timelines.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
  number    INTEGER PRIMARY KEY,
  hash      TEXT    NOT NULL,
  timestamp INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  block     INTEGER NOT NULL REFERENCES blocks (number),
  log_index INTEGER NOT NULL,
  tx_hash   TEXT    NOT NULL,
  name      TEXT    NOT NULL,
  args      TEXT    NOT NULL,
  PRIMARY KEY (block, log_index)
);
CREATE TABLE IF NOT EXISTS event_keys (
  block     INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  key       TEXT    NOT NULL,
  PRIMARY KEY (key, block, log_index)
);
CREATE TABLE IF NOT EXISTS checkpoint (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  block INTEGER NOT NULL,
  hash  TEXT    NOT NULL
);
`;

export const INDEX_FORMAT = "ccr-audit/1";

/** What an index was built against; a database is only ever extended against the same chain and registry. */
interface IndexIdentity {
  chainId: number;
  genesisHash: string;
  registry: string;
  fromBlock: number;
}

function identityOf(deployment: Deployment): IndexIdentity {
  return {
    chainId: deployment.chainId,
    genesisHash: deployment.genesisHash,
    registry: deployment.registry.address.toLowerCase(),
    fromBlock: deployment.registry.blockNumber,
  };
}

/** Opens (or creates) the index at `file` for `deployment`; refuses a database built for another chain or registry. */
export function openIndex(file: string, deployment: Deployment, use: "sync" | "read" = "read"): DatabaseSync {
  const identity = identityOf(deployment);
  if (use === "read" && file !== ":memory:" && !existsSync(file)) {
    throw new CCRError("INDEX_FILE", `there is no audit index at ${file}: build it with "ccr audit sync" first`);
  }
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
    // Another ccr reading or writing the same index (a report during a sync) waits for its lock instead of failing.
    db.exec("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    // A sync checks the file before trusting it with more history: a damaged page must not be built upon.
    if (use === "sync") {
      const problems = (db.prepare("PRAGMA quick_check").all() as { quick_check: string }[]).map((r) => r.quick_check);
      if (problems.length !== 1 || problems[0] !== "ok") {
        db.close();
        throw new CCRError(
          "INDEX_FILE",
          `the audit index ${file} is damaged (SQLite integrity check: ${problems.slice(0, 3).join("; ")}); ` +
            `nothing was synced. Remove the file and run "ccr audit sync" again to rebuild it from the chain`,
        );
      }
    }
  } catch (cause) {
    if (cause instanceof CCRError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CCRError(
      "INDEX_FILE",
      `${file} cannot be used as an audit index: ${reason}. Use another --db; if it is an index that was ` +
        `damaged, remove it and run "ccr audit sync" to rebuild it`,
      { cause },
    );
  }
  const expected: Record<string, string> = {
    format: INDEX_FORMAT,
    chainId: String(identity.chainId),
    genesisHash: identity.genesisHash,
    registry: identity.registry,
    fromBlock: String(identity.fromBlock),
  };
  // A new index gets its tables and identity in one transaction: a kill cannot leave half an identity behind.
  const meta = transaction(db, () => {
    db.exec(SCHEMA);
    const rows = db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
    if (rows.length === 0) {
      const insert = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
      for (const [key, value] of Object.entries(expected)) insert.run(key, value);
      return new Map(Object.entries(expected));
    }
    return new Map(rows.map((r) => [r.key, r.value]));
  });
  for (const [key, value] of Object.entries(expected)) {
    if (meta.get(key) !== value) {
      db.close();
      const was = meta.get(key) ?? "none";
      throw new CCRError(
        "WRONG_CHAIN",
        key === "genesisHash"
          ? `the index ${file} belongs to another chain (genesis ${was}, now ${value}): the chain was restarted ` +
              `since it was built. Nothing was merged; remove the file or use another --db to index this chain`
          : `the index ${file} was built for another ${key} (${was}, this deployment: ${value}); nothing was merged, ` +
              `use another --db file`,
      );
    }
  }
  return db;
}

/** The last block the index covers (its hash too), or undefined before the first sync. */
export function checkpoint(db: DatabaseSync): { block: number; hash: string } | undefined {
  const row = db.prepare("SELECT block, hash FROM checkpoint WHERE id = 1").get() as
    { block: number; hash: string } | undefined;
  return row === undefined ? undefined : { block: Number(row.block), hash: String(row.hash) };
}

/** Runs `work` in one transaction: all of it lands, or none (a kill in the middle leaves the previous state). */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
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

export function readEvents(db: DatabaseSync, where = "", ...params: (string | number)[]): StoredEvent[] {
  const rows = db
    .prepare(
      `SELECT e.block, e.log_index, e.tx_hash, e.name, e.args, b.timestamp FROM events e ` +
        `JOIN blocks b ON b.number = e.block ${where} ORDER BY e.block, e.log_index`,
    )
    .all(...params) as {
    block: number;
    log_index: number;
    tx_hash: string;
    name: string;
    args: string;
    timestamp: number;
  }[];
  return rows.map((r) => ({
    block: Number(r.block),
    logIndex: Number(r.log_index),
    txHash: r.tx_hash,
    name: r.name,
    args: JSON.parse(r.args) as Record<string, string>,
    timestamp: Number(r.timestamp),
  }));
}
