/**
 * The issuer service's routes as a Node request listener: its metadata documents, the endpoints of `service.ts` and
 * the batch proofs, with bounded bodies. Served straight from Node's request and response, without a fetch Request
 * and Response for each (as CCR's other servers do with Hono): a device's enrolment takes three requests, and under a
 * fleet that framework cost the service about 40 µs of CPU per request, a fifteenth of a device's.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { TLSSocket } from "node:tls";
import { CCRError } from "../errors.ts";
import type { ServiceMetadata } from "./metadata.ts";
import type { Answer, IssuerService } from "./service.ts";

/** The largest request body accepted: a credential request with its proofs is a few kilobytes. */
export const MAX_BODY = 64 * 1024;

/** A route's answer from the request's body (text) and the request itself. */
type Route = (body: string, request: IncomingMessage) => Promise<Answer>;

/** Thrown while reading a body over `MAX_BODY`. */
class TooLarge extends Error {}

const tooLarge: Answer = {
  status: 413,
  body: { error: "invalid_request", error_description: `bodies are at most ${MAX_BODY} bytes` },
};
const notFound: Answer = { status: 404, body: { error: "not_found", error_description: "no such endpoint" } };

/** The body as JSON, or undefined when it is not JSON (the service says what is missing). */
function jsonOf(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The request's headers as fetch Headers (repeated ones joined as HTTP joins them). */
function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

/** The request's body, refused (`TooLarge`) past `MAX_BODY`, whether declared or streamed. */
function bodyOf(request: IncomingMessage): Promise<string> {
  if (Number(request.headers["content-length"] ?? 0) > MAX_BODY) return Promise.reject(new TooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        request.removeAllListeners("data");
        request.resume();
        reject(new TooLarge());
      } else chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Writes `answer` as JSON (none for 204), with its headers and `extra`. */
function send(response: ServerResponse, answer: Answer, extra: Record<string, string> = {}): void {
  const headers = { ...extra, ...answer.headers };
  if (answer.status === 204 || answer.body === undefined) {
    response.writeHead(answer.status, headers).end();
    return;
  }
  const text = JSON.stringify(answer.body);
  response
    .writeHead(answer.status, {
      ...headers,
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
    })
    .end(text);
}

/** What anyone may read from any page (the metadata, the batch proofs): CORS for GET, preflight included. */
const OPEN = { "access-control-allow-origin": "*" };

function preflight(request: IncomingMessage, response: ServerResponse): void {
  const asked = request.headers["access-control-request-headers"];
  response
    .writeHead(204, {
      ...OPEN,
      "access-control-allow-methods": "GET",
      ...(asked === undefined ? {} : { "access-control-allow-headers": asked, vary: "Access-Control-Request-Headers" }),
    })
    .end();
}

/** The service's routes (`IssuerService`'s endpoints and the metadata documents). */
export function issuerRoutes(service: IssuerService, metadata: ServiceMetadata): RequestListener {
  const documents = new Map<string, unknown>([
    ["/.well-known/openid-credential-issuer", metadata.issuer],
    ["/.well-known/oauth-authorization-server", metadata.authorizationServer],
    // RFC 8414's path for an issuer URL without path, as some wallets build it.
    ["/.well-known/oauth-authorization-server/", metadata.authorizationServer],
  ]);
  const posts = new Map<string, Route>([
    [
      "/token",
      (body, request) => {
        const scheme = request.socket instanceof TLSSocket ? "https" : "http";
        const url = `${scheme}://${request.headers.host ?? "localhost"}${request.url ?? "/token"}`;
        return service.token(Object.fromEntries(new URLSearchParams(body)), url, headersOf(request));
      },
    ],
    ["/nonce", () => service.nonce()],
    ["/credential", (body, request) => service.credential(request.headers.authorization, jsonOf(body))],
    [
      "/deferred_credential",
      (body, request) => service.deferredCredential(request.headers.authorization, jsonOf(body)),
    ],
    ["/notification", (body, request) => service.notification(request.headers.authorization, jsonOf(body))],
  ]);
  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const open = path.startsWith("/.well-known/") || path.startsWith("/batches/");
    if (open && request.method === "OPTIONS") return preflight(request, response);
    const reading = request.method === "GET" || request.method === "HEAD";
    if (reading && documents.has(path)) {
      return send(response, { status: 200, body: documents.get(path) }, OPEN);
    }
    const member = /^\/batches\/([^/]+)\/([^/]+)$/.exec(path);
    if (reading && member !== null) {
      const [, id = "", index = ""] = member;
      let batchId: string;
      try {
        batchId = decodeURIComponent(id);
      } catch {
        return send(response, notFound, OPEN);
      }
      return send(response, await service.batchMember(batchId, Number(index)), OPEN);
    }
    const post = request.method === "POST" ? posts.get(path) : undefined;
    if (post === undefined) return send(response, notFound);
    send(response, await post(await bodyOf(request), request));
  };
  return (request, response) => {
    route(request, response).catch((error: unknown) => {
      if (error instanceof TooLarge) return send(response, tooLarge);
      const description = error instanceof CCRError ? error.message : "the issuer service failed; see its log";
      if (!(error instanceof CCRError)) console.error(error);
      if (!response.headersSent)
        send(response, { status: 500, body: { error: "server_error", error_description: description } });
      else response.destroy();
    });
  };
}
