/** Listening for HTTP (or HTTPS) with bounded client times: what CCR's servers share. */
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { CCRError } from "../errors.ts";
import { HttpJsonRpcProvider, pooledAgents } from "../jsonRpc.ts";
import { connectRegistry, type RegistryConnection } from "../registry.ts";
import { RPC_TIMEOUT_MS } from "../settings.ts";

/**
 * How long a client may take: to send its request's headers, its whole request, and between requests on a kept-alive
 * connection; slow or half-open clients are closed after that (checked every second), so that they never pile up.
 */
export const CLIENT_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 };

export interface ListenOptions {
  host: string;
  port: number;
  timeouts?: typeof CLIENT_TIMEOUTS;
  /** Serve HTTPS with this key and certificate chain (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
}

/** A Node server CCR listens with: HTTP, or HTTPS with `ListenOptions.tls`. */
export type ListeningServer = HttpServer | HttpsServer;

/** Serves `fetch` on `host:port` (0: a free port); refuses an address it cannot take with a sentence. */
export function listenOn(
  fetch: (request: Request) => Response | Promise<Response>,
  options: ListenOptions,
): Promise<{ server: ListeningServer; url: string }> {
  const listener = getRequestListener(fetch, { hostname: options.host });
  // The adapter answers its own failures (500): its promise is only when it is done.
  return listenWith((request, response) => void listener(request, response), options);
}

/**
 * Serves a Node request listener on `host:port` (0: a free port), as `listenOn` serves a fetch handler: for routes
 * that build no fetch Request or Response for each request (the issuer service's, under a fleet).
 */
export async function listenWith(
  listener: RequestListener,
  options: ListenOptions,
): Promise<{ server: ListeningServer; url: string }> {
  const timeouts = options.timeouts ?? CLIENT_TIMEOUTS;
  const serverOptions = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: 1_000,
  };
  const server: ListeningServer =
    options.tls === undefined
      ? createHttpServer(serverOptions, listener)
      : createHttpsServer({ ...serverOptions, ...options.tls }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE" || error.code === "EADDRNOTAVAIL" || error.code === "EACCES"
          ? new CCRError(
              "INVALID_ARGUMENT",
              `cannot listen on ${options.host}:${options.port} (${error.code}): choose another --host or --port`,
            )
          : error,
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return { server, url: `${options.tls === undefined ? "http" : "https"}://${host}:${port}` };
}

/**
 * Refuses a request body over `maxSize` bytes with 413 and an OAuth-style error naming the bound. A body of declared
 * length is judged by its header, as Hono's `bodyLimit` judges it, but without touching the request's body stream:
 * that would make the Node adapter build a whole fetch Request for it, where the handler's `text()` or `json()` reads
 * the body straight from the socket. A streamed body (no length, or chunked) is counted as it arrives by `bodyLimit`.
 */
export function boundedBodies(maxSize: number): MiddlewareHandler {
  const tooLarge = { error: "invalid_request", error_description: `bodies are at most ${maxSize} bytes` };
  const streamed = bodyLimit({ maxSize, onError: (c) => c.json(tooLarge, 413) });
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return streamed(c, next);
    return parseInt(length, 10) > maxSize ? c.json(tooLarge, 413) : next();
  };
}

/**
 * `given`'s registry, read through a pool of at most `maxSockets` kept-alive connections to the node (a server's reads:
 * many users at once would otherwise each open their own); `release` closes them.
 */
export async function pooledConnection(
  given: RegistryConnection,
  maxSockets: number,
): Promise<{ connection: RegistryConnection; release: () => void }> {
  const agents = pooledAgents(maxSockets);
  const { deployment, rpcUrl } = given;
  const timeoutMs = given.provider instanceof HttpJsonRpcProvider ? given.provider.timeoutMs : RPC_TIMEOUT_MS;
  const provider = new HttpJsonRpcProvider(rpcUrl, deployment.chainId, timeoutMs, agents);
  const release = (): void => {
    provider.destroy();
    agents.http.destroy();
    agents.https.destroy();
  };
  try {
    return { connection: await connectRegistry(deployment, { rpcUrl, provider }), release };
  } catch (error) {
    release();
    throw error;
  }
}
