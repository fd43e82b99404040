/**
 * The verifier's requests in PostgreSQL (`--store postgres://…`, or `--verifier-store`): several verifier processes
 * (a desk's `ccr request`, the pages' `ccr serve`) share one. The table is SQLite's, in the schema `ccr_verifier`;
 * taking a request for its answer is one statement, so that whichever process a wallet reaches, it is answered once.
 */
import pg from "pg";
import { postgresProblem, printableLocation } from "../audit/store.ts";
import type { VerifierStore } from "./store.ts";
import { REQUEST_COLUMNS, requestOf, requestTableSql, requestValues, takeRefusal, type Row } from "./storeRows.ts";

const SCHEMA = `CREATE SCHEMA IF NOT EXISTS ccr_verifier;
SET LOCAL search_path = ccr_verifier;
${requestTableSql("BIGINT")}`;

/** Processes creating the table at once take this lock first (CREATE … IF NOT EXISTS is not safe in parallel). */
const SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('ccr-verifier-store'))";

/** Opens the store at `url` (a PostgreSQL connection URL; the password from PGPASSWORD or ~/.pgpass), creating it. */
export async function openPostgresVerifierStore(url: string): Promise<VerifierStore> {
  const location = printableLocation(url);
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    max: 10,
    options: "-c search_path=ccr_verifier",
  });
  // A connection the server ends is an error of the request using it, not a crash of the verifier.
  pool.on("error", () => undefined);
  const refused = async (cause: unknown): Promise<never> => {
    await pool.end().catch(() => undefined);
    const opened = (reason: string) => `the verifier's store ${location} cannot be opened: ${reason}`;
    throw postgresProblem("VERIFIER_STORE", location, cause, opened);
  };
  const client = await pool.connect().catch(refused);
  try {
    await client.query("BEGIN");
    await client.query(SCHEMA_LOCK);
    await client.query(SCHEMA);
    await client.query("COMMIT");
  } catch (cause) {
    await client.query("ROLLBACK").catch(() => undefined);
    client.release();
    return refused(cause);
  }
  client.release();
  const one = async (sql: string, params: unknown[]): Promise<Row | undefined> =>
    (await pool.query(sql, params)).rows[0] as Row | undefined;
  return {
    location,
    async create(request) {
      const values = requestValues(request);
      const marks = values.map((_, k) => `$${k + 1}`).join(", ");
      await pool.query(`INSERT INTO vp_requests (${REQUEST_COLUMNS}) VALUES (${marks})`, values);
    },
    async get(id) {
      const row = await one("SELECT * FROM vp_requests WHERE id = $1", [id]);
      return row === undefined ? undefined : requestOf(row);
    },
    async take(id, now) {
      // One statement: of two processes taking the request at once, one updates the row, the other sees it taken.
      const taken = await one(
        "UPDATE vp_requests SET state = 'answered' WHERE id = $1 AND state = 'open' AND expires_at >= $2 RETURNING *",
        [id, now],
      );
      if (taken !== undefined) return requestOf(taken);
      return takeRefusal(await one("SELECT * FROM vp_requests WHERE id = $1", [id]), now) ?? "answered";
    },
    async settle(id, result) {
      await pool.query("UPDATE vp_requests SET result = $1 WHERE id = $2", [result, id]);
    },
    close: () => pool.end(),
  };
}
