/**
 * A JSON-RPC proxy for tests, on a free port of 127.0.0.1, in front of a node: each request's message goes to
 * `intercept` first, which may answer it itself (or never, like a hung endpoint) and return true, or wait and return
 * false to let it through to the node. Answers the node gives are passed on as they are.
 */
import { createServer, type ServerResponse } from "node:http";

export interface RpcMessage {
  id?: number;
  method?: string;
  params?: Record<string, string>[];
}

export interface RunningProxy {
  url: string;
  /** The most connections clients had open to the proxy at once, so far. */
  maxConnections(): number;
  /** Stops listening and drops every connection, answered or not. */
  close(): Promise<void>;
}

export async function startRpcProxy(
  target: string,
  intercept: (message: RpcMessage, response: ServerResponse) => boolean | Promise<boolean>,
): Promise<RunningProxy> {
  const proxy = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      void Promise.resolve(intercept(JSON.parse(body) as RpcMessage, response))
        .then(async (answered) => {
          if (answered) return;
          const headers = { "content-type": "application/json" };
          const answer = await fetch(target, { method: "POST", headers, body });
          response.writeHead(answer.status).end(await answer.text());
        })
        .catch(() => response.writeHead(502).end());
    });
  });
  let open = 0;
  let most = 0;
  proxy.on("connection", (socket) => {
    most = Math.max(most, ++open);
    socket.once("close", () => open--);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`,
    maxConnections: () => most,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}
