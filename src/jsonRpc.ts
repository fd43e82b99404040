/**
 * The JSON-RPC provider every `ccr` command and script uses: ethers' `JsonRpcProvider` (its batching, its error
 * mapping) over Node's own HTTP client.
 *
 * Ethers' fetch layer converts every request and response between strings and bytes with its own JavaScript UTF-8
 * codec. For the large answers of an audit (a `verdicts` answer of 200 credentials is 180 KB of hex) that codec, and
 * the garbage it leaves, took more of `ccr audit check`'s time than the node computing the answers. Here the
 * conversions are Node's (`Buffer`), which are native.
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from "node:http";
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";
import { JsonRpcProvider, Network, makeError, type JsonRpcPayload, type JsonRpcResult } from "ethers";

/** The HTTP agents a provider sends through: one for http: and one for https: URLs. */
export interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/**
 * Connections without keep-alive, for a command's short run: a pooled connection that the node closed while idle
 * fails the next request with EPIPE or "socket hang up" (seen verifying 10,000 files against a Hardhat node), and a
 * request on a new connection never meets one.
 */
const unpooled: Agents = { http: new HttpAgent({ keepAlive: false }), https: new HttpsAgent({ keepAlive: false }) };

/**
 * Kept-alive connections, at most `maxSockets` open at once (requests beyond wait for one): for a server answering
 * many users, whose reads would otherwise each open their own connection until the process runs out of file handles.
 * A request that meets a pooled connection the node has just closed is sent again on a new one (`post`).
 */
export function pooledAgents(maxSockets: number): Agents {
  const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: "lifo" as const };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}

/** A JSON-RPC provider for a known chain: no network detection loop, at most `timeoutMs` per HTTP request. */
export class HttpJsonRpcProvider extends JsonRpcProvider {
  readonly #url: URL;
  readonly #timeoutMs: number;
  readonly #agents: Agents;

  constructor(url: string, chainId: number, timeoutMs: number, agents: Agents = unpooled) {
    super(url, Network.from(chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      // Requests sent in the same tick still share a batch; ethers' default 10 ms wait would add 10 ms to every
      // request made one after another.
      batchStallTime: 0,
      cacheTimeout: -1,
    });
    this.#url = new URL(url);
    this.#timeoutMs = timeoutMs;
    this.#agents = agents;
  }

  /** How long one HTTP request may take. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Sends one JSON-RPC request or batch; answers as ethers' own `_send` does (an array of responses). */
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const text = await post(this.#url, Buffer.from(JSON.stringify(payload), "utf8"), {
      timeoutMs: this.#timeoutMs,
      agents: this.#agents,
    });
    const answer = JSON.parse(text) as JsonRpcResult | JsonRpcResult[];
    return Array.isArray(answer) ? answer : [answer];
  }
}

/** How `post` sends: within `timeoutMs`, through `agents`, reading at most `maxBytes` of the answer. */
export interface PostOptions {
  timeoutMs: number;
  agents: Agents;
  maxBytes?: number;
}

/** The error `post` rejects with when the answer is over `maxBytes`. */
export class AnswerTooLarge extends Error {}

/**
 * POSTs `body` as JSON to `url`; the response's text, or an ethers TIMEOUT or SERVER_ERROR error (or AnswerTooLarge).
 * A JSON-RPC read or a signed transaction may be sent twice without harm, so a request whose pooled connection the
 * server closed before answering (ECONNRESET, EPIPE on a reused socket) is sent once more on a new one.
 */
export async function post(url: URL, body: Buffer, options: PostOptions): Promise<string> {
  try {
    return await postOnce(url, body, options);
  } catch (error) {
    if (!(error instanceof ReusedSocketClosed)) throw error;
    return postOnce(url, body, options);
  }
}

/** A pooled connection that turned out closed when it was reused. */
class ReusedSocketClosed extends Error {}

function postOnce(url: URL, body: Buffer, { timeoutMs, agents, maxBytes = Infinity }: PostOptions): Promise<string> {
  const secure = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method: "POST",
      agent: secure ? agents.https : agents.http,
      headers: { "content-type": "application/json", "content-length": body.length },
    });
    // The whole exchange is bounded, not just the silences between packets: a node that trickles counts as hung.
    const timer = setTimeout(() => {
      request.destroy();
      const timeout: Error = makeError("request timeout", "TIMEOUT", { operation: "request", reason: "timeout" });
      reject(timeout);
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      const code = (error as NodeJS.ErrnoException).code;
      const closed = request.reusedSocket && (code === "ECONNRESET" || code === "EPIPE");
      reject(closed ? new ReusedSocketClosed(error.message) : error);
    };
    request.once("error", fail);
    request.once("response", (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          clearTimeout(timer);
          request.destroy();
          reject(new AnswerTooLarge(`the answer is over ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.once("error", fail);
      response.once("end", () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString("utf8");
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(text);
        const failed: Error = makeError(`bad response (${status} ${response.statusMessage ?? ""})`, "SERVER_ERROR", {
          request: url.href,
          info: { status, body: text.slice(0, 500) },
        });
        reject(failed);
      });
    });
    request.end(body);
  });
}
