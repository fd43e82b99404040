import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { readDeployment } from "../src/deployment.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";
import { listening, startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { runCcr } from "../scripts/lib/ccr-process.ts";
import { holderDid } from "./holders.ts";

/**
 * A signing key revoked through the issuer's DID stops verifying as soon as the wall clock leaves the second of its
 * revocation (ERC-1056 keeps a delegate valid through that second), not a minute later: the devnet's blocks carry the
 * wall clock's time, so the revocation's time is not ahead of the resolver's clock.
 */
async function revokedKeyStopsAtOnce(deploymentFile: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "ccr-devnet-key-"));
  const env = { CCR_KEYSTORE_PASSWORD: "devnet test", CCR_SIGNING_KEYSTORE_PASSWORD: "devnet test" };
  const ccr = (args: string[]) => runCcr(deploymentFile, args, env);
  const keystore = join(work, "signing-key.json");
  const address = /for (0x[0-9a-fA-F]{40})/.exec((await ccr(["key", "new", "--out", keystore])).stdout)?.[1] ?? "";
  expect((await ccr(["--as", "ca-bank", "did", "add-key", address])).code).to.equal(0);
  const revoked = await ccr(["--as", "ca-bank", "did", "revoke-key", address]);
  const wallClock = Math.ceil(Date.now() / 1000);
  expect(revoked.code, revoked.stderr).to.equal(0);
  const tx = /\(transaction (0x[0-9a-f]{64})\)/.exec(revoked.stdout)?.[1] ?? "";
  const deployment = await readDeployment(deploymentFile);
  const provider = new JsonRpcProvider(deployment.rpcUrl, undefined, { staticNetwork: true });
  const receipt = await provider.getTransactionReceipt(tx);
  const revokedAt = (await provider.getBlock(receipt?.blockNumber ?? -1))?.timestamp ?? Infinity;
  provider.destroy();
  expect(revokedAt, "the revocation's block is ahead of the wall clock").to.be.at.most(wallClock);
  // Past the revocation's second (a condition on the wall clock, not a fixed wait): the DID document no longer lists
  // the key, so ccr refuses to sign with it (what it signed would not verify).
  while (Date.now() / 1000 <= revokedAt + 1) await new Promise((r) => setTimeout(r, 50));
  const input = join(work, "kyc.csv");
  writeFileSync(input, `id,assuranceLevel,verifiedOn\n${holderDid("customer-1")},high,2026-11-01\n`);
  const out = join(work, "kyc");
  const issue = ["--as", "ca-bank", "issue", "--schema", "kyc", "--input", input, "--out", out, "--single"];
  const refused = await ccr([...issue, "--signing-keystore", keystore]);
  expect([refused.code, refused.stderr]).to.deep.equal([
    2,
    `ccr: the signing key ${address} is not a key of did:ethr:0x7a69:${deployment.accounts["ca-bank"]?.address}: ` +
      "what it signs would not verify. Sign with the issuer's key, or add this one as a signing key " +
      "(ccr --as <issuer> did add-key <address>)\n",
  ]);
  rmSync(work, { recursive: true, force: true });
}

describe("npm run devnet (end to end)", function () {
  this.timeout(240_000);
  let devnet: RunningDevnet | undefined;

  it("prints its usage for --help and starts nothing; refuses an argument it does not know", function () {
    const help = spawnSync(process.execPath, ["scripts/devnet.ts", "--help"], {
      encoding: "utf8",
      env: { ...process.env, CCR_DEVNET_DIR: join(tmpdir(), "ccr-devnet-help-never-created") },
    });
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/^Usage: npm run devnet \[-- --help\]\n/);
    for (const variable of ["CCR_DEVNET_PORT", "CCR_WEB_PORT", "CCR_ISSUER_PORT", "CCR_DEVNET_DIR"])
      expect(help.stdout).to.include(variable);
    expect(existsSync(join(tmpdir(), "ccr-devnet-help-never-created"))).to.equal(false);
    const unknown = spawnSync(process.execPath, ["scripts/devnet.ts", "--port", "9000"], { encoding: "utf8" });
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.match(/^devnet: unknown argument --port: the devnet is set with environment variables/);
  });

  after(function () {
    devnet?.stop();
  });

  it("starts a node on 127.0.0.1, deploys, seeds, writes the deployment file and stops on Ctrl-C", async function () {
    devnet = await startDevnet(undefined, { issuer: true });
    const { port, dir } = devnet;
    const output = devnet.output();
    expect(output).to.include("Framework: 21 economies, 6 schemas, 6 issuers, 1 operator");
    expect(output).to.include("12 VALID, 1 SUSPENDED, 2 REVOKED");

    const deployment = await readDeployment(join(dir, "deployment.json"));
    expect(deployment.rpcUrl).to.equal(`http://127.0.0.1:${port}`);
    expect(deployment.economies).to.have.length(21);
    const provider = new JsonRpcProvider(deployment.rpcUrl, undefined, { staticNetwork: true });
    const registry = ICCR__factory.connect(deployment.registry.address, provider);
    expect(await registry.ccrVersion()).to.equal("2");
    expect((await provider.getBlock(0))?.hash).to.equal(deployment.genesisHash);
    // The chain's clock is the wall clock: the seed's hundreds of blocks did not push it ahead (one second a block).
    const latest = await provider.getBlock("latest");
    expect(latest?.timestamp).to.be.at.most(Math.ceil(Date.now() / 1000));
    expect(latest?.number).to.be.greaterThan(50);
    provider.destroy();
    expect(readFileSync(join(dir, "node.log"), "utf8")).to.include(`127.0.0.1:${port}`);

    // ccr serve beside the node: its address in the summary, the verifier page and the TRQP API answering.
    const web =
      /devnet: web verifier, framework explorer, audit dashboard and TRQP API: (http:\/\/127\.0\.0\.1:(\d+))\n/.exec(
        output,
      );
    expect(web, output).to.not.equal(null);
    const [, webUrl = "", webPort = ""] = web ?? [];
    // The deployment file says where the pages are served: ccr render's QR codes point there by default.
    expect((await readDeployment(join(dir, "deployment.json"))).verifierUrl).to.equal(`${webUrl}/`);
    expect((await fetch(`${webUrl}/`)).status).to.equal(200);
    const metadata = (await (await fetch(`${webUrl}/metadata`)).json()) as { registry: { contract: string } };
    expect(metadata.registry.contract).to.equal(deployment.registry.address);
    // The dashboard's index follows the chain: synced at start, the demo's 15 credentials in its report.
    const status = (await (await fetch(`${webUrl}/api/audit/status`)).json()) as { block?: number; error?: string };
    expect(status.error).to.equal(undefined);
    expect(status.block).to.be.greaterThan(deployment.registry.blockNumber);
    const report = (await (await fetch(`${webUrl}/api/audit/report`)).json()) as { totals: { issued: number } };
    expect(report.totals.issued).to.equal(15);

    await revokedKeyStopsAtOnce(join(dir, "deployment.json"));

    // The device maker's issuer service beside the node: a simulated device enrols with no human step.
    const issuer = /devnet: the device maker's OpenID4VCI issuer service: https:\/\/localhost:(\d+) /.exec(output);
    expect(issuer, output).to.not.equal(null);
    const enrolled = spawnSync(process.execPath, ["scripts/device.ts", "KR-SN-4242"], {
      encoding: "utf8",
      env: { ...process.env, CCR_DEVNET_DIR: dir },
    });
    expect(enrolled.status, enrolled.stderr).to.equal(0);
    expect(enrolled.stdout).to.match(
      /^device KR-SN-4242: enrolled with https:\/\/localhost:\d+ in [\d.]+ s, anchored;/,
    );
    const device = await runCcr(join(dir, "deployment.json"), ["verify", join(dir, "devices", "KR-SN-4242.json")]);
    expect(device.code, device.stdout + device.stderr).to.equal(0);
    expect(device.stdout).to.include("serialNumber: KR-SN-4242");
    const twice = spawnSync(process.execPath, ["scripts/device.ts", "KR-SN-4242"], {
      encoding: "utf8",
      env: { ...process.env, CCR_DEVNET_DIR: dir },
    });
    expect(twice.status).to.equal(1);
    expect(twice.stderr).to.include("refused: invalid_grant: this device has its credential already");

    const exited = devnet.interrupt();
    expect(await exited).to.equal(0);
    const deadline = Date.now() + 15_000;
    const up = async () =>
      (await listening(port)) || (await listening(Number(webPort))) || (await listening(Number(issuer?.[1])));
    while ((await up()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await listening(port)).to.equal(false);
    expect(await listening(Number(webPort)), "ccr serve outlived the devnet").to.equal(false);
    expect(await listening(Number(issuer?.[1])), "the issuer service outlived the devnet").to.equal(false);

    // A restarted devnet is a new chain: the auditor's default index of the old one goes with it.
    writeFileSync(join(dir, "audit.sqlite"), "an index of the previous chain");
    devnet = await startDevnet(dir);
    // ccr serve built a new index of the new chain in its place.
    expect(readFileSync(join(dir, "audit.sqlite")).subarray(0, 15).toString()).to.equal("SQLite format 3");
    expect(await devnet.interrupt()).to.equal(0);
  });
});
