/**
 * Deploys CCR to the devnet through the Ignition module, seeds the demo framework, writes the deployment file and
 * prints a summary. Run by `npm run devnet` as `hardhat run --network localhost scripts/devnet-deploy.ts`.
 */
import { network } from "hardhat";
import CCRModule from "../deploy/modules/CCR.ts";
import { APEC_ECONOMIES } from "../src/apec.ts";
import { Status, STATUS } from "../src/codes.ts";
import { apecEconomyParameters, demoQuery, seedDemo } from "../src/demo.ts";
import { DEVNET_DEPLOYMENT_FILE, writeDeployment } from "../src/deployment.ts";
import { CCRRegistry__factory } from "../types/ethers-contracts/index.js";

const { ethers, ignition } = await network.getOrCreate();
const provider = ethers.provider;
const rpcUrl = process.env.CCR_DEVNET_URL ?? "http://127.0.0.1:8545";
const chainId = Number((await provider.getNetwork()).chainId);
const genesis = await provider.getBlock(0);
const firstBlock = await provider.getBlockNumber();

const { economies, authorities } = apecEconomyParameters(provider);
const deployed = await ignition.deploy(CCRModule, {
  parameters: { CCR: { economies, authorities, councilTransferDelay: 3600 } },
  displayUi: false,
});
const registryAddress = await deployed.registry.getAddress();
const didRegistryAddress = await deployed.didRegistry.getAddress();

/** The block in which `address` was created: the first block after `from` whose receipts name it. */
async function creationBlock(address: string, from: number): Promise<number> {
  const latest = await provider.getBlockNumber();
  for (let n = from; n <= latest; n++) {
    const block = await provider.getBlock(n);
    for (const hash of block?.transactions ?? []) {
      const receipt = await provider.getTransactionReceipt(hash);
      if (receipt?.contractAddress?.toLowerCase() === address.toLowerCase()) return n;
    }
  }
  throw new Error(`no creation block found for ${address}`);
}

const [council] = await ethers.getSigners();
if (council === undefined) throw new Error("the devnet has no accounts");
const registry = CCRRegistry__factory.connect(registryAddress, council);
const demo = await seedDemo(registry, provider);

const deployment = {
  format: "ccr-deployment/1" as const,
  network: "devnet",
  chainId,
  rpcUrl,
  genesisHash: genesis?.hash ?? "",
  registry: { address: registryAddress, blockNumber: await creationBlock(registryAddress, firstBlock) },
  didRegistry: { address: didRegistryAddress, blockNumber: await creationBlock(didRegistryAddress, firstBlock) },
  schemas: demo.schemas,
  economies: APEC_ECONOMIES.map(({ iso, name }, i) => ({ iso, name, authority: authorities[i] ?? "" })),
  accounts: demo.accounts,
  demo: { credentials: demo.credentials, recognitions: demo.recognitions },
  createdAt: new Date().toISOString(),
};
await writeDeployment(DEVNET_DEPLOYMENT_FILE, deployment);

// Check the seeded state through the registry's own many-credentials verdict call.
const verdicts = await registry.verdicts(demo.credentials.map(demoQuery), "0x0000");
const mismatches = demo.credentials.filter((c, i) => Number(verdicts[i]?.status) !== Status[c.expected]);
if (mismatches.length > 0)
  throw new Error(`seeded verdicts differ from the plan: ${mismatches.map((c) => c.label).join(", ")}`);

const counts = new Map<string, number>();
for (const v of verdicts)
  counts.set(STATUS[Number(v.status)] ?? "?", (counts.get(STATUS[Number(v.status)] ?? "?") ?? 0) + 1);
const pad = (s: string, n: number): string => s.padEnd(n);
const lines = [
  "",
  "CCR devnet",
  `  RPC             ${rpcUrl} (chain id ${chainId})`,
  `  CCR registry    ${registryAddress} (block ${deployment.registry.blockNumber})`,
  `  DID registry    ${didRegistryAddress} (ERC-1056, did:ethr:0x${chainId.toString(16)}:<address>)`,
  `  Deployment file ${DEVNET_DEPLOYMENT_FILE}`,
  "",
  `Framework: ${APEC_ECONOMIES.length} economies, ${demo.schemas.length} schemas, ${Object.values(demo.accounts).filter((a) => a.role === "issuer").length} issuers, 1 operator`,
  `  Schemas: ${demo.schemas.map((s) => `${s.id} ${s.name}`).join("; ")}`,
  `  Recognition: ${demo.recognitions.map((r) => `${r.economy} recognises ${r.recognises} for ${r.schema}`).join("; ")}`,
  `Credentials: ${demo.credentials.length} (${demo.credentials.filter((c) => c.batch === undefined).length} single, 1 batch of ${demo.credentials.filter((c) => c.batch !== undefined).length}); ${[...counts].map(([k, n]) => `${n} ${k}`).join(", ")}`,
  "",
  "Accounts (well-known devnet keys from the Hardhat test mnemonic; never use them elsewhere):",
  ...Object.entries(demo.accounts)
    .filter(([, a]) => a.role !== "authority")
    .map(([name, a]) => `  ${pad(name, 16)} ${a.address}  ${pad(a.role, 9)} ${a.economy ?? "  "}  ${a.label ?? ""}`),
  `  authority-<xx>   21 economy authorities, e.g. authority-sg ${demo.accounts["authority-sg"]?.address ?? ""}`,
  "",
];
console.log(lines.join("\n"));
