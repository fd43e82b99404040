/**
 * `npm run mutation`: breaks each trust check on purpose and shows which breaks the tests catch.
 *
 *   npm run mutation                 both halves
 *   npm run mutation -- --ts         TypeScript modules only (Stryker)
 *   npm run mutation -- --sol        scripted Solidity mutants only
 *   npm run mutation -- --only sdJwt targets whose file contains "sdJwt"
 *
 * Prints the kill ratio per file and every survivor; writes out/mutation/report.json; exits 1 when a file is under the
 * target (95% of its counted mutants killed).
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SOLIDITY_MUTANTS, TYPESCRIPT_TARGETS } from "./lib/mutation/targets.ts";
import { mutateTarget, type FileScore } from "./lib/mutation/typescript.ts";
import { projectCopy, runSolidityMutants, type SolidityResult } from "./lib/mutation/solidity.ts";

const TARGET = 0.95;
const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: { ts: { type: "boolean" }, sol: { type: "boolean" }, only: { type: "string" } },
});
const both = values.ts !== true && values.sol !== true;
const chosen = (file: string): boolean => values.only === undefined || file.includes(values.only);
const work = join(tmpdir(), `ccr-mutation-${process.pid}`);
const reports = join(root, "out", "mutation");

const ratio = (killed: number, counted: number): string =>
  counted === 0 ? "n/a" : `${((100 * killed) / counted).toFixed(1)}%`;

async function typescriptHalf(): Promise<FileScore[]> {
  const scores: FileScore[] = [];
  for (const target of TYPESCRIPT_TARGETS.filter((t) => chosen(t.file))) {
    console.log(`mutating ${target.file} (${target.checks.join(", ")}) against ${target.tests.join(", ")}`);
    const result = await mutateTarget(target, join(work, "stryker"), reports);
    const counted = result.killed + result.survived + result.untested;
    console.log(
      `  ${result.killed}/${counted} killed (${ratio(result.killed, counted)}); not counted: ` +
        `${result.equivalent.length} equivalent, ${result.ignored} of message text`,
    );
    for (const survivor of result.survivors) console.log(`  survived: ${survivor}`);
    scores.push(result);
  }
  return scores;
}

async function solidityHalf(): Promise<SolidityResult[]> {
  const mutants = SOLIDITY_MUTANTS.filter((m) => chosen(m.file));
  if (mutants.length === 0) return [];
  const copy = join(work, "project");
  console.log(`Solidity: ${mutants.length} mutants, each applied to a copy of the project in ${copy}`);
  await projectCopy(root, copy);
  return runSolidityMutants(copy, mutants, (result, i) =>
    console.log(`  ${i + 1}/${mutants.length} ${result.outcome.padEnd(8)} ${result.mutant.check}`),
  );
}

/** One line per file: killed of counted, the ratio, and whether it meets the target. */
function summary(scores: FileScore[], solidity: SolidityResult[]): { lines: string[]; met: boolean } {
  const rows = scores.map((s) => ({ file: s.file, killed: s.killed, counted: s.killed + s.survived + s.untested }));
  for (const file of new Set(solidity.map((r) => r.mutant.file))) {
    const mine = solidity.filter((r) => r.mutant.file === file && r.outcome !== "does not compile");
    rows.push({ file, killed: mine.filter((r) => r.outcome === "killed").length, counted: mine.length });
  }
  const width = Math.max(...rows.map((r) => r.file.length), 4);
  const lines = rows.map(
    (r) =>
      `${r.file.padEnd(width)}  ${`${r.killed}/${r.counted}`.padStart(9)}  ${ratio(r.killed, r.counted).padStart(6)}` +
      (r.killed >= TARGET * r.counted ? "" : "  under the 95% target"),
  );
  return { lines, met: rows.every((r) => r.killed >= TARGET * r.counted) };
}

const started = Date.now();
try {
  const scores = both || values.ts === true ? await typescriptHalf() : [];
  const solidity = both || values.sol === true ? await solidityHalf() : [];
  const { lines, met } = summary(scores, solidity);
  const survivors = [
    ...scores.flatMap((s) => s.survivors),
    ...solidity.filter((r) => r.outcome !== "killed").map((r) => `${r.mutant.file}: ${r.mutant.check} (${r.outcome})`),
  ];
  console.log(`\nkill ratio per file (message text not counted), ${Math.round((Date.now() - started) / 1000)} s:`);
  for (const line of lines) console.log(`  ${line}`);
  console.log(survivors.length === 0 ? "no survivors" : `${survivors.length} survivor(s):`);
  for (const survivor of survivors) console.log(`  ${survivor}`);
  await mkdir(reports, { recursive: true });
  await writeFile(
    join(reports, "report.json"),
    `${JSON.stringify({ scores, solidity: solidity.map((r) => ({ ...r.mutant, outcome: r.outcome })) }, null, 2)}\n`,
  );
  process.exitCode = met ? 0 : 1;
} finally {
  await rm(work, { recursive: true, force: true });
}
