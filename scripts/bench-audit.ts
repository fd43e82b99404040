/**
 * `npm run bench` (third part): the auditor's targets against a devnet started for the run. Generates a history of
 * 100,000 registry events (single anchors, batch anchors, revocations, suspensions, reinstatements, accreditation
 * changes, issuer suspensions; scripts/lib/history.ts), then measures end to end through the `ccr` command:
 *   - `ccr audit sync` of the whole history <= 30 s;
 *   - `ccr audit check` over the same <= 60 s (it must also find the history consistent);
 *   - the same two into PostgreSQL (a throwaway PostgreSQL 15 cluster with its default settings), same targets.
 * Then (CCR_BENCH_LARGE_EVENTS, default 1,000,000; 0 skips) the history grows to that many events (the rest member
 * suspensions and reinstatements, many per transaction: generateMemberEvents), and the same is measured again on a
 * fresh index: sync <= 90 s into SQLite and <= 120 s into PostgreSQL, check <= 180 s, each at a peak memory (resident
 * set) of at most 2 GB.
 * Exits 1 if a target is missed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDeployment } from "../src/deployment.ts";
import { ccrWithPeakMemory } from "./lib/ccr-process.ts";
import { startDevnet } from "./lib/devnet-process.ts";
import { generateHistory, generateMemberEvents } from "./lib/history.ts";
import { startPostgres } from "./lib/postgres-process.ts";

const EVENTS = Number(process.env.CCR_BENCH_EVENTS ?? 100_000);
const LARGE_EVENTS = Number(process.env.CCR_BENCH_LARGE_EVENTS ?? 1_000_000);
/** Targets in seconds: sync into SQLite, into PostgreSQL, check; and peak memory in MiB. */
const TARGETS = {
  small: { sqlite: 30, postgres: 30, check: 60, memory: Infinity },
  large: { sqlite: 90, postgres: 120, check: 180, memory: 2048 },
};

const devnet = await startDevnet(undefined, { web: false });
const work = await mkdtemp(join(tmpdir(), "ccr-bench-audit-"));
let missed = false;
try {
  const deploymentFile = join(devnet.dir, "deployment.json");
  const deployment = await readDeployment(deploymentFile);
  await generateHistory(deployment, EVENTS);

  const postgres = await startPostgres();
  try {
    /** Syncs the whole history into a fresh index of each store, checks it, prints the figures against `targets`. */
    const measure = async (label: string, generated: number, targets: typeof TARGETS.small): Promise<void> => {
      const stores = [
        { name: "SQLite", db: join(work, `${label}.sqlite`), syncTarget: targets.sqlite },
        { name: "PostgreSQL", db: await postgres.createDatabase(label), syncTarget: targets.postgres },
      ];
      for (const { name, db, syncTarget } of stores) {
        const env = { PGPASSWORD: postgres.password };
        const sync = await ccrWithPeakMemory(deploymentFile, ["audit", "sync", "--db", db], env);
        if (sync.code !== 0) throw new Error(`ccr audit sync failed:\n${sync.stdout}${sync.stderr}`);
        const indexed = Number(/(\d+) new event\(s\)/.exec(sync.stdout)?.[1]);
        if (!(indexed >= generated)) {
          throw new Error(`only ${indexed} events indexed, ${generated} generated:\n${sync.stdout}`);
        }
        const check = await ccrWithPeakMemory(deploymentFile, ["audit", "check", "--db", db], {
          ...env,
          CCR_PROFILE: "1",
        });
        if (process.env.CCR_PROFILE === "1") console.error(check.stderr);
        if (check.code !== 0) throw new Error(`ccr audit check failed:\n${check.stdout.slice(-3000)}${check.stderr}`);

        console.log(`\nAuditor, ${name}, end to end against a devnet (${indexed.toLocaleString("en")} events indexed)`);
        for (const [what, run, target] of [
          [`ccr audit sync: ${generated.toLocaleString("en")} generated events`, sync, syncTarget],
          ["ccr audit check: replay and compare with the chain", check, targets.check],
        ] as const) {
          const ok = run.seconds <= target && run.peakMiB <= targets.memory;
          missed ||= !ok;
          const perEvent = `${((run.seconds / indexed) * 1e6).toFixed(0)} µs per event`;
          const memory = `peak ${run.peakMiB.toFixed(0)} MiB`;
          const limit = targets.memory === Infinity ? "" : `, ${targets.memory} MiB`;
          console.log(
            `  ${what.padEnd(52)} ${run.seconds.toFixed(1).padStart(6)} s  ${perEvent.padStart(16)}  ${memory}  (target ${target} s${limit}) ${ok ? "ok" : "MISSED"}`,
          );
        }
      }
    };
    await measure("history", EVENTS, TARGETS.small);
    if (LARGE_EVENTS > EVENTS) {
      const started = performance.now();
      await generateMemberEvents(deployment, LARGE_EVENTS - EVENTS);
      console.log(
        `\n(${(LARGE_EVENTS - EVENTS).toLocaleString("en")} more events generated in ${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
      await measure("large", LARGE_EVENTS, TARGETS.large);
    }
  } finally {
    postgres.stop();
  }
} finally {
  devnet.stop();
  await rm(work, { recursive: true, force: true });
}
if (missed) process.exitCode = 1;
