import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { CCRError } from "./errors.ts";

/** Where `npm run devnet` writes its node log and deployment file (`CCR_DEVNET_DIR`, default `.devnet`). */
export const DEVNET_DIR = process.env.CCR_DEVNET_DIR ?? ".devnet";
/** The devnet's deployment file, where tools look by default. */
export const DEVNET_DEPLOYMENT_FILE = `${DEVNET_DIR}/deployment.json`;

/** A named account of a deployment. Devnet accounts are derived from the well-known test mnemonic at `hdIndex`. */
export interface DeploymentAccount {
  address: string;
  role: "deployer" | "council" | "representative" | "authority" | "issuer" | "operator" | "holder";
  economy?: string;
  label?: string;
  hdIndex?: number;
}

/** What tools (CLI, auditor) need to find a CCR deployment. */
export interface Deployment {
  format: "ccr-deployment/1";
  network: string;
  chainId: number;
  rpcUrl: string;
  /** Hash of block 0: tells a restarted devnet (new genesis) from the one this file describes. */
  genesisHash: string;
  registry: { address: string; blockNumber: number };
  didRegistry: { address: string; blockNumber: number };
  /** The names contract (CCRNames) beside the registry; deployments made before it existed have none. */
  names?: { address: string; blockNumber: number } | undefined;
  schemas: { id: number; key: string; name: string; uri: string }[];
  economies: { iso: string; name?: string | undefined; authority: string }[];
  /** The council when it is a Safe multisig: its address, owners and threshold at deployment. */
  council?: { safe: string; owners: string[]; threshold: number } | undefined;
  accounts: Record<string, DeploymentAccount>;
  /** Where the deployment's web verifier is served (the devnet writes it): the default of `ccr render --verifier`. */
  verifierUrl?: string | undefined;
  /** How `ccr` waits for transactions on this network (see transactions.ts); the network's defaults otherwise. */
  transactions?: { confirmations?: number; txTimeout?: number; replaceAfter?: number; maxFee?: number } | undefined;
  createdAt: string;
}

/** The environment variable that names the deployment file when `--deployment` does not. */
export const DEPLOYMENT_ENV = "CCR_DEPLOYMENT";

/**
 * The deployment file to use: the one named (`--deployment`), else `$CCR_DEPLOYMENT`, else the devnet's
 * `.devnet/deployment.json` of the nearest folder from `from` upwards (so `ccr` works from any subfolder of the
 * project). Undefined when none is found.
 */
export function locateDeployment(named: string | undefined, from = process.cwd()): string | undefined {
  if (named !== undefined) return named;
  const fromEnv = process.env[DEPLOYMENT_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (isAbsolute(DEVNET_DIR)) return existsSync(DEVNET_DEPLOYMENT_FILE) ? DEVNET_DEPLOYMENT_FILE : undefined;
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, DEVNET_DEPLOYMENT_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export async function writeDeployment(file: string, deployment: Deployment): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(deployment, null, 2)}\n`);
}

/** Reads and checks a deployment file, naming the file and the field that is wrong. */
export async function readDeployment(file: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new CCRError(
      "DEPLOYMENT_FILE",
      `cannot read deployment file ${file} (start the devnet with "npm run devnet")`,
      {
        cause,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CCRError("DEPLOYMENT_FILE", `deployment file ${file} is not valid JSON`, { cause });
  }
  const d = value as Partial<Deployment>;
  if (d.format !== "ccr-deployment/1") {
    throw new CCRError("DEPLOYMENT_FILE", `deployment file ${file}: field "format" must be "ccr-deployment/1"`);
  }
  for (const field of ["registry", "didRegistry"] as const) {
    if (typeof d[field]?.address !== "string" || typeof d[field]?.blockNumber !== "number") {
      throw new CCRError(
        "DEPLOYMENT_FILE",
        `deployment file ${file}: field "${field}" needs an address and a blockNumber`,
      );
    }
  }
  if (typeof d.chainId !== "number" || typeof d.rpcUrl !== "string") {
    throw new CCRError("DEPLOYMENT_FILE", `deployment file ${file}: fields "chainId" and "rpcUrl" are required`);
  }
  return value as Deployment;
}
