/** A JSON-RPC relay for tests: in front of a node, and cut on demand, as a node that stops answering mid-session. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Relay {
  url: string;
  /** From now on, every request's connection is dropped. */
  cut(): void;
  close(): Promise<void>;
}

export async function relay(target: string): Promise<Relay> {
  let cut = false;
  const server: Server = createServer((request, response) => {
    if (cut) {
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) })
        .then(async (answer) => {
          response.writeHead(answer.status, { "content-type": "application/json" });
          response.end(await answer.text());
        })
        .catch(() => request.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => {
      cut = true;
      server.closeAllConnections();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
