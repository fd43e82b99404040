import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/** The npm `solc` package's WASM build: solc cannot be downloaded on our machines. */
const SOLC_VERSION = "0.8.30";

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  paths: { ignition: "deploy" },
  solidity: {
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        settings: {
          optimizer: { enabled: true, runs: 200 },
          evmVersion: "prague",
        },
      },
    },
  },
  test: {
    solidity: {
      fuzz: { runs: 1000 },
      invariant: { runs: 128, depth: 32, failOnRevert: false },
    },
  },
  networks: {
    // The devnet's node ("npm run devnet" runs "hardhat --network devnet node"): blocks carry the wall clock's time,
    // several a second when need be, so that a seeded chain does not run ahead of the clock (Hardhat's default gives
    // each block its own second).
    devnet: { type: "edr-simulated", chainType: "l1", allowBlocksWithSameTimestamp: true },
    localhost: { type: "http", chainType: "l1", url: process.env.CCR_DEVNET_URL ?? "http://127.0.0.1:8545" },
    // Any other EVM network: set CCR_RPC_URL and store the deployer key with
    // `npx hardhat keystore set CCR_DEPLOYER_KEY` (never on the command line).
    custom: {
      type: "http",
      chainType: "l1",
      url: configVariable("CCR_RPC_URL"),
      accounts: [configVariable("CCR_DEPLOYER_KEY")],
    },
  },
});
