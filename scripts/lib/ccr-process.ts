/** Runs the `ccr` command as a user does (`bin/ccr.js` on this Node), for end-to-end tests and benchmarks. */
import { spawn } from "node:child_process";

export interface CcrRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time, start-up included. */
  seconds: number;
}

export function runCcr(deployment: string, args: string[], env: Record<string, string> = {}): Promise<CcrRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/ccr.js", "--deployment", deployment, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}
