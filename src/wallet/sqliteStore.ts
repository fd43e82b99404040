/**
 * The issuer service's store in an SQLite file (`node:sqlite`, write-ahead log): the default. Every change that must
 * not be half done (a redemption and its token, a journalled group of credentials, a closed batch) is one transaction.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { CCRError } from "../errors.ts";
import { GroupCommit, openStoreFile } from "../sqlite.ts";
import {
  BatchClosedError,
  type AttesterRecord,
  type BatchRecord,
  type IssuerStore,
  type JournalledCredential,
  type OfferRecord,
  type OfferState,
  type RedeemRefusal,
} from "./store.ts";
import {
  CREDENTIAL_COLUMNS,
  OFFER_COLUMNS,
  attesterOf,
  batchOf,
  credentialOf,
  credentialValues,
  issuerTablesSql,
  offerOf,
  offerValues,
  otherKey,
  redeemCheck,
  type Row,
} from "./storeRows.ts";

const SCHEMA = issuerTablesSql("INTEGER");

/** Opens (or creates) the store at `file` (`:memory:` for a store that lives as long as the process). */
export function openSqliteStore(file: string): IssuerStore {
  return new SqliteIssuerStore(file, openStoreFile(file, SCHEMA, "ISSUER_STORE", "the issuer service's store"));
}

// node:sqlite is synchronous and the store's interface asynchronous (a PostgreSQL store awaits): each method is async
// without awaiting, so that whatever it throws reaches its caller as a rejection.
/* eslint-disable @typescript-eslint/require-await */
class SqliteIssuerStore implements IssuerStore {
  readonly location: string;
  readonly #db: DatabaseSync;
  /**
   * Every change goes through it: each all-or-nothing, those of concurrent requests committed together; those of the
   * batch lanes (which hold the next credential until the last is journalled) at once, with whatever waits.
   */
  readonly #writes: GroupCommit;

  constructor(location: string, db: DatabaseSync) {
    this.location = location;
    this.#db = db;
    this.#writes = new GroupCommit(db);
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
    return this.#writes.write(() => {
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
    return this.#writes.write(() => {
      const insert = this.#statement(
        `INSERT INTO offers (${OFFER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const o of offers) insert.run(...offerValues(o));
    });
  }

  async offers(): Promise<OfferRecord[]> {
    return this.#all("SELECT * FROM offers ORDER BY created_at, row").map(offerOf);
  }

  async withdrawOffer(id: string): Promise<OfferState | undefined> {
    return this.#writes.write(() => {
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
    return this.#writes.write(() => {
      const row = this.#get("SELECT * FROM offers WHERE code_digest = ?", codeDigest);
      if (row === undefined)
        return { error: "invalid_grant" as const, reason: "no offer has this pre-authorized code" };
      const offer = offerOf(row);
      const refused = redeemCheck(offer, pinDigest, now, maxPinFailures);
      if (refused !== undefined) {
        const failures = refused.pinFailures;
        if (failures !== undefined) {
          const state = failures.withdrawn ? "withdrawn" : "open";
          this.#run("UPDATE offers SET pin_failures = ?, state = ? WHERE id = ?", failures.count, state, offer.id);
        }
        return refused.refusal;
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
    await this.#writes.write(() =>
      this.#run("INSERT INTO nonces (digest, expires_at) VALUES (?, ?)", digest, expiresAt),
    );
  }

  async takeNonce(digest: string, now: number): Promise<boolean> {
    return this.#writes.write(() => {
      const row = this.#get("DELETE FROM nonces WHERE digest = ? RETURNING expires_at", digest);
      // Expired nonces go with the next one taken: the table holds the unexpired ones and a few more.
      this.#run("DELETE FROM nonces WHERE expires_at <= ?", now);
      return row !== undefined && Number(row.expires_at) > now;
    });
  }

  async addAttester(a: AttesterRecord): Promise<void> {
    await this.#writes.write(() =>
      this.#run(
        "INSERT INTO attesters (kid, jwk, schema_id, manufacturer, registered_at) VALUES (?, ?, ?, ?, ?)",
        a.kid,
        JSON.stringify(a.jwk),
        a.schemaId,
        a.manufacturer,
        a.registeredAt,
      ),
    );
  }

  async revokeAttester(kid: string, at: number): Promise<boolean> {
    return this.#writes.write(
      () => this.#run("UPDATE attesters SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL", at, kid) > 0,
    );
  }

  async attester(kid: string): Promise<AttesterRecord | undefined> {
    const row = this.#get("SELECT * FROM attesters WHERE kid = ?", kid);
    return row === undefined ? undefined : attesterOf(row);
  }

  async attesters(): Promise<AttesterRecord[]> {
    return this.#all("SELECT * FROM attesters ORDER BY registered_at, kid").map(attesterOf);
  }

  async useJti(jti: string, expiresAt: number): Promise<boolean> {
    return this.#writes.write(() => {
      this.#run("DELETE FROM seen_jti WHERE expires_at <= ?", Math.floor(Date.now() / 1000));
      return this.#run("INSERT OR IGNORE INTO seen_jti (jti, expires_at) VALUES (?, ?)", jti, expiresAt) > 0;
    });
  }

  async provision(
    offer: OfferRecord,
    token: { digest: string; expiresAt: number },
  ): Promise<OfferRecord | RedeemRefusal> {
    return this.#writes.write(() => {
      const row = this.#get("SELECT * FROM offers WHERE id = ?", offer.id);
      const held = row === undefined ? undefined : offerOf(row);
      const refused = held === undefined ? undefined : otherKey(held, offer.keyThumbprint);
      if (refused !== undefined) return refused;
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
    await this.#writes.write(
      () =>
        this.#run(
          "INSERT INTO batches (id, owner, schema_id, valid_from, valid_until, opened_at) VALUES (?, ?, ?, ?, ?, ?)",
          b.id,
          b.owner,
          b.schemaId,
          b.validFrom,
          b.validUntil,
          b.openedAt,
        ),
      true,
    );
  }

  async journal(credentials: readonly JournalledCredential[], offerId?: string): Promise<boolean> {
    return this.#writes.write(() => {
      if (offerId !== undefined) {
        const claimed = this.#run("UPDATE offers SET state = 'issued' WHERE id = ? AND state = 'redeemed'", offerId);
        if (claimed === 0) return false;
      }
      const insert = this.#statement(`INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const c of credentials) {
        const open = this.#get("SELECT closed_at FROM batches WHERE id = ?", c.batchId);
        if (open === undefined || open.closed_at !== null) {
          throw new BatchClosedError(c.batchId, c.hash);
        }
        insert.run(...credentialValues(c));
      }
      return true;
    }, true);
  }

  async closeBatch(id: string, now: number): Promise<BatchRecord> {
    return this.#writes.write(() => {
      const size = Number(this.#get("SELECT COUNT(*) AS n FROM credentials WHERE batch_id = ?", id)?.n ?? 0);
      this.#run("UPDATE batches SET closed_at = ?, size = ? WHERE id = ? AND closed_at IS NULL", now, size, id);
      const row = this.#get("SELECT * FROM batches WHERE id = ?", id);
      if (row === undefined) throw new CCRError("ISSUER_STORE", `there is no batch ${id}`);
      return batchOf(row);
    }, true);
  }

  async openBatches(): Promise<BatchRecord[]> {
    return this.#all("SELECT * FROM batches WHERE closed_at IS NULL ORDER BY opened_at").map(batchOf);
  }

  async heartbeat(owner: string, now: number): Promise<void> {
    await this.#writes.write(() =>
      this.#run(
        "INSERT INTO services (owner, seen_at) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET seen_at = excluded.seen_at",
        owner,
        now,
      ),
    );
  }

  async lastSeen(): Promise<Map<string, number>> {
    return new Map(this.#all("SELECT owner, seen_at FROM services").map((r) => [String(r.owner), Number(r.seen_at)]));
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
    await this.#writes.write(() =>
      this.#run(
        "UPDATE batches SET root = ?, tx = ?, block = ?, anchored_at = ? WHERE id = ?",
        a.root,
        a.transaction,
        a.blockNumber,
        a.at,
        id,
      ),
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
    const changed = await this.#writes.write(() =>
      this.#run("UPDATE credentials SET notification = ? WHERE offer_id = ?", `${event}@${at}`, offerId),
    );
    return changed > 0;
  }

  async close(): Promise<void> {
    await this.#writes.settled();
    this.#db.close();
  }
}
/* eslint-enable @typescript-eslint/require-await */
