/** The verifier's requests in an SQLite file (`node:sqlite`, write-ahead log); taking one is one transaction. */
import { openStoreFile, transaction } from "../sqlite.ts";
import type { VerifierStore } from "./store.ts";
import { REQUEST_COLUMNS, requestOf, requestTableSql, requestValues, takeRefusal, type Row } from "./storeRows.ts";

const SCHEMA = requestTableSql("INTEGER");

export function openSqliteVerifierStore(file: string): VerifierStore {
  const db = openStoreFile(file, SCHEMA, "VERIFIER_STORE", "the verifier's store");
  // Compiled once: compiling is most of a statement's cost, and every answer runs three.
  const marks = REQUEST_COLUMNS.split(",")
    .map(() => "?")
    .join(", ");
  const insert = db.prepare(`INSERT INTO vp_requests (${REQUEST_COLUMNS}) VALUES (${marks})`);
  const select = db.prepare("SELECT * FROM vp_requests WHERE id = ?");
  const answered = db.prepare("UPDATE vp_requests SET state = 'answered' WHERE id = ?");
  const settled = db.prepare("UPDATE vp_requests SET result = ? WHERE id = ?");
  const get = (id: string): Row | undefined => select.get(id);
  // node:sqlite is synchronous; the interface is asynchronous for PostgreSQL: a throw becomes a rejection.
  /* eslint-disable @typescript-eslint/require-await */
  return {
    location: file,
    async create(request) {
      insert.run(...requestValues(request));
    },
    async get(id) {
      const row = get(id);
      return row === undefined ? undefined : requestOf(row);
    },
    async take(id, now) {
      return transaction(db, () => {
        const row = get(id);
        const refusal = takeRefusal(row, now);
        if (refusal !== undefined || row === undefined) return refusal ?? "unknown";
        answered.run(id);
        return { ...requestOf(row), state_: "answered" as const };
      });
    },
    async settle(id, result) {
      settled.run(result, id);
    },
    async close() {
      db.close();
    },
  };
  /* eslint-enable @typescript-eslint/require-await */
}
