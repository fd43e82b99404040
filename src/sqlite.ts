/** What CCR's SQLite files share (the audit index, the issuer service's store): one write transaction at a time. */
import type { DatabaseSync } from "node:sqlite";

/** Runs `work` in one write transaction: all of it lands, or none (a kill in the middle leaves the previous state). */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    // SQLite rolls a transaction back itself on some failures (a full disk): then there is nothing left to roll back.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
