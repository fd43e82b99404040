/**
 * Anvil (Foundry's EVM node, the npm package `@foundry-rs/anvil`: an independent Rust implementation) as a second
 * EVM client for end-to-end tests and benchmarks: started on 127.0.0.1 on a free port with a real block time, CCR
 * deployed to it as to any network (`npm run deploy -- --network custom`), stopped after.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, computeAddress } from "ethers";
import { freePort } from "./devnet-process.ts";

/** Anvil's (and Hardhat's) well-known test mnemonic: keys for a throwaway chain only. */
const TEST_MNEMONIC = "test test test test test test test test test test test junk";

/** The private key of Anvil's funded test account `index` (0 to 9). */
export function anvilKey(index: number): string {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(TEST_MNEMONIC), `m/44'/60'/0'/0/${index}`).privateKey;
}

export interface RunningAnvil {
  url: string;
  chainId: number;
  /** A folder for this chain's files (deployment file, schemas, output); removed by `stop`. */
  dir: string;
  provider: JsonRpcProvider;
  child: ChildProcess;
  stop(): void;
}

/** The anvil binary that `@foundry-rs/anvil` ships for this platform. */
function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  return join(dirname(require.resolve(`${pkg}/package.json`)), "bin", "anvil");
}

/** Starts Anvil with `blockTime` seconds per block (0: a block per transaction) on a free port of 127.0.0.1 and a chain id of its own. */
export async function startAnvil(options: { blockTime?: number } = {}): Promise<RunningAnvil> {
  const port = await freePort();
  const chainId = randomInt(100_000, 1_000_000);
  const child = spawn(
    anvilBinary(),
    [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--chain-id",
      String(chainId),
      // Without a block time (0), Anvil mines a block per transaction (benchmarks).
      ...(options.blockTime === 0 ? [] : ["--block-time", String(options.blockTime ?? 1)]),
      "--silent",
    ],
    { detached: true, stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(url, chainId, { staticNetwork: true, pollingInterval: 200 });
  const dir = mkdtempSync(join(tmpdir(), "ccr-anvil-"));
  const running: RunningAnvil = {
    url,
    chainId,
    dir,
    provider,
    child,
    stop: () => {
      provider.destroy();
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await provider.getBlockNumber();
      return running;
    } catch (error) {
      if (Date.now() > deadline) {
        running.stop();
        throw new Error(`anvil did not answer on ${url}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** What `deployToAnvil` deployed: the deployment file and the keys of who does what. */
export interface AnvilDeployment {
  file: string;
  /** Environment variables holding the keys (never on the command line): COUNCIL_1..3, AUTHORITY_SG, AUTHORITY_JP, ISSUER. */
  env: Record<string, string>;
  output: string;
}

/**
 * Deploys CCR to `anvil` as a user deploys to any network: `npm run deploy -- --network custom` with the network's
 * URL and the deployer's key in the environment and a parameters file (council: test accounts 1 to 3, 2 of 3; SG's
 * authority: account 4, JP's: account 6). The example schema documents go beside the deployment file.
 */
export async function deployToAnvil(anvil: RunningAnvil): Promise<AnvilDeployment> {
  const parameters = join(anvil.dir, "parameters.json");
  writeFileSync(
    parameters,
    JSON.stringify({
      council: { owners: [1, 2, 3].map((i) => computeAddress(anvilKey(i))), threshold: 2 },
      councilTransferDelay: 60,
      economies: [{ iso: "SG", authority: computeAddress(anvilKey(4)) }],
      transactions: { confirmations: 1 },
    }),
  );
  const file = join(anvil.dir, "deployment.json");
  cpSync("examples/schemas", join(anvil.dir, "schemas"), { recursive: true });
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["node_modules/hardhat/dist/src/cli.js", "run", "--network", "custom", "scripts/deploy.ts"],
      {
        env: {
          ...process.env,
          CCR_RPC_URL: anvil.url,
          CCR_DEPLOYER_KEY: anvilKey(0),
          CCR_DEPLOY_PARAMETERS: parameters,
          CCR_DEPLOYMENT_OUT: file,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`deploy exited ${code}:\n${text}`))));
  });
  return {
    file,
    output,
    env: {
      COUNCIL_1: anvilKey(1),
      COUNCIL_2: anvilKey(2),
      COUNCIL_3: anvilKey(3),
      AUTHORITY_SG: anvilKey(4),
      ISSUER: anvilKey(5),
      AUTHORITY_JP: anvilKey(6),
      CCR_STATE_DIR: join(anvil.dir, "state"),
    },
  };
}

/** Removes the Ignition journals of a deployment to a throwaway chain (deploy/deployments/ccr-custom-<chain id>…). */
export function forgetIgnitionJournals(chainId: number): void {
  for (const suffix of ["", "-erc1056"]) {
    rmSync(join("deploy", "deployments", `ccr-custom-${chainId}${suffix}`), { recursive: true, force: true });
  }
}
