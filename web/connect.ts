/**
 * The web pages' connection to the registry: the deployment from `ccr serve` (`/api/config`), and the chain through
 * its read-only relay (`/rpc`). Everything after that is the SDK's own code, bundled for the browser.
 */
import type { Deployment } from "../src/deployment.ts";
import { ethrDidResolver } from "../src/did.ts";
import { holderResolver } from "../src/holder.ts";
import { NameBook } from "../src/names.ts";
import { connectRegistry, rpcProvider, type RegistryConnection } from "../src/registry.ts";
import type { Resolver } from "did-resolver";

export interface Registry {
  connection: RegistryConnection;
  /** Resolves issuers' did:ethr through the chain and holders' did:key and did:jwk offline. */
  resolver: Resolver;
  names: NameBook;
}

/** How long a page waits for one JSON-RPC answer before calling the chain unreachable. */
const RPC_TIMEOUT_MS = 10_000;

export async function connect(): Promise<Registry> {
  const answer = await fetch("./api/config");
  if (!answer.ok) throw new Error(`the server answered ${answer.status} for its configuration`);
  const config = (await answer.json()) as { deployment: Omit<Deployment, "accounts" | "rpcUrl">; rpc: string };
  const rpcUrl = new URL(config.rpc, location.href).href;
  const deployment: Deployment = { ...config.deployment, rpcUrl, accounts: {} };
  const provider = rpcProvider(rpcUrl, deployment.chainId, RPC_TIMEOUT_MS);
  const connection = await connectRegistry(deployment, { rpcUrl, provider });
  const resolver = holderResolver(ethrDidResolver(deployment.chainId, deployment.didRegistry.address, provider));
  return { connection, resolver, names: new NameBook(connection) };
}
