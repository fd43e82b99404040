/** The verifier's requests in an SQLite file (`node:sqlite`, write-ahead log); taking one is one transaction. */
import { openStoreFile, transaction } from "../sqlite.ts";
import type { VerifierStore } from "./store.ts";
import { REQUEST_COLUMNS, requestOf, requestTableSql, requestValues, takeRefusal, type Row } from "./storeRows.ts";

const SCHEMA = requestTableSql("INTEGER");

export function openSqliteVerifierStore(file: string): VerifierStore {
  const db = openStoreFile(file, SCHEMA, "VERIFIER_STORE", "the verifier's store");
  const get = (id: string): Row | undefined => db.prepare("SELECT * FROM vp_requests WHERE id = ?").get(id);
  // node:sqlite is synchronous; the interface is asynchronous for PostgreSQL: a throw becomes a rejection.
  /* eslint-disable @typescript-eslint/require-await */
  return {
    location: file,
    async create(request) {
      const marks = REQUEST_COLUMNS.split(",")
        .map(() => "?")
        .join(", ");
      db.prepare(`INSERT INTO vp_requests (${REQUEST_COLUMNS}) VALUES (${marks})`).run(...requestValues(request));
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
        db.prepare("UPDATE vp_requests SET state = 'answered' WHERE id = ?").run(id);
        return { ...requestOf(row), state_: "answered" as const };
      });
    },
    async settle(id, result) {
      db.prepare("UPDATE vp_requests SET result = ? WHERE id = ?").run(result, id);
    },
    async close() {
      db.close();
    },
  };
  /* eslint-enable @typescript-eslint/require-await */
}
