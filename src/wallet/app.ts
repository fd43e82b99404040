/**
 * The issuer service over HTTP(S) (its routes: `routes.ts`): `startIssuerService` binds the store to its chain,
 * starts the anchorer and listens.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { CCRError } from "../errors.ts";
import type { RegistryConnection } from "../registry.ts";
import { listenWith, type ListenOptions } from "../server/listen.ts";
import { ServiceAnchorer } from "./anchorer.ts";
import { BatchLanes, type BatchPolicy } from "./batches.ts";
import type { ServiceMetadata } from "./metadata.ts";
import { issuerRoutes } from "./routes.ts";
import { IssuerService } from "./service.ts";
import type { ServiceSigner } from "./sign.ts";
import type { IssuerStore } from "./store.ts";

export interface IssuerServiceOptions {
  connection: RegistryConnection;
  metadata: ServiceMetadata;
  store: IssuerStore;
  signer: ServiceSigner;
  /** The account that sends the anchors (the issuer, or its operator), checksummed. */
  anchorer: string;
  policy: BatchPolicy;
  listen: ListenOptions;
  /**
   * This process's name among the service processes sharing the store, the same when it starts again (its batches
   * left open are then closed at once); default `host:port`, or a random one when the port is chosen by the system.
   */
  instance?: string | undefined;
  /** Seconds after which a process sharing the store and not heard from is taken for gone (default: 30). */
  lease?: number | undefined;
  /**
   * Seconds within which a credential handed out is anchored, more than the batch window (default: 10, or three
   * windows when that is more): while the anchoring lags so that a batch closing now could not be, answers are
   * deferred instead.
   */
  anchorWithin?: number | undefined;
  log?: (line: string) => void;
}

/** The default of `anchorWithin`. */
export const ANCHOR_WITHIN = 10;

/**
 * Seconds within which a credential handed out is anchored (`anchorWithin`, by default 10 or three windows when that
 * is more), refused when a batch open `window` seconds could not be.
 */
export function anchorBound(window: number, anchorWithin = Math.max(ANCHOR_WITHIN, 3 * window)): number {
  if (anchorWithin <= window) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `credentials cannot be anchored within ${anchorWithin} s of being handed out when a batch stays open ` +
        `${window} s: give --anchor-within more than --window`,
    );
  }
  return anchorWithin;
}

export interface RunningIssuerService {
  url: string;
  anchorer: ServiceAnchorer;
  /** Stops listening, closes the open batches and anchors them (not with `quick`); returns the batches left. */
  close(quick?: boolean): Promise<number>;
}

/** What a store belongs to: one chain (by its genesis too), registry, issuer and public URL. */
export const storeIdentity = (
  connection: RegistryConnection,
  issuer: string,
  metadata: ServiceMetadata,
): Record<string, string> => ({
  chainId: String(connection.chainId),
  genesisHash: connection.deployment.genesisHash,
  registry: connection.deployment.registry.address,
  issuer,
  credentialIssuer: metadata.endpoints.credentialIssuer,
});

/** Binds the store to its chain, anchors what an earlier run left, then serves. */
export async function startIssuerService(options: IssuerServiceOptions): Promise<RunningIssuerService> {
  const { connection, store, signer, metadata, policy } = options;
  const anchorWithin = anchorBound(policy.window, options.anchorWithin);
  await store.bind(storeIdentity(connection, signer.issuer, metadata));
  const { host, port } = options.listen;
  const owner = options.instance ?? (port === 0 ? randomUUID() : `${hostname()}/${host}:${port}`);
  const lanes = new BatchLanes(store, owner, policy, async () => {
    const latest = await connection.provider.getBlock("latest");
    if (latest === null) throw new Error("the node has no latest block");
    return latest.timestamp;
  });
  const lease = options.lease ?? 30;
  const anchorer = new ServiceAnchorer({
    connection,
    issuer: signer.issuer,
    anchorer: options.anchorer,
    store,
    lanes,
    owner,
    // Often enough to close batches in time, and to be heard from well within the lease.
    tick: Math.max(0.1, Math.min(policy.window / 4, lease / 3)),
    lease,
    anchorWithin,
    log: options.log,
  });
  await anchorer.start();
  const service = new IssuerService({ metadata, store, lanes, anchorer, signer });
  const { server, url } = await listenWith(issuerRoutes(service, metadata), options.listen).catch(
    async (error: unknown) => {
      await anchorer.stop(true);
      throw error;
    },
  );
  return {
    url,
    anchorer,
    close: async (quick = false) => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      return anchorer.stop(quick);
    },
  };
}
