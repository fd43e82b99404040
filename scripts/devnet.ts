/**
 * `npm run devnet`: starts a Hardhat node on 127.0.0.1, deploys CCR and the DID registry, seeds the demo framework,
 * writes the deployment file and runs until Ctrl-C. Each run starts a fresh chain.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { DEVNET_DIR } from "../src/deployment.ts";
import { DEVICE_MAKER, FACTORY_KID, devnetCertificate, freePort, provisioningSetup } from "./lib/devices.ts";

const USAGE = `Usage: npm run devnet [-- --help]

Starts a Hardhat node on 127.0.0.1, deploys CCR (its council a Safe of three representatives), seeds the demo
framework, writes the deployment file, starts ccr serve beside the node (web verifier, framework explorer, audit
dashboard, TRQP API) and runs until Ctrl-C. Each run starts a fresh chain.

Environment:
  CCR_DEVNET_PORT  the node's port (default 8545)
  CCR_WEB_PORT     ccr serve's port (default 8787; 0: any free port; off: no web server)
  CCR_ISSUER_PORT  the Korean device maker's OpenID4VCI issuer service, over HTTPS with a certificate made for the
                   devnet (default 8443; 0: any free port; off: no issuer service); npm run device enrols a device
  CCR_VERIFIER_PORT where wallets answer the web verifier's "Request from a wallet" (OpenID4VP), over HTTPS with a
                   certificate made for the devnet (default 8444; 0: any free port; off: no wallet requests)
  CCR_DEVNET_DIR   the devnet's folder (default .devnet): deployment.json, node.log, schemas/, proposals/,
                   status-lists/, audit.sqlite; ccr finds it from the project folder or any folder below it`;

const wanted = process.argv.slice(2);
if (wanted.includes("--help") || wanted.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
if (wanted.length > 0) {
  console.error(`devnet: unknown argument ${wanted[0]}: the devnet is set with environment variables\n\n${USAGE}`);
  process.exit(2);
}

const HOST = "127.0.0.1";
const PORT = Number(process.env.CCR_DEVNET_PORT ?? 8545);
const URL = `http://${HOST}:${PORT}`;
const LOG = `${DEVNET_DIR}/node.log`;
/** The node's process group, for whoever must stop the devnet without asking it (a test that kills it). */
const PID_FILE = `${DEVNET_DIR}/node.pid`;
/** `ccr serve` (verifier page, explorer, audit dashboard, TRQP API) beside the node: CCR_WEB_PORT, 0 for any free port, off to skip. */
const WEB_PORT = process.env.CCR_WEB_PORT ?? "8787";
/** The device maker's issuer service: CCR_ISSUER_PORT, 0 for any free port, off to skip. */
const ISSUER_PORT = process.env.CCR_ISSUER_PORT ?? "8443";
/** The OpenID4VP verifier beside the pages (wallets answer there): CCR_VERIFIER_PORT, 0 for any free port, off to skip. */
const VERIFIER_PORT = process.env.CCR_VERIFIER_PORT ?? "8444";

function fail(message: string): never {
  console.error(`devnet: ${message}`);
  process.exit(1);
}

/** Resolves when nothing listens on the port yet. */
async function checkPortFree(): Promise<void> {
  await new Promise<void>((resolve) => {
    const probe = createServer();
    probe.once("error", () =>
      fail(`port ${PORT} on ${HOST} is in use (another devnet?). Stop it, or set CCR_DEVNET_PORT to another port.`),
    );
    probe.listen(PORT, HOST, () => probe.close(() => resolve()));
  });
}

async function rpcUp(): Promise<boolean> {
  try {
    const response = await fetch(URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function stop(child: ChildProcess): void {
  // The node runs as npx -> sh -> node: stop the whole process group.
  if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

await checkPortFree();
mkdirSync(DEVNET_DIR, { recursive: true });
// A fresh chain each run: forget Ignition's journal of the previous devnet chain.
rmSync("deploy/deployments/chain-31337", { recursive: true, force: true });
// The auditor's default index belongs to the previous chain: a new devnet starts a new history.
for (const suffix of ["", "-wal", "-shm"]) rmSync(`${DEVNET_DIR}/audit.sqlite${suffix}`, { force: true });
// So do the previous chain's council proposals and issuers' status registers (bound to its genesis: refused on a
// new chain, never used there).
for (const folder of ["proposals", "status-lists", "issuer-service", "devices"]) {
  rmSync(`${DEVNET_DIR}/${folder}`, { recursive: true, force: true });
}
// The demo framework's schema documents, next to the deployment file: where ccr looks for a schema's document.
// (The folder the demo seed registers them from; run from the project folder, as "npm run devnet" does.)
cpSync("examples/schemas", `${DEVNET_DIR}/schemas`, { recursive: true });

const log = openSync(LOG, "w");
const node = spawn("npx", ["hardhat", "--network", "devnet", "node", "--hostname", HOST, "--port", String(PORT)], {
  detached: true,
  stdio: ["ignore", log, log],
  env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true" },
});
writeFileSync(PID_FILE, String(node.pid ?? ""));
let stopping = false;
node.on("exit", (code) => {
  if (!stopping) fail(`the Hardhat node stopped unexpectedly (exit ${code}); see ${LOG}`);
});
let web: ChildProcess | undefined;
let issuer: ChildProcess | undefined;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    stopping = true;
    web?.kill("SIGTERM");
    issuer?.kill("SIGTERM");
    stop(node);
    console.log("\ndevnet stopped");
    process.exit(0);
  });
}

console.log(`devnet: starting a Hardhat node on ${URL} (log: ${LOG})`);
const deadline = Date.now() + 120_000;
while (!(await rpcUp())) {
  if (Date.now() > deadline) {
    stopping = true;
    stop(node);
    fail(`the node did not answer on ${URL} within 120 s; see ${LOG}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}

console.log("devnet: deploying and seeding the demo framework");
const deploy = spawn("npx", ["hardhat", "run", "--network", "localhost", "scripts/devnet-deploy.ts"], {
  stdio: "inherit",
  env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true", CCR_DEVNET_URL: URL },
});
const deployed = await new Promise<number | null>((resolve) => deploy.on("exit", resolve));
if (deployed !== 0) {
  stopping = true;
  stop(node);
  fail("deployment failed (see above); the node was stopped");
}
/**
 * Starts `ccr <args>` on the devnet's deployment, in the devnet's process group (whatever stops the devnet stops it
 * too); resolves with the address it prints (`pattern`), or why it did not start.
 */
function startCcr(
  args: string[],
  pattern: RegExp,
  started: (child: ChildProcess | undefined) => void,
): Promise<string> {
  const child = spawn(process.execPath, ["bin/ccr.js", "--deployment", `${DEVNET_DIR}/deployment.json`, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  started(child);
  let output = "";
  return new Promise((resolve) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = pattern.exec(output)?.[1];
      if (url !== undefined) resolve(url);
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", () => {
      started(undefined);
      resolve(`not started: ${output.trim().split("\n").pop() ?? `ccr ${args[0]} exited`}`);
    });
  });
}

/**
 * The verifier's options of `ccr serve`: a certificate made for the devnet (its identity to wallets) and its port;
 * none when CCR_VERIFIER_PORT is off or the certificate cannot be made (the page then has no wallet requests).
 */
function verifierArgs(): string[] {
  if (VERIFIER_PORT === "off") return [];
  const dir = `${DEVNET_DIR}/verifier`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const [cert, key] = [`${dir}/verifier.crt`, `${dir}/verifier.key`];
  const problem = devnetCertificate("ccr-devnet-verifier", cert, key);
  if (problem !== undefined) {
    console.log(`devnet: no wallet requests on the verifier page: ${problem}`);
    return [];
  }
  return ["--verifier-cert", cert, "--verifier-key", key, "--verifier-port", VERIFIER_PORT];
}

/** Starts `ccr serve` on the devnet's deployment; resolves with its address, or why it did not start. */
function startWeb(): Promise<string> {
  if (WEB_PORT === "off") return Promise.resolve("not started (CCR_WEB_PORT=off)");
  return startCcr(
    // The auditor's default index: the dashboard follows the chain, and `ccr audit check` results show there.
    ["serve", "--host", HOST, "--port", WEB_PORT, "--db", `${DEVNET_DIR}/audit.sqlite`, ...verifierArgs()],
    /listening on (\S+)/,
    (child) => (web = child),
  );
}

/**
 * The Korean device maker's OpenID4VCI issuer service, over HTTPS with a certificate made for the devnet (openssl),
 * and its factory's attestation key (a new one each run, in `devices/`): `npm run device` enrols a device with it.
 */
async function startIssuer(): Promise<string> {
  if (ISSUER_PORT === "off") return "not started (CCR_ISSUER_PORT=off)";
  const port = ISSUER_PORT === "0" ? await freePort() : Number(ISSUER_PORT);
  const made = await provisioningSetup(DEVNET_DIR, port);
  if (typeof made === "string") return `not started: ${made}`;
  const added = spawnSync(
    process.execPath,
    ["bin/ccr.js", "--deployment", `${DEVNET_DIR}/deployment.json`, "--as", DEVICE_MAKER, "attester", "add"].concat([
      FACTORY_KID,
      made.attesterPublicKey,
    ]),
    { encoding: "utf8" },
  );
  if (added.status !== 0) return `not started: ${added.stderr.trim()}`;
  const tls = ["--tls-cert", made.certificate, "--tls-key", made.key];
  return startCcr(
    ["--as", DEVICE_MAKER, "issuer-service", "--issuer-url", made.url, "--host", HOST, "--port", String(port), ...tls],
    /ccr issuer-service: (https:\S+)/,
    (child) => (issuer = child),
  );
}

const webAddress = await startWeb();
// Where the devnet's pages are served: ccr render's QR codes point there (not at a port another program may hold).
if (webAddress.startsWith("http")) {
  const file = `${DEVNET_DIR}/deployment.json`;
  writeFileSync(
    file,
    `${JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), verifierUrl: `${webAddress}/` }, null, 2)}\n`,
  );
}
console.log(`devnet: web verifier, framework explorer, audit dashboard and TRQP API: ${webAddress}`);
if (webAddress.startsWith("http") && VERIFIER_PORT !== "off" && VERIFIER_PORT !== "0") {
  console.log(`devnet: wallets answer the verifier page's requests (OpenID4VP) at https://localhost:${VERIFIER_PORT}`);
}
const issuerAddress = await startIssuer();
console.log(`devnet: the device maker's OpenID4VCI issuer service: ${issuerAddress} (npm run device enrols a device)`);
console.log(`devnet: running on ${URL}. Press Ctrl-C to stop.`);
