/**
 * `npm run bench` (second part): the toolkit's speed targets, measured as a user meets them, end to end through the
 * `ccr` command against a devnet started for the run (a real Hardhat node on 127.0.0.1):
 *   - issue 10,000 credentials from a CSV (validate, sign, batch, anchor, write files) <= 30 s;
 *   - verify the 10,000 credential files <= 30 s.
 * Wall-clock time includes starting the command. Exits 1 if a target is missed.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { runCcr } from "./lib/ccr-process.ts";
import { startDevnet } from "./lib/devnet-process.ts";

const COUNT = 10_000;
const TARGET_SECONDS = 30;

async function ccr(
  deployment: string,
  args: string[],
): Promise<{ seconds: number; code: number | null; output: string }> {
  const { seconds, code, stdout, stderr } = await runCcr(deployment, args);
  return { seconds, code, output: stdout + stderr };
}

const devnet = await startDevnet();
const work = await mkdtemp(join(tmpdir(), "ccr-bench-"));
let missed = false;
try {
  const deployment = join(devnet.dir, "deployment.json");
  const lines = ["id,manufacturer,model,serialNumber,firmwareVersion"];
  for (let i = 0; i < COUNT; i++) {
    lines.push(`did:example:device-${i},K-Devices,Sensor S3,SN-${String(i).padStart(8, "0")},1.4.2`);
  }
  const input = join(work, "devices.csv");
  await writeFile(input, `${lines.join("\n")}\n`);
  const out = join(work, "devices");

  const issued = await ccr(deployment, [
    "--as",
    "kr-devicemaker",
    "issue",
    "--type",
    "device",
    "--input",
    input,
    "--out",
    out,
  ]);
  if (issued.code !== 0) throw new Error(`ccr issue failed:\n${issued.output}`);
  const files = (await readdir(out)).filter((f) => f.startsWith("credential-")).length;
  if (files !== COUNT) throw new Error(`ccr issue wrote ${files} credential files, expected ${COUNT}`);

  const verified = await ccr(deployment, ["verify", out]);
  if (verified.code !== 0) throw new Error(`ccr verify failed:\n${verified.output.slice(-2000)}`);
  if (!verified.output.includes(`${COUNT} valid, 0 invalid, 0 undecided`)) {
    throw new Error(`ccr verify did not find ${COUNT} valid credentials`);
  }

  const rows = [
    { what: `ccr issue: ${COUNT.toLocaleString("en")} credentials from CSV, 10 batches`, seconds: issued.seconds },
    { what: `ccr verify: ${COUNT.toLocaleString("en")} credential files`, seconds: verified.seconds },
  ];
  console.log(`\nToolkit, end to end against a devnet (${cpus().length} cores; target <= ${TARGET_SECONDS} s each)`);
  for (const { what, seconds } of rows) {
    const ok = seconds <= TARGET_SECONDS;
    missed ||= !ok;
    console.log(`  ${what.padEnd(52)} ${seconds.toFixed(1).padStart(6)} s  ${ok ? "ok" : "MISSED"}`);
  }
} finally {
  devnet.stop();
  await rm(work, { recursive: true, force: true });
}
if (missed) process.exitCode = 1;
