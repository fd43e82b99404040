import { expect } from "chai";
import { isError } from "ethers";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { rpc, rpcProvider } from "../src/registry.ts";

/** The provider's transport (src/jsonRpc.ts) against small HTTP servers that answer as nodes do, or fail. */
describe("JSON-RPC transport", function () {
  const servers: Server[] = [];
  afterEach(async function () {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** A server on 127.0.0.1 that hands each request's parsed body to `answer`; its URL. */
  async function serve(answer: (body: unknown, response: ServerResponse) => void): Promise<string> {
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => answer(JSON.parse(Buffer.concat(chunks).toString("utf8")), response));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return `http://127.0.0.1:${address.port}`;
  }

  const reply = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };

  it("sends requests one per HTTP exchange and reads answers, non-ASCII text included", async function () {
    const seen: unknown[] = [];
    const url = await serve((body, response) => {
      seen.push(body);
      const { id, method } = body as { id: number; method: string };
      reply(response, 200, { jsonrpc: "2.0", id, result: method === "web3_clientVersion" ? "nœud/1 ✓" : "0x7a69" });
    });
    const provider = rpcProvider(url, 31337);
    const [version, chain]: unknown[] = await Promise.all([
      provider.send("web3_clientVersion", []) as Promise<unknown>,
      provider.send("eth_chainId", []) as Promise<unknown>,
    ]);
    expect([version, chain]).to.deep.equal(["nœud/1 ✓", "0x7a69"]);
    // Not batched: a large answer is read while the node computes the next.
    expect(seen.every((body) => !Array.isArray(body))).to.equal(true);
    expect(seen).to.have.length(2);
    provider.destroy();
  });

  it("passes a node's JSON-RPC error on as ethers does, and turns HTTP failures into unreachable-node errors", async function () {
    const url = await serve((body, response) => {
      const { id, method } = body as { id: number; method: string };
      if (method === "eth_blockNumber") return reply(response, 500, { error: "internal" });
      reply(response, 200, { jsonrpc: "2.0", id, error: { code: -32601, message: "no such method" } });
    });
    const provider = rpcProvider(url, 31337);
    const refused: unknown = await (provider.send("eth_nothing", []) as Promise<unknown>).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(Error);
    expect(String(refused)).to.include("no such method");
    const broken = await rpc(url, "reading the block number", () => provider.getBlockNumber()).catch((e: unknown) => e);
    expect(broken).to.have.property("code", "RPC_UNAVAILABLE");
    expect(String((broken as Error).message)).to.match(
      /could not reach the RPC at .* while reading the block number: bad response \(500/,
    );
    provider.destroy();
  });

  it("gives up on a node that does not answer within the timeout", async function () {
    const url = await serve(() => {
      // Never answers (the server's close ends the connection).
    });
    const provider = rpcProvider(url, 31337, 300);
    const started = performance.now();
    const error: unknown = await (provider.send("eth_chainId", []) as Promise<unknown>).catch((e: unknown) => e);
    expect(performance.now() - started).to.be.below(5_000);
    expect(isError(error, "TIMEOUT"), String(error)).to.equal(true);
    provider.destroy();
    servers.forEach((s) => s.closeAllConnections());
  });
});
