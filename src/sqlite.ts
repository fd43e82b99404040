/**
 * What CCR's SQLite files share (the audit index, the issuer service's and the verifier's stores): one write
 * transaction at a time, and how a store is opened.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { CCRError, type CCRErrorCode } from "./errors.ts";

/**
 * Opens (or creates, with its folder) the store at `file` (`:memory:` for one that lives as long as the process) in
 * write-ahead-log mode and creates its tables (`schema`); a file that cannot be opened is refused as `code`, naming
 * `what` it is.
 */
export function openStoreFile(file: string, schema: string, code: CCRErrorCode, what: string): DatabaseSync {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  try {
    const db = new DatabaseSync(file);
    db.exec("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    db.exec(schema);
    return db;
  } catch (cause) {
    throw new CCRError(code, `${what} ${file} cannot be opened: ${String(cause)}`, { cause });
  }
}

/** Each database's BEGIN and COMMIT, compiled once: a service runs several transactions per request. */
const bounds = new WeakMap<DatabaseSync, { begin: StatementSync; commit: StatementSync }>();

/** Runs `work` in one write transaction: all of it lands, or none (a kill in the middle leaves the previous state). */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  let statements = bounds.get(db);
  if (statements === undefined) {
    statements = { begin: db.prepare("BEGIN IMMEDIATE"), commit: db.prepare("COMMIT") };
    bounds.set(db, statements);
  }
  statements.begin.run();
  try {
    const result = work();
    statements.commit.run();
    return result;
  } catch (error) {
    // SQLite rolls a transaction back itself on some failures (a full disk): then there is nothing left to roll back.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
