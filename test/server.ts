import { connect } from "node:net";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { expect } from "chai";
import { Wallet } from "ethers";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { ethrDid } from "../src/did.ts";
import { connectRegistry, rpcProvider } from "../src/registry.ts";
import { RELAY_CONNECTIONS } from "../src/server/app.ts";
import { READ_CONNECTIONS, startServer, type RunningServer } from "../src/server/serve.ts";
import { wave, type LoadRequest } from "../scripts/lib/load.ts";
import { startRpcProxy } from "../scripts/lib/rpc-proxy.ts";
import { runCcr, startCcr } from "../scripts/lib/ccr-process.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { relay } from "./relay.ts";

/** The official TRQP v2 JSON Schemas (test/fixtures/trqp, copied unchanged), compiled once. */
async function trqpSchemas(): Promise<Record<string, ValidateFunction>> {
  const ajv = new Ajv({ allErrors: true });
  addFormats.default(ajv);
  const dir = join(import.meta.dirname, "fixtures", "trqp");
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".json"))) {
    ajv.addSchema(JSON.parse(await readFile(join(dir, file), "utf8")) as object);
  }
  const get = (id: string): ValidateFunction => {
    const validate = ajv.getSchema(id);
    if (validate === undefined) throw new Error(`no schema ${id} in test/fixtures/trqp`);
    return validate;
  };
  return {
    authorizationRequest: get("trqp-authorization-request"),
    authorizationResponse: get("trqp-authorization-response"),
    recognitionRequest: get("trqp-recognition-request"),
    recognitionResponse: get("trqp-recognition-response"),
  };
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

describe("ccr serve: TRQP v2 (end to end, against a Hardhat node)", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet;
  let deployment: Deployment;
  let server: RunningServer;
  let schemas: Record<string, ValidateFunction>;

  const file = () => join(devnet.dir, "deployment.json");
  const did = (account: string) => ethrDid(deployment.chainId, deployment.accounts[account]?.address ?? "");
  const ccr = (args: string[]) => runCcr(file(), args);

  /** Posts a TRQP query (checked against the request schema first) and returns the status and the body. */
  async function ask(
    kind: "authorization" | "recognition",
    body: unknown,
    url = server.url,
  ): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
    const answer = await fetch(`${url}/${kind}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return {
      status: answer.status,
      type: answer.headers.get("content-type") ?? "",
      body: (await answer.json()) as Record<string, unknown>,
    };
  }

  /** A query the schemas accept, answered 200 with a response the schemas accept; returns the response. */
  async function answered(kind: "authorization" | "recognition", request: Record<string, unknown>, url = server.url) {
    const requestSchema = schemas[`${kind}Request`];
    const responseSchema = schemas[`${kind}Response`];
    expect(requestSchema?.(request), JSON.stringify(requestSchema?.errors)).to.equal(true);
    const { status, body } = await ask(kind, request, url);
    expect(status, JSON.stringify(body)).to.equal(200);
    expect(responseSchema?.(body), JSON.stringify(responseSchema?.errors)).to.equal(true);
    for (const field of ["entity_id", "authority_id", "action", "resource"])
      expect(body[field]).to.equal(request[field]);
    return body;
  }

  /** An RFC 7807 problem with the binding's status, whose detail says what was wrong. */
  async function refused(
    kind: "authorization" | "recognition",
    body: unknown,
    status: number,
    detail: string | RegExp,
    url = server.url,
  ): Promise<Problem> {
    const answer = await ask(kind, body, url);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
    expect(answer.type).to.match(/^application\/problem\+json/);
    const problem = answer.body as unknown as Problem;
    expect(problem.status).to.equal(status);
    expect(problem.title).to.be.a("string").and.not.equal("");
    if (typeof detail === "string") expect(problem.detail).to.include(detail);
    else expect(problem.detail).to.match(detail);
    expect(answer.body).to.not.have.property("authorized");
    expect(answer.body).to.not.have.property("recognized");
    return problem;
  }

  /** The latest block's time as TRQP writes times (RFC 3339, UTC, whole seconds). */
  async function chainNow(): Promise<string> {
    const block = await rpcProvider(deployment.rpcUrl, deployment.chainId).getBlock("latest");
    return new Date((block?.timestamp ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  /**
   * A second before the chain's latest block: a time every change made after this call comes after. (The devnet's
   * blocks carry the wall clock's time, so the next block may share the latest block's second, never an earlier one.)
   */
  async function secondBefore(): Promise<string> {
    return new Date(Date.parse(await chainNow()) - 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  before(async function () {
    schemas = await trqpSchemas();
    devnet = await startDevnet();
    deployment = await readDeployment(file());
    server = await startServer(
      { connection: await connectRegistry(deployment), rpcUrl: deployment.rpcUrl },
      { host: "127.0.0.1", port: 0 },
    );
  });

  after(async function () {
    await server?.close();
    devnet?.stop();
  });

  it("describes the registry: chain, contract, economies with names, actions and resources", async function () {
    const answer = await fetch(`${server.url}/metadata`);
    expect(answer.status).to.equal(200);
    const metadata = (await answer.json()) as {
      protocol: string;
      registry: { chain_id: number; contract: string };
      endpoints: Record<string, string>;
      actions: { authorization: string[]; recognition: string[] };
      economies: { id: string; name?: string; member: boolean; authority: string }[];
      resources: { id: number; name: string; uri: string; digest: string }[];
    };
    expect(metadata.protocol).to.equal("TRQP v2");
    expect(metadata.registry).to.deep.include({ chain_id: deployment.chainId, contract: deployment.registry.address });
    expect(metadata.endpoints).to.deep.equal({ authorization: "/authorization", recognition: "/recognition" });
    expect(metadata.actions).to.deep.equal({
      authorization: ["issue", "revoke", "suspend", "reinstate"],
      recognition: ["recognize"],
    });
    expect(metadata.economies).to.have.length(21);
    expect(metadata.economies.find((e) => e.id === "AU")).to.deep.include({
      name: "Australia",
      member: true,
      authority: did("authority-au"),
    });
    expect(metadata.resources.map((r) => r.name)).to.include.members(["APEC CBPR Certification", "Academic Diploma"]);
    expect(metadata.resources.map((r) => r.uri.split("/").pop())).to.include.members(["cbpr.json", "diploma.json"]);
    for (const resource of metadata.resources) expect(resource.digest).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("answers authorization: an issuer's accreditation, by DID, address or economy code, per action and schema", async function () {
    const university = did("au-university");
    const yes = await answered("authorization", {
      entity_id: university,
      authority_id: "AU",
      action: "issue",
      resource: "diploma",
    });
    expect(yes.authorized, String(yes.message)).to.equal(true);
    expect(yes.message).to.match(
      /^University in Australia \(AU\), did:ethr:0x7a69:0x[0-9a-fA-F]{40} is accredited by AU to issue Academic Diploma \(schema \d+\), /,
    );
    expect(yes).to.not.have.property("time_requested");
    expect(Date.parse(String(yes.time_evaluated))).to.be.closeTo(Date.now(), 60_000);

    const byAuthority = await answered("authorization", {
      entity_id: deployment.accounts["au-university"]?.address ?? "",
      authority_id: did("authority-au"),
      action: "revoke",
      resource: "diploma",
    });
    expect(byAuthority.authorized, String(byAuthority.message)).to.equal(true);
    expect(byAuthority.message).to.include("may revoke its Academic Diploma credentials (accreditation ACTIVE)");

    const otherSchema = await answered("authorization", {
      entity_id: university,
      authority_id: "AU",
      action: "issue",
      resource: "cbpr",
    });
    expect(otherSchema.authorized, String(otherSchema.message)).to.equal(false);
    expect(otherSchema.message).to.match(/is not accredited for schema \d+ \(APEC CBPR Certification\)/);

    const otherEconomy = await answered("authorization", {
      entity_id: university,
      authority_id: "JP",
      action: "issue",
      resource: "diploma",
    });
    expect(otherEconomy.authorized, String(otherEconomy.message)).to.equal(false);
    expect(otherEconomy.message).to.include("is accredited by AU, not by JP");
  });

  it("refuses what it cannot answer: 400 for an invalid request, 404 for an unknown entity, authority or resource", async function () {
    const university = did("au-university");
    const query = { entity_id: university, authority_id: "AU", action: "issue", resource: "diploma" };
    await refused("authorization", "{not json", 400, "not valid JSON");
    await refused("authorization", [query], 400, "not a JSON object");
    await refused("authorization", { ...query, resource: undefined }, 400, `"resource" is required`);
    expect(schemas.authorizationRequest?.({ ...query, resource: undefined })).to.equal(false);
    await refused(
      "authorization",
      { ...query, context: { time: "2026-11-24 10:00" } },
      400,
      `"context.time" "2026-11-24 10:00" is not an RFC 3339 time in UTC`,
    );
    await refused("authorization", { ...query, context: { time: "2026-11-24T10:00:00+09:00" } }, 400, "in UTC");
    await refused("authorization", { ...query, context: { locator: 7 } }, 400, `"context.locator" must be a string`);
    await refused("authorization", { ...query, action: "delete" }, 400, `CCR grants no action "delete"`);
    await refused("recognition", { ...query, action: "issue", entity_id: "SG" }, 400, `one action, "recognize"`);
    // A body of 1 MB is refused before it is read whole.
    const padded = JSON.stringify({ ...query, context: { note: "x".repeat(1024 * 1024) } });
    await refused("authorization", padded, 413, "the request body is over 64 KiB");
    await refused("recognition", padded, 413, "the request body is over 64 KiB");

    const stranger = "0x000000000000000000000000000000000000dEaD";
    await refused("authorization", { ...query, entity_id: stranger }, 404, `${stranger} is not an issuer`);
    await refused("authorization", { ...query, entity_id: "acme" }, 404, "neither an economy code, a did:ethr");
    await refused(
      "authorization",
      { ...query, entity_id: `did:ethr:0x1:${deployment.accounts["au-university"]?.address ?? ""}` },
      404,
      `is a DID of chain 1, not of this registry's chain ${deployment.chainId}`,
    );
    await refused("authorization", { ...query, authority_id: "ZZ" }, 404, "ZZ is no economy of this registry");
    await refused("authorization", { ...query, authority_id: university }, 404, "is no economy's authority");
    await refused("authorization", { ...query, resource: "passport" }, 404, "passport");
    await refused("recognition", { ...query, action: "recognize", entity_id: "ZZ" }, 404, "ZZ is no economy");
  });

  it("says no for a revoked issuer, an issuer whose window has ended, and a time before its accreditation", async function () {
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    /** A new address accredited by Chile for certificates of origin (the authority offers, the address accepts). */
    async function accredited(extra: string[] = []): Promise<string> {
      const wallet = Wallet.createRandom();
      const offer = ["--as", "authority-cl", "framework", "issuer", "offer", wallet.address, "--schemas", "origin"];
      expect((await ccr([...offer, ...extra])).code).to.equal(0);
      await provider.send("hardhat_setBalance", [wallet.address, "0x56BC75E2D63100000"]);
      const env = { CCR_TEST_KEY: wallet.privateKey };
      const accept = ["--key-env", "CCR_TEST_KEY", "framework", "issuer", "accept", "--economy", "CL"];
      const accepted = await runCcr(file(), accept, env);
      expect(accepted.code, accepted.stderr).to.equal(0);
      return ethrDid(deployment.chainId, wallet.address);
    }
    const query = { authority_id: "CL", action: "issue", resource: "origin" };

    const before = await secondBefore();
    const revoked = await accredited();
    expect((await answered("authorization", { ...query, entity_id: revoked })).authorized).to.equal(true);
    const earlier = await answered("authorization", { ...query, entity_id: revoked, context: { time: before } });
    expect(earlier.authorized, String(earlier.message)).to.equal(false);
    expect(earlier.message).to.equal(`${revoked} was not yet accredited at ${before}`);
    const revocation = await ccr([
      "--as",
      "authority-cl",
      "framework",
      "issuer",
      "revoke",
      revoked.split(":").pop() ?? "",
    ]);
    expect(revocation.code, revocation.stderr).to.equal(0);
    const now = await answered("authorization", { ...query, entity_id: revoked });
    expect(now.authorized, String(now.message)).to.equal(false);
    expect(now.message).to.match(/ is REVOKED by CL at /);
    // Revoked: it may no longer manage what it issued either.
    const manage = await answered("authorization", { ...query, entity_id: revoked, action: "revoke" });
    expect(manage.authorized).to.equal(false);
    expect(manage.message).to.include("had its accreditation revoked by CL");

    // A window that ends a minute from now; two minutes later (the chain's clock moved on) it has ended.
    const until = new Date(Date.parse(await chainNow()) + 60_000).toISOString();
    const lapsing = await accredited(["--until", until]);
    expect((await answered("authorization", { ...query, entity_id: lapsing })).authorized).to.equal(true);
    await provider.send("evm_increaseTime", [120]);
    await provider.send("evm_mine", []);
    const lapsed = await answered("authorization", { ...query, entity_id: lapsing });
    expect(lapsed.authorized, String(lapsed.message)).to.equal(false);
    expect(lapsed.message).to.match(/ is LAPSED by CL at | was accredited only until /);
    provider.destroy();
  });

  it("answers for a past time from the registry's state then: a suspension does not reach back", async function () {
    const query = { entity_id: did("sg-agent"), authority_id: "SG", action: "issue", resource: "cbpr" };
    const before = await secondBefore();
    const suspended = await ccr(["--as", "authority-sg", "framework", "issuer", "suspend", "sg-agent"]);
    expect(suspended.code, suspended.stderr).to.equal(0);
    try {
      const now = await answered("authorization", query);
      expect(now.authorized, String(now.message)).to.equal(false);
      expect(now.message).to.match(/^Singapore CBPR accountability agent \(SG\), did:ethr:\S+ is SUSPENDED by SG at /);
      // Managing the status of what it issued survives a suspension.
      expect((await answered("authorization", { ...query, action: "suspend" })).authorized).to.equal(true);

      const then = await answered("authorization", { ...query, context: { time: before } });
      expect(then.authorized, String(then.message)).to.equal(true);
      expect(then.time_requested).to.equal(before);
      expect(then.context).to.deep.equal({ time: before });

      const beforeRegistry = await answered("authorization", { ...query, context: { time: "2001-01-01T00:00:00Z" } });
      expect(beforeRegistry.authorized, String(beforeRegistry.message)).to.equal(false);
      expect(beforeRegistry.message).to.include("the registry did not exist yet");
    } finally {
      expect((await ccr(["--as", "authority-sg", "framework", "issuer", "reinstate", "sg-agent"])).code).to.equal(0);
    }
    expect((await answered("authorization", query)).authorized).to.equal(true);
  });

  it("answers recognition between economies per schema, now and before a withdrawal", async function () {
    const query = { entity_id: "SG", authority_id: "JP", action: "recognize", resource: "cbpr" };
    const yes = await answered("recognition", query);
    expect(yes.recognized, String(yes.message)).to.equal(true);
    expect(yes.message).to.match(/^JP recognises SG's accreditations for APEC CBPR Certification \(schema \d+\)$/);
    const byAuthorities = await answered("recognition", {
      ...query,
      entity_id: did("authority-sg"),
      authority_id: did("authority-jp"),
    });
    expect(byAuthorities.recognized, String(byAuthorities.message)).to.equal(true);
    const otherSchema = await answered("recognition", { ...query, resource: "diploma" });
    expect(otherSchema.recognized, String(otherSchema.message)).to.equal(false);
    expect(otherSchema.message).to.match(/^JP does not recognise SG's accreditations for Academic Diploma/);
    expect((await answered("recognition", { ...query, entity_id: "AU" })).recognized).to.equal(false);
    expect((await answered("recognition", { ...query, entity_id: "JP" })).message).to.equal(
      "JP accepts its own accreditations",
    );

    const before = await secondBefore();
    const withdrawn = await ccr([
      "--as",
      "authority-jp",
      "framework",
      "withdraw-recognition",
      "SG",
      "--schema",
      "cbpr",
    ]);
    expect(withdrawn.code, withdrawn.stderr).to.equal(0);
    try {
      expect((await answered("recognition", query)).recognized).to.equal(false);
      expect((await answered("recognition", { ...query, context: { time: before } })).recognized).to.equal(true);
      // The other direction stands: recognition is one economy's decision, not a pair's.
      expect((await answered("recognition", { ...query, entity_id: "JP", authority_id: "SG" })).recognized).to.equal(
        true,
      );
    } finally {
      expect((await ccr(["--as", "authority-jp", "framework", "recognise", "SG", "--schema", "cbpr"])).code).to.equal(
        0,
      );
    }
  });

  it("answers 500 when the chain stops answering, never a false no", async function () {
    const cutOff = await relay(deployment.rpcUrl);
    const connection = await connectRegistry(deployment, {
      rpcUrl: cutOff.url,
      provider: rpcProvider(cutOff.url, deployment.chainId, 3_000),
    });
    const relayed = await startServer({ connection, rpcUrl: cutOff.url }, { host: "127.0.0.1", port: 0 });
    try {
      const query = { entity_id: did("au-university"), authority_id: "AU", action: "issue", resource: "diploma" };
      expect((await answered("authorization", query, relayed.url)).authorized).to.equal(true);
      cutOff.cut();
      const problem = await refused("authorization", query, 500, cutOff.url, relayed.url);
      expect(problem.title).to.equal("Registry unreachable");
      await refused(
        "recognition",
        { entity_id: "SG", authority_id: "JP", action: "recognize", resource: "cbpr" },
        500,
        cutOff.url,
        relayed.url,
      );
      const metadata = await fetch(`${relayed.url}/metadata`);
      expect(metadata.status).to.equal(500);
      const rpc = await fetch(`${relayed.url}/rpc`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
      });
      expect(rpc.status).to.equal(502);
      expect(((await rpc.json()) as Problem).title).to.equal("Chain unreachable");
    } finally {
      await relayed.close();
      await cutOff.close();
    }
  });

  it("answers 500 concurrent users on every read endpoint without an error: the framework read once per block, through a bounded pool", async function () {
    const methods = new Map<string, number>();
    const proxy = await startRpcProxy(deployment.rpcUrl, (message) => {
      const method = message.method ?? "batch";
      methods.set(method, (methods.get(method) ?? 0) + 1);
      return false;
    });
    const connection = await connectRegistry(deployment, { rpcUrl: proxy.url });
    const loaded = await startServer({ connection, rpcUrl: proxy.url }, { host: "127.0.0.1", port: 0 });
    try {
      const blockBefore = await rpcProvider(deployment.rpcUrl, deployment.chainId).getBlockNumber();
      methods.clear();
      const post = (path: string, body: unknown): LoadRequest => ({ path, method: "POST", body: JSON.stringify(body) });
      const issuers = ["au-university", "sg-agent", "jp-agent", "ca-bank"];
      const endpoints: Record<string, LoadRequest[]> = {
        "/metadata": [{ path: "/metadata" }],
        "/api/framework": [{ path: "/api/framework" }],
        "/authorization": issuers.map((issuer) =>
          post("/authorization", { entity_id: did(issuer), authority_id: "AU", action: "issue", resource: "0" }),
        ),
        "/recognition": ["SG", "JP", "AU", "CA"].map((iso) =>
          post("/recognition", { entity_id: iso, authority_id: "JP", action: "recognize", resource: "cbpr" }),
        ),
        "/rpc": [post("/rpc", { jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] })],
      };
      for (const [name, loads] of Object.entries(endpoints)) {
        const answered = await wave(loaded.url, loads, 500);
        expect(answered.errors, `${name}: ${answered.samples.join("\n")}`).to.equal(0);
      }
      // No block was mined meanwhile: the 1,000 framework answers came from one reading of the registry's four event
      // lists, and the node never saw more connections than the two pools allow.
      expect(await rpcProvider(deployment.rpcUrl, deployment.chainId).getBlockNumber()).to.equal(blockBefore);
      expect(methods.get("eth_getLogs")).to.equal(4);
      expect(proxy.maxConnections()).to.be.at.most(READ_CONNECTIONS + RELAY_CONNECTIONS);
      // Each answer is still the chain's state when it was asked: a change mined now is in the next answer, though
      // the answer before it was shared a thousand times.
      const query = { entity_id: "SG", authority_id: "JP", action: "recognize", resource: "cbpr" };
      const recognised = async (): Promise<unknown> => (await answered("recognition", query, loaded.url)).recognized;
      expect(await recognised()).to.equal(true);
      const withdraw = ["--as", "authority-jp", "framework", "withdraw-recognition", "SG", "--schema", "cbpr"];
      expect((await ccr(withdraw)).code).to.equal(0);
      try {
        expect(await recognised()).to.equal(false);
      } finally {
        expect((await ccr(["--as", "authority-jp", "framework", "recognise", "SG", "--schema", "cbpr"])).code).to.equal(
          0,
        );
      }
      expect(await recognised()).to.equal(true);
    } finally {
      await loaded.close();
      await proxy.close();
    }
  });

  /** `ccr serve` as a user starts it, in its own process, with the address it listens on. */
  function serveChild(env: Record<string, string> = {}): ReturnType<typeof startCcr> & { url: Promise<string> } {
    const started = startCcr(file(), ["serve", "--port", "0"], env);
    const url = new Promise<string>((resolve, reject) => {
      let output = "";
      started.child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(output);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      void started.done.then((run) => reject(new Error(`ccr serve exited (${run.code}): ${run.stderr}`)));
    });
    return { ...started, url };
  }

  it("closes clients that send their request too slowly, and keeps answering the others", async function () {
    const timeouts = { headersMs: 1_000, requestMs: 2_000, keepAliveMs: 500 };
    const quick = await startServer(
      { connection: await connectRegistry(deployment), rpcUrl: deployment.rpcUrl },
      { host: "127.0.0.1", port: 0, timeouts },
    );
    try {
      const { port } = new URL(quick.url);
      // Half a request's headers, then nothing more: the server closes the connection, once the headers are late.
      const slow = Array.from({ length: 20 }, () => connect(Number(port), "127.0.0.1"));
      const closed = slow.map(
        (socket) =>
          new Promise<string>((resolve) => {
            let answer = "";
            socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
            socket.on("close", () => resolve(answer));
            socket.on("error", () => undefined);
            socket.write("GET /metadata HTTP/1.1\r\nHost: 127.0.0.1\r\n");
          }),
      );
      expect((await fetch(`${quick.url}/metadata`)).status).to.equal(200);
      for (const answer of await Promise.all(closed)) expect(answer).to.match(/^(HTTP\/1\.1 408 |$)/);
    } finally {
      await quick.close();
    }
  });

  it("answers 200 concurrent TRQP queries, each correctly, with its memory bounded", async function () {
    const { child, done, url: listening } = serveChild({ NODE_OPTIONS: "--max-old-space-size=128" });
    try {
      const url = await listening;
      const university = did("au-university");
      const mix: { kind: "authorization" | "recognition"; query: Record<string, unknown>; expect: unknown }[] = [
        {
          kind: "authorization",
          query: { entity_id: university, authority_id: "AU", action: "issue", resource: "diploma" },
          expect: true,
        },
        {
          kind: "authorization",
          query: { entity_id: university, authority_id: "AU", action: "issue", resource: "cbpr" },
          expect: false,
        },
        {
          kind: "recognition",
          query: { entity_id: "JP", authority_id: "JP", action: "recognize", resource: "cbpr" },
          expect: true,
        },
        {
          kind: "recognition",
          query: { entity_id: "AU", authority_id: "JP", action: "recognize", resource: "cbpr" },
          expect: false,
        },
        {
          kind: "authorization",
          query: {
            entity_id: "0x000000000000000000000000000000000000dEaD",
            authority_id: "AU",
            action: "issue",
            resource: "diploma",
          },
          expect: 404,
        },
      ];
      /** The server's resident memory in MiB, from /proc. */
      const rss = async (): Promise<number> =>
        Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${child.pid}/status`, "utf8"))?.[1]) / 1024;
      const round = async (): Promise<void> => {
        const answers = await Promise.all(
          Array.from({ length: 200 }, (_, i) => {
            const item = mix[i % mix.length] ?? mix[0];
            return ask(item?.kind ?? "authorization", item?.query, url).then((answer) => ({ item, answer }));
          }),
        );
        for (const { item, answer } of answers) {
          if (item?.expect === 404) {
            expect(answer.status).to.equal(404);
            continue;
          }
          expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
          const schema = schemas[`${item?.kind ?? ""}Response`];
          expect(schema?.(answer.body), JSON.stringify(schema?.errors)).to.equal(true);
          expect(answer.body[item?.kind === "recognition" ? "recognized" : "authorized"]).to.equal(item?.expect);
        }
      };
      // 3,000 answers in rounds of 200 at once, with the JavaScript heap capped at 128 MiB: anything kept per request
      // would exhaust it (the process would die); the resident memory stays under 400 MiB and stops growing.
      const sizes: number[] = [];
      for (let i = 0; i < 15; i++) {
        await round();
        sizes.push(await rss());
      }
      const growth = `resident memory by round: ${sizes.map((m) => m.toFixed(0)).join(", ")} MiB`;
      expect(child.exitCode, growth).to.equal(null);
      expect(Math.max(...sizes), growth).to.be.lessThan(400);
      // After the first 1,000 answers it is flat (measured: 193 to 194 MiB).
      expect((sizes[14] ?? 0) - (sizes[4] ?? 0), growth).to.be.lessThan(16);
    } finally {
      child.kill("SIGTERM");
    }
    expect((await done).code).to.equal(0);
  });

  it("runs as `ccr serve` on 127.0.0.1: passes reads to the node, refuses transactions, stops on SIGTERM", async function () {
    const { child, done, url: listening } = serveChild();
    try {
      const url = await listening;
      const call = (method: string, params: unknown[] = []) =>
        fetch(`${url}/rpc`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
        });
      const block = await call("eth_blockNumber");
      expect(block.status).to.equal(200);
      expect(((await block.json()) as { result: string }).result).to.match(/^0x[0-9a-f]+$/);
      for (const method of ["eth_sendTransaction", "eth_sendRawTransaction", "hardhat_setBalance", "eth_accounts"]) {
        const refusal = await call(method, [{}]);
        expect(refusal.status, method).to.equal(400);
        expect(((await refusal.json()) as Problem).detail).to.include(`reads only, not "${method}"`);
      }
      // Bounded work: a batch of more than 100 calls, another contract's logs, more than 1,000,000 blocks of logs.
      const rpcRefusal = async (body: unknown): Promise<[number, string]> => {
        const answer = await fetch(`${url}/rpc`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return [answer.status, ((await answer.json()) as { error: { message: string } }).error.message];
      };
      const getLogs = (filter: object) => ({ jsonrpc: "2.0", id: 1, method: "eth_getLogs", params: [filter] });
      expect(
        await rpcRefusal(Array.from({ length: 101 }, (_, id) => ({ jsonrpc: "2.0", id, method: "eth_blockNumber" }))),
      ).to.deep.equal([400, "ccr serve: a batch of 101 calls: at most 100 in one request"]);
      expect(await rpcRefusal(getLogs({ fromBlock: "0x0", toBlock: "latest" }))).to.deep.equal([
        400,
        "ccr serve: eth_getLogs is passed on for this deployment's contracts (registry, names, DID registry) only",
      ]);
      expect(
        await rpcRefusal(getLogs({ address: deployment.registry.address, fromBlock: "0x0", toBlock: "0xf4240" })),
      ).to.deep.equal([400, "ccr serve: eth_getLogs over 1000001 blocks: at most 1000000 in one call; ask in ranges"]);
      const logs = await fetch(`${url}/rpc`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(getLogs({ address: deployment.registry.address, fromBlock: "0x0", toBlock: "latest" })),
      });
      expect(((await logs.json()) as { result: unknown[] }).result.length).to.be.greaterThan(10);

      const config = (await (await fetch(`${url}/api/config`)).json()) as {
        deployment: Record<string, unknown>;
        rpc: string;
      };
      expect(config.rpc).to.equal("/rpc");
      expect(config.deployment).to.deep.include({ chainId: deployment.chainId, registry: deployment.registry });
      expect(config.deployment, "the server hands out no account list").to.not.have.property("accounts");

      const taken = await runCcr(file(), ["serve", "--port", new URL(url).port]);
      expect(taken.code).to.equal(2);
      expect(taken.stderr).to.include(`cannot listen on 127.0.0.1:${new URL(url).port} (EADDRINUSE)`);
    } finally {
      child.kill("SIGTERM");
    }
    const run = await done;
    expect(run.code).to.equal(0);
  });
});
