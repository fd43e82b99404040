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
import type { AuditIndex } from "./audit.ts";
import { readFramework } from "./framework.ts";
import { AUTHORIZATION_ACTIONS, RECOGNITION_ACTIONS, TrqpProblem, authorization, recognition } from "./trqp.ts";

export interface ServerOptions {
  connection: RegistryConnection;
  /** The JSON-RPC endpoint the browser's calls are passed to (the deployment's, or --rpc). */
  rpcUrl: string;
  /** Serves the built web pages (verifier, explorer, dashboard), when they are built. */
  pages?: MiddlewareHandler | undefined;
  /** The audit index (`--db`), for the dashboard and timelines. */
  audit?: AuditIndex | undefined;
}

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

/** An RFC 7807 problem-details answer. */
function problem(c: Context, status: 400 | 404 | 413 | 500 | 502 | 503, title: string, detail: string) {
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

export function createApp({ connection, rpcUrl, pages, audit }: ServerOptions): Hono {
  const app = new Hono();
  // Names are read once per request: a renamed issuer shows its new name on the next one.
  const names = () => new NameBook(connection);

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
  app.use("/authorization", limited(QUERY_LIMIT));
  app.use("/recognition", limited(QUERY_LIMIT));
  app.use("/rpc", limited(RPC_LIMIT));

  app.post("/authorization", async (c) => {
    try {
      return c.json(await authorization(connection, await jsonBody(c), names()));
    } catch (error) {
      return failed(c, error);
    }
  });

  app.post("/recognition", async (c) => {
    try {
      return c.json(await recognition(connection, await jsonBody(c)));
    } catch (error) {
      return failed(c, error);
    }
  });

  app.get("/metadata", async (c) => {
    try {
      const framework = await readFramework(connection, names());
      return c.json({
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
      });
    } catch (error) {
      return failed(c, error);
    }
  });

  app.get("/api/framework", async (c) => {
    try {
      return c.json(await readFramework(connection, names()));
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
    const changed = audit?.state.chainChanged;
    const chain =
      changed === undefined
        ? { genesisHash: connection.genesisHash, changed: false }
        : { genesisHash: connection.genesisHash, changed: true, found: changed.found, message: audit?.state.error };
    const config = { deployment, chain, rpc: "/rpc" };
    return c.json(config);
  });

  // The browser's JSON-RPC reads, passed on unchanged; anything that is not a read is refused.
  app.post("/rpc", async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as unknown;
    const calls = Array.isArray(body) ? body : [body];
    for (const call of calls) {
      const method = (call as { method?: unknown } | undefined)?.method;
      if (typeof method !== "string" || !READ_METHODS.has(method)) {
        return problem(c, 400, "Not a read", `the server passes on reads only, not ${JSON.stringify(method)}`);
      }
    }
    try {
      const answer = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      return c.body(await answer.text(), answer.status as 200, { "content-type": "application/json" });
    } catch (error) {
      return problem(c, 502, "Chain unreachable", `the node at ${rpcUrl} did not answer: ${String(error)}`);
    }
  });

  // The audit index's report, timelines and checks (only with --db).
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

  if (pages !== undefined) app.use("/*", pages);
  else {
    app.get("/", (c) => c.text("ccr serve: the web pages are not built (npm run build:web); the APIs answer.", 404));
  }
  return app;
}
