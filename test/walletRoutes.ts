/**
 * The issuer service's routes over HTTP (src/wallet/routes.ts), on a real listening server in process, the service's
 * store in memory: the metadata documents readable from any page (CORS, preflight), the endpoints' answers as JSON
 * with their headers, bounded bodies, unknown routes, and the service's own failures.
 */
import { expect } from "chai";
import { Wallet, getAddress } from "ethers";
import { demoType } from "../deploy/demoData.ts";
import { CCRError } from "../src/errors.ts";
import { listenWith } from "../src/server/listen.ts";
import { BatchLanes } from "../src/wallet/batches.ts";
import { serviceMetadata, type ServiceMetadata } from "../src/wallet/metadata.ts";
import { issuerRoutes, MAX_BODY } from "../src/wallet/routes.ts";
import { IssuerService } from "../src/wallet/service.ts";
import { openSqliteStore } from "../src/wallet/sqliteStore.ts";
import { secretDigest, type IssuerStore } from "../src/wallet/store.ts";
import { post } from "./httpPost.ts";

const BASE = "https://issuer.test";

/** Serves `service`'s routes on a free port of 127.0.0.1 (HTTP); its URL and how to stop it. */
async function serving(service: IssuerService, metadata: ServiceMetadata) {
  const { server, url } = await listenWith(issuerRoutes(service, metadata), { host: "127.0.0.1", port: 0 });
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("issuer service routes over HTTP (src/wallet/routes.ts)", function () {
  let metadata: ServiceMetadata;
  let store: IssuerStore;
  let url: string;
  let close: () => Promise<void>;

  before(async function () {
    metadata = serviceMetadata(BASE, "Test university", [await demoType("diploma")]);
    store = openSqliteStore(":memory:");
    const issuer = Wallet.createRandom();
    const service = new IssuerService({
      metadata,
      store,
      lanes: new BatchLanes(store, "test", { size: 10, window: 60, lifetime: 0 }),
      anchorer: { keepingUp: () => true },
      signer: {
        chainId: 31337,
        registry: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
        issuer: issuer.address,
        keys: { ES256K: { signingKey: issuer.privateKey, kid: undefined } },
      },
    });
    const now = Math.floor(Date.now() / 1000);
    await store.addOffers([
      {
        id: "offer-1",
        codeDigest: secretDigest("code-1"),
        schemaId: 2,
        subject: { name: "Aiko Tanaka", studentNumber: "S1", degree: "BSc", fieldOfStudy: "Physics" },
        source: "rows.csv",
        row: 1,
        createdAt: now,
        expiresAt: now + 600,
        state: "open",
        pinFailures: 0,
      },
    ]);
    ({ url, close } = await serving(service, metadata));
  });

  after(async function () {
    await close();
    await store.close();
  });

  it("serves the metadata documents to any page (GET, HEAD, CORS preflight), with RFC 8414's slash too", async function () {
    const issuer = await fetch(`${url}/.well-known/openid-credential-issuer`);
    expect(issuer.status).to.equal(200);
    expect(issuer.headers.get("access-control-allow-origin")).to.equal("*");
    expect(issuer.headers.get("content-type")).to.equal("application/json");
    expect(await issuer.json()).to.deep.equal(JSON.parse(JSON.stringify(metadata.issuer)));
    for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/"]) {
      expect(await (await fetch(`${url}${path}`)).json(), path).to.deep.equal(
        JSON.parse(JSON.stringify(metadata.authorizationServer)),
      );
    }
    const head = await fetch(`${url}/.well-known/openid-credential-issuer`, { method: "HEAD" });
    expect([head.status, await head.text()]).to.deep.equal([200, ""]);
    const preflight = await fetch(`${url}/.well-known/openid-credential-issuer`, {
      method: "OPTIONS",
      headers: { origin: "https://wallet.test", "access-control-request-headers": "x-wallet" },
    });
    expect(preflight.status).to.equal(204);
    expect(Object.fromEntries(preflight.headers)).to.include({
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET",
      "access-control-allow-headers": "x-wallet",
    });
  });

  it("answers the endpoints as JSON with their headers: a token for a code, a nonce, a refusal with its code", async function () {
    const form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=code-1";
    const token = await post(`${url}/token`, form, false, { "content-type": "application/x-www-form-urlencoded" });
    expect(token.status, token.text).to.equal(200);
    expect(JSON.parse(token.text)).to.include({ token_type: "bearer", expires_in: 600 });
    const nonce = await fetch(`${url}/nonce`, { method: "POST" });
    expect(nonce.status).to.equal(200);
    expect(nonce.headers.get("cache-control")).to.equal("no-store");
    expect(await nonce.json()).to.have.keys("c_nonce", "c_nonce_expires_in");
    // Not JSON: the service says what is missing, as for an empty request.
    const accessToken = String((JSON.parse(token.text) as { access_token: string }).access_token);
    const refused = await post(`${url}/credential`, "not json", false, { authorization: `Bearer ${accessToken}` });
    expect(refused.status).to.equal(400);
    expect(JSON.parse(refused.text)).to.include({ error: "invalid_credential_request" });
    const unauthorized = await fetch(`${url}/credential`, { method: "POST", body: "{}" });
    expect([unauthorized.status, unauthorized.headers.get("www-authenticate")]).to.deep.equal([
      401,
      'Bearer error="invalid_token"',
    ]);
  });

  it(`refuses a body over ${MAX_BODY} bytes with 413 and a sentence, declared or streamed`, async function () {
    const refusal = {
      status: 413,
      text: JSON.stringify({ error: "invalid_request", error_description: `bodies are at most ${MAX_BODY} bytes` }),
    };
    for (const streamed of [false, true]) {
      expect(
        await post(`${url}/credential`, "x".repeat(MAX_BODY + 1), streamed),
        `streamed: ${streamed}`,
      ).to.deep.equal(refusal);
    }
    // The connection serves the next request.
    expect((await fetch(`${url}/nonce`, { method: "POST" })).status).to.equal(200);
  });

  it("answers 404 for an unknown route, another method, or a batch it does not have (readable from any page)", async function () {
    for (const [method, path] of [
      ["GET", "/unknown"],
      ["GET", "/token"],
      ["DELETE", "/credential"],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect([response.status, await response.json()], `${method} ${path}`).to.deep.equal([
        404,
        { error: "not_found", error_description: "no such endpoint" },
      ]);
    }
    const unknown = await fetch(`${url}/batches/unknown/0`);
    expect(unknown.headers.get("access-control-allow-origin")).to.equal("*");
    expect([unknown.status, await unknown.json()]).to.deep.equal([
      404,
      { error: "not_found", error_description: "no batch unknown" },
    ]);
    expect((await fetch(`${url}/batches/%E0%A4%A/0`)).status, "malformed escape").to.equal(404);
  });

  it("answers the service's failures with 500: a CCR error's sentence, anything else only in its log", async function () {
    const failing = (error: Error) => ({ nonce: () => Promise.reject(error) }) as unknown as IssuerService;
    const logged: unknown[] = [];
    const log = console.error;
    console.error = (...args: unknown[]) => logged.push(...args);
    try {
      for (const [error, description] of [
        [
          new CCRError("RPC_UNAVAILABLE", "the node at http://127.0.0.1:9 is unreachable"),
          "the node at http://127.0.0.1:9 is unreachable",
        ],
        [new Error("a defect"), "the issuer service failed; see its log"],
      ] as const) {
        const server = await serving(failing(error), metadata);
        const response = await fetch(`${server.url}/nonce`, { method: "POST" });
        await server.close();
        expect([response.status, await response.json()]).to.deep.equal([
          500,
          { error: "server_error", error_description: description },
        ]);
      }
    } finally {
      console.error = log;
    }
    expect(logged.map(String)).to.deep.equal(["Error: a defect"]);
  });
});
