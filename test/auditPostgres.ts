import type { ChildProcess } from "node:child_process";
import { DatabaseSync } from "node:sqlite";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import type { Report } from "../src/audit/report.ts";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { rpcProvider } from "../src/registry.ts";
import { councilAction, runCcr, startCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { generateHistory } from "../scripts/lib/history.ts";
import { startRpcProxy } from "../scripts/lib/rpc-proxy.ts";
import { startPostgres, type RunningPostgres } from "../scripts/lib/postgres-process.ts";

/** The index's tables and the order their rows are compared in. */
const TABLES = {
  meta: "key",
  blocks: "number",
  events: "block, log_index",
  event_keys: "key, block, log_index",
  checkpoint: "id",
};

/** Rows with every value as text: SQLite gives integers as numbers, PostgreSQL gives BIGINTs as strings. */
const asText = (rows: Record<string, unknown>[]): Record<string, string>[] =>
  rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)])));

describe("ccr audit on PostgreSQL (a throwaway PostgreSQL 15 cluster, a Hardhat node)", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet | undefined;
  let postgres: RunningPostgres;
  let work = "";
  let deploymentFile = "";
  let deployment: Deployment;
  let databases = 0;

  /** ccr with the cluster's password in PGPASSWORD, as a user keeps it off the command line. */
  const ccr = (args: string[], file = deploymentFile): Promise<CcrRun> =>
    runCcr(file, args, { PGPASSWORD: postgres.password });
  const newDatabase = (): Promise<string> => postgres.createDatabase(`audit_${++databases}`);
  const lastCheckpoint = async (url: string): Promise<number | undefined> => {
    try {
      const rows = await postgres.query<{ block: string }>(url, "SELECT block FROM checkpoint");
      return rows[0] === undefined ? undefined : Number(rows[0].block);
    } catch {
      return undefined; // the tables are not there yet
    }
  };
  const dumpPostgres = async (url: string): Promise<Record<string, Record<string, string>[]>> => {
    const dump: Record<string, Record<string, string>[]> = {};
    for (const [table, order] of Object.entries(TABLES)) {
      dump[table] = asText(await postgres.query(url, `SELECT * FROM ${table} ORDER BY ${order}`));
    }
    return dump;
  };
  const dumpSqlite = (file: string): Record<string, Record<string, string>[]> => {
    const database = new DatabaseSync(file, { readOnly: true });
    try {
      return Object.fromEntries(
        Object.entries(TABLES).map(([table, order]) => [
          table,
          asText(database.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all()),
        ]),
      );
    } finally {
      database.close();
    }
  };
  /** A reference index of the chain as it is now: a fresh, uninterrupted sync into SQLite. */
  const reference = async (name: string): Promise<Record<string, Record<string, string>[]>> => {
    const file = join(work, `${name}.sqlite`);
    expect((await ccr(["audit", "sync", "--db", file])).code).to.equal(0);
    return dumpSqlite(file);
  };

  before(async function () {
    // One after the other: whatever started is stopped by after(), even if the other fails to start.
    postgres = await startPostgres({ fsync: "off" });
    devnet = await startDevnet();
    deploymentFile = join(devnet.dir, "deployment.json");
    deployment = await readDeployment(deploymentFile);
    work = await mkdtemp(join(tmpdir(), "ccr-audit-pg-"));
    // Every kind of event the generator sends: anchors, batches, revocations, member revocations, suspensions,
    // reinstatements, accreditation amendments, issuer suspensions (beside the demo seed's own history).
    await generateHistory(deployment, 1_500, 25);
  });

  after(async function () {
    devnet?.stop();
    (postgres as RunningPostgres | undefined)?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("holds the same index as SQLite, and check, history, report and the dashboard answer alike", async function () {
    const url = await newDatabase();
    const file = join(work, "same.sqlite");
    const first = await ccr(["audit", "sync", "--db", url]);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(new RegExp(`^postgres://ccr@127\\.0\\.0\\.1:${postgres.port}/audit_\\d+: blocks `));
    expect((await ccr(["audit", "sync", "--db", file])).code).to.equal(0);
    const indexed = await dumpPostgres(url);
    expect(indexed.events?.length).to.be.greaterThan(1_500);
    expect(indexed).to.deep.equal(dumpSqlite(file));
    expect((await ccr(["audit", "sync", "--db", url])).stdout).to.match(/ 0 new event\(s\)/);

    const check = await ccr(["audit", "check", "--db", url]);
    expect(check.code, check.stdout + check.stderr).to.equal(0);
    expect(check.stdout).to.match(/^consistent: the registry's state at block \d+ follows from its event history/m);
    // The check's result is kept in the index, as in SQLite.
    const kept = await postgres.query<{ value: string }>(url, "SELECT value FROM meta WHERE key = 'lastCheck'");
    expect(JSON.parse(kept[0]?.value ?? "{}")).to.include({ consistent: true, count: 0 });

    const report = async (db: string, extra: string[] = []): Promise<Report> => {
      const run = await ccr(["audit", "report", "--db", db, "--format", "json", ...extra]);
      expect(run.code, run.stderr).to.equal(0);
      return { ...(JSON.parse(run.stdout) as Report), generatedAt: "" };
    };
    const fromPostgres = await report(url);
    expect(fromPostgres.totals.issued).to.be.greaterThan(1_000);
    expect(fromPostgres.totals.revoked).to.be.greaterThan(0);
    expect(fromPostgres).to.deep.equal(await report(file));
    expect(await report(url, ["--economy", "SG", "--issuer", "sg-agent"])).to.deep.equal(
      await report(file, ["--economy", "SG", "--issuer", "sg-agent"]),
    );
    for (const subject of ["au-university", "SG", "schema:0"]) {
      const history = async (db: string): Promise<unknown[]> =>
        JSON.parse((await ccr(["audit", "history", subject, "--db", db, "--json"])).stdout) as unknown[];
      const timeline = await history(url);
      expect(timeline.length, subject).to.be.greaterThan(0);
      expect(timeline).to.deep.equal(await history(file));
    }

    // ccr serve's dashboard reads the same database; its status shows where the index is, never the password.
    const served = startCcr(deploymentFile, ["serve", "--port", "0", "--db", url, "--sync", "0"], {
      PGPASSWORD: postgres.password,
    });
    try {
      let output = "";
      served.child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      while (!/synced to block/.test(output)) {
        expect(served.child.exitCode, output).to.equal(null);
        await sleep(50);
      }
      const base = /listening on (http:\/\/\S+)/.exec(output)?.[1] ?? "";
      const status = (await (await fetch(`${base}/api/audit/status`)).json()) as Record<string, unknown>;
      expect(status.file).to.equal(url);
      expect(JSON.stringify(status)).to.not.include(postgres.password);
      expect(status.lastCheck).to.include({ consistent: true });
      const dashboard = (await (await fetch(`${base}/api/audit/report`)).json()) as Report;
      expect({ ...dashboard, generatedAt: "" }).to.deep.equal(fromPostgres);
      const timeline = (await (await fetch(`${base}/api/audit/timeline?subject=SG`)).json()) as { entries: [] };
      expect(timeline.entries.length).to.be.greaterThan(0);
    } finally {
      served.child.kill("SIGTERM");
      await served.done;
    }
  });

  it("lets two syncs run at once: neither doubles nor skips anything", async function () {
    const url = await newDatabase();
    const expected = await reference("two-at-once");
    // The first sync reads the chain through a gate that holds its eth_getLogs requests from the block of the middle
    // event on; the second starts once the first has stored everything before it. The gate opens when the second
    // has stored that block, with the rest of the history still before both: each stores some of it for certain,
    // and the first's next store meets a checkpoint another process moved (never a matter of which starts faster).
    const eventBlocks = (expected.events ?? []).map((row) => Number(row.block));
    const middle = eventBlocks[Math.floor(eventBlocks.length / 2)] ?? 0;
    let open: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const gate = await startRpcProxy(deployment.rpcUrl, async (message) => {
      if (message.method === "eth_getLogs" && Number(message.params?.[0]?.toBlock) >= middle) await opened;
      return false;
    });
    try {
      const env = { PGPASSWORD: postgres.password };
      const first = startCcr(
        deploymentFile,
        ["--rpc", gate.url, "audit", "sync", "--db", url, "--block-range", "1"],
        env,
      );
      const waitFor = async (block: number, running: ChildProcess): Promise<void> => {
        while (((await lastCheckpoint(url)) ?? 0) < block) {
          expect(running.exitCode, "a sync ended before the other was under way").to.equal(null);
          await sleep(20);
        }
      };
      const stopAll = (...children: ChildProcess[]): void => {
        open();
        for (const child of children) child.kill("SIGKILL");
      };
      await waitFor(middle - 1, first.child).catch((error: unknown) => {
        stopAll(first.child);
        throw error;
      });
      const second = startCcr(deploymentFile, ["audit", "sync", "--db", url, "--block-range", "2"], env);
      await waitFor(middle, second.child).catch((error: unknown) => {
        stopAll(first.child, second.child);
        throw error;
      });
      open();
      const runs = await Promise.all([first.done, second.done]);
      for (const run of runs) expect(run.code, run.stderr).to.equal(0);
      // What each stored adds up to the whole, and the whole is the uninterrupted reference.
      const stored = runs.map((run) => Number(/ (\d+) new event\(s\)/.exec(run.stdout)?.[1]));
      expect(stored[0]).to.be.at.least(eventBlocks.filter((block) => block < middle).length);
      expect(stored[1]).to.be.greaterThan(0);
      expect((stored[0] ?? 0) + (stored[1] ?? 0)).to.equal(expected.events?.length);
      expect(await dumpPostgres(url)).to.deep.equal(expected);
      expect((await ccr(["audit", "check", "--db", url])).code).to.equal(0);
    } finally {
      open();
      await gate.close();
    }
  });

  it("resumes a sync killed at any point into exactly the index an uninterrupted run builds", async function () {
    const url = await newDatabase();
    const expected = await reference("kill-reference");
    const first = deployment.registry.blockNumber;
    const head = Number(expected.checkpoint?.[0]?.block);
    const stops: (number | undefined)[] = [];
    for (const fraction of [0, 1 / 3, 2 / 3]) {
      const { child, done } = startCcr(deploymentFile, ["audit", "sync", "--db", url, "--block-range", "1"], {
        PGPASSWORD: postgres.password,
      });
      try {
        const target = first + Math.floor(fraction * (head - first));
        while (child.exitCode === null && ((await lastCheckpoint(url)) ?? first - 1) < target) await sleep(5);
      } finally {
        child.kill("SIGKILL");
      }
      const run = await done;
      expect(run.code, `the sync was to be killed before it finished:\n${run.stdout}${run.stderr}`).to.equal(null);
      stops.push(await lastCheckpoint(url));
    }
    expect(stops[1]).to.be.greaterThan(first).and.lessThan(head);
    expect(stops[2])
      .to.be.greaterThan(stops[1] ?? 0)
      .and.lessThan(head);
    const resumed = await ccr(["audit", "sync", "--db", url]);
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.stdout).to.include(`blocks ${(stops[2] ?? 0) + 1}-${head}`);
    expect(await dumpPostgres(url)).to.deep.equal(expected);
  });

  it("rolls back a reorganisation, and finds a planted discrepancy", async function () {
    const url = await newDatabase();
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const snapshot = (await provider.send("evm_snapshot", [])) as string;
    const schemaFile = async (title: string): Promise<string> => {
      const document = {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: `https://x.example/${title}`,
        title,
      };
      const path = join(work, `${title}.json`);
      await writeFile(path, JSON.stringify({ ...document, type: "object" }));
      return path;
    };
    expect((await councilAction(deploymentFile, ["register-schema", await schemaFile("BranchA")])).code).to.equal(0);
    expect((await ccr(["audit", "sync", "--db", url])).code).to.equal(0);
    await provider.send("evm_revert", [snapshot]);
    expect((await councilAction(deploymentFile, ["register-schema", await schemaFile("BranchB")])).code).to.equal(0);
    const resynced = await ccr(["audit", "sync", "--db", url]);
    expect(resynced.stdout).to.match(/1 reorganised block\(s\) rolled back/);
    const names = await postgres.query<{ name: string }>(
      url,
      "SELECT args::jsonb ->> 'name' AS name FROM events WHERE name = 'SchemaRegistered'",
    );
    expect(names.map((r) => r.name))
      .to.include("BranchB")
      .and.not.include("BranchA");
    expect(await dumpPostgres(url)).to.deep.equal(await reference("reorg-reference"));
    expect((await ccr(["audit", "check", "--db", url])).code).to.equal(0);
    provider.destroy();

    // An event deleted from the database is found through what it changed.
    const [revocation] = await postgres.query<{ block: string; log_index: number; credential: string }>(
      url,
      "SELECT block, log_index, args::jsonb ->> 'credential' AS credential FROM events " +
        "WHERE name = 'CredentialStatusChanged' ORDER BY block DESC LIMIT 1",
    );
    await postgres.query(url, "DELETE FROM events WHERE block = $1 AND log_index = $2", [
      revocation?.block,
      revocation?.log_index,
    ]);
    const planted = await ccr(["audit", "check", "--db", url]);
    expect(planted.code).to.equal(1);
    expect(planted.stdout).to.include(`DISCREPANCY credential ${revocation?.credential} of `);
    expect(planted.stdout).to.match(/: verdict is \w+ in the history, \w+ on chain$/m);
    expect(planted.stdout).to.match(/^\d+ discrepancy\(ies\) at block \d+$/m);
  });

  it("refuses another deployment's index, an unreachable server and a missing password (exit 2), never showing the password", async function () {
    const url = await newDatabase();
    expect((await ccr(["audit", "sync", "--db", url])).code).to.equal(0);
    const other = join(work, "other-deployment.json");
    const original = JSON.parse(await readFile(deploymentFile, "utf8")) as Deployment;
    await writeFile(other, JSON.stringify({ ...original, registry: { ...original.registry, blockNumber: 0 } }));
    const mixed = await ccr(["audit", "sync", "--db", url], other);
    expect(mixed.code).to.equal(2);
    expect(mixed.stderr).to.equal(
      `ccr: the index ${url} was built for another fromBlock (${original.registry.blockNumber}, this deployment: 0); ` +
        "nothing was merged, use another --db\n",
    );

    const down = `postgres://ccr@127.0.0.1:1/audit`;
    const unreachable = await ccr(["audit", "report", "--db", down]);
    expect(unreachable.code).to.equal(2);
    expect(unreachable.stderr).to.match(
      /^ccr: cannot reach the PostgreSQL index at postgres:\/\/ccr@127\.0\.0\.1:1\/audit: connect ECONNREFUSED/,
    );

    const noPassword = await runCcr(deploymentFile, ["audit", "check", "--db", url], { PGPASSWORD: "" });
    expect(noPassword.code).to.equal(2);
    expect(noPassword.stderr).to.include("asks for a password and none was given: set PGPASSWORD");

    // A password given in the URL works, and is shown as *** wherever the URL is printed.
    const withPassword = url.replace("ccr@", `ccr:${postgres.password}@`);
    const wrong = await runCcr(deploymentFile, [
      "audit",
      "sync",
      "--db",
      withPassword.replace(postgres.password, "nope"),
    ]);
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr).to.include('password authentication failed for user "ccr"');
    expect(wrong.stderr).to.include("postgres://ccr:***@").and.not.include("nope");
    const given = await runCcr(deploymentFile, ["audit", "sync", "--db", withPassword]);
    expect(given.code, given.stderr).to.equal(0);
    expect(given.stdout).to.include("postgres://ccr:***@").and.not.include(postgres.password);
  });
});
