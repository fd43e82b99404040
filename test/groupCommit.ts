/**
 * Group commit (src/sqlite.ts `GroupCommit`): the writes a store is asked for in one turn of the event loop land
 * together in one transaction, in order, each all-or-nothing; none is said to be done before it is committed. Checked
 * through a second connection to the same file, which sees only what is committed.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { expect } from "chai";
import { GroupCommit, openStoreFile } from "../src/sqlite.ts";

describe("group commit of a store's writes (src/sqlite.ts)", function () {
  let dir: string;
  let db: DatabaseSync;
  let observer: DatabaseSync;
  let writes: GroupCommit;
  let file: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "ccr-group-"));
    file = join(dir, "store.sqlite");
    db = openStoreFile(file, "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);", "ISSUER_STORE", "a store");
    observer = new DatabaseSync(file);
    observer.exec("PRAGMA busy_timeout = 0");
    writes = new GroupCommit(db);
  });

  afterEach(function () {
    observer.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const committed = (): Record<string, number> =>
    Object.fromEntries(
      (observer.prepare("SELECT k, v FROM t ORDER BY k").all() as { k: string; v: number }[]).map((r) => [r.k, r.v]),
    );
  const put = (k: string, v: number) => () => db.prepare("INSERT INTO t (k, v) VALUES (?, ?)").run(k, v).changes;
  const changesOf = (): number => Number((db.prepare("SELECT total_changes() AS n").get() as { n: number }).n);

  it("commits the writes of one turn together, in the order asked, and resolves each once committed", async function () {
    const first = writes.write(put("a", 1));
    const second = writes.write(() => db.prepare("UPDATE t SET v = 2 WHERE k = 'a'").run().changes);
    const third = writes.write(put("b", 3));
    // Nothing is committed (nor run) before the turn ends.
    expect(committed()).to.deep.equal({});
    expect(changesOf()).to.equal(0);
    expect(await Promise.all([first, second, third])).to.deep.equal([1, 1, 1]);
    expect(committed()).to.deep.equal({ a: 2, b: 3 });
  });

  it("writes a page that several writes of one group changed once: one commit's worth of log", async function () {
    db.exec("PRAGMA wal_autocheckpoint = 0");
    const logSize = (): number => statSync(`${file}-wal`).size;
    await writes.write(put("a", 1));
    const before = logSize();
    await writes.write(put("b", 2));
    const oneWrite = logSize() - before;
    await Promise.all(["c", "d", "e", "f"].map((k) => writes.write(put(k, 3))));
    expect(logSize() - before - oneWrite).to.equal(oneWrite);
    // Written one by one, the same four would log four times as much.
    await Promise.all(["g", "h", "i", "j"].map((k) => writes.write(put(k, 4), true)));
    expect(logSize() - before - 2 * oneWrite).to.equal(4 * oneWrite);
  });

  it("rolls back a write that throws alone, with what it changed before throwing, and rejects it", async function () {
    const kept = writes.write(put("a", 1));
    const failed = writes.write(() => {
      put("b", 2)();
      throw new Error("refused halfway");
    });
    const after = writes.write(put("c", 3));
    const outcomes = await Promise.allSettled([kept, failed, after]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).to.include("refused halfway");
    expect(committed()).to.deep.equal({ a: 1, c: 3 });
  });

  it("commits at once when asked to, with the writes waiting for the turn's end", async function () {
    const waiting = writes.write(put("a", 1));
    const now = writes.write(put("b", 2), true);
    // Committed before any await: a caller holding others up is not held up itself.
    expect(committed()).to.deep.equal({ a: 1, b: 2 });
    expect(await Promise.all([waiting, now])).to.deep.equal([1, 1]);
    await writes.settled();
    expect(committed()).to.deep.equal({ a: 1, b: 2 });
  });

  it("rejects every write of a group that cannot be committed, and lands none of them", async function () {
    db.exec("PRAGMA busy_timeout = 0");
    // Another writer holds the file: the group cannot begin its transaction.
    observer.exec("BEGIN IMMEDIATE");
    const outcomes = await Promise.allSettled([writes.write(put("a", 1)), writes.write(put("b", 2))]);
    observer.exec("ROLLBACK");
    expect(outcomes.map((o) => o.status)).to.deep.equal(["rejected", "rejected"]);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).to.match(/locked|busy/i);
    expect(committed()).to.deep.equal({});
    // The next group is committed as usual.
    expect(await writes.write(put("c", 3))).to.equal(1);
    expect(committed()).to.deep.equal({ c: 3 });
  });

  it("rolls a group back whose commit fails, refusing every write in it, and commits the next one", async function () {
    // A deferred foreign key is checked at COMMIT: the write succeeds, the group's commit does not.
    db.exec(
      "PRAGMA foreign_keys = ON; CREATE TABLE child (k TEXT PRIMARY KEY, parent TEXT " +
        "REFERENCES t (k) DEFERRABLE INITIALLY DEFERRED);",
    );
    const orphan = () => db.prepare("INSERT INTO child (k, parent) VALUES ('c', 'nobody')").run().changes;
    const outcomes = await Promise.allSettled([writes.write(put("a", 1)), writes.write(orphan)]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(["rejected", "rejected"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).to.match(/FOREIGN KEY/i);
    expect(committed()).to.deep.equal({});
    expect(db.isTransaction, "the failed group is rolled back").to.equal(false);
    expect(await writes.write(put("b", 2))).to.equal(1);
    expect(committed()).to.deep.equal({ b: 2 });
  });

  it("says when every write asked for so far is settled", async function () {
    let done = 0;
    void writes.write(put("a", 1)).then(() => done++);
    void writes.write(put("a", 2)).catch(() => done++);
    await writes.settled();
    // Promise reactions run once settled() has resolved: both writes were decided before it did.
    await Promise.resolve();
    expect(done).to.equal(2);
    expect(committed()).to.deep.equal({ a: 1 });
    await writes.settled();
  });
});
