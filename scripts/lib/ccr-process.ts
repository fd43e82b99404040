/** Runs the `ccr` command as a user does (`bin/ccr.js` on this Node), for end-to-end tests and benchmarks. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";

export interface CcrRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time, start-up included. */
  seconds: number;
}

/** Starts `ccr --deployment <deployment> <args…>`; `done` resolves when it exits, however it exits. */
export function startCcr(
  deployment: string,
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CcrRun> } {
  const started = performance.now();
  const child = spawn(process.execPath, ["bin/ccr.js", "--deployment", deployment, ...args], {
    // Pending transactions and cached schema documents are kept beside the deployment file, not in the user's own
    // state and cache folders.
    env: {
      CCR_STATE_DIR: join(dirname(deployment), "ccr-state"),
      CCR_CACHE_DIR: join(dirname(deployment), "ccr-cache"),
      ...process.env,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const done = new Promise<CcrRun>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
  return { child, done };
}

export function runCcr(deployment: string, args: string[], env: Record<string, string> = {}): Promise<CcrRun> {
  return startCcr(deployment, args, env).done;
}

/** The arguments of `ccr issue` of device credentials from `input` into `out`, as the devnet's device maker. */
export function deviceIssueArgs(input: string, out: string, extra: string[] = []): string[] {
  return ["--as", "kr-devicemaker", "issue", "--schema", "device", "--input", input, "--out", out, ...extra];
}

/**
 * A council action on the devnet as its representatives take it: council-sg proposes (`action`: the words after
 * `ccr council propose`), council-jp signs and executes. Returns the last run, or the first that failed.
 */
export async function councilAction(deployment: string, action: string[]): Promise<CcrRun> {
  // Outside the default proposals folder: its files are pending proposals that the next proposal's nonce skips.
  const file = join(dirname(deployment), "test-proposals", `${action[0] ?? "action"}-${randomUUID()}.json`);
  let run: CcrRun | undefined;
  for (const args of [
    ["--as", "council-sg", "council", "propose", ...action, "--out", file],
    ["--as", "council-jp", "council", "sign", file],
    ["--as", "council-jp", "council", "execute", file],
  ]) {
    run = await runCcr(deployment, args);
    if (run.code !== 0) return run;
  }
  return run as CcrRun;
}

/** Runs `ccr` and samples its resident set (Linux /proc) every 100 ms: the run and its peak in MiB. */
export async function ccrWithPeakMemory(
  deployment: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CcrRun & { peakMiB: number }> {
  const { child, done } = startCcr(deployment, args, env);
  let peakKiB = 0;
  const sample = setInterval(() => {
    try {
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
      peakKiB = Math.max(peakKiB, Number(rss ?? 0));
    } catch {
      // exited between two samples
    }
  }, 100);
  const run = await done;
  clearInterval(sample);
  return { ...run, peakMiB: peakKiB / 1024 };
}
