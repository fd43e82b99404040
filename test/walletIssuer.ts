/**
 * The OpenID4VCI issuer service end to end: `ccr offer` and `ccr issuer-service` against a devnet, over HTTPS with a
 * certificate the test makes, taken by two wallets CCR's issuer side does not use: `@openid4vc/openid4vci`'s
 * `Openid4vciClient` (the whole flow, PIN included) and `@digitalbazaar/oid4-client` (offer, discovery, token and
 * nonce; its credential request predates 1.0, so that step is a plain HTTP request with a `jose`-signed proof).
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OID4Client, oid4vp, parseCredentialOfferUrl } from "@digitalbazaar/oid4-client";
import { clientAuthenticationAnonymous, type CallbackContext } from "@openid4vc/oauth2";
import { Openid4vciClient } from "@openid4vc/openid4vci";
import { expect } from "chai";
import { SignJWT, decodeJwt, importJWK, type JWK } from "jose";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { attestDevice, enrollDevice, newKeyPair } from "../src/wallet/deviceClient.ts";
import type { OfferEntry } from "../src/wallet/offers.ts";
import { ethrDid } from "../src/did.ts";
import { rpcProvider } from "../src/registry.ts";
import { decodeCredential, registryStatus } from "../src/vc/credential.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";
import { runCcr, startCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { freePort, startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { startPostgres } from "../scripts/lib/postgres-process.ts";
import {
  answerRequest,
  holderKey,
  proofJwt,
  signCompact,
  testCertificate,
  trustingAgent,
  trustingFetch,
  until,
  type HolderKey,
  type TestCertificate,
} from "./walletKit.ts";

/** A running `ccr issuer-service`: what it printed so far, and how to stop it. */
interface RunningService {
  output(): string;
  stop(signal: NodeJS.Signals): Promise<CcrRun>;
}

/** What the service answers (the fields the tests read). */
interface Reply {
  status: number;
  body: {
    error?: string;
    error_description?: string;
    c_nonce?: string;
    credentials?: { credential: string }[];
    notification_id?: string;
    transaction_id?: string;
    interval?: number;
  };
}

/** What a wallet library's error says the issuer answered: the error response, and the message. */
function refusal(
  error: Error & { errorResponse?: unknown; response?: { credentialErrorResponseResult?: { data?: unknown } } },
): string {
  return JSON.stringify({
    message: error.message,
    answer: error.errorResponse ?? error.response?.credentialErrorResponseResult?.data,
  });
}

describe("OpenID4VCI issuer service (ccr offer, ccr issuer-service; wallets over HTTPS, against a Hardhat node)", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet;
  let deployment: Deployment;
  let work = "";
  let tls: TestCertificate;
  let issuerUrl = "";
  let service: RunningService | undefined;
  let https: typeof fetch;

  const deploymentFile = (): string => join(devnet.dir, "deployment.json");
  const ccr = (args: string[], env: Record<string, string> = {}): Promise<CcrRun> =>
    runCcr(deploymentFile(), args, { NODE_EXTRA_CA_CERTS: tls.certFile, ...env });

  /** `ccr --as au-university issuer-service` on `port` over the test's TLS certificate, once it listens. */
  async function startService(
    port: number,
    extra: string[] = ["--window", "1"],
    as = "au-university",
    env: Record<string, string> = {},
  ): Promise<RunningService> {
    const url = extra.includes("--issuer-url") ? [] : ["--issuer-url", `https://localhost:${port}`];
    const args = [...url, "--port", String(port), "--tls-cert", tls.certFile, "--tls-key", tls.keyFile];
    const { child, done } = startCcr(deploymentFile(), ["--as", as, "issuer-service", ...args, ...extra], env);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await until(
      () => output.includes("ccr issuer-service: https://") || child.exitCode !== null,
      "the service listens",
    );
    expect(child.exitCode, output).to.equal(null);
    return {
      output: () => output,
      stop: async (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return done;
      },
    };
  }

  /**
   * `ccr verify <file>` once the credential's batch is anchored (within the service's window: waited for as a
   * condition); the run, or an error with the last answer and what the service printed.
   */
  async function verifiedOnceAnchored(file: string, running: RunningService | undefined): Promise<CcrRun> {
    let verified: CcrRun | undefined;
    await until(
      async () => {
        verified = await ccr(["verify", file]);
        return verified.code === 0;
      },
      () => `${file} verifies (last: ${verified?.stdout ?? ""}${verified?.stderr ?? ""}; ${running?.output() ?? ""})`,
    );
    return verified as CcrRun;
  }

  /** Diplomas to offer: rows without holders (the wallet's key becomes the holder). */
  async function rows(name: string, students: string[]): Promise<string> {
    const file = join(work, name);
    const lines = students.map((s, i) => `${s},S2026${String(9000 + i)},Bachelor of Science,Physics,2026-06-30`);
    await writeFile(file, `name,studentNumber,degree,fieldOfStudy,awardedOn\n${lines.join("\n")}\n`);
    return file;
  }

  async function offers(
    name: string,
    students: string[],
    extra: string[] = [],
    url = issuerUrl,
    env: Record<string, string> = {},
  ): Promise<OfferEntry[]> {
    const out = join(work, `offers-${name}`);
    const input = await rows(`${name}.csv`, students);
    const made = await ccr(
      [
        "--as",
        "au-university",
        "offer",
        "--schema",
        "diploma",
        "--input",
        input,
        "--out",
        out,
        "--issuer-url",
        url,
        ...extra,
      ],
      env,
    );
    expect(made.code, made.stderr).to.equal(0);
    return JSON.parse(await readFile(join(out, "offers.json"), "utf8")) as OfferEntry[];
  }

  const jwkSigner: CallbackContext["signJwt"] = (signer, { header, payload }) => {
    if (signer.method !== "jwk") throw new Error("the test wallet signs with JWKs only");
    const key = wallets.get(JSON.stringify(signer.publicJwk));
    if (key === undefined) throw new Error("unknown key");
    const jwt = signCompact(key, header, payload);
    return { jwt, signerJwk: signer.publicJwk };
  };
  const wallets = new Map<string, HolderKey>();
  const walletKey = (alg: HolderKey["alg"]): HolderKey => {
    const key = holderKey(alg);
    wallets.set(JSON.stringify(key.publicJwk), key);
    return key;
  };

  /** `@openid4vc/openid4vci`'s wallet, fetching through the test's trust in the service's certificate. */
  const openid4vc = (fetcher: typeof fetch = https): Openid4vciClient =>
    new Openid4vciClient({
      callbacks: {
        fetch: fetcher,
        hash: (data, alg) => createHash(alg.replace("-", "").toLowerCase()).update(data).digest(),
        generateRandom: (bytes) => crypto.getRandomValues(new Uint8Array(bytes)),
        signJwt: jwkSigner,
        clientAuthentication: clientAuthenticationAnonymous(),
      },
    });

  /** The wallet's steps after its access token: a fresh nonce, a proof by `key`, the diploma as an SD-JWT VC. */
  async function diplomaFor(
    client: Openid4vciClient,
    issuerMetadata: Awaited<ReturnType<Openid4vciClient["resolveIssuerMetadata"]>>,
    accessToken: string,
    key: HolderKey,
    configuration = "AcademicDiploma_dc_sd_jwt",
  ): Promise<{ jwt: string; credentials: { credential: string }[] }> {
    const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata });
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: configuration,
      signer: { method: "jwk", publicJwk: key.publicJwk, alg: key.alg },
      nonce,
    });
    const { credentialResponse } = await client.retrieveCredentials({
      issuerMetadata,
      accessToken,
      credentialConfigurationId: configuration,
      proofs: { jwt: [jwt] },
    });
    return { jwt, credentials: credentialResponse.credentials as { credential: string }[] };
  }

  /** An offer taken whole by the @openid4vc wallet with a new P-256 key: the diploma (an SD-JWT VC) and the key. */
  async function receivedDiploma(
    link: string,
    configuration = "AcademicDiploma_dc_sd_jwt",
  ): Promise<{ sdJwt: string; key: HolderKey }> {
    const client = openid4vc();
    const credentialOffer = await client.resolveCredentialOffer(link);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer,
      issuerMetadata,
    });
    const key = walletKey("ES256");
    const token = accessTokenResponse.access_token;
    const { credentials } = await diplomaFor(client, issuerMetadata, token, key, configuration);
    return { sdJwt: credentials[0]?.credential ?? "", key };
  }

  before(async function () {
    devnet = await startDevnet(undefined, { web: false });
    deployment = await readDeployment(deploymentFile());
    work = await mkdtemp(join(tmpdir(), "ccr-wallet-"));
    tls = testCertificate(work, "ccr-issuer-service-test");
    https = trustingFetch(tls);
    const port = await freePort();
    issuerUrl = `https://localhost:${port}`;
    service = await startService(port);
  });

  after(async function () {
    await service?.stop("SIGTERM");
    devnet?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("publishes its metadata: endpoints, and each accredited schema in dc+sd-jwt (with vct) and jwt_vc_json", async function () {
    const metadata = (await (await https(`${issuerUrl}/.well-known/openid-credential-issuer`)).json()) as Record<
      string,
      unknown
    > & { credential_configurations_supported: Record<string, Record<string, unknown>> };
    expect(metadata.credential_issuer).to.equal(issuerUrl);
    for (const [field, path] of [
      ["credential_endpoint", "/credential"],
      ["nonce_endpoint", "/nonce"],
      ["deferred_credential_endpoint", "/deferred_credential"],
      ["notification_endpoint", "/notification"],
    ] as const) {
      expect(metadata[field], field).to.equal(`${issuerUrl}${path}`);
    }
    const configurations = metadata.credential_configurations_supported;
    const diploma = configurations.AcademicDiploma_dc_sd_jwt;
    expect(diploma?.format).to.equal("dc+sd-jwt");
    expect(diploma?.vct).to.equal("https://schemas.ccr.example/diploma.json");
    expect(diploma?.credential_metadata).to.deep.include({
      display: [{ name: "Academic Diploma", locale: "en" }],
    });
    expect(configurations.AcademicDiploma_jwt_vc_json?.credential_definition).to.deep.equal({
      type: ["VerifiableCredential", "AcademicDiploma"],
    });
    const as = (await (await https(`${issuerUrl}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(as.token_endpoint).to.equal(`${issuerUrl}/token`);
    expect(as["pre-authorized_grant_anonymous_access_supported"]).to.equal(true);
  });

  it("gives an @openid4vc wallet a key-bound SD-JWT VC for an offer with a PIN; once, anchored, and it verifies", async function () {
    const [offer] = await offers("aiko", ["Aiko Tanaka"], ["--pin"]);
    if (offer === undefined) throw new Error("no offer");
    expect(offer.pinRequired).to.equal(true);
    const pins = JSON.parse(await readFile(join(work, "offers-aiko", "pins.json"), "utf8")) as { pin: string }[];
    const pin = pins[0]?.pin ?? "";
    expect(pin).to.match(/^\d{6}$/);

    const client = openid4vc();
    const credentialOffer = await client.resolveCredentialOffer(offer.link);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    const wrong = await client
      .retrievePreAuthorizedCodeAccessTokenFromOffer({
        credentialOffer,
        issuerMetadata,
        txCode: "000000" === pin ? "111111" : "000000",
      })
      .then(() => "granted", refusal);
    expect(wrong).to.include("invalid_grant").and.to.include("wrong transaction code (tx_code)");
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer,
      issuerMetadata,
      txCode: pin,
    });
    const again = await client
      .retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, txCode: pin })
      .then(() => "granted", refusal);
    expect(again).to.include("invalid_grant").and.to.include("already used");

    const key = walletKey("ES256K");
    const { jwt, credentials } = await diplomaFor(client, issuerMetadata, accessTokenResponse.access_token, key);
    expect(credentials).to.have.length(1);
    const sdJwt = credentials[0]?.credential ?? "";
    const claims = decodeJwt(sdJwt.split("~")[0] ?? "");
    expect(claims.cnf).to.deep.equal({ jwk: { kty: "EC", crv: "secp256k1", x: key.publicJwk.x, y: key.publicJwk.y } });
    expect(claims.iss).to.equal(ethrDid(deployment.chainId, deployment.accounts["au-university"]?.address ?? ""));
    expect(claims.vct).to.equal("https://schemas.ccr.example/diploma.json");

    // A second issuance for the offer is refused: an offer gives its credential once.
    const replay = await client
      .retrieveCredentials({
        issuerMetadata,
        accessToken: accessTokenResponse.access_token,
        credentialConfigurationId: "AcademicDiploma_dc_sd_jwt",
        proofs: { jwt: [jwt] },
      })
      .then(() => "issued", refusal);
    expect(replay, replay).to.include("credential_request_denied").and.to.include("issued already");

    const file = join(work, "aiko.sd-jwt");
    await writeFile(file, sdJwt);
    // Anchored within the batch window: `ccr verify` fetches the batch proof from the service and asks the chain.
    const verified = await verifiedOnceAnchored(file, service);
    expect(verified.stdout).to.match(/^VALID {5}.*aiko\.sd-jwt: valid: issued by University in Australia/m);

    // The holder presents it with the key its wallet proved: only the name, bound to a verifier's request.
    const holder = "0x" + Buffer.from(key.privateJwk.d ?? "", "base64url").toString("hex");
    const presentation = join(work, "aiko-presentation.json");
    const presented = await ccr(
      [
        "--key-env",
        "HOLDER_KEY",
        "present",
        file,
        "--audience",
        "https://employer.example",
        "--nonce",
        "w-1",
        "--disclose",
        "name",
        "--out",
        presentation,
      ],
      { HOLDER_KEY: holder },
    );
    expect(presented.code, presented.stderr).to.equal(0);
    const accepted = await ccr([
      "verify",
      "--presentation",
      presentation,
      "--audience",
      "https://employer.example",
      "--nonce",
      "w-1",
    ]);
    expect(accepted.code, accepted.stdout + accepted.stderr).to.equal(0);
    expect(accepted.stdout).to.include(`presented by its holder ${String(claims.sub)} to https://employer.example`);
    expect(accepted.stdout).to.include("          disclosed name: Aiko Tanaka\n");
    expect(accepted.stdout).to.not.include("studentNumber");
  });

  /** POSTs JSON to the service with an access token; the status and the JSON answer. */
  async function post(path: string, token: string | undefined, body: unknown): Promise<Reply> {
    const response = await https(`${issuerUrl}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: response.status === 204 ? {} : ((await response.json()) as Reply["body"]) };
  }

  /** A fresh c_nonce from the nonce endpoint. */
  const freshNonce = async (): Promise<string> => (await post("/nonce", undefined, {})).body.c_nonce ?? "";

  it("gives @digitalbazaar/oid4-client (offer, discovery, token, nonce) a jwt_vc_json bound to its P-256 key; it verifies", async function () {
    const [offer] = await offers("ben", ["Ben Carter"]);
    if (offer === undefined) throw new Error("no offer");
    const agent = trustingAgent(tls);
    const client = await OID4Client.fromCredentialOffer({
      offer: parseCredentialOfferUrl({ url: offer.link }),
      agent,
      supportedFormats: ["jwt_vc_json"],
    });
    const { nonce } = await client.getNonce({ agent });
    // Its credential request is of OpenID4VCI's drafts: this one is made by hand, with a proof signed by jose.
    const key = holderKey("ES256");
    const issued = await post("/credential", client.accessToken, {
      credential_configuration_id: "AcademicDiploma_jwt_vc_json",
      proofs: { jwt: [await proofJwt(key, { aud: issuerUrl, nonce })] },
    });
    expect(issued.status, JSON.stringify(issued.body)).to.equal(200);
    const jwt = issued.body.credentials?.[0]?.credential ?? "";
    const payload = decodeJwt(jwt) as { credentialSubject: { id: string; name: string } };
    const did = `did:jwk:${Buffer.from(JSON.stringify({ crv: "P-256", kty: "EC", x: key.publicJwk.x, y: key.publicJwk.y })).toString("base64url")}`;
    expect(payload.credentialSubject).to.deep.include({ id: did, name: "Ben Carter" });
    const file = join(work, "ben.jwt");
    await writeFile(file, jwt);
    const verified = await verifiedOnceAnchored(file, service);
    expect(verified.stdout).to.match(/^VALID {5}.*ben\.jwt: valid: issued by University in Australia/m);
    const notified = await post("/notification", client.accessToken, {
      notification_id: issued.body.notification_id,
      event: "credential_accepted",
    });
    expect(notified.status).to.equal(204);
  });

  it("refuses every bad request with the specification's error and a sentence, and issues nothing until one is good", async function () {
    const [offer] = await offers("cho", ["Cho Min-jun"]);
    if (offer === undefined) throw new Error("no offer");
    const client = openid4vc();
    const credentialOffer = await client.resolveCredentialOffer(offer.link);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    const token = (await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata }))
      .accessTokenResponse.access_token;
    const key = holderKey("ES256");
    const request = (proofs: string[] | undefined, id = "AcademicDiploma_jwt_vc_json") => ({
      credential_configuration_id: id,
      ...(proofs === undefined ? {} : { proofs: { jwt: proofs } }),
    });
    const refused = async (answer: Promise<Reply>, status: number, error: string, words: string): Promise<void> => {
      const { status: got, body } = await answer;
      expect(got, JSON.stringify(body)).to.equal(status);
      expect(body.error, JSON.stringify(body)).to.equal(error);
      expect(body.error_description).to.include(words);
    };

    await refused(post("/credential", undefined, request([])), 401, "invalid_token", "an access token is needed");
    await refused(post("/credential", "not-a-token", request([])), 401, "invalid_token", "unknown or expired");
    await refused(post("/credential", token, request(undefined)), 400, "invalid_proof", "no jwt proof");
    await refused(
      post("/credential", token, request([await proofJwt(key, { aud: issuerUrl, nonce: await freshNonce() })], "Nope")),
      400,
      "unknown_credential_configuration",
      "AcademicDiploma_dc_sd_jwt",
    );
    // A type the issuer is not accredited for is not one of its configurations.
    await refused(
      post(
        "/credential",
        token,
        request([await proofJwt(key, { aud: issuerUrl, nonce: await freshNonce() })], "CBPRCertification_jwt_vc_json"),
      ),
      400,
      "unknown_credential_configuration",
      "it has AcademicDiploma_dc_sd_jwt, AcademicDiploma_jwt_vc_json",
    );
    await refused(
      post("/credential", token, request([await proofJwt(key, { aud: issuerUrl })])),
      400,
      "invalid_proof",
      "same c_nonce",
    );
    await refused(
      post("/credential", token, request([await proofJwt(key, { aud: issuerUrl, nonce: "made-up" })])),
      400,
      "invalid_nonce",
      "not a fresh c_nonce",
    );
    // A proof for another audience; its nonce is taken all the same, so the same proof again is a replay.
    const nonce = await freshNonce();
    const elsewhere = await proofJwt(key, { aud: "https://other.example", nonce });
    const answer = await post("/credential", token, request([elsewhere]));
    await refused(Promise.resolve(answer), 400, "invalid_proof", "does not hold");
    expect(answer.body.c_nonce, "a fresh nonce comes with invalid_proof").to.be.a("string").and.not.equal(nonce);
    await refused(post("/credential", token, request([elsewhere])), 400, "invalid_nonce", "used or expired");
    const old = Math.floor(Date.now() / 1000) - 3600;
    await refused(
      post(
        "/credential",
        token,
        request([await proofJwt(key, { aud: issuerUrl, nonce: await freshNonce(), iat: old })]),
      ),
      400,
      "invalid_proof",
      "at most 300 s are accepted",
    );
    const forged = await proofJwt(
      key,
      { aud: issuerUrl, nonce: await freshNonce() },
      { jwk: holderKey("ES256").publicJwk },
    );
    await refused(post("/credential", token, request([forged])), 400, "invalid_proof", "does not hold");
    const twice = await freshNonce();
    await refused(
      post(
        "/credential",
        token,
        request([
          await proofJwt(key, { aud: issuerUrl, nonce: twice }),
          await proofJwt(key, { aud: issuerUrl, nonce: twice }),
        ]),
      ),
      400,
      "invalid_proof",
      "each copy needs its own key",
    );

    // After all that, nothing was issued: the offer still gives its credentials, here two copies, each to its key.
    const copies = await freshNonce();
    const second = holderKey("EdDSA");
    const issued = await post(
      "/credential",
      token,
      request([
        await proofJwt(key, { aud: issuerUrl, nonce: copies }),
        await proofJwt(second, { aud: issuerUrl, nonce: copies }),
      ]),
    );
    expect(issued.status, JSON.stringify(issued.body)).to.equal(200);
    const subjects = (issued.body.credentials ?? []).map(
      (c) => (decodeJwt(c.credential) as { credentialSubject: { id: string } }).credentialSubject.id,
    );
    expect(subjects).to.have.length(2);
    expect(new Set(subjects).size).to.equal(2);
  });

  it("refuses a withdrawn offer's code, an expired offer's, and a wrong PIN five times (then the offer is withdrawn)", async function () {
    const [withdrawn] = await offers("dana", ["Dana Lee"]);
    const gone = await ccr(["--as", "au-university", "offer", "--withdraw", withdrawn?.offer ?? ""]);
    expect(gone.code, gone.stderr).to.equal(0);
    expect(gone.stdout).to.equal(`withdrew offer ${withdrawn?.offer}: its code is refused from now on\n`);
    const client = openid4vc();
    const token = async (link: string, txCode?: string): Promise<string> => {
      const credentialOffer = await client.resolveCredentialOffer(link);
      const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
      return client
        .retrievePreAuthorizedCodeAccessTokenFromOffer({
          credentialOffer,
          issuerMetadata,
          ...(txCode === undefined ? {} : { txCode }),
        })
        .then(() => "granted", refusal);
    };
    expect(await token(withdrawn?.link ?? ""))
      .to.include("invalid_grant")
      .and.to.include("withdrawn by its issuer");

    const [brief] = await offers("eli", ["Eli Wong"], ["--expires-in", "1s"]);
    const expiry = Date.parse(brief?.expiresAt ?? "");
    await until(() => Date.now() > expiry + 1000, "the offer has expired");
    expect(await token(brief?.link ?? ""))
      .to.include("invalid_grant")
      .and.to.include("expired at");

    const [guarded] = await offers("fay", ["Fay Ng"], ["--pin"]);
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(await token(guarded?.link ?? "", "999999x"));
    expect(answers[0]).to.include("4 attempt(s) left");
    expect(answers[4]).to.include("5 times: the offer is withdrawn");
    const pins = JSON.parse(await readFile(join(work, "offers-fay", "pins.json"), "utf8")) as { pin: string }[];
    expect(await token(guarded?.link ?? "", pins[0]?.pin)).to.include("withdrawn by its issuer");
  });

  /** Takes an offer with `@openid4vc`'s wallet: token, nonce, proof with `key`; the credential answer and token. */
  async function takeOffer(
    link: string,
    key: HolderKey,
    configuration = "AcademicDiploma_jwt_vc_json",
    fetcher: typeof fetch = https,
  ): Promise<{ answer: Reply; token: string }> {
    const client = openid4vc(fetcher);
    const credentialOffer = await client.resolveCredentialOffer(link);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer,
      issuerMetadata,
    });
    const token = accessTokenResponse.access_token;
    const base = credentialOffer.credential_issuer;
    const { c_nonce: nonce } = (await (await fetcher(`${base}/nonce`, { method: "POST" })).json()) as {
      c_nonce: string;
    };
    const response = await fetcher(`${base}/credential`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        credential_configuration_id: configuration,
        proofs: { jwt: [await proofJwt(key, { aud: base, nonce })] },
      }),
    });
    return { answer: { status: response.status, body: (await response.json()) as Reply["body"] }, token };
  }

  it("anchors on restart what a killed service handed out, and never anchors a batch twice", async function () {
    const port = await freePort();
    const url = `https://localhost:${port}`;
    const store = join(work, "killed.sqlite");
    // Batches stay open an hour: the service is killed with its batch handed out and not anchored.
    const running = await startService(port, ["--window", "3600", "--store", store]);
    const [offer] = await offers("kim", ["Kim Park"], ["--store", store], url);
    const { answer } = await takeOffer(offer?.link ?? "", holderKey("ES256"));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    const file = join(work, "kim.jwt");
    await writeFile(file, answer.body.credentials?.[0]?.credential ?? "");
    expect((await running.stop("SIGKILL")).code).to.equal(null);
    const meanwhile = await ccr(["verify", file]);
    expect(meanwhile.code, "not valid while its batch is neither anchored nor its proof reachable").to.equal(2);
    expect(meanwhile.stdout).to.include(`could not be fetched from ${url}/batches/`);

    const restarted = await startService(port, ["--window", "3600", "--store", store]);
    const verified = await ccr(["verify", file]);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
    await restarted.stop("SIGKILL");
    const again = await startService(port, ["--window", "3600", "--store", store]);
    const batch = registryStatus(decodeCredential(answer.body.credentials?.[0]?.credential ?? "").credential).batch;
    const proof = (await (await https(`${batch?.id ?? ""}/${batch?.index ?? 0}`)).json()) as { root: string };
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const registry = ICCR__factory.connect(deployment.registry.address, provider);
    const anchored = await registry.queryFilter(registry.filters.BatchAnchored(proof.root));
    provider.destroy();
    expect(anchored, "the batch is anchored once, whatever the restarts").to.have.length(1);
    const stopped = await again.stop("SIGTERM");
    expect(stopped.stdout).to.include("stopped; every credential it handed out is anchored");
  });

  it("runs as two processes on one PostgreSQL store: they issue and anchor together, one takes over the other's batches when it is gone; nothing lost or anchored twice", async function () {
    const postgres = await startPostgres({ fsync: "off" });
    try {
      const store = await postgres.createDatabase("issuer");
      const env = { PGPASSWORD: postgres.password, CCR_SIGNING_KEYSTORE_PASSWORD: "correct horse battery" };
      // The second process sends as the university's registrar (an operator) and signs with a key of the
      // university's DID: two processes, two accounts, so their transactions never share a nonce.
      const keystore = join(work, "registrar-signing.json");
      const created = await ccr(["key", "new", "--out", keystore], {
        CCR_KEYSTORE_PASSWORD: env.CCR_SIGNING_KEYSTORE_PASSWORD,
      });
      const signingAddress = /for (0x[0-9a-fA-F]{40})/.exec(created.stdout)?.[1] ?? "";
      expect((await ccr(["--as", "au-university", "did", "add-key", signingAddress, "--days", "1"])).code).to.equal(0);
      const [portA, portB] = [await freePort(), await freePort()];
      const url = `https://localhost:${portA}`;
      const shared = ["--issuer-url", url, "--store", store, "--lease", "3"];
      const a = await startService(portA, [...shared, "--window", "1"], "au-university", env);
      // B keeps its batches open an hour: they are closed and anchored only by A, once B is gone.
      const asRegistrar = ["--issuer", "au-university", "--signing-keystore", keystore];
      const b = await startService(portB, [...shared, "--window", "3600", ...asRegistrar], "au-registrar", env);
      try {
        const students = Array.from({ length: 8 }, (_, i) => `Student ${i}`);
        const made = await offers("shared", students, ["--store", store], url, env);
        // B answers for the same issuer URL: a wallet reaches it as through a load balancer.
        const viaB: typeof fetch = (input, init) =>
          https(String(input instanceof Request ? input.url : input).replace(`:${portA}`, `:${portB}`), init);
        const files: string[] = [];
        for (const [i, offer] of made.entries()) {
          const { answer } = await takeOffer(offer.link, holderKey("ES256"), undefined, i % 2 === 0 ? https : viaB);
          expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
          const file = join(work, `shared-${i}.jwt`);
          await writeFile(file, answer.body.credentials?.[0]?.credential ?? "");
          files.push(file);
        }
        expect((await b.stop("SIGKILL")).code).to.equal(null);
        for (const file of files) await verifiedOnceAnchored(file, a);
        const roots = new Set(
          await Promise.all(
            files.map(async (file) => {
              const batch = registryStatus(decodeCredential(await readFile(file, "utf8")).credential).batch;
              const proof = (await (await https(`${batch?.id ?? ""}/${batch?.index ?? 0}`)).json()) as { root: string };
              return proof.root;
            }),
          ),
        );
        expect(roots.size, "A's batches and B's").to.be.greaterThan(1);
        const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
        const registry = ICCR__factory.connect(deployment.registry.address, provider);
        let members = 0;
        for (const root of roots) {
          const anchored = await registry.queryFilter(registry.filters.BatchAnchored(root));
          expect(anchored, `batch ${root} is anchored once`).to.have.length(1);
          members += Number(anchored[0]?.args.size ?? 0);
        }
        provider.destroy();
        expect(members, "every credential handed out, in exactly one anchored batch").to.equal(files.length);
      } finally {
        await b.stop("SIGKILL");
        const stopped = await a.stop("SIGTERM");
        expect(stopped.stdout).to.include("stopped; every credential it handed out is anchored");
      }
    } finally {
      postgres.stop();
    }
  });

  it("signs ES256 with a P-256 key of the issuer's DID, ES256K where a configuration asks: its metadata says which, and the wallet's credentials verify", async function () {
    const env = {
      CCR_KEYSTORE_PASSWORD: "correct horse battery",
      CCR_SIGNING_KEYSTORE_PASSWORD: "correct horse battery",
    };
    const keystore = join(work, "university-p256.json");
    const created = await ccr(["key", "new", "--alg", "ES256", "--out", keystore], env);
    const publicKey = /(0x04[0-9a-f]{128})/.exec(created.stdout)?.[1] ?? "";
    expect((await ccr(["--as", "au-university", "did", "add-key", publicKey])).code).to.equal(0);
    const port = await freePort();
    const url = `https://localhost:${port}`;
    const store = ["--store", join(work, "es256-store.sqlite")];
    const service = ["--as", "au-university", "issuer-service", "--issuer-url", url, "--port", String(port), ...store];
    // A configuration the service does not offer, or ES256 with no P-256 key, is refused before it listens.
    const unknown = await ccr(
      [...service, "--signing-keystore", keystore, "--signing-alg", "Nope_dc_sd_jwt=ES256"],
      env,
    );
    expect(unknown.code, unknown.stderr).to.equal(2);
    expect(unknown.stderr).to.match(
      /--signing-alg names Nope_dc_sd_jwt, which this service does not offer; its configurations: .*AcademicDiploma_jwt_vc_json/,
    );
    const noP256 = await ccr([...service, "--signing-alg", "AcademicDiploma_dc_sd_jwt=ES256"]);
    expect(noP256.code, noP256.stderr).to.equal(2);
    expect(noP256.stderr).to.include("--signing-alg asks for ES256, and the service holds no P-256 key");
    const es256 = await startService(
      port,
      [
        "--window",
        "1",
        "--signing-keystore",
        keystore,
        "--signing-alg",
        "AcademicDiploma_jwt_vc_json=ES256K",
        ...store,
      ],
      "au-university",
      env,
    );
    try {
      const metadata = (await (await https(`${url}/.well-known/openid-credential-issuer`)).json()) as {
        credential_configurations_supported: Record<string, { credential_signing_alg_values_supported?: string[] }>;
      };
      for (const [id, configuration] of Object.entries(metadata.credential_configurations_supported)) {
        const alg = id === "AcademicDiploma_jwt_vc_json" ? "ES256K" : "ES256";
        expect(configuration.credential_signing_alg_values_supported, id).to.deep.equal([alg]);
      }
      const [offer, second] = await offers("p256", ["Farah Khan", "Omar Aziz"], store, url);
      if (offer === undefined || second === undefined) throw new Error("no offer");
      const { sdJwt } = await receivedDiploma(offer.link);
      const header = JSON.parse(Buffer.from(sdJwt.split(".")[0] ?? "", "base64url").toString()) as Record<
        string,
        string
      >;
      expect(header.alg).to.equal("ES256");
      expect(header.kid).to.match(/^did:ethr:0x7a69:0x[0-9a-fA-F]{40}#delegate-\d+$/);
      // The issuer's signature, checked with jose alone against the P-256 key the DID document lists.
      const jose = await import("jose");
      const point = Buffer.from(publicKey.slice(2), "hex");
      const jwk = {
        kty: "EC",
        crv: "P-256",
        x: point.subarray(1, 33).toString("base64url"),
        y: point.subarray(33).toString("base64url"),
      };
      const issuerSigned = sdJwt.split("~")[0] ?? "";
      expect((await jose.compactVerify(issuerSigned, await jose.importJWK(jwk, "ES256"))).protectedHeader.alg).to.equal(
        "ES256",
      );
      const file = join(work, "farah.sd-jwt");
      await writeFile(file, sdJwt);
      const verified = await verifiedOnceAnchored(file, es256);
      expect(verified.stdout).to.match(/^VALID {5}.*farah\.sd-jwt: valid: issued by University in Australia/m);

      // The W3C diploma is signed ES256K, with the university's own key, by the same service.
      const { sdJwt: vcJwt } = await receivedDiploma(second.link, "AcademicDiploma_jwt_vc_json");
      const vcHeader = JSON.parse(Buffer.from(vcJwt.split(".")[0] ?? "", "base64url").toString()) as Record<
        string,
        string
      >;
      expect(vcHeader.alg).to.equal("ES256K");
      expect(vcHeader.kid).to.match(/^did:ethr:0x7a69:0x[0-9a-fA-F]{40}#controller$/);
      const omar = join(work, "omar.jwt");
      await writeFile(omar, vcJwt);
      const verifiedVc = await verifiedOnceAnchored(omar, es256);
      expect(verifiedVc.stdout).to.match(/^VALID {5}.*omar\.jwt: valid: issued by University in Australia/m);
    } finally {
      await es256.stop("SIGTERM");
    }
  });

  it("defers its answers while it cannot anchor, and hands the credentials out once they are anchored", async function () {
    const university = deployment.accounts["au-university"]?.address ?? "";
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const balance = await provider.getBalance(university);
    const [first, second] = await offers("lin", ["Lin Wei", "Lou Roy"]);
    let handed: { answer: Reply; token: string };
    let deferred: { answer: Reply; token: string };
    try {
      await provider.send("hardhat_setBalance", [university, "0x0"]);
      // Handed out while the service keeps up; then its anchoring fails for want of funds.
      handed = await takeOffer(first?.link ?? "", holderKey("ES256"));
      expect(handed.answer.status).to.equal(200);
      await until(() => (service?.output() ?? "").includes("is not anchored yet"), "the service fails to anchor");
      deferred = await takeOffer(second?.link ?? "", holderKey("ES256"));
      expect(deferred.answer.status, JSON.stringify(deferred.answer.body)).to.equal(202);
      expect(deferred.answer.body.interval).to.be.a("number");
      const pending = await post("/deferred_credential", deferred.token, {
        transaction_id: deferred.answer.body.transaction_id,
      });
      expect(pending.status).to.equal(202);
      expect(pending.body.transaction_id).to.equal(deferred.answer.body.transaction_id);
      const stranger = await post("/deferred_credential", handed.token, {
        transaction_id: deferred.answer.body.transaction_id,
      });
      expect(stranger.body.error).to.equal("invalid_transaction_id");
    } finally {
      await provider.send("hardhat_setBalance", [university, `0x${balance.toString(16)}`]);
      provider.destroy();
    }
    let collected: Reply | undefined;
    await until(async () => {
      collected = await post("/deferred_credential", deferred.token, {
        transaction_id: deferred.answer.body.transaction_id,
      });
      return collected.status !== 202;
    }, "the deferred credential is anchored");
    expect(collected?.status, JSON.stringify(collected?.body)).to.equal(200);
    const files = [
      [handed.answer, "lin.jwt"],
      [collected ?? handed.answer, "lou.jwt"],
    ] as const;
    for (const [answer, name] of files)
      await writeFile(join(work, name), answer.body.credentials?.[0]?.credential ?? "");
    const verified = await ccr(["verify", ...files.map(([, name]) => join(work, name))]);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
  });

  it("provisions a device its maker attested, with no human step; once per device (again to it, not to a clone), none after revocation", async function () {
    const factory = { ...newKeyPair("ES256"), kid: "factory-seoul-1" };
    const keyFile = join(work, "factory-seoul-1.jwk.json");
    await writeFile(keyFile, JSON.stringify(factory.publicJwk));
    const added = await ccr(["--as", "kr-devicemaker", "attester", "add", "factory-seoul-1", keyFile]);
    expect(added.code, added.stderr).to.equal(0);
    expect(added.stdout).to.equal(
      `registered attestation key "factory-seoul-1" (P-256): its devices get "IoT Device Identity" credentials from Device maker in Korea\n`,
    );
    const port = await freePort();
    const url = `https://localhost:${port}`;
    const maker = await startService(port, ["--window", "1"], "kr-devicemaker");
    const makerDid = ethrDid(deployment.chainId, deployment.accounts["kr-devicemaker"]?.address ?? "");
    try {
      const enrol = async (serialNumber: string) => {
        const deviceKey = newKeyPair("ES256");
        const facts = { serialNumber, model: "Air sensor AS-2", firmwareVersion: "2.0.1" };
        const attestation = await attestDevice(factory, makerDid, facts, deviceKey.publicJwk);
        return {
          deviceKey,
          attestation,
          enrolled: () =>
            enrollDevice({
              issuerUrl: url,
              attestation,
              deviceKey,
              configuration: "DeviceIdentity_dc_sd_jwt",
              fetch: https,
            }),
        };
      };
      const first = await enrol("KR-SN-9001");
      const { credential } = await first.enrolled();
      const claims = decodeJwt(credential.split("~")[0] ?? "");
      expect(claims.cnf).to.deep.equal({
        jwk: { kty: "EC", crv: "P-256", x: first.deviceKey.publicJwk.x, y: first.deviceKey.publicJwk.y },
      });
      expect(claims).to.include({ manufacturer: "Device maker in Korea", model: "Air sensor AS-2", iss: makerDid });
      const file = join(work, "KR-SN-9001.sd-jwt");
      await writeFile(file, credential);
      const verified = await verifiedOnceAnchored(file, maker);
      expect(verified.stdout).to.match(/^VALID {5}.*KR-SN-9001\.sd-jwt: valid: issued by Device maker in Korea/m);

      // Asking again with its own key, the device gets the same credential; a clone with another key, nothing.
      expect((await first.enrolled()).credential).to.equal(credential);
      const clone = newKeyPair("ES256");
      const cloned = await attestDevice(
        factory,
        makerDid,
        { serialNumber: "KR-SN-9001", model: "Air sensor AS-2" },
        clone.publicJwk,
      );
      const refused = await enrollDevice({
        issuerUrl: url,
        attestation: cloned,
        deviceKey: clone,
        configuration: "DeviceIdentity_dc_sd_jwt",
        fetch: https,
      }).then(() => "enrolled", refusal);
      expect(refused).to.include("invalid_grant").and.to.include("has its credential already, bound to another key");
      const revoked = await ccr(["--as", "kr-devicemaker", "attester", "revoke", "factory-seoul-1"]);
      expect(revoked.code, revoked.stderr).to.equal(0);
      const listed = await ccr(["--as", "kr-devicemaker", "attester", "list"]);
      expect(listed.stdout).to.match(
        /^factory-seoul-1 {2}P-256 {2}schema \d+ {2}Device maker in Korea, revoked \S+Z$/m,
      );
      const late = await (await enrol("KR-SN-9002")).enrolled().then(() => "enrolled", refusal);
      expect(late, late)
        .to.include("invalid_client")
        .and.to.match(/attestation key \\"factory-seoul-1\\" was revoked at/);
    } finally {
      await maker.stop("SIGTERM");
    }
  });

  describe("OpenID4VP: ccr request, answered by @digitalbazaar/oid4-client with an @sd-jwt/sd-jwt-vc presentation", function () {
    /** A diploma received over OpenID4VCI into a wallet whose key is P-256 (ES256), once it is anchored. */
    async function walletDiploma(student: string): Promise<{ sdJwt: string; key: HolderKey }> {
      const [offer] = await offers(`vp-${student.split(" ")[0] ?? ""}`, [student]);
      if (offer === undefined) throw new Error("no offer");
      const { sdJwt, key } = await receivedDiploma(offer.link);
      const file = join(work, `vp-${student.split(" ")[0] ?? ""}.sd-jwt`);
      await writeFile(file, sdJwt);
      await verifiedOnceAnchored(file, service);
      return { sdJwt, key };
    }

    /** `ccr request` running, once it printed its link. */
    async function request(
      claims: string,
      schema = "diploma",
      extra: string[] = [],
    ): Promise<{ link: string; done: Promise<CcrRun> }> {
      const args = ["request", "--schema", schema, "--claims", claims, "--economy", "AU", ...extra];
      const tlsArgs = ["--tls-cert", tls.certFile, "--tls-key", tls.keyFile, "--store", join(work, "verifier.sqlite")];
      const { child, done } = startCcr(deploymentFile(), [...args, ...tlsArgs], { NODE_EXTRA_CA_CERTS: tls.certFile });
      let output = "";
      child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      await until(() => output.includes("openid4vp://") || child.exitCode !== null, "ccr request prints its link");
      return { link: output.trim().split("\n")[0] ?? "", done };
    }

    it("verifies a wallet's answer with only the claims asked: signed request by x5c, key binding, anchor, verdict", async function () {
      const { sdJwt, key } = await walletDiploma("Chloe Ng");
      const asked = await request("name,degree");
      // Whoever reaches the wallets' listener can answer a request, not make one or read a verdict.
      const origin = new URL(new URL(asked.link).searchParams.get("request_uri") ?? "").origin;
      const made = await https(`${origin}/oid4vp/requests`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ schema: "diploma", claims: ["name"] }),
      });
      expect(made.status).to.equal(404);
      expect((await https(`${origin}/oid4vp`)).status).to.equal(404);
      expect((await https(`${origin}/oid4vp/result/x`, { headers: { "x-result-key": "y" } })).status).to.equal(404);
      const sent = await answerRequest(asked.link, tls, { key, sdJwt }, ["name", "degree"]);
      expect(sent, JSON.stringify(sent)).to.have.property("result");
      const run = await asked.done;
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^VALID {5}the wallet's answer: presented by its holder did:jwk:/m);
      expect(run.stdout).to.match(/^VALID {5}request [^:]+#1: valid: issued by University in Australia/m);
      expect(run.stdout).to.include("disclosed name: Chloe Ng; degree: Bachelor of Science");
      expect(run.stdout).to.not.include("studentNumber");
      expect(run.stderr).to.include("ccr request: open this in a wallet");

      // The same answer again, to the answered request: refused.
      const again = await answerRequest(asked.link, tls, { key, sdJwt }, ["name", "degree"]).catch((error: Error) => ({
        refused: error.message,
      }));
      expect(JSON.stringify(again)).to.match(/answered already|Could not get authorization request/);
    });

    it("takes an answer encrypted to the request's own key (direct_post.jwt), and refuses a plain one to it", async function () {
      const { sdJwt, key } = await walletDiploma("Gus Lee");
      const asked = await request("name", "diploma", ["--encrypted"]);
      // @digitalbazaar/oid4-client encrypts (ECDH-ES, A256GCM) to the key in the request's client metadata.
      const sent = await answerRequest(asked.link, tls, { key, sdJwt }, ["name"]);
      expect(sent, JSON.stringify(sent)).to.have.property("result");
      const run = await asked.done;
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.include("disclosed name: Gus Lee");

      const plain = await request("name", "diploma", ["--encrypted"]);
      const requestUri = new URL(plain.link).searchParams.get("request_uri") ?? "";
      const jar = await (await https(requestUri)).text();
      const payload = decodeJwt(jar) as {
        response_mode: string;
        response_uri: string;
        client_metadata: { jwks: { keys: { use?: string; kty: string; crv?: string }[] } };
      };
      expect(payload.response_mode).to.equal("direct_post.jwt");
      expect(payload.client_metadata.jwks.keys[0]).to.include({ use: "enc", kty: "EC", crv: "P-256" });
      const response = await https(payload.response_uri, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ vp_token: JSON.stringify({ credential: [sdJwt] }) }).toString(),
      });
      const refused = (await response.json()) as { error: string; error_description: string };
      expect(response.status).to.equal(400);
      expect(refused.error).to.equal("invalid_request");
      expect(refused.error_description).to.match(/^the answer is not one to this request: /);
      expect((await plain.done).code).to.equal(1);
    });

    it("takes a vp+jwt of a W3C credential (jwt_vc_json) when every field is asked, signed by its holder", async function () {
      // A diploma with every field, as a jwt_vc_json bound to the wallet's P-256 key (its did:jwk).
      const input = join(work, "every-field.csv");
      await writeFile(
        input,
        "name,studentNumber,degree,fieldOfStudy,awardedOn,honours\nHana Sato,S2026-77,Master of Arts,Linguistics,2026-06-30,Distinction\n",
      );
      const out = join(work, "offers-every-field");
      const args = ["--as", "au-university", "offer", "--schema", "diploma", "--input", input, "--out", out];
      expect((await ccr([...args, "--issuer-url", issuerUrl])).code).to.equal(0);
      const [offer] = JSON.parse(await readFile(join(out, "offers.json"), "utf8")) as OfferEntry[];
      const { sdJwt: vcJwt, key } = await receivedDiploma(offer?.link ?? "", "AcademicDiploma_jwt_vc_json");
      const file = join(work, "hana.jwt");
      await writeFile(file, vcJwt);
      await verifiedOnceAnchored(file, service);
      const holder = String((decodeJwt(vcJwt) as { credentialSubject: { id: string } }).credentialSubject.id);

      const asked = await request("name,studentNumber,degree,fieldOfStudy,awardedOn,honours");
      const { authorizationRequest } = await oid4vp.authzRequest.get({
        url: asked.link,
        agent: trustingAgent(tls),
        getTrustedCertificates: () => [tls.cert],
      });
      const query = authorizationRequest.dcql_query as { credentials: { id: string; format: string }[] };
      expect(query.credentials.map((c) => [c.id, c.format])).to.deep.equal([
        ["credential", "dc+sd-jwt"],
        ["credential_vc", "jwt_vc_json"],
      ]);
      // The wallet's presentation: a W3C VP 2.0 secured as a JWT by jose with the holder's key.
      const vp = await new SignJWT({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        type: ["VerifiablePresentation"],
        holder,
        verifiableCredential: [
          {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            id: `data:application/vc+jwt,${vcJwt}`,
            type: "EnvelopedVerifiableCredential",
          },
        ],
        nonce: String(authorizationRequest.nonce),
      })
        .setProtectedHeader({ alg: "ES256", typ: "vp+jwt", kid: `${holder}#0` })
        .setIssuer(holder)
        .setAudience(String(authorizationRequest.client_id))
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(await importJWK(key.privateJwk as JWK, "ES256"));
      await oid4vp.authzResponse.send({
        authorizationRequest,
        vpToken: JSON.stringify({ credential_vc: [vp] }),
        vpTokenMediaType: "application/json",
        agent: trustingAgent(tls),
      });
      const run = await asked.done;
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.include(
        `VALID     the wallet's answer: presented by its holder ${holder} to x509_san_dns:localhost`,
      );
      expect(run.stdout, run.stdout).to.match(/^VALID {5}request [^:]+#1: valid: issued by University in Australia/m);

      // Asked for fewer fields, the same credential in a vp+jwt discloses more than asked: not offered, refused.
      const fewer = await request("name");
      const { authorizationRequest: second } = await oid4vp.authzRequest.get({
        url: fewer.link,
        agent: trustingAgent(tls),
        getTrustedCertificates: () => [tls.cert],
      });
      expect((second.dcql_query as { credentials: unknown[] }).credentials).to.have.length(1);
      const refused = await oid4vp.authzResponse
        .send({
          authorizationRequest: second,
          vpToken: JSON.stringify({ credential_vc: [vp] }),
          vpTokenMediaType: "application/json",
          agent: trustingAgent(tls),
        })
        .then(
          () => "accepted",
          (error: Error) => error.message,
        );
      expect(refused).to.include(`the vp_token answers "credential_vc", not this request's query ("credential")`);
      expect((await fewer.done).code).to.equal(1);
    });

    it("refuses an answer that discloses more or less than asked, is of another type, bound to another request, or signed by another key", async function () {
      const { sdJwt, key } = await walletDiploma("Dev Patel");
      const stranger = holderKey("ES256");
      const cases: {
        claims: string;
        schema?: string;
        disclose: string[];
        kb?: object;
        by?: HolderKey;
        reason: string;
      }[] = [
        {
          claims: "name",
          disclose: ["name", "studentNumber"],
          reason: "discloses studentNumber, which was not asked for (asked: name)",
        },
        { claims: "name,fieldOfStudy", disclose: ["name"], reason: "does not disclose fieldOfStudy, which was asked" },
        {
          claims: "assuranceLevel",
          schema: "kyc",
          disclose: ["name"],
          reason:
            "the credential is of type https://schemas.ccr.example/diploma.json, not https://schemas.ccr.example/kyc.json as asked",
        },
        {
          claims: "name",
          disclose: ["name"],
          kb: { nonce: "an-old-nonce" },
          reason: `its nonce "an-old-nonce" is not this request's`,
        },
        {
          claims: "name",
          disclose: ["name"],
          kb: { aud: "x509_san_dns:elsewhere.example" },
          reason: "made for x509_san_dns:elsewhere.example, not for x509_san_dns:localhost",
        },
        {
          claims: "name",
          disclose: ["name"],
          by: stranger,
          reason: "its key binding JWT is not signed by the holder did:jwk:",
        },
      ];
      for (const { claims, schema, disclose, kb, by, reason } of cases) {
        const asked = await request(claims, schema);
        const sent = await answerRequest(asked.link, tls, { key: by ?? key, sdJwt }, disclose, kb);
        const refused = "refused" in sent ? sent.refused : "accepted";
        expect(refused, reason)
          .to.include(reason)
          .and.to.match(/^400 invalid_request: /);
        const run = await asked.done;
        expect(run.code, run.stdout).to.equal(1);
        expect(run.stdout).to.include("INVALID   the answer was refused: ").and.to.include(reason);
      }
    });
  });
});
