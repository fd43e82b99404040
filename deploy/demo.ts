/**
 * Deploys CCR through the Ignition module on a Hardhat network connection and seeds the demo framework: what
 * `npm run devnet` runs, and what the toolkit's tests run on an in-process chain.
 */
import type { network } from "hardhat";
import { APEC_ECONOMIES } from "./apec.ts";
import { createSafe, deploySafeContracts, executeAsSafe, majority } from "../src/council.ts";
import {
  DEMO_REPRESENTATIVES,
  apecEconomyParameters,
  devnetWallet,
  seedDemo,
  seedNames,
  type CouncilActor,
  type DemoResult,
} from "./demoData.ts";
import type { Deployment } from "../src/deployment.ts";
import { ICCRNames__factory, ICCR__factory } from "../types/ethers-contracts/index.js";
import CCRModule from "./modules/CCR.ts";

type NetworkConnection = Awaited<ReturnType<typeof network.create>>;

export interface DemoDeployment {
  deployment: Deployment;
  demo: DemoResult;
}

export async function deployDemo({ ethers, ignition }: NetworkConnection, rpcUrl: string): Promise<DemoDeployment> {
  const provider = ethers.provider;
  const chainId = Number((await provider.getNetwork()).chainId);
  const genesis = await provider.getBlock(0);
  const firstBlock = await provider.getBlockNumber();

  const [deployer] = await ethers.getSigners();
  if (deployer === undefined) throw new Error("the network has no accounts");
  // The council: a Safe of the representatives (Safe's own contracts, deployed here: a devnet has none), a majority
  // of whom sign every council action.
  const representatives = DEMO_REPRESENTATIVES.map((r) => devnetWallet(r.hdIndex, provider));
  for (const r of representatives) await provider.send("hardhat_setBalance", [r.address, "0x56BC75E2D63100000"]);
  const owners = representatives.map((r) => r.address);
  const threshold = majority(owners.length);
  const safe = await createSafe(await deploySafeContracts(deployer), deployer, owners, threshold);

  const { economies, authorities } = apecEconomyParameters(provider);
  const deployed = await ignition.deploy(CCRModule, {
    parameters: { CCR: { council: safe, economies, authorities, councilTransferDelay: 3600 } },
    displayUi: false,
  });
  const registryAddress = await deployed.registry.getAddress();
  const didRegistryAddress = await deployed.didRegistry.getAddress();
  const namesAddress = await deployed.names.getAddress();

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

  const registry = ICCR__factory.connect(registryAddress, deployer);
  // Council actions of the seed go through the Safe, signed by a majority of the representatives.
  const council: CouncilActor = async (call) => {
    await executeAsSafe(safe, call, representatives.slice(0, threshold), deployer);
  };
  const demo = await seedDemo(registry, provider, council);
  await seedNames(ICCRNames__factory.connect(namesAddress, deployer), provider, council);
  const deployment: Deployment & { demo: Pick<DemoResult, "credentials" | "recognitions"> } = {
    format: "ccr-deployment/1",
    network: "devnet",
    chainId,
    rpcUrl,
    genesisHash: genesis?.hash ?? "",
    registry: { address: registryAddress, blockNumber: await creationBlock(registryAddress, firstBlock) },
    didRegistry: { address: didRegistryAddress, blockNumber: await creationBlock(didRegistryAddress, firstBlock) },
    names: { address: namesAddress, blockNumber: await creationBlock(namesAddress, firstBlock) },
    schemas: demo.schemas,
    economies: APEC_ECONOMIES.map(({ iso, name }, i) => ({ iso, name, authority: authorities[i] ?? "" })),
    council: { safe, owners, threshold },
    accounts: demo.accounts,
    demo: { credentials: demo.credentials, recognitions: demo.recognitions },
    createdAt: new Date().toISOString(),
  };
  return { deployment, demo };
}
