/**
 * The OpenID4VCI issuer service end to end: `ccr offer` and `ccr issuer-service` against a devnet, over HTTPS with a
 * certificate the test makes, taken by two wallets CCR's issuer side does not use: `@openid4vc/openid4vci`'s
 * `Openid4vciClient` (the whole flow, PIN included) and `@digitalbazaar/oid4-client` (offer, discovery, token and
 * nonce; its credential request predates 1.0, so that step is a plain HTTP request with a `jose`-signed proof).
 */
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OID4Client, parseCredentialOfferUrl } from "@digitalbazaar/oid4-client";
import { clientAuthenticationAnonymous, type CallbackContext } from "@openid4vc/oauth2";
import { Openid4vciClient } from "@openid4vc/openid4vci";
import { expect } from "chai";
import { decodeJwt } from "jose";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import type { OfferEntry } from "../src/wallet/offers.ts";
import { ethrDid } from "../src/did.ts";
import { runCcr, startCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { freePort, startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import {
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
  let service: { child: ChildProcess; done: Promise<CcrRun> } | undefined;
  let serviceOutput = "";
  let https: typeof fetch;

  const deploymentFile = (): string => join(devnet.dir, "deployment.json");
  const ccr = (args: string[], env: Record<string, string> = {}): Promise<CcrRun> =>
    runCcr(deploymentFile(), args, { NODE_EXTRA_CA_CERTS: tls.certFile, ...env });

  /** Diplomas to offer: rows without holders (the wallet's key becomes the holder). */
  async function rows(name: string, students: string[]): Promise<string> {
    const file = join(work, name);
    const lines = students.map((s, i) => `${s},S2026${String(9000 + i)},Bachelor of Science,Physics,2026-06-30`);
    await writeFile(file, `name,studentNumber,degree,fieldOfStudy,awardedOn\n${lines.join("\n")}\n`);
    return file;
  }

  async function offers(name: string, students: string[], extra: string[] = []): Promise<OfferEntry[]> {
    const out = join(work, `offers-${name}`);
    const made = await ccr([
      "--as",
      "au-university",
      "offer",
      "--schema",
      "diploma",
      "--input",
      await rows(`${name}.csv`, students),
      "--out",
      out,
      "--issuer-url",
      issuerUrl,
      ...extra,
    ]);
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
  const openid4vc = (): Openid4vciClient =>
    new Openid4vciClient({
      callbacks: {
        fetch: https,
        hash: (data, alg) => createHash(alg.replace("-", "").toLowerCase()).update(data).digest(),
        generateRandom: (bytes) => crypto.getRandomValues(new Uint8Array(bytes)),
        signJwt: jwkSigner,
        clientAuthentication: clientAuthenticationAnonymous(),
      },
    });

  before(async function () {
    devnet = await startDevnet(undefined, { web: false });
    deployment = await readDeployment(deploymentFile());
    work = await mkdtemp(join(tmpdir(), "ccr-wallet-"));
    tls = testCertificate(work, "ccr-issuer-service-test");
    https = trustingFetch(tls);
    const port = await freePort();
    issuerUrl = `https://localhost:${port}`;
    service = startCcr(
      deploymentFile(),
      [
        "--as",
        "au-university",
        "issuer-service",
        "--issuer-url",
        issuerUrl,
        "--port",
        String(port),
        "--tls-cert",
        tls.certFile,
        "--tls-key",
        tls.keyFile,
        "--window",
        "1",
      ],
      {},
    );
    service.child.stdout?.on("data", (chunk: Buffer) => (serviceOutput += chunk.toString()));
    service.child.stderr?.on("data", (chunk: Buffer) => (serviceOutput += chunk.toString()));
    await until(
      () => serviceOutput.includes("ccr issuer-service: https://") || service?.child.exitCode !== null,
      "the issuer service listens",
    );
    expect(service.child.exitCode, serviceOutput).to.equal(null);
  });

  after(async function () {
    if (service !== undefined && service.child.exitCode === null) {
      service.child.kill("SIGTERM");
      await service.done;
    }
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
    const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata });
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: "AcademicDiploma_dc_sd_jwt",
      signer: { method: "jwk", publicJwk: key.publicJwk as never, alg: "ES256K" },
      nonce,
    });
    const { credentialResponse } = await client.retrieveCredentials({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      credentialConfigurationId: "AcademicDiploma_dc_sd_jwt",
      proofs: { jwt: [jwt] },
    });
    const credentials = credentialResponse.credentials as { credential: string }[];
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
    let verified: CcrRun | undefined;
    await until(
      async () => {
        verified = await ccr(["verify", file]);
        return verified.code === 0;
      },
      `the wallet's credential verifies (last: ${verified?.stdout ?? ""}${verified?.stderr ?? ""})`,
    );
    expect(verified?.stdout).to.match(/^VALID {5}.*aiko\.sd-jwt: valid: issued by University in Australia/m);
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
    const did = `did:jwk:${Buffer.from(JSON.stringify({ kty: "EC", crv: "P-256", x: key.publicJwk.x, y: key.publicJwk.y })).toString("base64url")}`;
    expect(payload.credentialSubject).to.deep.include({ id: did, name: "Ben Carter" });
    const file = join(work, "ben.jwt");
    await writeFile(file, jwt);
    let verified: CcrRun | undefined;
    await until(
      async () => {
        verified = await ccr(["verify", file]);
        return verified.code === 0;
      },
      `the jwt_vc_json verifies (last: ${verified?.stdout ?? ""}${verified?.stderr ?? ""})`,
    );
    expect(verified?.stdout).to.match(/^VALID {5}.*ben\.jwt: valid: issued by University in Australia/m);
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
});
