/** The verifier's requests in an SQLite file (`node:sqlite`, write-ahead log); taking one is one transaction. */
import { openStoreFile, transaction } from "../sqlite.ts";
import type { TakeRefusal, VerifierRequest, VerifierStore } from "./store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS vp_requests (
  id TEXT PRIMARY KEY, nonce TEXT NOT NULL, client_id TEXT NOT NULL,
  schema_id INTEGER NOT NULL, vct TEXT NOT NULL, claims TEXT NOT NULL, economy TEXT, payload TEXT NOT NULL,
  result_digest TEXT NOT NULL, request_object TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, state TEXT NOT NULL,
  result TEXT
)`;

type Row = Record<string, unknown>;

/** A request from its row. */
export function requestOf(row: Row): VerifierRequest {
  return {
    id: String(row.id),
    nonce: String(row.nonce),
    clientId: String(row.client_id),
    schemaId: Number(row.schema_id),
    vct: String(row.vct),
    claims: JSON.parse(String(row.claims)) as string[],
    economy: typeof row.economy === "string" ? row.economy : undefined,
    payload: String(row.payload),
    resultDigest: String(row.result_digest),
    requestObject: String(row.request_object),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    state_: row.state === "answered" ? "answered" : "open",
    result: typeof row.result === "string" ? row.result : undefined,
  };
}

/** A request's column values, in the order of `REQUEST_COLUMNS`. */
export function requestValues(r: VerifierRequest): (string | number | null)[] {
  return [
    r.id,
    r.nonce,
    r.clientId,
    r.schemaId,
    r.vct,
    JSON.stringify(r.claims),
    r.economy ?? null,
    r.payload,
    r.resultDigest,
    r.requestObject,
    r.createdAt,
    r.expiresAt,
    r.state_,
    r.result ?? null,
  ];
}

export const REQUEST_COLUMNS =
  "id, nonce, client_id, schema_id, vct, claims, economy, payload, result_digest, request_object, " +
  "created_at, expires_at, state, result";

/** Why a request in `row` (or none) cannot be taken at `now`. */
export function takeRefusal(row: Row | undefined, now: number): TakeRefusal | undefined {
  if (row === undefined) return "unknown";
  if (row.state === "answered") return "answered";
  if (Number(row.expires_at) < now) return "expired";
  return undefined;
}

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
