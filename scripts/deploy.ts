/**
 * Deploys CCR to an EVM network and writes the deployment file `ccr` reads: `npm run deploy -- --network <name>`
 * (`hardhat run --network <name> scripts/deploy.ts`). The network comes from hardhat.config.ts (its key from Hardhat's
 * keystore or the environment, never the command line); the framework's parameters from
 * `deploy/parameters/<name>.json` (or the file named by $CCR_DEPLOY_PARAMETERS). Through Ignition, so that a deployment
 * that was interrupted continues where it stopped when run again.
 */
import { network } from "hardhat";
import { deployNetwork, readNetworkParameters } from "../deploy/network.ts";
import { CCRError } from "../src/errors.ts";

const connection = await network.getOrCreate();
const file = process.env.CCR_DEPLOY_PARAMETERS ?? `deploy/parameters/${connection.networkName}.json`;
let deployed: Awaited<ReturnType<typeof deployNetwork>>;
try {
  deployed = await deployNetwork(connection, await readNetworkParameters(file), {
    out: process.env.CCR_DEPLOYMENT_OUT,
    log: (line) => console.log(line),
  });
} catch (error) {
  // What the user can fix (a parameters file, a missing key) is a sentence, not a stack trace.
  if (!(error instanceof CCRError)) throw error;
  console.error(`deploy: ${error.message}`);
  process.exit(2);
}
const { deployment, deploymentFile } = deployed;
console.log(
  [
    "",
    `CCR on ${deployment.network} (chain id ${deployment.chainId})`,
    `  Council Safe    ${deployment.council?.safe ?? ""} (${deployment.council?.threshold ?? 0} of ${deployment.council?.owners.length ?? 0}: ${(deployment.council?.owners ?? []).join(", ")})`,
    `  CCR registry    ${deployment.registry.address} (block ${deployment.registry.blockNumber})`,
    `  Names           ${deployment.names?.address ?? ""}`,
    `  DID registry    ${deployment.didRegistry.address}`,
    `  Economies       ${deployment.economies.map((e) => `${e.iso} (authority ${e.authority})`).join(", ") || "none yet"}`,
    `  Deployment file ${deploymentFile}`,
    "",
    `Next: export CCR_DEPLOYMENT=${deploymentFile}, then the council registers schemas and admits economies with`,
    "ccr council propose … (see the README, 'Another EVM network').",
  ].join("\n"),
);
