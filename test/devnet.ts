import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { readDeployment } from "../src/deployment.ts";
import { CCRRegistry__factory } from "../types/ethers-contracts/index.js";

/** A port nobody listens on, on 127.0.0.1. */
async function freePort(): Promise<number> {
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

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(true));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(false)));
  });
}

describe("npm run devnet (end to end)", function () {
  this.timeout(240_000);
  let devnet: ChildProcess | undefined;
  let dir = "";
  let output = "";

  after(function () {
    if (devnet?.pid !== undefined && devnet.exitCode === null) process.kill(-devnet.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts a node on 127.0.0.1, deploys, seeds, writes the deployment file and stops on Ctrl-C", async function () {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), "ccr-devnet-"));
    devnet = spawn(process.execPath, ["scripts/devnet.ts"], {
      detached: true,
      env: { ...process.env, CCR_DEVNET_PORT: String(port), CCR_DEVNET_DIR: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const child = devnet;
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
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
    expect(output).to.include("Framework: 21 economies, 6 schemas, 6 issuers, 1 operator");
    expect(output).to.include("12 VALID, 1 SUSPENDED, 2 REVOKED");

    const deployment = await readDeployment(join(dir, "deployment.json"));
    expect(deployment.rpcUrl).to.equal(`http://127.0.0.1:${port}`);
    expect(deployment.economies).to.have.length(21);
    const provider = new JsonRpcProvider(deployment.rpcUrl, undefined, { staticNetwork: true });
    const registry = CCRRegistry__factory.connect(deployment.registry.address, provider);
    expect(await registry.ccrVersion()).to.equal("1");
    expect((await provider.getBlock(0))?.hash).to.equal(deployment.genesisHash);
    provider.destroy();
    expect(readFileSync(join(dir, "node.log"), "utf8")).to.include(`127.0.0.1:${port}`);

    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
    expect(await exited).to.equal(0);
    const deadline = Date.now() + 15_000;
    while ((await listening(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await listening(port)).to.equal(false);
  });
});
