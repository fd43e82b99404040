/**
 * The audit index in PostgreSQL (`--db postgres://…`): one index shared by several auditors and `ccr serve`. The
 * tables are SQLite's. Every write takes a transaction-scoped advisory lock and stores a range only if the checkpoint
 * is still where its sync started, so syncs running at once never double or skip anything; a killed sync's
 * transaction is rolled back by the server. Rows go in as arrays (`unnest`), one statement per table and range.
 */
import pg from "pg";
import {
  EVENTS_PER_PAGE,
  eventOfRow,
  tablesSql,
  postgresProblem,
  printableLocation,
  unusableIndex,
  type Checkpoint,
  type EventFilter,
  type EventRow,
  type IndexRange,
  type IndexStore,
  type StoredEvent,
} from "./store.ts";

const SCHEMA = tablesSql("BIGINT");

/** The advisory lock every writer of a CCR index in this database takes for its transaction. */
const WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('ccr-audit-index'))";

/** Connects to the database at `url`, creates the tables if they are missing and returns the index's identity rows. */
export async function openPostgres(
  url: string,
  identity: Record<string, string>,
): Promise<{ store: IndexStore; meta: Map<string, string> }> {
  const location = printableLocation(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A connection the server ends (a restart, an administrator) is an error of the command running, not a crash.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => undefined);
    throw postgresProblem(
      "INDEX_FILE",
      location,
      cause,
      (reason) =>
        `cannot reach the PostgreSQL index at ${location}: ${reason}. Check the URL, that the server runs, and ` +
        "the password (PGPASSWORD or ~/.pgpass)",
    );
  }
  const store = new PostgresStore(location, client);
  try {
    const meta = await store.transaction(async () => {
      await client.query(SCHEMA);
      const { rows } = await client.query<{ key: string; value: string }>("SELECT key, value FROM meta");
      if (rows.length === 0) {
        const entries = Object.entries(identity);
        await client.query("INSERT INTO meta (key, value) SELECT * FROM unnest($1::text[], $2::text[])", [
          entries.map(([key]) => key),
          entries.map(([, value]) => value),
        ]);
        return new Map(entries);
      }
      return new Map(rows.map((r) => [r.key, r.value]));
    });
    return { store, meta };
  } catch (cause) {
    await store.close();
    throw unusableIndex(location, cause, "drop its tables");
  }
}

class PostgresStore implements IndexStore {
  readonly removeHint = "drop its tables (meta, blocks, events, event_keys, checkpoint)";
  #closed = false;

  readonly location: string;
  private readonly client: pg.Client;

  constructor(location: string, client: pg.Client) {
    this.location = location;
    this.client = client;
  }

  /** Runs `work` in one transaction holding the index's write lock: all of it lands, or none. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.client.query("BEGIN");
    try {
      await this.client.query(WRITE_LOCK);
      const result = await work();
      await this.client.query("COMMIT");
      return result;
    } catch (error) {
      await this.client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  async checkpoint(): Promise<Checkpoint | undefined> {
    const { rows } = await this.client.query<{ block: string; hash: string }>(
      "SELECT block, hash FROM checkpoint WHERE id = 1",
    );
    const row = rows[0];
    return row === undefined ? undefined : { block: Number(row.block), hash: row.hash };
  }

  store(
    range: IndexRange,
    from: Checkpoint | undefined,
  ): Promise<{ stored: true } | { stored: false; now: Checkpoint | undefined }> {
    const { client } = this;
    return this.transaction(async () => {
      const now = await this.checkpoint();
      if (now?.block !== from?.block || now?.hash !== from?.hash) return { stored: false as const, now };
      const blocks = [...range.blocks];
      await client.query(
        "INSERT INTO blocks (number, hash, timestamp) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) " +
          "ON CONFLICT (number) DO UPDATE SET hash = EXCLUDED.hash, timestamp = EXCLUDED.timestamp",
        [blocks.map(([n]) => n), blocks.map(([, b]) => b.hash), blocks.map(([, b]) => b.timestamp)],
      );
      const { events } = range;
      if (events.length > 0) {
        await client.query(
          "INSERT INTO events (block, log_index, tx_hash, name, args) " +
            "SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[]) " +
            "ON CONFLICT (block, log_index) DO UPDATE SET tx_hash = EXCLUDED.tx_hash, name = EXCLUDED.name, " +
            "args = EXCLUDED.args",
          [
            events.map((e) => e.block),
            events.map((e) => e.logIndex),
            events.map((e) => e.txHash),
            events.map((e) => e.name),
            events.map((e) => e.args),
          ],
        );
        const keys = events.flatMap((e) => e.keys.map((key) => [e.block, e.logIndex, key] as const));
        await client.query(
          "INSERT INTO event_keys (block, log_index, key) SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[]) " +
            "ON CONFLICT DO NOTHING",
          [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
        );
      }
      await client.query(
        "INSERT INTO checkpoint (id, block, hash) VALUES (1, $1, $2) " +
          "ON CONFLICT (id) DO UPDATE SET block = EXCLUDED.block, hash = EXCLUDED.hash",
        [range.checkpoint.block, range.checkpoint.hash],
      );
      return { stored: true as const };
    });
  }

  async blocks(below: number, limit: number): Promise<{ number: number; hash: string }[]> {
    const { rows } = await this.client.query<{ number: string; hash: string }>(
      "SELECT number, hash FROM blocks WHERE number <= $1 ORDER BY number DESC LIMIT $2",
      [below, limit],
    );
    return rows.map((r) => ({ number: Number(r.number), hash: r.hash }));
  }

  rollBack(keep: number): Promise<void> {
    const { client } = this;
    return this.transaction(async () => {
      await client.query("DELETE FROM event_keys WHERE block > $1", [keep]);
      await client.query("DELETE FROM events WHERE block > $1", [keep]);
      await client.query("DELETE FROM blocks WHERE number > $1", [keep]);
      if (keep < 0) await client.query("DELETE FROM checkpoint");
      else
        await client.query("UPDATE checkpoint SET block = $1, hash = (SELECT hash FROM blocks WHERE number = $1)", [
          keep,
        ]);
    });
  }

  async *events(filter: EventFilter = {}): AsyncGenerator<StoredEvent> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.names !== undefined) {
      params.push(filter.names);
      where.push(`e.name = ANY($${params.length + 2}::text[])`);
    }
    if (filter.keys !== undefined) {
      params.push(filter.keys);
      where.push(
        `(e.block, e.log_index) IN (SELECT block, log_index FROM event_keys WHERE key = ANY($${params.length + 2}::text[]))`,
      );
    }
    const text =
      `SELECT e.block, e.log_index, e.tx_hash, e.name, e.args, b.timestamp FROM events e ` +
      `JOIN blocks b ON b.number = e.block WHERE (e.block, e.log_index) > ($1, $2) ` +
      `${where.map((w) => `AND ${w} `).join("")}ORDER BY e.block, e.log_index LIMIT ${EVENTS_PER_PAGE}`;
    let after: [number, number] = [-1, -1];
    for (;;) {
      const { rows } = await this.client.query<EventRow>(text, [...after, ...params]);
      for (const row of rows) yield eventOfRow(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < EVENTS_PER_PAGE) return;
      after = [Number(last.block), Number(last.log_index)];
    }
  }

  async issuersOf(economy: string): Promise<string[]> {
    const { rows } = await this.client.query<{ issuer: string }>(
      "SELECT DISTINCT args::jsonb ->> 'issuer' AS issuer FROM events WHERE name = 'IssuerAccredited' " +
        "AND args::jsonb ->> 'economy' = $1",
      [economy],
    );
    return rows.map((r) => r.issuer);
  }

  async meta(key: string): Promise<string | undefined> {
    const { rows } = await this.client.query<{ value: string }>("SELECT value FROM meta WHERE key = $1", [key]);
    return rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.client.query(
      "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
      [key, value],
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.client.end().catch(() => undefined);
  }
}
