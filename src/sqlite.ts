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

/**
 * Group commit for a store that many requests write at once (the issuer service's, the verifier's): each `write` is
 * all-or-nothing on its own, as in `transaction`, and resolves once it is committed; but the writes asked for while
 * the event loop works through its ready requests are committed together, in the order asked, in one transaction
 * with a savepoint for each (one that throws is rolled back alone, and rejects). One commit writes a page that several
 * writes changed once, and takes the file's locks once: under a fleet's load, several times fewer writes and locks
 * than a transaction each. A commit that fails rejects every write in it, and none of them lands.
 */
export class GroupCommit {
  readonly #db: DatabaseSync;
  #queue: { work: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;
  #statements: Record<"begin" | "commit" | "savepoint" | "release" | "undo", StatementSync> | undefined;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /**
   * Runs `work` (synchronous) in the next group's transaction; resolves with what it returns once committed. With
   * `now`, that group is committed at once, with the writes waiting for it (for a caller that holds others up until
   * its write is done: the batch lanes).
   */
  write<T>(work: () => T, now = false): Promise<T> {
    const written = new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
    if (now) this.#flush();
    else {
      this.#flushing ??= new Promise<void>((done) =>
        setImmediate(() => {
          this.#flushing = undefined;
          this.#flush();
          done();
        }),
      );
    }
    return written;
  }

  /** Resolves once every write asked for so far is committed or refused. */
  async settled(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  #flush(): void {
    const group = this.#queue;
    this.#queue = [];
    if (group.length === 0) return;
    const s = (this.#statements ??= {
      begin: this.#db.prepare("BEGIN IMMEDIATE"),
      commit: this.#db.prepare("COMMIT"),
      savepoint: this.#db.prepare("SAVEPOINT one_write"),
      release: this.#db.prepare("RELEASE one_write"),
      undo: this.#db.prepare("ROLLBACK TO one_write"),
    });
    // Each write's outcome, told once the group is committed.
    const outcomes: (() => void)[] = [];
    try {
      s.begin.run();
      for (const { work, resolve, reject } of group) {
        s.savepoint.run();
        try {
          const value = work();
          outcomes.push(() => resolve(value));
        } catch (error) {
          s.undo.run();
          outcomes.push(() => reject(error));
        }
        s.release.run();
      }
      s.commit.run();
    } catch (error) {
      // SQLite rolls a transaction back itself on some failures (a full disk): then there is nothing left to roll back.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      for (const { reject } of group) reject(error);
      return;
    }
    for (const tell of outcomes) tell();
  }
}

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
