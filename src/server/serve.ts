/** Starts and stops `ccr serve`'s HTTP server on Node. */
import { existsSync } from "node:fs";
import { serveStatic } from "@hono/node-server/serve-static";
import { pooledAgents } from "../jsonRpc.ts";
import { packageFile } from "../packageFiles.ts";
import { RELAY_CONNECTIONS, createApp, type ServerOptions } from "./app.ts";
import { CLIENT_TIMEOUTS, listenOn, pooledConnection } from "./listen.ts";

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
  const relayAgents = pooledAgents(RELAY_CONNECTIONS);
  const reads = await pooledConnection(options.connection, READ_CONNECTIONS).catch((error: unknown) => {
    relayAgents.http.destroy();
    relayAgents.https.destroy();
    throw error;
  });
  const { connection } = reads;
  const release = (): void => {
    reads.release();
    relayAgents.http.destroy();
    relayAgents.https.destroy();
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
