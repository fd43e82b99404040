/**
 * The issuer service's store in an SQLite file (`node:sqlite`, write-ahead log): the default. Every change that must
 * not be half done (a redemption and its token, a journalled group of credentials, a closed batch) is one transaction.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { CCRError } from "../errors.ts";
import { transaction } from "../sqlite.ts";
import type {
  AttesterRecord,
  BatchRecord,
  IssuerStore,
  JournalledCredential,
  OfferRecord,
  OfferState,
  RedeemRefusal,
} from "./store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offers (
  id TEXT PRIMARY KEY, code_digest TEXT NOT NULL UNIQUE, pin_digest TEXT, schema_id INTEGER NOT NULL,
  subject TEXT NOT NULL, source TEXT NOT NULL, row INTEGER NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, state TEXT NOT NULL, pin_failures INTEGER NOT NULL DEFAULT 0, key_thumbprint TEXT);
CREATE TABLE IF NOT EXISTS attesters (
  kid TEXT PRIMARY KEY, jwk TEXT NOT NULL, schema_id INTEGER NOT NULL, manufacturer TEXT NOT NULL,
  registered_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE IF NOT EXISTS seen_jti (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS seen_jti_expiry ON seen_jti (expires_at);
CREATE TABLE IF NOT EXISTS tokens (digest TEXT PRIMARY KEY, offer_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (digest TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, schema_id INTEGER NOT NULL, valid_from INTEGER NOT NULL,
  valid_until INTEGER NOT NULL, opened_at INTEGER NOT NULL, closed_at INTEGER, size INTEGER, root TEXT,
  tx TEXT, block INTEGER, anchored_at INTEGER);
CREATE TABLE IF NOT EXISTS credentials (
  hash TEXT PRIMARY KEY, batch_id TEXT NOT NULL, idx INTEGER NOT NULL, offer_id TEXT NOT NULL,
  credential TEXT NOT NULL, format TEXT NOT NULL, transaction_id TEXT, issued_at INTEGER NOT NULL,
  notification TEXT, UNIQUE (batch_id, idx));
CREATE INDEX IF NOT EXISTS credentials_offer ON credentials (offer_id);
CREATE INDEX IF NOT EXISTS credentials_transaction ON credentials (transaction_id);
`;

type Row = Record<string, string | number | null>;

const optional = (value: string | number | null | undefined): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);

const offerOf = (r: Row): OfferRecord => ({
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

const attesterOf = (r: Row): AttesterRecord => ({
  kid: String(r.kid),
  jwk: JSON.parse(String(r.jwk)) as Record<string, unknown>,
  schemaId: Number(r.schema_id),
  manufacturer: String(r.manufacturer),
  registeredAt: Number(r.registered_at),
  revokedAt: optional(r.revoked_at),
});

const batchOf = (r: Row): BatchRecord => ({
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

const credentialOf = (r: Row): JournalledCredential => ({
  hash: String(r.hash),
  batchId: String(r.batch_id),
  index: Number(r.idx),
  offerId: String(r.offer_id),
  credential: String(r.credential),
  format: String(r.format),
  transactionId: r.transaction_id === null ? undefined : String(r.transaction_id),
  issuedAt: Number(r.issued_at),
});

/** Opens (or creates) the store at `file` (`:memory:` for a store that lives as long as the process). */
export function openSqliteStore(file: string): IssuerStore {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
    db.exec("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    db.exec(SCHEMA);
  } catch (cause) {
    throw new CCRError("ISSUER_STORE", `the issuer service's store ${file} cannot be opened: ${String(cause)}`, {
      cause,
    });
  }
  return new SqliteIssuerStore(file, db);
}

// node:sqlite is synchronous and the store's interface asynchronous (a PostgreSQL store awaits): each method is async
// without awaiting, so that whatever it throws reaches its caller as a rejection.
/* eslint-disable @typescript-eslint/require-await */
class SqliteIssuerStore implements IssuerStore {
  readonly location: string;
  readonly #db: DatabaseSync;

  constructor(location: string, db: DatabaseSync) {
    this.location = location;
    this.#db = db;
  }

  /** Statements by their SQL, compiled once: a request runs several, and compiling is most of their cost. */
  readonly #statements = new Map<string, StatementSync>();

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #all(sql: string, ...params: (string | number | null)[]): Row[] {
    return this.#statement(sql).all(...params) as Row[];
  }

  #get(sql: string, ...params: (string | number | null)[]): Row | undefined {
    return this.#statement(sql).get(...params) as Row | undefined;
  }

  #run(sql: string, ...params: (string | number | null)[]): number {
    return Number(this.#statement(sql).run(...params).changes);
  }

  async bind(identity: Record<string, string>): Promise<void> {
    return transaction(this.#db, () => {
      const held = new Map(this.#all("SELECT key, value FROM meta").map((r) => [String(r.key), String(r.value)]));
      for (const [key, value] of Object.entries(identity)) {
        const was = held.get(key);
        if (was === undefined) this.#run("INSERT INTO meta (key, value) VALUES (?, ?)", key, value);
        else if (was !== value) {
          throw new CCRError(
            "ISSUER_STORE",
            `the issuer service's store ${this.location} belongs to another ${key} (${was}, not ${value}): its ` +
              `offers and journal are of another chain, registry or issuer. Name another store (--store)`,
          );
        }
      }
    });
  }

  async addOffers(offers: readonly OfferRecord[]): Promise<void> {
    transaction(this.#db, () => {
      const insert = this.#statement(
        "INSERT INTO offers (id, code_digest, pin_digest, schema_id, subject, source, row, created_at, expires_at, " +
          "state, pin_failures, key_thumbprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const o of offers) {
        insert.run(
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
        );
      }
    });
  }

  async offers(): Promise<OfferRecord[]> {
    return this.#all("SELECT * FROM offers ORDER BY created_at, row").map(offerOf);
  }

  async withdrawOffer(id: string): Promise<OfferState | undefined> {
    return transaction(this.#db, () => {
      const row = this.#get("SELECT state FROM offers WHERE id = ?", id);
      if (row === undefined) return undefined;
      this.#run("UPDATE offers SET state = 'withdrawn' WHERE id = ? AND state = 'open'", id);
      return String(row.state) as OfferState;
    });
  }

  async redeem(
    codeDigest: string,
    pinDigest: string | undefined,
    now: number,
    maxPinFailures: number,
    token: { digest: string; expiresAt: number },
  ): Promise<OfferRecord | RedeemRefusal> {
    const refuse = (reason: string): RedeemRefusal => ({ error: "invalid_grant", reason });
    return transaction(this.#db, () => {
      const row = this.#get("SELECT * FROM offers WHERE code_digest = ?", codeDigest);
      if (row === undefined) return refuse("no offer has this pre-authorized code");
      const offer = offerOf(row);
      if (offer.state === "withdrawn") return refuse("the offer was withdrawn by its issuer");
      if (offer.state !== "open") return refuse("the offer was already used: an offer is redeemed once");
      if (offer.expiresAt <= now) {
        return refuse(`the offer expired at ${new Date(offer.expiresAt * 1000).toISOString()}`);
      }
      if (offer.pinDigest !== undefined && pinDigest !== offer.pinDigest) {
        const failures = offer.pinFailures + 1;
        const withdrawn = failures >= maxPinFailures;
        this.#run(
          "UPDATE offers SET pin_failures = ?, state = ? WHERE id = ?",
          failures,
          withdrawn ? "withdrawn" : "open",
          offer.id,
        );
        return refuse(
          pinDigest === undefined
            ? "the offer needs its transaction code (tx_code), sent to the holder separately"
            : withdrawn
              ? `wrong transaction code (tx_code), ${failures} times: the offer is withdrawn`
              : `wrong transaction code (tx_code); ${maxPinFailures - failures} attempt(s) left`,
        );
      }
      this.#run("UPDATE offers SET state = 'redeemed' WHERE id = ?", offer.id);
      this.#run(
        "INSERT INTO tokens (digest, offer_id, expires_at) VALUES (?, ?, ?)",
        token.digest,
        offer.id,
        token.expiresAt,
      );
      return { ...offer, state: "redeemed" as const };
    });
  }

  async tokenOffer(tokenDigest: string, now: number): Promise<OfferRecord | undefined> {
    const row = this.#get(
      "SELECT offers.* FROM tokens JOIN offers ON offers.id = tokens.offer_id WHERE tokens.digest = ? AND tokens.expires_at > ?",
      tokenDigest,
      now,
    );
    return row === undefined ? undefined : offerOf(row);
  }

  async addNonce(digest: string, expiresAt: number): Promise<void> {
    this.#run("INSERT INTO nonces (digest, expires_at) VALUES (?, ?)", digest, expiresAt);
  }

  async takeNonce(digest: string, now: number): Promise<boolean> {
    const row = this.#get("DELETE FROM nonces WHERE digest = ? RETURNING expires_at", digest);
    // Expired nonces go with the next one taken: the table holds the unexpired ones and a few more.
    this.#run("DELETE FROM nonces WHERE expires_at <= ?", now);
    return row !== undefined && Number(row.expires_at) > now;
  }

  async addAttester(a: AttesterRecord): Promise<void> {
    this.#run(
      "INSERT INTO attesters (kid, jwk, schema_id, manufacturer, registered_at) VALUES (?, ?, ?, ?, ?)",
      a.kid,
      JSON.stringify(a.jwk),
      a.schemaId,
      a.manufacturer,
      a.registeredAt,
    );
  }

  async revokeAttester(kid: string, at: number): Promise<boolean> {
    return this.#run("UPDATE attesters SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL", at, kid) > 0;
  }

  async attester(kid: string): Promise<AttesterRecord | undefined> {
    const row = this.#get("SELECT * FROM attesters WHERE kid = ?", kid);
    return row === undefined ? undefined : attesterOf(row);
  }

  async attesters(): Promise<AttesterRecord[]> {
    return this.#all("SELECT * FROM attesters ORDER BY registered_at, kid").map(attesterOf);
  }

  async useJti(jti: string, expiresAt: number): Promise<boolean> {
    return transaction(this.#db, () => {
      this.#run("DELETE FROM seen_jti WHERE expires_at <= ?", Math.floor(Date.now() / 1000));
      return this.#run("INSERT OR IGNORE INTO seen_jti (jti, expires_at) VALUES (?, ?)", jti, expiresAt) > 0;
    });
  }

  async provision(
    offer: OfferRecord,
    token: { digest: string; expiresAt: number },
  ): Promise<OfferRecord | RedeemRefusal> {
    return transaction(this.#db, () => {
      const row = this.#get("SELECT * FROM offers WHERE id = ?", offer.id);
      const held = row === undefined ? undefined : offerOf(row);
      // The same device with the same key is answered again (a response lost to a crash is not a lost credential);
      // another key for the same device is not.
      if (held !== undefined && held.keyThumbprint !== offer.keyThumbprint) {
        const reason =
          held.state === "issued"
            ? "this device has its credential already, bound to another key: one per device"
            : "this device was provisioned with another key";
        return { error: "invalid_grant" as const, reason };
      }
      if (held === undefined) {
        this.#run(
          "INSERT INTO offers (id, code_digest, schema_id, subject, source, row, created_at, expires_at, state, " +
            "pin_failures, key_thumbprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'redeemed', 0, ?)",
          offer.id,
          offer.codeDigest,
          offer.schemaId,
          JSON.stringify(offer.subject),
          offer.source,
          offer.row,
          offer.createdAt,
          offer.expiresAt,
          offer.keyThumbprint ?? null,
        );
      }
      this.#run(
        "INSERT INTO tokens (digest, offer_id, expires_at) VALUES (?, ?, ?)",
        token.digest,
        offer.id,
        token.expiresAt,
      );
      return held ?? { ...offer, state: "redeemed" as const };
    });
  }

  async credentialsOf(offerId: string): Promise<JournalledCredential[]> {
    return this.#all("SELECT * FROM credentials WHERE offer_id = ? ORDER BY batch_id, idx", offerId).map(credentialOf);
  }

  async issuedFor(offerId: string): Promise<number> {
    return Number(this.#get("SELECT COUNT(*) AS n FROM credentials WHERE offer_id = ?", offerId)?.n ?? 0);
  }

  async openBatch(b: BatchRecord): Promise<void> {
    this.#run(
      "INSERT INTO batches (id, owner, schema_id, valid_from, valid_until, opened_at) VALUES (?, ?, ?, ?, ?, ?)",
      b.id,
      b.owner,
      b.schemaId,
      b.validFrom,
      b.validUntil,
      b.openedAt,
    );
  }

  async journal(credentials: readonly JournalledCredential[], offerId?: string): Promise<boolean> {
    return transaction(this.#db, () => {
      if (offerId !== undefined) {
        const claimed = this.#run("UPDATE offers SET state = 'issued' WHERE id = ? AND state = 'redeemed'", offerId);
        if (claimed === 0) return false;
      }
      const insert = this.#statement(
        "INSERT INTO credentials (hash, batch_id, idx, offer_id, credential, format, transaction_id, issued_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const c of credentials) {
        const open = this.#get("SELECT closed_at FROM batches WHERE id = ?", c.batchId);
        if (open === undefined || open.closed_at !== null) {
          throw new CCRError("ISSUER_STORE", `batch ${c.batchId} is closed: credential ${c.hash} cannot join it`);
        }
        insert.run(c.hash, c.batchId, c.index, c.offerId, c.credential, c.format, c.transactionId ?? null, c.issuedAt);
      }
      return true;
    });
  }

  async closeBatch(id: string, now: number): Promise<BatchRecord> {
    return transaction(this.#db, () => {
      const size = Number(this.#get("SELECT COUNT(*) AS n FROM credentials WHERE batch_id = ?", id)?.n ?? 0);
      this.#run("UPDATE batches SET closed_at = ?, size = ? WHERE id = ? AND closed_at IS NULL", now, size, id);
      const row = this.#get("SELECT * FROM batches WHERE id = ?", id);
      if (row === undefined) throw new CCRError("ISSUER_STORE", `there is no batch ${id}`);
      return batchOf(row);
    });
  }

  async openBatchesNotOf(owner: string): Promise<BatchRecord[]> {
    return this.#all("SELECT * FROM batches WHERE closed_at IS NULL AND owner <> ? ORDER BY opened_at", owner).map(
      batchOf,
    );
  }

  async unanchored(): Promise<BatchRecord[]> {
    return this.#all(
      "SELECT * FROM batches WHERE closed_at IS NOT NULL AND anchored_at IS NULL ORDER BY closed_at",
    ).map(batchOf);
  }

  async batch(id: string): Promise<BatchRecord | undefined> {
    const row = this.#get("SELECT * FROM batches WHERE id = ?", id);
    return row === undefined ? undefined : batchOf(row);
  }

  async memberHashes(id: string): Promise<string[]> {
    return this.#all("SELECT hash FROM credentials WHERE batch_id = ? ORDER BY idx", id).map((r) => String(r.hash));
  }

  async markAnchored(
    id: string,
    a: { root: string; transaction: string; blockNumber: number; at: number },
  ): Promise<void> {
    this.#run(
      "UPDATE batches SET root = ?, tx = ?, block = ?, anchored_at = ? WHERE id = ?",
      a.root,
      a.transaction,
      a.blockNumber,
      a.at,
      id,
    );
  }

  async deferred(
    transactionId: string,
  ): Promise<{ credentials: JournalledCredential[]; batch: BatchRecord } | undefined> {
    const rows = this.#all("SELECT * FROM credentials WHERE transaction_id = ? ORDER BY idx", transactionId);
    const first = rows[0];
    if (first === undefined) return undefined;
    const batch = this.#get("SELECT * FROM batches WHERE id = ?", String(first.batch_id));
    return batch === undefined ? undefined : { credentials: rows.map(credentialOf), batch: batchOf(batch) };
  }

  async notify(offerId: string, event: string, at: number): Promise<boolean> {
    const changed = this.#run("UPDATE credentials SET notification = ? WHERE offer_id = ?", `${event}@${at}`, offerId);
    return changed > 0;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
/* eslint-enable @typescript-eslint/require-await */
