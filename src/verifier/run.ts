/**
 * Starting the verifier: its endpoints over HTTPS (wallets insist), its identity from the certificate it serves with,
 * its store. `ccr request` runs one for a single request; `ccr serve` runs one beside the web pages, which make
 * requests and read their results through the same routes.
 */
import type { Hono } from "hono";
import type { RegistryConnection } from "../registry.ts";
import type { SchemaSources } from "../schemaResolver.ts";
import { listenOn, pooledConnection } from "../server/listen.ts";
import { verifierApp, walletApp } from "./app.ts";
import { verifierIdentity } from "./requests.ts";
import { Verifier } from "./service.ts";
import type { VerifierStore } from "./store.ts";

export interface VerifierSetup {
  connection: RegistryConnection;
  /** The certificate chain and P-256 key (PEM) it serves HTTPS with and signs requests with. */
  tls: { cert: string; key: string };
  host: string;
  port: number;
  /** The https URL wallets reach it at (default `https://localhost:<port>`); its host must be in the certificate. */
  url?: string | undefined;
  store: VerifierStore;
  schemaSources?: SchemaSources | undefined;
  lifetime?: number | undefined;
}

export interface RunningVerifier {
  verifier: Verifier;
  /**
   * Every route, the official's too, for a server that mounts them (the web pages' own origin); its own listener
   * serves the wallets' routes only.
   */
  app: Hono;
  /** The URL wallets reach it at. */
  url: string;
  /** Where it listens. */
  listening: string;
  close(): Promise<void>;
}

/** The most connections the verifier's reads keep open to the node at once (kept alive, reused). */
const READ_CONNECTIONS = 16;

export async function startVerifier(setup: VerifierSetup): Promise<RunningVerifier> {
  // Its own pool of kept-alive connections to the node: answers under load would otherwise each open their own.
  const { connection, release } = await pooledConnection(setup.connection, READ_CONNECTIONS);
  let wallets: Hono | undefined;
  // Listening first: the port (when 0) is part of the URLs its identity and requests name.
  const { server, url: listening } = await listenOn(
    (request) => wallets?.fetch(request) ?? new Response(null, { status: 503 }),
    { host: setup.host, port: setup.port, tls: setup.tls },
  ).catch((error: unknown) => {
    release();
    throw error;
  });
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => {
        release();
        resolve();
      });
      if ("closeAllConnections" in server) server.closeAllConnections();
    });
  try {
    const url = setup.url ?? `https://localhost:${new URL(listening).port}`;
    const verifier = new Verifier({
      connection,
      identity: verifierIdentity(setup.tls.cert, setup.tls.key, url),
      store: setup.store,
      baseUrl: url,
      ...(setup.schemaSources === undefined ? {} : { schemaSources: setup.schemaSources }),
      ...(setup.lifetime === undefined ? {} : { lifetime: setup.lifetime }),
    });
    wallets = walletApp(verifier);
    return { verifier, app: verifierApp(verifier), url, listening, close };
  } catch (error) {
    await close();
    throw error;
  }
}
