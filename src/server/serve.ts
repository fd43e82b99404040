/** Starts and stops `ccr serve`'s HTTP server on Node. */
import { existsSync } from "node:fs";
import { serveStatic } from "@hono/node-server/serve-static";
import { HttpJsonRpcProvider, pooledAgents } from "../jsonRpc.ts";
import { packageFile } from "../packageFiles.ts";
import { connectRegistry } from "../registry.ts";
import { RPC_TIMEOUT_MS } from "../settings.ts";
import { RELAY_CONNECTIONS, createApp, type ServerOptions } from "./app.ts";
import { CLIENT_TIMEOUTS, listenOn } from "./listen.ts";

export { CLIENT_TIMEOUTS } from "./listen.ts";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Where `npm run build:web` (Vite) puts the web pages. */
export const WEB_ROOT = packageFile("dist", "web");

/** The most connections the server's own reads (framework, TRQP, names) keep open to the node at once. */
export const READ_CONNECTIONS = 16;

export async function startServer(
  options: Omit<ServerOptions, "pages"> & {
    /** Seconds between syncs of the audit index (0: only at start). */ syncSeconds?: number;
  },
  listen: { host: string; port: number; timeouts?: typeof CLIENT_TIMEOUTS },
): Promise<RunningServer> {
  const timeouts = listen.timeouts ?? CLIENT_TIMEOUTS;
  const pages = existsSync(WEB_ROOT) ? serveStatic({ root: WEB_ROOT }) : undefined;
  // The server's reads and the relay go through pools of kept-alive connections of bounded size: however many users
  // ask at once, the node sees at most READ_CONNECTIONS + RELAY_CONNECTIONS connections from this server.
  const readAgents = pooledAgents(READ_CONNECTIONS);
  const relayAgents = pooledAgents(RELAY_CONNECTIONS);
  const { deployment, rpcUrl } = options.connection;
  const given = options.connection.provider;
  const timeoutMs = given instanceof HttpJsonRpcProvider ? given.timeoutMs : RPC_TIMEOUT_MS;
  const provider = new HttpJsonRpcProvider(rpcUrl, deployment.chainId, timeoutMs, readAgents);
  const connection = await connectRegistry(deployment, { rpcUrl, provider });
  const release = (): void => {
    provider.destroy();
    for (const { http, https } of [readAgents, relayAgents]) {
      http.destroy();
      https.destroy();
    }
  };
  const app = createApp({ ...options, connection, relayAgents, pages });
  await options.audit?.start(options.syncSeconds ?? 5);
  const { server, url } = await listenOn(app.fetch, { ...listen, timeouts }).catch((error: unknown) => {
    release();
    throw error;
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        void options.audit?.stop();
        server.close((error) => {
          release();
          if (error === undefined) resolve();
          else reject(error);
        });
        if ("closeAllConnections" in server) server.closeAllConnections();
      }),
  };
}
