/**
 * CCR on any EVM network: the council Safe, the registry and its names contract (deploy/modules/Network.ts), the
 * ERC-1056 DID registry where the network has none (deploy/modules/DIDRegistry.ts), and the deployment file that
 * `ccr` reads. The parameters come from a file (see `NetworkParameters`), checked field by field.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { getAddress, isAddress, type Provider } from "ethers";
import { config as hardhatConfig, type network } from "hardhat";
import { economyCode } from "../src/codes.ts";
import { majority } from "../src/council.ts";
import { writeDeployment, type Deployment } from "../src/deployment.ts";
import { CCRError } from "../src/errors.ts";
import DIDRegistryModule from "./modules/DIDRegistry.ts";
import NetworkModule from "./modules/Network.ts";

type NetworkConnection = Awaited<ReturnType<typeof network.create>>;

/** Where ERC-1056 is deployed on many public networks (the same address everywhere, from one deployer). */
export const CANONICAL_ERC1056 = "0xdCa7EF03e98e0DC2B855bE647C39ABe984fcF21B";

/** The parameters file of `npm run deploy`. */
export interface NetworkParameters {
  /** The member economies' representatives who own the council Safe, and how many of them sign each action. */
  council: { owners: string[]; threshold: number };
  /** Seconds a council handover waits before the new council can accept (default: 1 day). */
  councilTransferDelay: number;
  /** The first member economies and their authorities (more are admitted later by the council). */
  economies: { iso: string; authority: string }[];
  /** An ERC-1056 registry already on the network (default: the canonical one if it has code, else a new one). */
  didRegistry?: string | undefined;
  /** The RPC URL written into the deployment file (default: the Hardhat network's URL). */
  rpcUrl?: string | undefined;
  /** How `ccr` waits for transactions on this network (written into the deployment file). */
  transactions?: { confirmations?: number; txTimeout?: number; replaceAfter?: number; maxFee?: number } | undefined;
}

function problem(file: string, field: string, what: string): CCRError {
  return new CCRError("INVALID_INPUT", `${file}: field "${field}" ${what}`);
}

function address(file: string, field: string, value: unknown): string {
  if (typeof value !== "string" || !isAddress(value))
    throw problem(file, field, "must be an address (0x and 40 hex digits)");
  return getAddress(value);
}

/** Reads and checks a parameters file, naming the file and the field that is wrong. */
export async function readNetworkParameters(file: string): Promise<NetworkParameters> {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (cause) {
    throw new CCRError(
      "INVALID_INPUT",
      `cannot read the deployment parameters ${file} (${(cause as Error).message.split("\n")[0] ?? ""}); ` +
        `see deploy/parameters/example.json`,
      { cause },
    );
  }
  const council = value.council as { owners?: unknown; threshold?: unknown } | undefined;
  if (!Array.isArray(council?.owners) || council.owners.length === 0) {
    throw problem(file, "council.owners", "must list the representatives' addresses");
  }
  const owners = council.owners.map((o, i) => address(file, `council.owners[${i}]`, o));
  if (new Set(owners).size !== owners.length) throw problem(file, "council.owners", "names an owner twice");
  const threshold = council.threshold ?? majority(owners.length);
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 1 || threshold > owners.length) {
    throw problem(file, "council.threshold", `must be a whole number from 1 to ${owners.length} (the owners)`);
  }
  const delay = value.councilTransferDelay ?? 86_400;
  if (typeof delay !== "number" || !Number.isInteger(delay) || delay < 0) {
    throw problem(file, "councilTransferDelay", "must be a number of seconds");
  }
  const economies = (Array.isArray(value.economies) ? value.economies : []) as Record<string, unknown>[];
  const checked = economies.map((e, i) => {
    const iso = e.iso;
    if (typeof iso !== "string" || !/^[A-Z]{2}$/.test(iso)) {
      throw problem(file, `economies[${i}].iso`, "must be an ISO 3166-1 alpha-2 code (two upper-case letters)");
    }
    // A name is the council's word on-chain (the names contract), not the deployer's: refused here, never dropped.
    if (e.name !== undefined) {
      throw problem(
        file,
        `economies[${i}].name`,
        "is not set at deployment: the council names economies on-chain once deployed " +
          `(ccr council propose name-economy ${iso} "<name>" "<authority's name>"); remove it here`,
      );
    }
    return { iso, authority: address(file, `economies[${i}].authority`, e.authority) };
  });
  const didRegistry =
    value.didRegistry === undefined || value.didRegistry === null
      ? undefined
      : address(file, "didRegistry", value.didRegistry);
  const rpcUrl = typeof value.rpcUrl === "string" ? value.rpcUrl : undefined;
  const transactions = value.transactions as NetworkParameters["transactions"];
  return {
    council: { owners, threshold },
    councilTransferDelay: delay,
    economies: checked,
    didRegistry,
    rpcUrl,
    transactions,
  };
}

/** The block of the transaction that created `address`, from the Ignition deployment's journal. */
async function creationBlock(journalFolder: string, address: string): Promise<number | undefined> {
  const text = await readFile(join(journalFolder, "journal.jsonl"), "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    if (!line.includes("TRANSACTION_CONFIRM")) continue;
    const message = JSON.parse(line) as { receipt?: { contractAddress?: string; blockNumber?: number } };
    if (message.receipt?.contractAddress?.toLowerCase() === address.toLowerCase()) return message.receipt.blockNumber;
  }
  return undefined;
}

async function hasCode(provider: Provider, address: string): Promise<boolean> {
  return (await provider.getCode(address)) !== "0x";
}

/**
 * Deploys (or continues deploying) CCR on `connection`'s network with `parameters` and writes the deployment file
 * (`out`, default deploy/deployments/<network>.json). Ignition's deployment id is `ccr-<network>-<chain id>`.
 */
export async function deployNetwork(
  connection: NetworkConnection,
  parameters: NetworkParameters,
  options: { out?: string | undefined; log?: (line: string) => void } = {},
): Promise<{ deployment: Deployment; deploymentFile: string }> {
  const log = options.log ?? (() => undefined);
  const { ethers, ignition, networkName } = connection;
  const provider = ethers.provider;
  const [chainId, genesis] = await Promise.all([
    provider.getNetwork().then((n) => Number(n.chainId)),
    provider.getBlock(0),
  ]);
  const [deployer] = await ethers.getSigners();
  if (deployer === undefined) {
    throw new CCRError(
      "KEY_UNAVAILABLE",
      `the network "${networkName}" has no account to deploy with: store its key with ` +
        "`npx hardhat keystore set CCR_DEPLOYER_KEY` (or set it in the environment)",
    );
  }
  log(`Deploying CCR to ${networkName} (chain id ${chainId}) from ${deployer.address}`);
  const deploymentId = `ccr-${networkName}-${chainId}`;
  const confirmations = parameters.transactions?.confirmations ?? (chainId === 31337 ? 1 : 2);
  const config = { requiredConfirmations: confirmations };
  const deployed = await ignition.deploy(NetworkModule, {
    parameters: {
      CCRCouncil: { owners: parameters.council.owners, threshold: parameters.council.threshold },
      CCRNetwork: {
        councilTransferDelay: parameters.councilTransferDelay,
        economies: parameters.economies.map((e) => economyCode(e.iso)),
        authorities: parameters.economies.map((e) => e.authority),
      },
    },
    deploymentId,
    config,
    displayUi: false,
  });
  const registry = await deployed.registry.getAddress();
  const names = await deployed.names.getAddress();
  const safe = await deployed.safe.getAddress();

  let didRegistry = parameters.didRegistry;
  if (didRegistry !== undefined && !(await hasCode(provider, didRegistry))) {
    throw new CCRError("INVALID_INPUT", `didRegistry ${didRegistry} has no contract on chain ${chainId}`);
  }
  if (didRegistry === undefined && (await hasCode(provider, CANONICAL_ERC1056))) didRegistry = CANONICAL_ERC1056;
  let didDeploymentId: string | undefined;
  if (didRegistry === undefined) {
    didDeploymentId = `${deploymentId}-erc1056`;
    const did = await ignition.deploy(DIDRegistryModule, { deploymentId: didDeploymentId, config, displayUi: false });
    didRegistry = await did.didRegistry.getAddress();
  }

  const journal = join(hardhatConfig.paths.ignition, "deployments", deploymentId);
  const registryBlock = (await creationBlock(journal, registry)) ?? 0;
  const didBlock =
    didDeploymentId === undefined
      ? registryBlock
      : ((await creationBlock(join(journal, "..", didDeploymentId), didRegistry)) ?? registryBlock);
  const rpcUrl =
    parameters.rpcUrl ??
    ("url" in connection.networkConfig && typeof connection.networkConfig.url === "object"
      ? await connection.networkConfig.url.get()
      : "");
  const deployment: Deployment = {
    format: "ccr-deployment/1",
    network: networkName,
    chainId,
    rpcUrl,
    genesisHash: genesis?.hash ?? "",
    registry: { address: registry, blockNumber: registryBlock },
    didRegistry: { address: didRegistry, blockNumber: didBlock },
    names: { address: names, blockNumber: (await creationBlock(journal, names)) ?? registryBlock },
    schemas: [],
    economies: parameters.economies.map((e) => ({ iso: e.iso, authority: e.authority })),
    council: { safe, owners: parameters.council.owners, threshold: parameters.council.threshold },
    accounts: { deployer: { address: deployer.address, role: "deployer" } },
    ...(parameters.transactions === undefined ? {} : { transactions: parameters.transactions }),
    createdAt: new Date().toISOString(),
  };
  const deploymentFile = options.out ?? join("deploy", "deployments", `${networkName}.json`);
  await writeDeployment(deploymentFile, deployment);
  return { deployment, deploymentFile };
}
