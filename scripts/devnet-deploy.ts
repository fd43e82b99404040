/**
 * Deploys CCR to the devnet through the Ignition module, seeds the demo framework, writes the deployment file and
 * prints a summary. Run by `npm run devnet` as `hardhat run --network localhost scripts/devnet-deploy.ts`.
 */
import { network } from "hardhat";
import { deployDemo } from "../deploy/demo.ts";
import { APEC_ECONOMIES } from "../deploy/apec.ts";
import { Status, STATUS } from "../src/codes.ts";
import { demoQuery } from "../deploy/demoData.ts";
import { DEVNET_DEPLOYMENT_FILE, writeDeployment } from "../src/deployment.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";

const connection = await network.getOrCreate();
const rpcUrl = process.env.CCR_DEVNET_URL ?? "http://127.0.0.1:8545";
const { deployment, demo } = await deployDemo(connection, rpcUrl);
const { chainId } = deployment;
const registryAddress = deployment.registry.address;
const didRegistryAddress = deployment.didRegistry.address;
const registry = ICCR__factory.connect(registryAddress, connection.ethers.provider);
await writeDeployment(DEVNET_DEPLOYMENT_FILE, deployment);

// Check the seeded state through the registry's own many-credentials verdict call.
const verdicts = await registry.verdicts(
  demo.credentials.map((c) => demoQuery(c, demo.accounts)),
  "0x0000",
);
const mismatches = demo.credentials.filter((c, i) => Number(verdicts[i]?.status) !== Status[c.expected]);
if (mismatches.length > 0)
  throw new Error(`seeded verdicts differ from the plan: ${mismatches.map((c) => c.label).join(", ")}`);

const counts = new Map<string, number>();
for (const v of verdicts)
  counts.set(STATUS[Number(v.status)] ?? "?", (counts.get(STATUS[Number(v.status)] ?? "?") ?? 0) + 1);
const pad = (s: string, n: number): string => s.padEnd(n);
/** The role column: as wide as its longest role ("representative"), one space before the economy. */
const roleWidth = Math.max(...Object.values(demo.accounts).map((a) => a.role.length));
const lines = [
  "",
  "CCR devnet",
  `  RPC             ${rpcUrl} (chain id ${chainId})`,
  `  CCR registry    ${registryAddress} (block ${deployment.registry.blockNumber})`,
  `  DID registry    ${didRegistryAddress} (ERC-1056, did:ethr:0x${chainId.toString(16)}:<address>)`,
  `  Deployment file ${DEVNET_DEPLOYMENT_FILE}`,
  `  Council         Safe ${deployment.council?.safe ?? ""}: ${deployment.council?.threshold ?? 0} of ${Object.entries(
    demo.accounts,
  )
    .filter(([, a]) => a.role === "representative")
    .map(([name]) => name)
    .join(", ")} sign every council action (ccr --as council-sg council propose …)`,
  "",
  `Framework: ${APEC_ECONOMIES.length} economies, ${demo.schemas.length} schemas, ${Object.values(demo.accounts).filter((a) => a.role === "issuer").length} issuers, 1 operator`,
  `  Schemas: ${demo.schemas.map((s) => `${s.id} ${s.name}`).join("; ")}`,
  `  Recognition: ${demo.recognitions.map((r) => `${r.economy} recognises ${r.recognises} for ${r.schema}`).join("; ")}`,
  `Credentials: ${demo.credentials.length} (${demo.credentials.filter((c) => c.batch === undefined).length} single, 1 batch of ${demo.credentials.filter((c) => c.batch !== undefined).length}); ${[...counts].map(([k, n]) => `${n} ${k}`).join(", ")}`,
  "",
  "Accounts (well-known devnet keys from the Hardhat test mnemonic; never use them elsewhere):",
  ...Object.entries(demo.accounts)
    .filter(([, a]) => a.role !== "authority")
    .map(
      ([name, a]) =>
        `  ${pad(name, 16)} ${a.address}  ${pad(a.role, roleWidth)} ${a.economy ?? "  "}  ${a.label ?? ""}`,
    ),
  `  authority-<xx>   21 economy authorities, e.g. authority-sg ${demo.accounts["authority-sg"]?.address ?? ""}`,
  "",
];
console.log(lines.join("\n"));
