/**
 * `npm run bench` (third part): the auditor's targets against a devnet started for the run. Generates a history of
 * 100,000 registry events (single anchors, batch anchors, revocations, suspensions, reinstatements, accreditation
 * changes, issuer suspensions; scripts/lib/history.ts), then measures end to end through the `ccr` command:
 *   - `ccr audit sync` of the whole history <= 30 s;
 *   - `ccr audit check` over the same <= 60 s (it must also find the history consistent);
 *   - the same two into PostgreSQL (a throwaway PostgreSQL 15 cluster with its default settings), same targets.
 * Exits 1 if a target is missed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDeployment } from "../src/deployment.ts";
import { runCcr } from "./lib/ccr-process.ts";
import { startDevnet } from "./lib/devnet-process.ts";
import { generateHistory } from "./lib/history.ts";
import { startPostgres } from "./lib/postgres-process.ts";

const EVENTS = Number(process.env.CCR_BENCH_EVENTS ?? 100_000);
const SYNC_TARGET = 30;
const CHECK_TARGET = 60;

const devnet = await startDevnet();
const work = await mkdtemp(join(tmpdir(), "ccr-bench-audit-"));
let missed = false;
try {
  const deploymentFile = join(devnet.dir, "deployment.json");
  const deployment = await readDeployment(deploymentFile);
  await generateHistory(deployment, EVENTS);

  const postgres = await startPostgres();
  try {
    const stores = [
      { name: "SQLite", db: join(work, "audit.sqlite") },
      { name: "PostgreSQL", db: await postgres.createDatabase("audit") },
    ];
    for (const { name, db } of stores) {
      const env = { PGPASSWORD: postgres.password };
      const sync = await runCcr(deploymentFile, ["audit", "sync", "--db", db], env);
      if (sync.code !== 0) throw new Error(`ccr audit sync failed:\n${sync.stdout}${sync.stderr}`);
      const indexed = Number(/(\d+) new event\(s\)/.exec(sync.stdout)?.[1]);
      if (!(indexed >= EVENTS)) throw new Error(`only ${indexed} events indexed, ${EVENTS} generated:\n${sync.stdout}`);
      const check = await runCcr(deploymentFile, ["audit", "check", "--db", db], { ...env, CCR_PROFILE: "1" });
      if (process.env.CCR_PROFILE === "1") console.error(check.stderr);
      if (check.code !== 0) throw new Error(`ccr audit check failed:\n${check.stdout.slice(-3000)}${check.stderr}`);

      console.log(`\nAuditor, ${name}, end to end against a devnet (${indexed.toLocaleString("en")} events indexed)`);
      for (const [what, seconds, target] of [
        [`ccr audit sync: ${EVENTS.toLocaleString("en")} generated events`, sync.seconds, SYNC_TARGET],
        ["ccr audit check: replay and compare with the chain", check.seconds, CHECK_TARGET],
      ] as const) {
        const ok = seconds <= target;
        missed ||= !ok;
        const perEvent = `${((seconds / indexed) * 1e6).toFixed(0)} µs per event`;
        console.log(
          `  ${what.padEnd(52)} ${seconds.toFixed(1).padStart(6)} s  ${perEvent.padStart(16)}  (target ${target} s) ${ok ? "ok" : "MISSED"}`,
        );
      }
    }
  } finally {
    postgres.stop();
  }
} finally {
  devnet.stop();
  await rm(work, { recursive: true, force: true });
}
if (missed) process.exitCode = 1;
