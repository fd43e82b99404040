/**
 * The issuer service's store in PostgreSQL (`--store postgres://…`): several service processes share one, each with
 * its own batches (`owner`), all with the same offers, tokens, nonces, attesters and journal. Its tables are SQLite's,
 * in the schema `ccr_issuer` (so an audit index may live in the same database). What must not happen twice (a code
 * redeemed, an offer issued, a nonce or proof taken) is one statement or one transaction holding the row's lock; a
 * credential joining a batch and the batch closing lock the batch's row, so a closed batch's size is every member.
 */
import pg from "pg";
import { CCRError } from "../errors.ts";
import { postgresProblem, printableLocation } from "../audit/store.ts";
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

const SCHEMA = `CREATE SCHEMA IF NOT EXISTS ccr_issuer;
SET LOCAL search_path = ccr_issuer;
${issuerTablesSql("BIGINT")}`;

/** Every process creating the tables at once takes this lock first (CREATE … IF NOT EXISTS is not safe in parallel). */
const SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('ccr-issuer-store'))";

type Query = (sql: string, params?: unknown[]) => Promise<{ rows: Row[]; rowCount: number }>;

/** Opens the store at `url` (a PostgreSQL connection URL; the password from PGPASSWORD or ~/.pgpass), creating it. */
export async function openPostgresStore(url: string): Promise<IssuerStore> {
  const location = printableLocation(url);
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    max: 10,
    options: "-c search_path=ccr_issuer",
  });
  // A connection the server ends is an error of the request using it, not a crash of the service.
  pool.on("error", () => undefined);
  const store = new PostgresIssuerStore(location, pool);
  try {
    await store.transaction(async (query) => {
      await query(SCHEMA_LOCK);
      await query(SCHEMA);
    });
  } catch (cause) {
    await pool.end().catch(() => undefined);
    const opened = (reason: string) => `the issuer service's store ${location} cannot be opened: ${reason}`;
    throw postgresProblem("ISSUER_STORE", location, cause, opened);
  }
  return store;
}

class PostgresIssuerStore implements IssuerStore {
  readonly location: string;
  readonly #pool: pg.Pool;

  constructor(location: string, pool: pg.Pool) {
    this.location = location;
    this.#pool = pool;
  }

  #query: Query = async (sql, params) => {
    const result = await this.#pool.query(sql, params);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };

  /** Runs `work` in one transaction on one connection: all of it or none. */
  async transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const query: Query = async (sql, params) => {
      const result = await client.query(sql, params);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    };
    try {
      await client.query("BEGIN");
      const result = await work(query);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async bind(identity: Record<string, string>): Promise<void> {
    await this.transaction(async (query) => {
      await query(SCHEMA_LOCK);
      const held = new Map(
        (await query("SELECT key, value FROM meta")).rows.map((r) => [String(r.key), String(r.value)]),
      );
      for (const [key, value] of Object.entries(identity)) {
        const was = held.get(key);
        if (was === undefined) await query("INSERT INTO meta (key, value) VALUES ($1, $2)", [key, value]);
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
    await this.transaction(async (query) => {
      for (const o of offers) {
        const placeholders = offerValues(o).map((_, k) => `$${k + 1}`);
        await query(`INSERT INTO offers (${OFFER_COLUMNS}) VALUES (${placeholders.join(", ")})`, offerValues(o));
      }
    });
  }

  async offers(): Promise<OfferRecord[]> {
    return (await this.#query("SELECT * FROM offers ORDER BY created_at, row")).rows.map(offerOf);
  }

  async withdrawOffer(id: string): Promise<OfferState | undefined> {
    return this.transaction(async (query) => {
      const [row] = (await query("SELECT state FROM offers WHERE id = $1 FOR UPDATE", [id])).rows;
      if (row === undefined) return undefined;
      await query("UPDATE offers SET state = 'withdrawn' WHERE id = $1 AND state = 'open'", [id]);
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
    return this.transaction(async (query) => {
      const [row] = (await query("SELECT * FROM offers WHERE code_digest = $1 FOR UPDATE", [codeDigest])).rows;
      if (row === undefined)
        return { error: "invalid_grant" as const, reason: "no offer has this pre-authorized code" };
      const offer = offerOf(row);
      const refused = redeemCheck(offer, pinDigest, now, maxPinFailures);
      if (refused !== undefined) {
        const failures = refused.pinFailures;
        if (failures !== undefined) {
          const state = failures.withdrawn ? "withdrawn" : "open";
          await query("UPDATE offers SET pin_failures = $1, state = $2 WHERE id = $3", [
            failures.count,
            state,
            offer.id,
          ]);
        }
        return refused.refusal;
      }
      await query("UPDATE offers SET state = 'redeemed' WHERE id = $1", [offer.id]);
      await query("INSERT INTO tokens (digest, offer_id, expires_at) VALUES ($1, $2, $3)", [
        token.digest,
        offer.id,
        token.expiresAt,
      ]);
      return { ...offer, state: "redeemed" as const };
    });
  }

  async tokenOffer(tokenDigest: string, now: number): Promise<OfferRecord | undefined> {
    const [row] = (
      await this.#query(
        "SELECT offers.* FROM tokens JOIN offers ON offers.id = tokens.offer_id " +
          "WHERE tokens.digest = $1 AND tokens.expires_at > $2",
        [tokenDigest, now],
      )
    ).rows;
    return row === undefined ? undefined : offerOf(row);
  }

  async addNonce(digest: string, expiresAt: number): Promise<void> {
    await this.#query("INSERT INTO nonces (digest, expires_at) VALUES ($1, $2)", [digest, expiresAt]);
  }

  async takeNonce(digest: string, now: number): Promise<boolean> {
    const [row] = (await this.#query("DELETE FROM nonces WHERE digest = $1 RETURNING expires_at", [digest])).rows;
    // Expired nonces go with the next one taken: the table holds the unexpired ones and a few more.
    await this.#query("DELETE FROM nonces WHERE expires_at <= $1", [now]);
    return row !== undefined && Number(row.expires_at) > now;
  }

  async addAttester(a: AttesterRecord): Promise<void> {
    await this.#query(
      "INSERT INTO attesters (kid, jwk, schema_id, manufacturer, registered_at) VALUES ($1, $2, $3, $4, $5)",
      [a.kid, JSON.stringify(a.jwk), a.schemaId, a.manufacturer, a.registeredAt],
    );
  }

  async revokeAttester(kid: string, at: number): Promise<boolean> {
    const { rowCount } = await this.#query(
      "UPDATE attesters SET revoked_at = $1 WHERE kid = $2 AND revoked_at IS NULL",
      [at, kid],
    );
    return rowCount > 0;
  }

  async attester(kid: string): Promise<AttesterRecord | undefined> {
    const [row] = (await this.#query("SELECT * FROM attesters WHERE kid = $1", [kid])).rows;
    return row === undefined ? undefined : attesterOf(row);
  }

  async attesters(): Promise<AttesterRecord[]> {
    return (await this.#query("SELECT * FROM attesters ORDER BY registered_at, kid")).rows.map(attesterOf);
  }

  async useJti(jti: string, expiresAt: number): Promise<boolean> {
    await this.#query("DELETE FROM seen_jti WHERE expires_at <= $1", [Math.floor(Date.now() / 1000)]);
    const { rowCount } = await this.#query(
      "INSERT INTO seen_jti (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
      [jti, expiresAt],
    );
    return rowCount > 0;
  }

  async provision(
    offer: OfferRecord,
    token: { digest: string; expiresAt: number },
  ): Promise<OfferRecord | RedeemRefusal> {
    return this.transaction(async (query) => {
      const addToken = () =>
        query("INSERT INTO tokens (digest, offer_id, expires_at) VALUES ($1, $2, $3)", [
          token.digest,
          offer.id,
          token.expiresAt,
        ]);
      // The first request of a device makes its offer; a second one at once (from another process) finds it.
      const made = await query(
        "INSERT INTO offers (id, code_digest, schema_id, subject, source, row, created_at, expires_at, state, " +
          "pin_failures, key_thumbprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'redeemed', 0, $9) " +
          "ON CONFLICT DO NOTHING",
        [
          offer.id,
          offer.codeDigest,
          offer.schemaId,
          JSON.stringify(offer.subject),
          offer.source,
          offer.row,
          offer.createdAt,
          offer.expiresAt,
          offer.keyThumbprint ?? null,
        ],
      );
      if (made.rowCount === 1) {
        await addToken();
        return { ...offer, state: "redeemed" as const };
      }
      const [row] = (await query("SELECT * FROM offers WHERE id = $1 FOR UPDATE", [offer.id])).rows;
      if (row === undefined) throw new CCRError("ISSUER_STORE", `device offer ${offer.id} vanished while it was read`);
      const held = offerOf(row);
      const refused = otherKey(held, offer.keyThumbprint);
      if (refused !== undefined) return refused;
      await addToken();
      return held;
    });
  }

  async credentialsOf(offerId: string): Promise<JournalledCredential[]> {
    const { rows } = await this.#query("SELECT * FROM credentials WHERE offer_id = $1 ORDER BY batch_id, idx", [
      offerId,
    ]);
    return rows.map(credentialOf);
  }

  async issuedFor(offerId: string): Promise<number> {
    const [row] = (await this.#query("SELECT COUNT(*) AS n FROM credentials WHERE offer_id = $1", [offerId])).rows;
    return Number(row?.n ?? 0);
  }

  async openBatch(b: BatchRecord): Promise<void> {
    await this.#query(
      "INSERT INTO batches (id, owner, schema_id, valid_from, valid_until, opened_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [b.id, b.owner, b.schemaId, b.validFrom, b.validUntil, b.openedAt],
    );
  }

  async journal(credentials: readonly JournalledCredential[], offerId?: string): Promise<boolean> {
    return this.transaction(async (query) => {
      if (offerId !== undefined) {
        const claimed = await query("UPDATE offers SET state = 'issued' WHERE id = $1 AND state = 'redeemed'", [
          offerId,
        ]);
        if (claimed.rowCount === 0) return false;
      }
      for (const c of credentials) {
        // Shares the batch's row lock with other members; a closing waits for this transaction.
        const [open] = (await query("SELECT closed_at FROM batches WHERE id = $1 FOR SHARE", [c.batchId])).rows;
        if (open === undefined || open.closed_at !== null) {
          throw new BatchClosedError(c.batchId, c.hash);
        }
        await query(
          `INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          credentialValues(c),
        );
      }
      return true;
    });
  }

  async closeBatch(id: string, now: number): Promise<BatchRecord> {
    return this.transaction(async (query) => {
      // The row's lock first (it waits for members being journalled), then the count: every member is counted.
      const closing = await query("UPDATE batches SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL", [now, id]);
      if (closing.rowCount === 1) {
        const [count] = (await query("SELECT COUNT(*) AS n FROM credentials WHERE batch_id = $1", [id])).rows;
        await query("UPDATE batches SET size = $1 WHERE id = $2", [Number(count?.n ?? 0), id]);
      }
      const [row] = (await query("SELECT * FROM batches WHERE id = $1", [id])).rows;
      if (row === undefined) throw new CCRError("ISSUER_STORE", `there is no batch ${id}`);
      return batchOf(row);
    });
  }

  async openBatches(): Promise<BatchRecord[]> {
    return (await this.#query("SELECT * FROM batches WHERE closed_at IS NULL ORDER BY opened_at")).rows.map(batchOf);
  }

  async unanchored(): Promise<BatchRecord[]> {
    const { rows } = await this.#query(
      "SELECT * FROM batches WHERE closed_at IS NOT NULL AND anchored_at IS NULL ORDER BY closed_at",
    );
    return rows.map(batchOf);
  }

  async heartbeat(owner: string, now: number): Promise<void> {
    await this.#query(
      "INSERT INTO services (owner, seen_at) VALUES ($1, $2) ON CONFLICT (owner) DO UPDATE SET seen_at = excluded.seen_at",
      [owner, now],
    );
  }

  async lastSeen(): Promise<Map<string, number>> {
    const { rows } = await this.#query("SELECT owner, seen_at FROM services");
    return new Map(rows.map((r) => [String(r.owner), Number(r.seen_at)]));
  }

  async batch(id: string): Promise<BatchRecord | undefined> {
    const [row] = (await this.#query("SELECT * FROM batches WHERE id = $1", [id])).rows;
    return row === undefined ? undefined : batchOf(row);
  }

  async memberHashes(id: string): Promise<string[]> {
    const { rows } = await this.#query("SELECT hash FROM credentials WHERE batch_id = $1 ORDER BY idx", [id]);
    return rows.map((r) => String(r.hash));
  }

  async markAnchored(
    id: string,
    a: { root: string; transaction: string; blockNumber: number; at: number },
  ): Promise<void> {
    await this.#query("UPDATE batches SET root = $1, tx = $2, block = $3, anchored_at = $4 WHERE id = $5", [
      a.root,
      a.transaction,
      a.blockNumber,
      a.at,
      id,
    ]);
  }

  async deferred(
    transactionId: string,
  ): Promise<{ credentials: JournalledCredential[]; batch: BatchRecord } | undefined> {
    const { rows } = await this.#query("SELECT * FROM credentials WHERE transaction_id = $1 ORDER BY idx", [
      transactionId,
    ]);
    const first = rows[0];
    if (first === undefined) return undefined;
    const batch = await this.batch(String(first.batch_id));
    return batch === undefined ? undefined : { credentials: rows.map(credentialOf), batch };
  }

  async notify(offerId: string, event: string, at: number): Promise<boolean> {
    const { rowCount } = await this.#query("UPDATE credentials SET notification = $1 WHERE offer_id = $2", [
      `${event}@${at}`,
      offerId,
    ]);
    return rowCount > 0;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
