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
import { clientAuthenticationAnonymous, type CallbackContext } from "@openid4vc/oauth2";
import { Openid4vciClient } from "@openid4vc/openid4vci";
import { expect } from "chai";
import { decodeJwt } from "jose";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import type { OfferEntry } from "../src/wallet/offers.ts";
import { ethrDid } from "../src/did.ts";
import { runCcr, startCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { freePort, startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { holderKey, signCompact, testCertificate, trustingFetch, until, type HolderKey } from "./walletKit.ts";
import type { TestCertificate } from "./walletKit.ts";
import type { ChildProcess } from "node:child_process";

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
});
