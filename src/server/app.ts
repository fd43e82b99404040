/**
 * `ccr serve`: one HTTP server (Hono) for verifiers, explorers, auditors and other trust registries. It holds no
 * keys: it reads the chain through the deployment's RPC (and, when given, the audit index), answers TRQP v2 queries,
 * serves the framework as JSON, and passes the browser's read-only JSON-RPC calls on to the node so that the verifier
 * page checks credentials itself.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Deployment } from "../deployment.ts";
import { CCRError } from "../errors.ts";
import { NameBook } from "../names.ts";
import type { RegistryConnection } from "../registry.ts";
import { listSchemas } from "../framework.ts";
import { AnswerTooLarge, post, pooledAgents, type Agents } from "../jsonRpc.ts";
import type { AuditIndex } from "./audit.ts";
import { ChainCache } from "./chainCache.ts";
import { readFramework, type FrameworkView } from "./framework.ts";
import { SchemaLabelBook } from "./schemaLabels.ts";
import type { SchemaSources } from "../schemaResolver.ts";
import {
  AUTHORIZATION_ACTIONS,
  RECOGNITION_ACTIONS,
  TrqpProblem,
  authorization,
  checkRequest,
  recognition,
  type ChainView,
} from "./trqp.ts";

export interface ServerOptions {
  connection: RegistryConnection;
  /** The JSON-RPC endpoint the browser's calls are passed to (the deployment's, or --rpc). */
  rpcUrl: string;
  /** Serves the built web pages (verifier, explorer, dashboard), when they are built. */
  pages?: MiddlewareHandler | undefined;
  /** The audit index (`--db`), for the dashboard and timelines. */
  audit?: AuditIndex | undefined;
  /** Where schema documents are found, for the field titles the pages show (default: the cache only). */
  schemaSources?: SchemaSources | undefined;
  /** The pooled connections the relay (/rpc) sends through (default: a pool of its own). */
  relayAgents?: Agents | undefined;
  /** The OpenID4VP verifier's routes (`/oid4vp/…`), when it runs beside the pages: they ask wallets through it. */
  verifier?: { fetch: (request: Request) => Response | Promise<Response> } | undefined;
}

/** The most connections the relay keeps open to the node at once (requests beyond wait for one). */
export const RELAY_CONNECTIONS = 16;

/** The largest TRQP query body accepted, and the largest JSON-RPC body the relay passes on (100 verdicts with proofs). */
const QUERY_LIMIT = 64 * 1024;
const RPC_LIMIT = 4 * 1024 * 1024;

/** JSON-RPC methods the browser may call through the server: reads only, never a transaction. */
const READ_METHODS = new Set([
  "eth_chainId",
  "net_version",
  "eth_blockNumber",
  "eth_call",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getLogs",
  "eth_getCode",
  "eth_getTransactionReceipt",
]);

/** The most calls in one JSON-RPC batch, blocks in one eth_getLogs, and bytes in one answer the relay passes on. */
const RPC_MAX_BATCH = 100;
const RPC_MAX_LOG_BLOCKS = 1_000_000;
const RPC_MAX_ANSWER = 8 * 1024 * 1024;

/** A JSON-RPC error answer (HTTP 400), for a request the relay refuses. */
function rpcError(c: Context, message: string) {
  return c.json({ jsonrpc: "2.0", id: null, error: { code: -32600, message: `ccr serve: ${message}` } }, 400);
}

/** Why an eth_getLogs filter is refused: another contract's logs, a block hash filter aside, or too many blocks. */
async function logsRefusal(
  filter: unknown,
  own: ReadonlySet<string>,
  latest: () => Promise<{ number: number }>,
): Promise<string | undefined> {
  const { address, fromBlock, toBlock, blockHash } = (filter ?? {}) as Record<string, unknown>;
  const addresses = (Array.isArray(address) ? address : [address]).map((a) => String(a).toLowerCase());
  if (address === undefined || !addresses.every((a) => own.has(a))) {
    return "eth_getLogs is passed on for this deployment's contracts (registry, names, DID registry) only";
  }
  if (blockHash !== undefined) return undefined;
  const number = async (tag: unknown): Promise<number> => {
    if (typeof tag === "string" && /^0x[0-9a-f]+$/i.test(tag)) return Number(BigInt(tag));
    if (tag === "earliest") return 0;
    return (await latest()).number;
  };
  const blocks = (await number(toBlock ?? "latest")) - (await number(fromBlock ?? "latest")) + 1;
  return blocks > RPC_MAX_LOG_BLOCKS
    ? `eth_getLogs over ${blocks} blocks: at most ${RPC_MAX_LOG_BLOCKS} in one call; ask in ranges`
    : undefined;
}

/** The TRQP metadata document: the registry, its endpoints, identifiers and actions, economies and schemas. */
function metadata(connection: RegistryConnection, framework: FrameworkView) {
  return {
    protocol: "TRQP v2",
    registry: {
      name: "CCR, a cross-border credential registry",
      chain_id: connection.chainId,
      contract: connection.deployment.registry.address,
      names_contract: connection.deployment.names?.address,
    },
    endpoints: { authorization: "/authorization", recognition: "/recognition" },
    identifiers: {
      entity:
        "an issuer's did:ethr (or address) for authorization; an economy's ISO code or its authority's did:ethr for recognition",
      authority: "an economy's ISO 3166-1 alpha-2 code or its authority's did:ethr (or address)",
      resource: "a schema's id, name or URI",
      time: "context.time, RFC 3339 in UTC; absent: now; past times answered from the registry's state then",
    },
    actions: { authorization: AUTHORIZATION_ACTIONS, recognition: RECOGNITION_ACTIONS },
    economies: framework.economies.map((e) => ({
      id: e.iso,
      name: e.name,
      member: e.member,
      authority: e.authorityDid,
      authority_name: e.authorityName,
    })),
    resources: framework.schemas.map((s) => ({
      id: s.id,
      name: s.name,
      uri: s.uri,
      digest: s.digest,
      deprecated: s.deprecated,
    })),
  };
}

/**
 * Whether a request that changes state (a sync, a check) comes from this server's own pages: a same-origin request
 * with a JSON content type, which another site's page cannot send without a preflight this server never answers.
 */
function ownPage(c: Context): boolean {
  const origin = c.req.header("origin");
  const host = c.req.header("host");
  const sameOrigin = origin === undefined || (host !== undefined && new URL(origin).host === host);
  return sameOrigin && (c.req.header("content-type") ?? "").startsWith("application/json");
}

/** An RFC 7807 problem-details answer. */
function problem(c: Context, status: 400 | 403 | 404 | 413 | 500 | 502 | 503, title: string, detail: string) {
  return c.json({ type: "about:blank", title, status, detail }, status, {
    "content-type": "application/problem+json",
  });
}

/** A TRQP handler's failure as problem details: its own status, an unreachable chain as 500, anything else as 500. */
function failed(c: Context, error: unknown) {
  if (error instanceof TrqpProblem) return problem(c, error.status, error.title, error.message);
  if (error instanceof CCRError && error.code === "RPC_UNAVAILABLE") {
    return problem(c, 500, "Registry unreachable", error.message);
  }
  if (error instanceof CCRError && error.code === "INVALID_ARGUMENT") {
    return problem(c, 400, "Invalid request", error.message);
  }
  if (error instanceof CCRError && error.code === "INDEX_FILE") {
    return problem(c, 503, "Audit index not ready", error.message);
  }
  return problem(c, 500, "Internal error", error instanceof Error ? error.message : String(error));
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new TrqpProblem(400, "Invalid request", "the request body is not valid JSON");
  }
}

/** Refuses a state-changing request that does not come from this server's own pages (see `ownPage`). */
const crossSite: MiddlewareHandler = async (c, next) => {
  if (c.req.method === "POST" && !ownPage(c)) {
    return problem(
      c,
      403,
      "Not from this server's pages",
      "a sync or check is accepted from this server's own pages only (same origin, content-type application/json)",
    );
  }
  await next();
};

/** What the routes share: the connection, and what depends only on the chain's state, read once per block. */
interface Shared {
  connection: RegistryConnection;
  cache: ChainCache;
  names: () => Promise<NameBook>;
  framework: () => Promise<FrameworkView>;
  view: ChainView;
}

// A TRQP query is a few hundred bytes: a body over the limit is refused before it is read whole.
const limited = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: (c) => {
      // The rest of the body is not read: the connection closes after the answer, so no client reuses it.
      c.header("connection", "close");
      return problem(c, 413, "Request too large", `the request body is over ${maxSize / 1024} KiB`);
    },
  });

/** TRQP v2: authorization and recognition queries, and the registry's metadata. */
function trqpRoutes(app: Hono, { connection, cache, names, framework, view }: Shared): void {
  /** A TRQP answer, computed once per block and query; stamped with the time it is given. */
  const trqp = async <T extends { time_evaluated: string }>(
    kind: string,
    body: unknown,
    answer: (now: Date) => Promise<T>,
  ): Promise<T> => {
    const now = new Date();
    const shared = await cache.atLatest(`${kind} ${JSON.stringify(checkRequest(body))}`, () => answer(now));
    return { ...shared, time_evaluated: now.toISOString().replace(/\.\d{3}Z$/, "Z") };
  };
  app.use("/authorization", limited(QUERY_LIMIT));
  app.use("/recognition", limited(QUERY_LIMIT));
  app.post("/authorization", async (c) => {
    try {
      const body = await jsonBody(c);
      const names_ = await names();
      return c.json(await trqp("authorization", body, (now) => authorization(connection, body, names_, now, view)));
    } catch (error) {
      return failed(c, error);
    }
  });
  app.post("/recognition", async (c) => {
    try {
      const body = await jsonBody(c);
      return c.json(await trqp("recognition", body, (now) => recognition(connection, body, now, view)));
    } catch (error) {
      return failed(c, error);
    }
  });
  app.get("/metadata", async (c) => {
    try {
      return c.json(metadata(connection, await framework()));
    } catch (error) {
      return failed(c, error);
    }
  });
}

/** What the pages read: the framework, the schemas' labels, and the configuration to check credentials with. */
function pageRoutes(app: Hono, { connection, framework }: Shared, options: ServerOptions): void {
  const labels = new SchemaLabelBook(connection, { timeoutMs: 5_000, ...options.schemaSources });
  app.get("/api/framework", async (c) => {
    try {
      return c.json(await framework());
    } catch (error) {
      return failed(c, error);
    }
  });
  // Registered schemas' names and their fields' titles (from their documents), for pages that show credentials.
  app.get("/api/schemas", async (c) => {
    try {
      return c.json({ schemas: await labels.all() });
    } catch (error) {
      return failed(c, error);
    }
  });
  // What the browser needs to check credentials itself: the deployment without its accounts, and where to send reads.
  app.get("/api/config", (c) => {
    const { format, network, chainId, genesisHash, registry, didRegistry, names, schemas, economies, createdAt } =
      connection.deployment;
    const deployment: Omit<Deployment, "accounts" | "rpcUrl"> = {
      ...{ format, network, chainId, genesisHash, registry, didRegistry, names, schemas, economies, createdAt },
    };
    const changed = options.audit?.state.chainChanged;
    const chain =
      changed === undefined
        ? { genesisHash: connection.genesisHash, changed: false }
        : {
            genesisHash: connection.genesisHash,
            changed: true,
            found: changed.found,
            message: options.audit?.state.error,
          };
    return c.json({ deployment, chain, rpc: "/rpc" });
  });
}

/**
 * The browser's JSON-RPC reads, passed on unchanged; anything that is not a read, a batch of more than RPC_MAX_BATCH
 * calls, logs of other contracts or of more than RPC_MAX_LOG_BLOCKS blocks, and an answer over RPC_MAX_ANSWER bytes
 * are refused with a JSON-RPC error: one request never makes the node do unbounded work.
 */
function rpcRoute(app: Hono, { connection, cache }: Shared, options: ServerOptions): void {
  const { rpcUrl } = options;
  const ownContracts = new Set(
    [
      connection.deployment.registry.address,
      connection.deployment.names?.address,
      connection.deployment.didRegistry.address,
    ]
      .filter((a): a is string => a !== undefined)
      .map((a) => a.toLowerCase()),
  );
  const relayAgents = options.relayAgents ?? pooledAgents(RELAY_CONNECTIONS);
  const rpcEndpoint = new URL(rpcUrl);
  const unreachable = (c: Context, error: unknown) =>
    problem(c, 502, "Chain unreachable", `the node at ${rpcUrl} did not answer: ${String(error)}`);
  app.use("/rpc", limited(RPC_LIMIT));
  app.post("/rpc", async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as unknown;
    const calls = Array.isArray(body) ? body : [body];
    if (calls.length > RPC_MAX_BATCH) {
      return rpcError(c, `a batch of ${calls.length} calls: at most ${RPC_MAX_BATCH} in one request`);
    }
    for (const call of calls) {
      const method = (call as { method?: unknown } | undefined)?.method;
      if (typeof method !== "string" || !READ_METHODS.has(method)) {
        return problem(c, 400, "Not a read", `the server passes on reads only, not ${JSON.stringify(method)}`);
      }
      if (method === "eth_getLogs") {
        const filter = (call as { params?: unknown[] }).params?.[0];
        let refusal: string | undefined;
        try {
          refusal = await logsRefusal(filter, ownContracts, () => cache.latest());
        } catch (error) {
          return unreachable(c, error);
        }
        if (refusal !== undefined) return rpcError(c, refusal);
      }
    }
    try {
      const text = await post(rpcEndpoint, Buffer.from(JSON.stringify(body), "utf8"), {
        timeoutMs: 30_000,
        agents: relayAgents,
        maxBytes: RPC_MAX_ANSWER,
      });
      return c.body(text, 200, { "content-type": "application/json" });
    } catch (error) {
      if (error instanceof AnswerTooLarge) {
        return rpcError(c, `the node's answer is over ${RPC_MAX_ANSWER} bytes: ask for fewer blocks or calls`);
      }
      return unreachable(c, error);
    }
  });
}

/** The audit index's report, timelines and checks (only with --db). */
function auditRoutes(app: Hono, audit: AuditIndex | undefined): void {
  app.use("/api/audit/*", async (c, next) => {
    if (audit === undefined) {
      return problem(
        c as Context,
        404,
        "No audit index",
        "the server was started without --db: start it with an audit index",
      );
    }
    await next();
  });
  const index = (): AuditIndex => audit as AuditIndex;
  app.get("/api/audit/status", async (c) => {
    try {
      const last = await index().lastCheck();
      return c.json({ file: index().location, ...index().state, ...(last === undefined ? {} : { lastCheck: last }) });
    } catch (error) {
      return failed(c, error);
    }
  });
  app.get("/api/audit/report", async (c) => {
    try {
      return c.json(await index().report(c.req.query()));
    } catch (error) {
      return failed(c, error);
    }
  });
  app.get("/api/audit/timeline", async (c) => {
    const { subject, member } = c.req.query();
    if (subject === undefined || subject === "") return problem(c, 400, "Invalid request", "subject is missing");
    if (member !== undefined && member !== "" && !/^\d+$/.test(member)) {
      return problem(c, 400, "Invalid request", `member "${member}" is not a batch member's index`);
    }
    try {
      return c.json(
        await index().timeline(subject, member === undefined || member === "" ? undefined : Number(member)),
      );
    } catch (error) {
      return failed(c, error);
    }
  });
  // State-changing requests: this server's own pages only; their bodies are never read.
  app.use("/api/audit/sync", crossSite);
  app.use("/api/audit/check", crossSite);
  app.post("/api/audit/sync", async (c) => {
    await index().sync();
    return c.json(index().state);
  });
  app.post("/api/audit/check", async (c) => {
    try {
      return c.json(await index().check());
    } catch (error) {
      return failed(c, error);
    }
  });
}

export function createApp(options: ServerOptions): Hono {
  const { connection, pages } = options;
  const app = new Hono();
  // What depends only on the chain's state is read once per block and shared by every request at that block (a
  // renamed issuer shows its new name in the first answer after the block that renamed it).
  const cache = new ChainCache(connection);
  const names = () => cache.atLatest("names", () => Promise.resolve(new NameBook(connection)));
  const shared: Shared = {
    connection,
    cache,
    names,
    framework: () =>
      cache.atLatest("framework", async (block) => readFramework(connection, await names(), block.number)),
    view: {
      latest: () => cache.latest(),
      schemas: () => cache.atLatest("schemas", (block) => listSchemas(connection, block.number)),
    },
  };
  trqpRoutes(app, shared);
  pageRoutes(app, shared, options);
  rpcRoute(app, shared, options);
  auditRoutes(app, options.audit);
  const { verifier } = options;
  if (verifier !== undefined) {
    app.all("/oid4vp", (c) => verifier.fetch(c.req.raw));
    app.all("/oid4vp/*", (c) => verifier.fetch(c.req.raw));
  }
  if (pages !== undefined) app.use("/*", pages);
  else {
    app.get("/", (c) => c.text("ccr serve: the web pages are not built (npm run build:web); the APIs answer.", 404));
  }
  return app;
}
