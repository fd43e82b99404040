import { getAddress, type Provider } from "ethers";
import { Resolver } from "did-resolver";
import type { Deployment } from "./deployment.ts";
import { CCRError } from "./errors.ts";
import { getResolver } from "ethr-did-resolver";

/** The `did:ethr` identifier of `address` on chain `chainId` (network segment in hex, as ethr-did-resolver names it). */
export function ethrDid(chainId: number | bigint, address: string): string {
  return `did:ethr:0x${BigInt(chainId).toString(16)}:${address}`;
}

/** The address in a `did:ethr` identifier, or undefined when `did` is not one. */
export function ethrDidAddress(did: string): string | undefined {
  return /^did:ethr:(?:[a-z0-9]+:)?(0x[0-9a-fA-F]{40})$/.exec(did)?.[1];
}

/**
 * A DID resolver for `did:ethr` identifiers on one chain, against the ERC-1056 registry at `registry`, read through
 * `provider` (an ethers provider, e.g. `rpcProvider(url, chainId)`, whose timeouts then apply to resolution too).
 */
export function ethrDidResolver(chainId: number | bigint, registry: string, provider: Provider): Resolver {
  const name = `0x${BigInt(chainId).toString(16)}`;
  // ethr-did-resolver types `provider` against the CommonJS build of ethers; `web3.currentProvider` takes the same
  // object (the ESM ethers provider we run with) without that type clash.
  const network = { name, chainId: BigInt(chainId), web3: { currentProvider: provider }, registry };
  return new Resolver(getResolver({ networks: [network] }));
}

/** An address, or the address of a named account of the deployment. */
export function accountAddress(deployment: Deployment, nameOrAddress: string): string {
  const did = ethrDidAddress(nameOrAddress);
  if (did !== undefined) return getAddress(did);
  if (/^0x[0-9a-fA-F]{40}$/.test(nameOrAddress)) return getAddress(nameOrAddress);
  const account = deployment.accounts[nameOrAddress];
  if (account === undefined) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `"${nameOrAddress}" is neither an address, a did:ethr nor an account of the deployment`,
    );
  }
  return getAddress(account.address);
}
