/**
 * The audit index in an SQLite file, through Node's built-in `node:sqlite`: the default, one file next to the
 * deployment file. Writers take SQLite's write lock (`BEGIN IMMEDIATE`) and readers wait for it (busy timeout).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { CCRError } from "../errors.ts";
import { transaction } from "../sqlite.ts";
import {
  EVENTS_PER_PAGE,
  eventOfRow,
  tablesSql,
  unusableIndex,
  type Checkpoint,
  type EventFilter,
  type EventRow,
  type IndexRange,
  type IndexStore,
  type StoredEvent,
} from "./store.ts";

const SCHEMA = tablesSql("INTEGER");

/** Opens (or creates) the SQLite index at `file`; a sync first checks the file's pages. Returns its identity rows. */
export function openSqlite(
  file: string,
  identity: Record<string, string>,
  use: "sync" | "read",
): { store: IndexStore; meta: Map<string, string> } {
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
    throw unusableIndex(file, cause, "remove it");
  }
  // A new index gets its tables and identity in one transaction: a kill cannot leave half an identity behind.
  const meta = transaction(db, () => {
    db.exec(SCHEMA);
    const rows = db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
    if (rows.length === 0) {
      const insert = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
      for (const [key, value] of Object.entries(identity)) insert.run(key, value);
      return new Map(Object.entries(identity));
    }
    return new Map(rows.map((r) => [r.key, r.value]));
  });
  return { store: new SqliteStore(file, db), meta };
}

class SqliteStore implements IndexStore {
  readonly removeHint = "remove the file";

  readonly location: string;
  private readonly db: DatabaseSync;

  constructor(location: string, db: DatabaseSync) {
    this.location = location;
    this.db = db;
  }

  checkpoint(): Promise<Checkpoint | undefined> {
    return Promise.resolve(this.#checkpoint());
  }

  #checkpoint(): Checkpoint | undefined {
    const row = this.db.prepare("SELECT block, hash FROM checkpoint WHERE id = 1").get() as Checkpoint | undefined;
    return row === undefined ? undefined : { block: Number(row.block), hash: String(row.hash) };
  }

  store(
    range: IndexRange,
    from: Checkpoint | undefined,
  ): Promise<{ stored: true } | { stored: false; now: Checkpoint | undefined }> {
    const { db } = this;
    return Promise.resolve(
      transaction(db, () => {
        const now = this.#checkpoint();
        if (now?.block !== from?.block || now?.hash !== from?.hash) return { stored: false as const, now };
        const insertBlock = db.prepare("INSERT OR REPLACE INTO blocks (number, hash, timestamp) VALUES (?, ?, ?)");
        const insertEvent = db.prepare(
          "INSERT OR REPLACE INTO events (block, log_index, tx_hash, name, args) VALUES (?, ?, ?, ?, ?)",
        );
        const insertKey = db.prepare("INSERT OR REPLACE INTO event_keys (block, log_index, key) VALUES (?, ?, ?)");
        for (const [number, { hash, timestamp }] of range.blocks) insertBlock.run(number, hash, timestamp);
        for (const e of range.events) {
          insertEvent.run(e.block, e.logIndex, e.txHash, e.name, e.args);
          for (const key of e.keys) insertKey.run(e.block, e.logIndex, key);
        }
        db.prepare("INSERT OR REPLACE INTO checkpoint (id, block, hash) VALUES (1, ?, ?)").run(
          range.checkpoint.block,
          range.checkpoint.hash,
        );
        return { stored: true as const };
      }),
    );
  }

  blocks(below: number, limit: number): Promise<{ number: number; hash: string }[]> {
    const rows = this.db
      .prepare("SELECT number, hash FROM blocks WHERE number <= ? ORDER BY number DESC LIMIT ?")
      .all(below, limit) as { number: number; hash: string }[];
    return Promise.resolve(rows.map((r) => ({ number: Number(r.number), hash: r.hash })));
  }

  rollBack(keep: number): Promise<void> {
    const { db } = this;
    transaction(db, () => {
      db.prepare("DELETE FROM event_keys WHERE block > ?").run(keep);
      db.prepare("DELETE FROM events WHERE block > ?").run(keep);
      db.prepare("DELETE FROM blocks WHERE number > ?").run(keep);
      if (keep < 0) db.prepare("DELETE FROM checkpoint").run();
      else
        db.prepare("UPDATE checkpoint SET block = ?, hash = (SELECT hash FROM blocks WHERE number = ?)").run(
          keep,
          keep,
        );
    });
    return Promise.resolve();
  }

  *events(filter: EventFilter = {}): Generator<StoredEvent> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.names !== undefined) {
      where.push(`e.name IN (${filter.names.map(() => "?").join(", ")})`);
      params.push(...filter.names);
    }
    if (filter.keys !== undefined) {
      where.push(
        `(e.block, e.log_index) IN (SELECT block, log_index FROM event_keys ` +
          `WHERE key IN (${filter.keys.map(() => "?").join(", ")}))`,
      );
      params.push(...filter.keys);
    }
    // Pages by position, each its own statement: a long replay never holds a read transaction open for a sync.
    const page = this.db.prepare(
      `SELECT e.block, e.log_index, e.tx_hash, e.name, e.args, b.timestamp FROM events e ` +
        `JOIN blocks b ON b.number = e.block WHERE (e.block, e.log_index) > (?, ?) ` +
        `${where.map((w) => `AND ${w} `).join("")}ORDER BY e.block, e.log_index LIMIT ${EVENTS_PER_PAGE}`,
    );
    let after = [-1, -1];
    for (;;) {
      const rows = page.all(after[0] ?? -1, after[1] ?? -1, ...params) as unknown as EventRow[];
      for (const row of rows) yield eventOfRow(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < EVENTS_PER_PAGE) return;
      after = [Number(last.block), Number(last.log_index)];
    }
  }

  issuersOf(economy: string): Promise<string[]> {
    const rows = this.db
      .prepare(
        "SELECT DISTINCT json_extract(args, '$.issuer') AS issuer FROM events WHERE name = 'IssuerAccredited' " +
          "AND json_extract(args, '$.economy') = ?",
      )
      .all(economy) as { issuer: string }[];
    return Promise.resolve(rows.map((r) => r.issuer));
  }

  meta(key: string): Promise<string | undefined> {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return Promise.resolve(row?.value);
  }

  setMeta(key: string, value: string): Promise<void> {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
    return Promise.resolve();
  }
}
