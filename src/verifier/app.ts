/**
 * The verifier's routes, under `/oid4vp`: for wallets, the request object a wallet fetches (`request_uri`) and the
 * response endpoint it posts its answer to (`direct_post`); for the official, making a request and reading its
 * result. The wallets' listener serves the wallets' routes only: whoever reaches it can answer a request, not make
 * one or read a verdict.
 */
import { Hono, type Context } from "hono";
import { CCRError } from "../errors.ts";
import { boundedBodies } from "../server/listen.ts";
import type { Verifier, VerifierAnswer } from "./service.ts";

/** The largest answer accepted: an SD-JWT VC with its disclosures and key binding is a few kilobytes. */
const MAX_BODY = 256 * 1024;

const answer = (c: Context, a: VerifierAnswer): Response => c.json(a.body, a.status as 200);

/** The routes wallets use: the request objects and the response endpoints. */
export function walletApp(verifier: Verifier): Hono {
  const app = new Hono();
  app.use("*", boundedBodies(MAX_BODY));
  walletRoutes(app, verifier);
  app.onError(failed);
  return app;
}

/** Every route: the wallets' and the official's (the web pages' own origin). */
export function verifierApp(verifier: Verifier): Hono {
  const app = new Hono();
  app.use("*", boundedBodies(MAX_BODY));
  walletRoutes(app, verifier);
  officialRoutes(app, verifier);
  app.onError(failed);
  return app;
}

function walletRoutes(app: Hono, verifier: Verifier): void {
  app.get("/oid4vp/request/:id", async (c) => {
    const found = await verifier.requestObject(c.req.param("id"));
    if ("jwt" in found) return c.body(found.jwt, 200, { "content-type": "application/oauth-authz-req+jwt" });
    return answer(c, found);
  });
  app.post("/oid4vp/response/:id", async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (!type.startsWith("application/x-www-form-urlencoded")) {
      return c.json(
        { error: "invalid_request", error_description: "the answer is a form (application/x-www-form-urlencoded)" },
        400,
      );
    }
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    return answer(c, await verifier.answer(c.req.param("id"), form));
  });
}

function officialRoutes(app: Hono, verifier: Verifier): void {
  app.get("/oid4vp", (c) => c.json(verifier.info()));
  app.post("/oid4vp/requests", async (c) => {
    // JSON only: a form posted by a page of another site (a "simple" request, sent without asking) makes nothing.
    if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
      return c.json({ error: "invalid_request", error_description: "a request is asked for as JSON" }, 415);
    }
    const body = (await c.req.json().catch(() => undefined)) as
      { schema?: unknown; claims?: unknown; economy?: unknown; encrypted?: unknown } | undefined;
    const claims = Array.isArray(body?.claims) ? body.claims.map(String) : [];
    if (typeof body?.schema !== "string") {
      return c.json({ error: "invalid_request", error_description: "name the schema and the claims to ask for" }, 400);
    }
    const economy = typeof body.economy === "string" && body.economy !== "" ? body.economy : undefined;
    return c.json(await verifier.create(body.schema, claims, economy, body.encrypted === true));
  });
  app.get("/oid4vp/result/:id", async (c) => {
    const result = await verifier.result(c.req.param("id"), c.req.header("x-result-key") ?? "");
    if (result === undefined)
      return c.json({ error: "not_found", error_description: "no such request for this key" }, 404);
    return c.json(result);
  });
}

/** A refusal for what the caller got wrong (an unknown schema or claim), a server error for the rest. */
function failed(error: Error, c: Context): Response {
  if (error instanceof CCRError && (error.code === "INVALID_ARGUMENT" || error.code === "INVALID_SCHEMA_ID")) {
    return c.json({ error: "invalid_request", error_description: error.message }, 400);
  }
  const description = error instanceof CCRError ? error.message : "the verifier failed; see its log";
  if (!(error instanceof CCRError)) console.error(error);
  return c.json({ error: "server_error", error_description: description }, 500);
}
