/**
 * The Solidity half of `npm run mutation`: each scripted mutant is applied to a copy of the project (never to the
 * working tree, so an interrupted run leaves nothing broken), its contract's tests are run, and the file restored.
 * A mutant is killed when a test fails; a mutant that does not compile is reported, not counted.
 */
import { spawn } from "node:child_process";
import { cp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import type { SolidityMutant } from "./targets.ts";

export type SolidityOutcome = "killed" | "survived" | "does not compile";

export interface SolidityResult {
  mutant: SolidityMutant;
  outcome: SolidityOutcome;
  /** The test file that failed first, when killed. */
  by?: string;
}

/** Runs `npx hardhat test <kind> files…` in `dir`; resolves its exit code and output. */
function hardhatTest(dir: string, kind: "solidity" | "mocha", files: readonly string[]) {
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn("npx", ["hardhat", "test", kind, ...files], { cwd: dir, env: { ...process.env, CI: "true" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** A copy of the project's tracked and new files, with the installed node_modules linked in. */
export async function projectCopy(root: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "");
  for (const file of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await cp(join(root, file), join(dir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error; // a tracked file deleted in the working tree
    });
  }
  await symlink(join(root, "node_modules"), join(dir, "node_modules"));
}

/** Runs `files`, Solidity tests first; the first failing file's name, or undefined when all pass. */
async function failingTest(dir: string, files: readonly string[]): Promise<{ failed?: string; output: string }> {
  const solidity = files.filter((f) => f.endsWith(".sol"));
  const mocha = files.filter((f) => !f.endsWith(".sol"));
  for (const [kind, group] of [
    ["solidity", solidity],
    ["mocha", mocha],
  ] as const) {
    if (group.length === 0) continue;
    const { code, output } = await hardhatTest(dir, kind, group);
    if (code !== 0) return { failed: group.join(" "), output };
  }
  return { output: "" };
}

/** Applies each mutant in `dir` (a project copy), runs its tests, restores the file. */
export async function runSolidityMutants(
  dir: string,
  mutants: readonly SolidityMutant[],
  progress: (result: SolidityResult, index: number) => void,
): Promise<SolidityResult[]> {
  const baseline = await failingTest(dir, [...new Set(mutants.flatMap((m) => m.tests))]);
  if (baseline.failed !== undefined) {
    throw new Error(`the unmutated tests fail (${baseline.failed}); fix them first:\n${baseline.output.slice(-3000)}`);
  }
  const results: SolidityResult[] = [];
  for (const [index, mutant] of mutants.entries()) {
    const path = join(dir, mutant.file);
    const original = await readFile(path, "utf8");
    const at = original.indexOf(mutant.from);
    if (at < 0 || original.indexOf(mutant.from, at + 1) >= 0) {
      throw new Error(`${mutant.file}: "${mutant.from}" must occur exactly once (scripts/lib/mutation/targets.ts)`);
    }
    await writeFile(path, original.slice(0, at) + mutant.to + original.slice(at + mutant.from.length));
    try {
      const { failed, output } = await failingTest(dir, mutant.tests);
      const compileError = failed !== undefined && /HHE\d+|Compilation failed|CompilerError|ParserError/.test(output);
      const result: SolidityResult =
        failed === undefined
          ? { mutant, outcome: "survived" }
          : compileError
            ? { mutant, outcome: "does not compile" }
            : { mutant, outcome: "killed", by: failed };
      results.push(result);
      progress(result, index);
    } finally {
      await writeFile(path, original);
    }
  }
  return results;
}
