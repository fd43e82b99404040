/**
 * `npm run bench` (fourth part): the web verifier's speed target, measured as a user meets it: 1,000 credential files
 * dropped at once on the verifier page in headless Chromium (Debian's), checked in the browser against a devnet
 * through `ccr serve`'s read-only relay, all VALID, in <= 15 s from the drop to the last result shown. Three runs;
 * exits 1 if the slowest misses the target or any credential is not valid.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { readDeployment } from "../src/deployment.ts";
import { connectRegistry } from "../src/registry.ts";
import { startServer } from "../src/server/serve.ts";
import { dropFiles, launchChromium } from "./lib/browser.ts";
import { deviceIssueArgs, runCcr } from "./lib/ccr-process.ts";
import { startDevnet } from "./lib/devnet-process.ts";

const COUNT = 1_000;
const TARGET_SECONDS = 15;
const RUNS = 3;

/** Issues COUNT device credentials in one batch; returns the files' names and contents. */
async function credentials(deployment: string, work: string): Promise<{ name: string; text: string }[]> {
  const lines = ["id,manufacturer,model,serialNumber,firmwareVersion"];
  for (let i = 0; i < COUNT; i++) {
    const id = `did:ethr:0x7a69:0x${(i + 1).toString(16).padStart(40, "0")}`;
    lines.push(`${id},K-Devices,Sensor W1,SN-W${String(i).padStart(6, "0")},2.0.0`);
  }
  const input = join(work, "devices.csv");
  await writeFile(input, `${lines.join("\n")}\n`);
  const out = join(work, "out");
  const run = await runCcr(deployment, deviceIssueArgs(input, out));
  if (run.code !== 0) throw new Error(`ccr issue failed: ${run.stderr}`);
  const names = (await readdir(out)).filter((f) => f.startsWith("credential-")).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(out, name), "utf8") })));
}

const work = await mkdtemp(join(tmpdir(), "ccr-bench-web-"));
const devnet = await startDevnet();
try {
  await build({ configFile: join(import.meta.dirname, "..", "vite.config.ts"), logLevel: "warn" });
  const deploymentFile = join(devnet.dir, "deployment.json");
  const files = await credentials(deploymentFile, work);
  const deployment = await readDeployment(deploymentFile);
  const server = await startServer(
    { connection: await connectRegistry(deployment), rpcUrl: deployment.rpcUrl },
    { host: "127.0.0.1", port: 0 },
  );
  const browser = await launchChromium();
  const times: number[] = [];
  let failed = false;
  try {
    for (let run = 1; run <= RUNS; run++) {
      const page = await browser.newPage();
      await page.goto(`${server.url}/`);
      await page.waitForFunction('!document.getElementById("connection").textContent.startsWith("Connecting")');
      const started = performance.now();
      await dropFiles(page, "#drop", files);
      await page.waitForSelector("#summary[data-done]", { timeout: 120_000 });
      const seconds = (performance.now() - started) / 1000;
      const summary = (await page.textContent("#summary")) ?? "";
      const allValid = summary.startsWith(`${COUNT} credentials: ${COUNT} valid, 0 invalid, 0 undecided`);
      console.log(`run ${run}: ${COUNT} files dropped and verified in ${seconds.toFixed(1)} s: ${summary}`);
      if (!allValid) failed = true;
      times.push(seconds);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const slowest = Math.max(...times);
  const met = slowest <= TARGET_SECONDS && !failed;
  console.log(
    `web verifier: ${COUNT} dropped files in ${times.map((t) => t.toFixed(1)).join(", ")} s ` +
      `(target <= ${TARGET_SECONDS} s): ${met ? "met" : "MISSED"}`,
  );
  process.exitCode = met ? 0 : 1;
} finally {
  devnet.stop();
  await rm(work, { recursive: true, force: true });
}
