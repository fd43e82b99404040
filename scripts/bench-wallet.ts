/**
 * `npm run bench:wallet`: a fleet of devices provisions itself through the issuer service, with no human step. A devnet
 * (no web server), the Korean device maker's `ccr issuer-service` as its own process over HTTPS, a factory
 * attestation key registered with `ccr attester add`; 10,000 devices (`CCR_BENCH_DEVICES`), each with its own key and
 * its maker's attestation, enrol 200 at a time through the whole protocol (token with attestation-based client
 * authentication, nonce, credential). The service is killed (SIGKILL) twice during the run, at 30% and 60%, and
 * restarted at once; a device whose request fails retries. The devices send what the wallet libraries send, through a
 * lean client (`lib/fleetDevice.ts`: the fleet shares the machine's cores with the service); `CCR_BENCH_CLIENT=library`
 * runs them through the `@openid4vc` libraries instead. `CCR_BENCH_TIMELINE=1` prints, every second, the devices
 * served in it and the service's CPU per device (how long a restarted service takes to warm up).
 *
 * Targets (a 2-core machine): all issued and anchored in at most 30 s; p99 of the credential requests at most 500 ms;
 * every credential anchored at most 10 s after it was handed out; the service's resident memory at most 500 MB; and,
 * across the kills, every device holding its credential, each anchored, none anchored twice. Exits 1 if one is missed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { buildBatch } from "../src/batch.ts";
import { readDeployment } from "../src/deployment.ts";
import { ethrDid } from "../src/did.ts";
import { rpcProvider } from "../src/registry.ts";
import { credentialHash } from "../src/vc/credential.ts";
import { attestDevice, enrollDevice, issuerMetadataOf, newKeyPair, type KeyPair } from "../src/wallet/deviceClient.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";
import {
  DEVICE_MAKER,
  FACTORY_KID,
  freePort,
  provisioningSetup,
  readProvisioningSetup,
  leanFetch,
} from "./lib/devices.ts";
import { enrollFleetDevice, fleetPoster } from "./lib/fleetDevice.ts";
import { startDevnet } from "./lib/devnet-process.ts";
import { treeCpuSeconds } from "./lib/cpu.ts";

const DEVICES = Number(process.env.CCR_BENCH_DEVICES ?? 10_000);
const CONCURRENCY = 200;
/** Where the service is killed, as fractions of the fleet (CCR_BENCH_KILLS=0: never, to measure it undisturbed). */
const KILL_AT = process.env.CCR_BENCH_KILLS === "0" ? [] : [0.3, 0.6];
const TARGETS = { totalSeconds: 30, p99Ms: 500, anchorDelaySeconds: 10, peakMiB: 500 };
const CONFIGURATION = "DeviceIdentity_jwt_vc_json";
/** The devices' client: lean (default), or the wallet libraries' (`CCR_BENCH_CLIENT=library`). */
const LIBRARY_CLIENT = process.env.CCR_BENCH_CLIENT === "library";

const rssMiB = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

const devnet = await startDevnet(undefined, { web: false });
const deploymentFile = join(devnet.dir, "deployment.json");
const deployment = await readDeployment(deploymentFile);
const port = await freePort();
const made = await provisioningSetup(devnet.dir, port);
if (typeof made === "string") throw new Error(made);
const read = readProvisioningSetup(devnet.dir);
if (read === undefined) throw new Error("no provisioning setup");
const setup = read;
const ccrArgs = ["bin/ccr.js", "--deployment", deploymentFile, "--as", DEVICE_MAKER];
const store = join(devnet.dir, "bench-issuer.sqlite");
const added = spawnSync(
  process.execPath,
  [...ccrArgs, "attester", "add", FACTORY_KID, setup.attesterPublicKey, "--store", store],
  { encoding: "utf8" },
);
if (added.status !== 0) throw new Error(added.stderr);

/** The service as its own process; resolves once it listens. */
async function startService(): Promise<ChildProcess> {
  const profile =
    process.env.CCR_BENCH_PROFILE === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", process.env.CCR_BENCH_PROFILE];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      ...ccrArgs,
      "issuer-service",
      "--issuer-url",
      setup.url,
      "--port",
      String(port),
      "--store",
      store,
    ].concat(["--tls-cert", setup.certificate, "--tls-key", setup.key, "--batch-size", "2000"]),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const seen = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("ccr issuer-service: https://")) resolve();
    };
    child.stdout?.on("data", seen);
    child.stderr?.on("data", seen);
    child.once("exit", (code) => reject(new Error(`the issuer service exited (${code}): ${output}`)));
  });
  child.stdout?.removeAllListeners("data");
  child.stderr?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

// The devices' clients: node:https over kept-alive connections, whose CPU they share with the service on this machine.
const ca = readFileSync(setup.certificate, "utf8");
const trusting = leanFetch(ca, CONCURRENCY);
const post = fleetPoster(ca, CONCURRENCY);
const latencies: number[] = [];
/** Credential requests the service deferred (its anchoring fell behind): the device asks again after the interval. */
let deferred = 0;
const credentialAnswered = (status: number, ms: number): void => {
  if (status === 200) latencies.push(ms);
  if (status === 202) deferred++;
};
const https = async (url: string | URL | Request, init?: RequestInit) => {
  const started = performance.now();
  const response = await trusting(url, init);
  const path = typeof url === "string" ? url : url instanceof URL ? url.href : url.url;
  if (path.endsWith("/credential")) credentialAnswered(response.status, performance.now() - started);
  return response;
};

// At the factory (not timed): each device's key and its maker's attestation of it.
const maker = ethrDid(deployment.chainId, deployment.accounts[DEVICE_MAKER]?.address ?? "");
const factory = { ...setup.factory, kid: FACTORY_KID };
const fleet: { serial: string; key: KeyPair; attestation: string }[] = [];
for (let i = 0; i < DEVICES; i++) {
  const key = newKeyPair("ES256");
  const serial = `KR-SN-${String(i).padStart(6, "0")}`;
  fleet.push({
    serial,
    key,
    attestation: await attestDevice(factory, maker, { serialNumber: serial, model: "Air sensor AS-2" }, key.publicJwk),
  });
}

let service = await startService();
let peakMiB = rssMiB(service.pid ?? 0);
const sampler = setInterval(() => (peakMiB = Math.max(peakMiB, rssMiB(service.pid ?? 0))), 100);
const issuerMetadata = await issuerMetadataOf(setup.url, https);
const received = new Map<string, string>();
let retries = 0;
/** Seconds from each kill until the service listened again. */
const restarts: number[] = [];
let killing: Promise<void> | undefined;
const kills = [...KILL_AT];

/** Kills the service when the fleet passes the next mark, and starts it again. */
function killAtMark(): void {
  const mark = kills[0];
  if (mark === undefined || killing !== undefined || received.size < mark * DEVICES) return;
  kills.shift();
  killing = (async () => {
    const old = service;
    const exited = new Promise((resolve) => old.once("exit", resolve));
    serviceCpu += treeCpuSeconds(old.pid);
    old.kill("SIGKILL");
    await exited;
    const restarting = performance.now();
    service = await startService();
    restarts.push((performance.now() - restarting) / 1000);
    killing = undefined;
  })();
}

/** Every second: the devices served in it, and the service's CPU per device (a killed service's line says so). */
function serviceTimeline(): NodeJS.Timeout {
  let last = { at: performance.now(), served: 0, cpu: 0, pid: service.pid };
  return setInterval(() => {
    const now = { at: performance.now(), served: received.size, cpu: treeCpuSeconds(service.pid), pid: service.pid };
    const served = now.served - last.served;
    // A killed process reads as no CPU at all, its successor as its own from its start: neither is this second's.
    const restarted = now.pid !== last.pid || now.cpu < last.cpu;
    const perDevice = served > 0 && !restarted ? `${(((now.cpu - last.cpu) * 1000) / served).toFixed(1)} ms` : "-";
    const second = ((now.at - started) / 1000).toFixed(0).padStart(3);
    console.log(
      `  ${second} s: ${String(served).padStart(4)} devices, service CPU ${perDevice} per device` +
        `${killing !== undefined || restarted ? " (killed, restarting)" : ""}`,
    );
    last = now;
  }, 1000);
}

// Where the two cores go during the run: the service (its CPU before each kill is added), the node, the devices.
let serviceCpu = 0;
const nodeCpuBefore = treeCpuSeconds(devnet.child.pid);
const devicesCpuBefore = process.cpuUsage();
const started = performance.now();
const timeline = process.env.CCR_BENCH_TIMELINE === undefined ? undefined : serviceTimeline();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < fleet.length; i = next++) {
      const device = fleet[i];
      if (device === undefined) break;
      for (;;) {
        await killing;
        try {
          const credential = LIBRARY_CLIENT
            ? (
                await enrollDevice({
                  issuerUrl: setup.url,
                  attestation: device.attestation,
                  deviceKey: device.key,
                  configuration: CONFIGURATION,
                  fetch: https,
                  issuerMetadata,
                })
              ).credential
            : await enrollFleetDevice({
                post,
                issuerMetadata,
                attestation: device.attestation,
                deviceKey: device.key,
                serialNumber: device.serial,
                configuration: CONFIGURATION,
                onCredentialAnswer: credentialAnswered,
              });
          received.set(device.serial, credential);
          killAtMark();
          break;
        } catch (error) {
          // The service answered with a refusal: a defect, not a kill (those break connections or answer 5xx).
          const status = (error as { response?: { status?: number } }).response?.status;
          if (status !== undefined && status < 500) throw error;
          retries++;
          if (process.env.CCR_BENCH_VERBOSE !== undefined) console.error(`retry ${device.serial}: ${String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
  }),
);
const handedOut = (performance.now() - started) / 1000;
if (timeline !== undefined) clearInterval(timeline);

// Everything anchored: read from the service's store (read-only) until no batch is open or unanchored.
const db = new DatabaseSync(store, { readOnly: true });
const pending = (): number =>
  Number((db.prepare("SELECT COUNT(*) AS n FROM batches WHERE anchored_at IS NULL").get() as { n: number }).n);
while (pending() > 0) await new Promise((resolve) => setTimeout(resolve, 100));
const anchored = (performance.now() - started) / 1000;
clearInterval(sampler);
serviceCpu += treeCpuSeconds(service.pid);
const nodeCpu = treeCpuSeconds(devnet.child.pid) - nodeCpuBefore;
const devicesUsage = process.cpuUsage(devicesCpuBefore);
const devicesCpu = (devicesUsage.user + devicesUsage.system) / 1e6;

const journalled = db.prepare("SELECT hash, batch_id, issued_at, transaction_id FROM credentials").all() as {
  hash: string;
  batch_id: string;
  issued_at: number;
  transaction_id: string | null;
}[];
const batches = db
  .prepare("SELECT id, root, anchored_at FROM batches WHERE root <> ?")
  .all("0x0000000000000000000000000000000000000000000000000000000000000000") as {
  id: string;
  root: string;
  anchored_at: number;
}[];
const anchoredAt = new Map(batches.map((b) => [b.id, b.anchored_at]));
// A deferred credential is handed out when its device collects it, once anchored: only the others can be late.
const delay = Math.max(
  0,
  ...journalled
    .filter((c) => c.transaction_id === null)
    .map((c) => (anchoredAt.get(c.batch_id) ?? Infinity) - c.issued_at),
);
const hashes = new Set(journalled.map((c) => c.hash));
const lost = fleet.filter((d) => {
  const credential = received.get(d.serial);
  return credential === undefined || !hashes.has(credentialHash(credential));
}).length;
const rootsRight = batches.every((b) => {
  const members = db.prepare("SELECT hash FROM credentials WHERE batch_id = ? ORDER BY idx").all(b.id) as {
    hash: string;
  }[];
  return buildBatch(members.map((m) => m.hash)).root === b.root;
});
db.close();
const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
const registry = ICCR__factory.connect(deployment.registry.address, provider);
const events = await registry.queryFilter(
  registry.filters.BatchAnchored(undefined, deployment.accounts[DEVICE_MAKER]?.address),
);
const anchorsOf = new Map<string, number>();
for (const e of events) anchorsOf.set(e.args.root, (anchorsOf.get(e.args.root) ?? 0) + 1);
const twice = [...anchorsOf.values()].filter((n) => n > 1).length;
const missing = batches.filter((b) => anchorsOf.get(b.root) !== 1).length;
provider.destroy();

service.kill("SIGTERM");
await new Promise((resolve) => service.once("exit", resolve));
trusting.close();
post.close();
devnet.stop();

const sorted = [...latencies].sort((a, b) => a - b);
const p50 = percentile(sorted, 50);
const p99 = percentile(sorted, 99);
const rows: [string, string, boolean][] = [
  [
    `devices issued and anchored`,
    `${DEVICES} in ${anchored.toFixed(1)} s (handed out in ${handedOut.toFixed(1)} s)`,
    anchored <= TARGETS.totalSeconds,
  ],
  [`credential request latency`, `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`, p99 <= TARGETS.p99Ms],
  [`anchored after handed out`, `at most ${delay} s`, delay <= TARGETS.anchorDelaySeconds],
  [`service memory`, `peak ${peakMiB.toFixed(0)} MiB`, peakMiB <= TARGETS.peakMiB],
  [
    `kills (SIGKILL) and restarts`,
    `${KILL_AT.length - kills.length} (back in ${restarts.map((r) => `${r.toFixed(1)} s`).join(", ") || "-"}), ` +
      `${retries} device request(s) retried, ${deferred} deferred`,
    kills.length === 0,
  ],
  [`lost`, `${lost} device(s) without an anchored credential`, lost === 0],
  [
    `anchored twice`,
    `${twice} batch(es); ${missing} batch(es) not anchored once; roots ${rootsRight ? "match" : "DIFFER"}`,
    twice === 0 && missing === 0 && rootsRight,
  ],
];
console.log(
  `\nbench:wallet: ${DEVICES} devices, ${CONCURRENCY} at a time, ${batches.length} batch(es), ` +
    `${LIBRARY_CLIENT ? "through the @openid4vc wallet libraries" : "lean device client"}`,
);
for (const [what, figure, met] of rows) console.log(`  ${met ? "ok    " : "MISSED"} ${what.padEnd(30)} ${figure}`);
const perDevice = (seconds: number): string => `${((seconds * 1000) / DEVICES).toFixed(1)} ms`;
console.log(
  `  (CPU per device: service ${perDevice(serviceCpu)}, node ${perDevice(nodeCpu)}, ` +
    `devices ${perDevice(devicesCpu)})`,
);
if (rows.some(([, , met]) => !met)) process.exitCode = 1;
