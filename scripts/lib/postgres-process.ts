/**
 * A throwaway PostgreSQL 15 cluster for tests and benchmarks: `initdb` in a temporary folder (as the `postgres` user
 * when this runs as root, since PostgreSQL refuses to run as root), the server on a free port of 127.0.0.1 only, a
 * password for its one role (scram-sha-256, so that clients show they keep it out of URLs), and everything removed
 * when it stops. The server binaries come from `$CCR_PG_BIN`, else `/usr/lib/postgresql/15/bin` (Debian's
 * `postgresql` package, which `.ci/run` installs where it is missing).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { freePort } from "./devnet-process.ts";

export const PG_BIN = process.env.CCR_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface RunningPostgres {
  port: number;
  user: string;
  password: string;
  /** A new, empty database; its URL carries no password (give `PGPASSWORD: password` to the client instead). */
  createDatabase(name: string): Promise<string>;
  /** Runs one SQL statement on the database at `url`, as the cluster's role. */
  query<T extends pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<T[]>;
  /** Stops the server at once and removes its folder. */
  stop(): void;
}

/** The system user the server runs as: `postgres` when this process is root, else this process's own user. */
function serverUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  if (!Number.isInteger(uid) || uid <= 0) {
    throw new Error("running as root, but there is no postgres user to run PostgreSQL as (apt-get install postgresql)");
  }
  return { uid, gid: id("-g"), name: "postgres" };
}

/**
 * Starts a new cluster. `settings` are server parameters (`-c name=value`); tests turn durability off for speed,
 * benchmarks keep the defaults.
 */
export async function startPostgres(settings: Record<string, string> = {}): Promise<RunningPostgres> {
  if (!existsSync(join(PG_BIN, "postgres"))) {
    throw new Error(`no PostgreSQL server in ${PG_BIN}: apt-get install postgresql (or set CCR_PG_BIN)`);
  }
  const runAs = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "ccr-postgres-"));
  chmodSync(dir, 0o700);
  if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid);
  const user = "ccr";
  const password = `test-${Math.random().toString(36).slice(2)}`;
  const passwordFile = join(dir, "password");
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (runAs !== undefined) chownSync(passwordFile, runAs.uid, runAs.gid);
  const data = join(dir, "data");
  const ids = runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid };
  const init = spawnSync(
    join(PG_BIN, "initdb"),
    ["-D", data, "-U", user, `--pwfile=${passwordFile}`, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"],
    { ...ids, encoding: "utf8" },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const parameters = { listen_addresses: "127.0.0.1", unix_socket_directories: dir, ...settings };
  const server: ChildProcess = spawn(
    join(PG_BIN, "postgres"),
    ["-D", data, "-p", String(port), ...Object.entries(parameters).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
    { ...ids, detached: true, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  server.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const stop = (): void => {
    // SIGQUIT: immediate shutdown; the cluster is thrown away.
    if (server.exitCode === null && server.pid !== undefined) {
      try {
        process.kill(-server.pid, "SIGQUIT");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const urlOf = (database: string): string => `postgres://${user}@127.0.0.1:${port}/${database}`;
  const query = async <T extends pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<T[]> => {
    const { hostname, port: at, pathname } = new URL(url);
    const client = new pg.Client({ host: hostname, port: Number(at), user, password, database: pathname.slice(1) });
    try {
      await client.connect();
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await query(urlOf("postgres"), "SELECT 1");
      break;
    } catch (error) {
      if (server.exitCode !== null || attempt > 300) {
        stop();
        throw new Error(`PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n${log}`, {
          cause: error,
        });
      }
      await sleep(100);
    }
  }
  return {
    port,
    user,
    password,
    createDatabase: async (name) => {
      await query(urlOf("postgres"), `CREATE DATABASE "${name}"`);
      return urlOf(name);
    },
    query,
    stop,
  };
}
