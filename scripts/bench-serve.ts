/**
 * `npm run bench` (fifth part; `npm run bench:serve` alone): `ccr serve` under load, as many users meet it. A devnet
 * with the demo framework and `ccr serve` as its own process; waves of 200 and then 500 concurrent requests, each on
 * its own connection, at every read endpoint (/metadata, /api/framework, /authorization, /recognition, /rpc, the
 * static pages). Measures per endpoint and concurrency: requests per second, p50/p99, errors; and the server's
 * resident memory: idle before, peak during, and idle after the waves.
 * Targets: no errors; p99 <= 500 ms for the framework answers (/metadata, /api/framework) at 500 concurrent; peak
 * memory < 300 MB, and back within 50 MB of the idle level after. Exits 1 if one is missed.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startDevnet } from "./lib/devnet-process.ts";
import { wave, type LoadRequest, type Wave } from "./lib/load.ts";

const CONCURRENCY = [200, 500];
const WAVES = 3;
const P99_TARGET_MS = 500;
const PEAK_TARGET_MIB = 300;
const IDLE_RETURN_MIB = 50;

/** The resident memory of process `pid` in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kib ?? 0) / 1024;
}

/** Starts `ccr serve --port 0` against the deployment; resolves with its address once it listens. */
async function startServe(deployment: string): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ["bin/ccr.js", "--deployment", deployment, "serve", "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const seen = (chunk: Buffer): void => {
      output += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (found !== undefined) resolve(found);
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.once("exit", (code) => reject(new Error(`ccr serve exited (${code}): ${output}`)));
  });
  return { url, pid: child.pid ?? 0, stop: () => child.kill("SIGTERM") };
}

/** The requests of each endpoint: TRQP queries spread over the demo's issuers, schemas and economies. */
async function endpoints(url: string): Promise<Record<string, LoadRequest[]>> {
  const framework = (await (await fetch(`${url}/api/framework`)).json()) as {
    issuers: { did: string; economy: string; schemas: number[] }[];
    economies: { iso: string }[];
  };
  const post = (path: string, body: unknown, accept?: LoadRequest["accept"]): LoadRequest => ({
    path,
    method: "POST",
    body: JSON.stringify(body),
    ...(accept === undefined ? {} : { accept }),
  });
  const authorization = framework.issuers.flatMap((issuer) =>
    issuer.schemas.map((schema) =>
      post("/authorization", {
        entity_id: issuer.did,
        authority_id: issuer.economy,
        action: "issue",
        resource: String(schema),
      }),
    ),
  );
  const codes = framework.economies.map((e) => e.iso);
  const recognition = codes.slice(0, 10).map((iso, i) =>
    post("/recognition", {
      entity_id: iso,
      authority_id: codes[(i + 3) % codes.length],
      action: "recognize",
      resource: "diploma",
    }),
  );
  const rpcAnswered = (status: number, body: string) => status === 200 && !body.includes('"error"');
  const rpc = [
    post("/rpc", { jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }, rpcAnswered),
    post("/rpc", { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }, rpcAnswered),
  ];
  const html = await (await fetch(`${url}/`)).text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => ({ path: m[1] ?? "/" }));
  return {
    "/metadata": [{ path: "/metadata" }],
    "/api/framework": [{ path: "/api/framework" }],
    "/authorization": authorization,
    "/recognition": recognition,
    "/rpc": rpc,
    "static pages": [{ path: "/" }, ...assets],
  };
}

const FRAMEWORK = new Set(["/metadata", "/api/framework"]);

const devnet = await startDevnet(undefined, { web: false });
let missed = false;
try {
  const server = await startServe(join(devnet.dir, "deployment.json"));
  try {
    const loads = await endpoints(server.url);
    // Idle: the server has answered each endpoint once (its code loaded, its caches warm).
    for (const list of Object.values(loads)) await wave(server.url, list, list.length);
    const idleBefore = rssMiB(server.pid);
    let peak = idleBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.pid))), 50);
    const rows: string[] = [];
    for (const concurrency of CONCURRENCY) {
      for (const [name, list] of Object.entries(loads)) {
        const waves: Wave[] = [];
        for (let i = 0; i < WAVES; i++) waves.push(await wave(server.url, list, concurrency));
        const errors = waves.reduce((sum, w) => sum + w.errors, 0);
        const p50 = Math.max(...waves.map((w) => w.p50Ms));
        const p99 = Math.max(...waves.map((w) => w.p99Ms));
        const rps = Math.min(...waves.map((w) => w.requests / w.seconds));
        const p99Missed = FRAMEWORK.has(name) && concurrency === 500 && p99 > P99_TARGET_MS;
        if (errors > 0 || p99Missed) missed = true;
        rows.push(
          `| ${name} | ${concurrency} | ${rps.toFixed(0)} | ${p50.toFixed(0)} | ${p99.toFixed(0)}${p99Missed ? " (MISSED)" : ""} | ${errors} |`,
        );
        for (const sample of waves.flatMap((w) => w.samples).slice(0, 3)) console.log(`  error: ${sample}`);
      }
    }
    clearInterval(sampler);
    // Back to idle: the lowest resident set in the 20 s after the last wave (the collector returns memory lazily).
    let idleAfter = rssMiB(server.pid);
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      idleAfter = Math.min(idleAfter, rssMiB(server.pid));
    }
    console.log(
      `ccr serve under load: ${WAVES} waves per endpoint and concurrency, each request on its own connection`,
    );
    console.log("| endpoint | concurrent | requests/s (slowest wave) | p50 ms | p99 ms | errors |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const row of rows) console.log(row);
    const memoryMet = peak < PEAK_TARGET_MIB && idleAfter - idleBefore <= IDLE_RETURN_MIB;
    if (!memoryMet) missed = true;
    console.log(
      `memory (resident): idle ${idleBefore.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (target < ${PEAK_TARGET_MIB}), ` +
        `idle after ${idleAfter.toFixed(0)} MB (target within ${IDLE_RETURN_MIB} MB of idle): ${memoryMet ? "met" : "MISSED"}`,
    );
    console.log(`ccr serve under load: ${missed ? "MISSED" : "met"}`);
  } finally {
    server.stop();
  }
} finally {
  devnet.stop();
}
process.exitCode = missed ? 1 : 0;
