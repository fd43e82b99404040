/** The verifier's requests as rows, the same in SQLite and PostgreSQL. */
import type { TakeRefusal, VerifierRequest } from "./store.ts";

/** The requests table, with `integer` SQLite's INTEGER or PostgreSQL's BIGINT. */
export const requestTableSql = (integer: string): string => `
CREATE TABLE IF NOT EXISTS vp_requests (
  id TEXT PRIMARY KEY, chain TEXT NOT NULL, nonce TEXT NOT NULL, client_id TEXT NOT NULL,
  schema_id ${integer} NOT NULL, vct TEXT NOT NULL, claims TEXT NOT NULL, economy TEXT, payload TEXT NOT NULL,
  result_digest TEXT NOT NULL, decryption_key TEXT, request_object TEXT NOT NULL, created_at ${integer} NOT NULL,
  expires_at ${integer} NOT NULL, state TEXT NOT NULL, result TEXT
)`;

export type Row = Record<string, unknown>;

/** A request from its row. */
export function requestOf(row: Row): VerifierRequest {
  return {
    id: String(row.id),
    chain: String(row.chain),
    nonce: String(row.nonce),
    clientId: String(row.client_id),
    schemaId: Number(row.schema_id),
    vct: String(row.vct),
    claims: JSON.parse(String(row.claims)) as string[],
    ...(typeof row.economy === "string" ? { economy: row.economy } : {}),
    payload: String(row.payload),
    resultDigest: String(row.result_digest),
    ...(typeof row.decryption_key === "string" ? { decryptionKey: row.decryption_key } : {}),
    requestObject: String(row.request_object),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    state_: row.state === "answered" ? "answered" : "open",
    ...(typeof row.result === "string" ? { result: row.result } : {}),
  };
}

/** A request's column values, in the order of `REQUEST_COLUMNS`. */
export function requestValues(r: VerifierRequest): (string | number | null)[] {
  return [
    r.id,
    r.chain,
    r.nonce,
    r.clientId,
    r.schemaId,
    r.vct,
    JSON.stringify(r.claims),
    r.economy ?? null,
    r.payload,
    r.resultDigest,
    r.decryptionKey ?? null,
    r.requestObject,
    r.createdAt,
    r.expiresAt,
    r.state_,
    r.result ?? null,
  ];
}

export const REQUEST_COLUMNS =
  "id, chain, nonce, client_id, schema_id, vct, claims, economy, payload, result_digest, decryption_key, " +
  "request_object, created_at, expires_at, state, result";

/** Why a request in `row` (or none) cannot be taken at `now`. */
export function takeRefusal(row: Row | undefined, now: number): TakeRefusal | undefined {
  if (row === undefined) return "unknown";
  if (row.state === "answered") return "answered";
  if (Number(row.expires_at) < now) return "expired";
  return undefined;
}
