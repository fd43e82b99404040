/** Starts and stops `npm run devnet` (scripts/devnet.ts) as a child process group: for end-to-end tests and benchmarks. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A port nobody listens on, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Whether something listens on `port` of 127.0.0.1. */
export async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(true));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(false)));
  });
}

/** A running `npm run devnet` (scripts/devnet.ts) on a free port with its own folder. */
export interface RunningDevnet {
  port: number;
  dir: string;
  child: ChildProcess;
  /** Everything the devnet printed so far. */
  output(): string;
  /** Ctrl-C; resolves with the exit code. */
  interrupt(): Promise<number | null>;
  /** Kills the devnet's and its node's process groups if they still run, and removes the folder. */
  stop(): void;
}

/**
 * Starts `npm run devnet` on a free port, in a new folder or in `dir` (a restart: the devnet's folder again), with its
 * web server on a free port too unless `web` is false (benchmarks: the server's own audit sync would share the CPU),
 * the device maker's issuer service on a free port when `issuer` is true, and the web server's OpenID4VP verifier on a
 * free port when `verifier` is true.
 */
export async function startDevnet(
  dir = mkdtempSync(join(tmpdir(), "ccr-devnet-")),
  { web = true, issuer = false, verifier = false }: { web?: boolean; issuer?: boolean; verifier?: boolean } = {},
): Promise<RunningDevnet> {
  const port = await freePort();
  const child = spawn(process.execPath, ["scripts/devnet.ts"], {
    detached: true,
    env: {
      ...process.env,
      CCR_DEVNET_PORT: String(port),
      CCR_DEVNET_DIR: dir,
      CCR_WEB_PORT: web ? "0" : "off",
      CCR_ISSUER_PORT: issuer ? "0" : "off",
      CCR_VERIFIER_PORT: verifier ? "0" : "off",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const devnet: RunningDevnet = {
    port,
    dir,
    child,
    output: () => output,
    interrupt: () => {
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
      return exited;
    },
    stop: () => {
      // The node runs in its own process group (the devnet's Ctrl-C handler stops it); kill both groups.
      const node = existsSync(join(dir, "node.pid")) ? Number(readFileSync(join(dir, "node.pid"), "utf8")) : 0;
      for (const pid of [child.pid, node]) {
        if (pid === undefined || !(pid > 0)) continue;
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes("Press Ctrl-C to stop")) {
        clearInterval(timer);
        resolve();
      }
    }, 200);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`devnet exited (${code}):\n${output}`));
    });
  });
  return devnet;
}
