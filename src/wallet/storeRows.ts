/**
 * What the SQLite and the PostgreSQL store share: their tables, their rows read into records, and the rules of
 * redeeming a code and provisioning a device.
 */
import type {
  AttesterRecord,
  BatchRecord,
  JournalledCredential,
  OfferRecord,
  OfferState,
  RedeemRefusal,
} from "./store.ts";

/** A row as either store returns it (PostgreSQL: BIGINTs as text). */
export type Row = Record<string, string | number | null | undefined>;

const optional = (value: string | number | null | undefined): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);

export const offerOf = (r: Row): OfferRecord => ({
  id: String(r.id),
  codeDigest: String(r.code_digest),
  pinDigest: r.pin_digest === null ? undefined : String(r.pin_digest),
  schemaId: Number(r.schema_id),
  subject: JSON.parse(String(r.subject)) as Record<string, unknown>,
  source: String(r.source),
  row: Number(r.row),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  state: String(r.state) as OfferState,
  pinFailures: Number(r.pin_failures),
  keyThumbprint: r.key_thumbprint === null || r.key_thumbprint === undefined ? undefined : String(r.key_thumbprint),
});

/** An offer's columns in the order of `OFFER_COLUMNS`: the inverse of `offerOf`. */
export const OFFER_COLUMNS =
  "id, code_digest, pin_digest, schema_id, subject, source, row, created_at, expires_at, state, pin_failures, key_thumbprint";
export const offerValues = (o: OfferRecord): (string | number | null)[] => [
  o.id,
  o.codeDigest,
  o.pinDigest ?? null,
  o.schemaId,
  JSON.stringify(o.subject),
  o.source,
  o.row,
  o.createdAt,
  o.expiresAt,
  o.state,
  o.pinFailures,
  o.keyThumbprint ?? null,
];

/** A journalled credential's columns in the order of `CREDENTIAL_COLUMNS`: the inverse of `credentialOf`. */
export const CREDENTIAL_COLUMNS = "hash, batch_id, idx, offer_id, credential, format, transaction_id, issued_at";
export const credentialValues = (c: JournalledCredential): (string | number | null)[] => [
  c.hash,
  c.batchId,
  c.index,
  c.offerId,
  c.credential,
  c.format,
  c.transactionId ?? null,
  c.issuedAt,
];

export const attesterOf = (r: Row): AttesterRecord => ({
  kid: String(r.kid),
  jwk: JSON.parse(String(r.jwk)) as Record<string, unknown>,
  schemaId: Number(r.schema_id),
  manufacturer: String(r.manufacturer),
  registeredAt: Number(r.registered_at),
  revokedAt: optional(r.revoked_at),
});

export const batchOf = (r: Row): BatchRecord => ({
  id: String(r.id),
  owner: String(r.owner),
  schemaId: Number(r.schema_id),
  validFrom: Number(r.valid_from),
  validUntil: Number(r.valid_until),
  openedAt: Number(r.opened_at),
  closedAt: optional(r.closed_at),
  size: optional(r.size),
  root: r.root === null ? undefined : String(r.root),
  transaction: r.tx === null ? undefined : String(r.tx),
  blockNumber: optional(r.block),
  anchoredAt: optional(r.anchored_at),
});

export const credentialOf = (r: Row): JournalledCredential => ({
  hash: String(r.hash),
  batchId: String(r.batch_id),
  index: Number(r.idx),
  offerId: String(r.offer_id),
  credential: String(r.credential),
  format: String(r.format),
  transactionId: r.transaction_id === null ? undefined : String(r.transaction_id),
  issuedAt: Number(r.issued_at),
});

/** The store's tables: SQLite's with `INTEGER` times, PostgreSQL's with `BIGINT`. */
export function issuerTablesSql(integer: "INTEGER" | "BIGINT"): string {
  return `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offers (
  id TEXT PRIMARY KEY, code_digest TEXT NOT NULL UNIQUE, pin_digest TEXT, schema_id INTEGER NOT NULL,
  subject TEXT NOT NULL, source TEXT NOT NULL, row INTEGER NOT NULL, created_at ${integer} NOT NULL,
  expires_at ${integer} NOT NULL, state TEXT NOT NULL, pin_failures INTEGER NOT NULL DEFAULT 0, key_thumbprint TEXT);
CREATE TABLE IF NOT EXISTS attesters (
  kid TEXT PRIMARY KEY, jwk TEXT NOT NULL, schema_id INTEGER NOT NULL, manufacturer TEXT NOT NULL,
  registered_at ${integer} NOT NULL, revoked_at ${integer});
CREATE TABLE IF NOT EXISTS seen_jti (jti TEXT PRIMARY KEY, expires_at ${integer} NOT NULL);
CREATE INDEX IF NOT EXISTS seen_jti_expiry ON seen_jti (expires_at);
CREATE TABLE IF NOT EXISTS tokens (digest TEXT PRIMARY KEY, offer_id TEXT NOT NULL, expires_at ${integer} NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (digest TEXT PRIMARY KEY, expires_at ${integer} NOT NULL);
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, schema_id INTEGER NOT NULL, valid_from ${integer} NOT NULL,
  valid_until ${integer} NOT NULL, opened_at ${integer} NOT NULL, closed_at ${integer}, size INTEGER, root TEXT,
  tx TEXT, block ${integer}, anchored_at ${integer});
CREATE TABLE IF NOT EXISTS credentials (
  hash TEXT PRIMARY KEY, batch_id TEXT NOT NULL, idx INTEGER NOT NULL, offer_id TEXT NOT NULL,
  credential TEXT NOT NULL, format TEXT NOT NULL, transaction_id TEXT, issued_at ${integer} NOT NULL,
  notification TEXT, UNIQUE (batch_id, idx));
CREATE INDEX IF NOT EXISTS credentials_offer ON credentials (offer_id);
CREATE INDEX IF NOT EXISTS credentials_transaction ON credentials (transaction_id);
CREATE TABLE IF NOT EXISTS services (owner TEXT PRIMARY KEY, seen_at ${integer} NOT NULL);
`;
}

/**
 * Whether an offer's code may be redeemed now with `pinDigest`: a refusal, with the offer's PIN failures counted and
 * whether that withdraws it (`maxPinFailures` wrong PINs); undefined when it may.
 */
export function redeemCheck(
  offer: OfferRecord,
  pinDigest: string | undefined,
  now: number,
  maxPinFailures: number,
): { refusal: RedeemRefusal; pinFailures?: { count: number; withdrawn: boolean } } | undefined {
  const refuse = (reason: string) => ({ refusal: { error: "invalid_grant" as const, reason } });
  if (offer.state === "withdrawn") return refuse("the offer was withdrawn by its issuer");
  if (offer.state !== "open") return refuse("the offer was already used: an offer is redeemed once");
  if (offer.expiresAt <= now) return refuse(`the offer expired at ${new Date(offer.expiresAt * 1000).toISOString()}`);
  if (offer.pinDigest === undefined || pinDigest === offer.pinDigest) return undefined;
  const count = offer.pinFailures + 1;
  const withdrawn = count >= maxPinFailures;
  const reason =
    pinDigest === undefined
      ? "the offer needs its transaction code (tx_code), sent to the holder separately"
      : withdrawn
        ? `wrong transaction code (tx_code), ${count} times: the offer is withdrawn`
        : `wrong transaction code (tx_code); ${maxPinFailures - count} attempt(s) left`;
  return { ...refuse(reason), pinFailures: { count, withdrawn } };
}

/**
 * The refusal of a device's token request with another key than the one its offer was made for: the same device with
 * the same key is answered again (a response lost to a crash is not a lost credential); another key is not.
 */
export function otherKey(held: OfferRecord, keyThumbprint: string | undefined): RedeemRefusal | undefined {
  if (held.keyThumbprint === keyThumbprint) return undefined;
  return {
    error: "invalid_grant",
    reason:
      held.state === "issued"
        ? "this device has its credential already, bound to another key: one per device"
        : "this device was provisioned with another key",
  };
}
