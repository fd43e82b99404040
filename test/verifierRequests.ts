/**
 * The OpenID4VP verifier's own decisions, without a chain: its identity from a certificate (refused when it cannot
 * be one), the claims and the DCQL query of a request, the signed request object as a wallet reads it (checked with
 * `jose` against the certificate, not with CCR's code), and every refusal of an answer made before the credential is
 * checked on chain: not an answer to the query, not one SD-JWT VC with key binding, another type, more or fewer
 * claims than asked.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { generateKeyPairSync } from "node:crypto";
import { EncryptJWT, compactVerify, decodeProtectedHeader, importJWK, importX509, type JWK } from "jose";
import { ethrDid } from "../src/did.ts";
import { buildCredential, VC_JWT_TYP } from "../src/vc/credential.ts";
import { VC_CONTEXT_V2 } from "../src/vc/model.ts";
import { VP_JWT_TYP } from "../src/vc/presentation.ts";
import { es256kSigner, signingInput } from "../src/vc/signingPool.ts";
import type { CredentialType } from "../src/vc/credentialType.ts";
import { issueSdJwt } from "../src/vc/sdJwt.ts";
import { AnswerRefused, checkAnswer } from "../src/verifier/answers.ts";
import {
  askedClaims,
  dcqlQuery,
  newRequest,
  verifierIdentity,
  type VerifierIdentity,
} from "../src/verifier/requests.ts";
import type { VerifierRequest } from "../src/verifier/store.ts";
import { testCertificate, type TestCertificate } from "./walletKit.ts";

const BASE = "https://localhost:8444";
const type = (uri: string, fields: string[]): CredentialType =>
  ({
    id: 2,
    name: "Academic Diploma",
    uri,
    digest: `0x${"ab".repeat(32)}`,
    deprecated: false,
    vcType: "AcademicDiploma",
    fields: ["id", ...fields],
    document: { alwaysDisclosed: [] },
  }) as unknown as CredentialType;
const DIPLOMA = type("https://schemas.ccr.example/diploma.json", ["name", "degree", "studentNumber"]);

describe("OpenID4VP requests and the refusals of answers (src/verifier/requests.ts, answers.ts)", function () {
  this.timeout(60_000);
  let dir = "";
  let certificate: TestCertificate;
  let other: TestCertificate;
  let identity: VerifierIdentity;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "ccr-verifier-"));
    certificate = testCertificate(dir, "ccr-verifier-unit");
    other = testCertificate(dir, "ccr-verifier-other");
    identity = verifierIdentity(certificate.cert, certificate.key, BASE);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("takes its identity from its certificate: x509_san_dns of the host wallets reach, or a sentence why not", function () {
    expect(identity.clientId).to.equal("x509_san_dns:localhost");
    expect(identity.x5c).to.have.length(1);
    expect(identity.publicJwk).to.include({ kty: "EC", crv: "P-256" });
    const refusal = (cert: string, key: string, url = BASE): string => {
      try {
        verifierIdentity(cert, key, url);
        return "accepted";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refusal(certificate.cert, other.key)).to.equal("the verifier's key is not the key of its certificate");
    expect(refusal(certificate.cert, certificate.key, "https://verifier.example")).to.equal(
      "the verifier's certificate does not name verifier.example (its subject alternative names: DNS:localhost, " +
        "IP Address:127.0.0.1): a wallet checks that the x509_san_dns client id is one of them",
    );
    expect(refusal("no certificate here", certificate.key)).to.equal(
      "the verifier's certificate file holds no certificate",
    );
    expect(refusal(certificate.cert, "no key here")).to.equal("the verifier's key file holds no private key (PEM)");
    const ed25519 =
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBvt3F1f0Kz5f2w0s3p9ZUuI8Zq3zQd1x4o0yJ8wZk2y\n-----END PRIVATE KEY-----\n";
    expect(refusal(certificate.cert, ed25519)).to.equal(
      "the verifier's key must be a P-256 key: request objects are signed ES256",
    );
  });

  it("asks for fields of the type only, at least one, each once; as a DCQL query of one SD-JWT VC (or a vp+jwt for all)", function () {
    expect(askedClaims(DIPLOMA, ["name", "degree", "name"])).to.deep.equal(["name", "degree"]);
    expect(() => askedClaims(DIPLOMA, ["name", "salary"])).to.throw(
      '"Academic Diploma" has no field salary; its fields: name, degree, studentNumber',
    );
    expect(() => askedClaims(DIPLOMA, [])).to.throw("ask for at least one claim");
    // Every field asked: a W3C VC in a vp+jwt (which discloses every field) is the other option.
    expect(dcqlQuery({ type: DIPLOMA, claims: ["name", "degree", "studentNumber"] })).to.deep.equal({
      credentials: [
        {
          id: "credential",
          format: "dc+sd-jwt",
          meta: { vct_values: ["https://schemas.ccr.example/diploma.json"] },
          claims: [{ path: ["name"] }, { path: ["degree"] }, { path: ["studentNumber"] }],
        },
        {
          id: "credential_vc",
          format: "jwt_vc_json",
          meta: { type_values: [["VerifiableCredential", "AcademicDiploma"]] },
          claims: [
            { path: ["credentialSubject", "name"] },
            { path: ["credentialSubject", "degree"] },
            { path: ["credentialSubject", "studentNumber"] },
          ],
        },
      ],
      credential_sets: [{ options: [["credential"], ["credential_vc"]] }],
    });
    expect(dcqlQuery({ type: DIPLOMA, claims: ["name", "degree"] })).to.deep.equal({
      credentials: [
        {
          id: "credential",
          format: "dc+sd-jwt",
          meta: { vct_values: ["https://schemas.ccr.example/diploma.json"] },
          claims: [{ path: ["name"] }, { path: ["degree"] }],
        },
      ],
    });
  });

  it("signs a request object a wallet verifies with the certificate in its x5c header, fetched by request_uri", async function () {
    const now = new Date("2026-12-07T10:00:00Z");
    const { request, link } = await newRequest(identity, BASE, { type: DIPLOMA, claims: ["name"] }, 120, now);
    const url = new URL(link);
    expect(url.protocol).to.equal("openid4vp:");
    expect(Object.fromEntries(url.searchParams)).to.deep.equal({
      client_id: "x509_san_dns:localhost",
      request_uri: `${BASE}/oid4vp/request/${request.id}`,
    });
    const header = decodeProtectedHeader(request.requestObject);
    expect(header).to.include({ alg: "ES256", typ: "oauth-authz-req+jwt" });
    const key = await importX509(
      `-----BEGIN CERTIFICATE-----\n${header.x5c?.[0] ?? ""}\n-----END CERTIFICATE-----`,
      "ES256",
    );
    const payload = JSON.parse(
      new TextDecoder().decode((await compactVerify(request.requestObject, key)).payload),
    ) as Record<string, unknown>;
    expect(payload).to.deep.include({
      response_type: "vp_token",
      response_mode: "direct_post",
      client_id: "x509_san_dns:localhost",
      response_uri: `${BASE}/oid4vp/response/${request.id}`,
      nonce: request.nonce,
      dcql_query: dcqlQuery({ type: DIPLOMA, claims: ["name"] }),
    });
    expect(Number(payload.exp) - Number(payload.iat)).to.equal(120);
    expect(request).to.include({
      createdAt: Math.floor(now.getTime() / 1000),
      expiresAt: Math.floor(now.getTime() / 1000) + 120,
      state_: "open",
    });
    expect(request.nonce).to.have.length.greaterThan(30);
    const again = await newRequest(identity, BASE, { type: DIPLOMA, claims: ["name"] }, 120, now);
    expect(again.request.nonce).to.not.equal(request.nonce);
    expect(again.request.id).to.not.equal(request.id);
  });

  it("asks for an answer encrypted to the request's own key: its public key in the request, its private key kept", async function () {
    const { request } = await newRequest(identity, BASE, { type: DIPLOMA, claims: ["name"], encrypted: true });
    const payload = JSON.parse(request.payload) as {
      response_mode: string;
      client_metadata: { jwks: { keys: Record<string, unknown>[] }; encrypted_response_enc_values_supported: string[] };
    };
    expect(payload.response_mode).to.equal("direct_post.jwt");
    const [publicJwk] = payload.client_metadata.jwks.keys;
    expect(publicJwk).to.include({ kty: "EC", crv: "P-256", use: "enc", alg: "ECDH-ES" }).and.not.have.property("d");
    expect(payload.client_metadata.encrypted_response_enc_values_supported).to.deep.equal(["A128GCM", "A256GCM"]);
    const privateJwk = JSON.parse(request.decryptionKey ?? "{}") as Record<string, unknown>;
    expect(privateJwk).to.include({ kid: publicJwk?.kid, x: publicJwk?.x, y: publicJwk?.y }).and.have.property("d");
    const plain = await newRequest(identity, BASE, { type: DIPLOMA, claims: ["name"] });
    expect(JSON.parse(plain.request.payload)).to.include({ response_mode: "direct_post" });
    expect(plain.request.decryptionKey).to.equal(undefined);

    // An answer encrypted to another key is not opened.
    const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
    const jwe = await new EncryptJWT({ vp_token: { credential: ["x"] } })
      .setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM", kid: String(publicJwk?.kid) })
      .encrypt(await importJWK({ ...stranger, alg: "ECDH-ES" }, "ECDH-ES"));
    const refused = await checkAnswer(
      { ...request, chain: "", resultDigest: "" },
      { response: jwe },
      { resolver: { resolve: () => Promise.reject(new Error("no chain")) } },
      {} as never,
    ).then(
      () => "accepted",
      (error: Error) => error.message,
    );
    expect(refused).to.match(/^the answer is not one to this request: .*cannot be opened with this request's key/);
  });

  describe("answers refused before the chain is asked", function () {
    const issuer = Wallet.createRandom();
    const holder = "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6IjAiLCJ5IjoiMCJ9";
    let request: VerifierRequest;
    let sdJwt = "";
    before(async function () {
      const made = await newRequest(identity, BASE, { type: DIPLOMA, claims: ["name"] });
      request = { ...made.request, chain: "31337/0x00", resultDigest: "" };
      const credential = buildCredential({
        schema: DIPLOMA,
        issuer: ethrDid(31337, issuer.address),
        subject: { id: holder, name: "Aiko Tanaka", degree: "BSc", studentNumber: "S1" },
        validFrom: new Date(),
        status: { chainId: 31337, registry: `0x${"11".repeat(20)}` },
      });
      sdJwt = await issueSdJwt(credential, issuer.privateKey, undefined);
    });
    /** The SD-JWT with only `keep` disclosed, ending with a key binding JWT (its signature is not looked at here). */
    const presented = (token: string, keep: string[]): string => {
      const [jwt = "", ...rest] = token.split("~");
      const disclosures = rest.filter((d) => d !== "");
      const kept = disclosures.filter((d) => {
        const [, name] = JSON.parse(Buffer.from(d, "base64url").toString()) as [string, string];
        return keep.includes(name);
      });
      return `${[jwt, ...kept].join("~")}~eyJhbGciOiJFUzI1NiIsInR5cCI6ImtiK2p3dCJ9.e30.c2ln`;
    };
    const refusal = async (form: Record<string, unknown>, to: VerifierRequest = request): Promise<string> =>
      checkAnswer(to, form, { resolver: { resolve: () => Promise.reject(new Error("no chain")) } }, {} as never).then(
        () => "accepted",
        (error: unknown) => (error instanceof AnswerRefused ? `${error.error}: ${error.message}` : String(error)),
      );
    const token = (entries: unknown): Record<string, unknown> => ({ vp_token: JSON.stringify(entries) });

    it("refuses what is not an answer to the query, or not one SD-JWT VC with key binding", async function () {
      expect(await refusal({})).to.match(/^invalid_request: the answer is not one to this request: /);
      expect(await refusal(token({ other: [presented(sdJwt, ["name"])] }))).to.equal(
        'invalid_request: the vp_token answers "other", not this request\'s query ("credential")',
      );
      expect(await refusal(token({ credential_vc: ["eyJhbGciOiJFUzI1NksifQ.e30.c2ln"] }))).to.equal(
        'invalid_request: the vp_token answers "credential_vc", not this request\'s query ("credential")',
      );
      expect(await refusal(token({ credential: [presented(sdJwt, ["name"]), presented(sdJwt, ["name"])] }))).to.equal(
        'invalid_request: the vp_token must hold one presentation, for "credential"',
      );
      // Nothing answered, an answer beside the asked one, or an answer that is not a text: not one presentation.
      for (const entries of [{}, { credential: [presented(sdJwt, ["name"])], other: ["x"] }, { credential: [{}] }]) {
        expect(await refusal(token(entries)), JSON.stringify(entries).slice(0, 60)).to.equal(
          'invalid_request: the vp_token must hold one presentation, for "credential"',
        );
      }
      expect(await refusal(token({ credential: ["eyJhbGciOiJFUzI1NksifQ.e30.c2ln"] }))).to.equal(
        "vp_formats_not_supported: the presentation is not an SD-JWT VC with a key binding JWT (dc+sd-jwt), which " +
          "this request asks for",
      );
      // An SD-JWT VC with a disclosure its issuer did not sign: not one to read.
      const forged = presented(sdJwt, ["name"]).replace(
        "~",
        `~${Buffer.from(JSON.stringify(["salt", "name", "Someone Else"])).toString("base64url")}~`,
      );
      expect(await refusal(token({ credential: [forged] }))).to.match(
        /^invalid_request: the presentation is not an SD-JWT VC: .*disclosure/,
      );
      const withoutBinding = presented(sdJwt, ["name"]).replace(/~[^~]+$/, "~");
      expect(await refusal(token({ credential: [withoutBinding] }))).to.equal(
        "vp_formats_not_supported: the presentation is not an SD-JWT VC with a key binding JWT (dc+sd-jwt), which " +
          "this request asks for",
      );
    });

    it("takes a vp+jwt only where every field is asked, and refuses one that is not of one credential", async function () {
      const all = await newRequest(identity, BASE, { type: DIPLOMA, claims: ["name", "degree", "studentNumber"] });
      const everyField = { ...all.request, chain: "31337/0x00", resultDigest: "" };
      const notOne = "eyJhbGciOiJFUzI1NksifQ.e30.c2ln";
      expect(await refusal(token({ credential_vc: [notOne] }), everyField)).to.match(
        /^invalid_request: the presentation is not a vp\+jwt of one credential: /,
      );
      expect(await refusal(token({ credential_vc: [presented(sdJwt, ["name"])] }), everyField)).to.equal(
        'vp_formats_not_supported: the presentation is neither an SD-JWT VC with a key binding JWT for "credential" ' +
          'nor a vp+jwt for "credential_vc", which this request asks for',
      );
      expect(await refusal(token({ other: [notOne] }), everyField)).to.equal(
        'invalid_request: the vp_token answers "other", not this request\'s query ("credential" or "credential_vc")',
      );
    });

    it("reads a vp+jwt's one credential with every subject field disclosed; refuses one of no or two credentials", async function () {
      const all = await newRequest(identity, BASE, { type: DIPLOMA, claims: ["name", "degree", "studentNumber"] });
      const everyField = { ...all.request, chain: "31337/0x00", resultDigest: "" };
      const credential = buildCredential({
        schema: DIPLOMA,
        issuer: ethrDid(31337, issuer.address),
        subject: { id: holder, name: "Aiko Tanaka", degree: "BSc", studentNumber: "S1" },
        validFrom: new Date(),
        status: { chainId: 31337, registry: `0x${"11".repeat(20)}` },
      });
      const input = signingInput({ alg: "ES256K", typ: VC_JWT_TYP }, credential, Math.floor(Date.now() / 1000));
      let vcJwt = `${input}.${es256kSigner(issuer.privateKey)(input)}`;
      const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
      // Unsigned (the presentation's signature is checked after what is read here): the answer's shape is at stake.
      const vp = (count: number): string =>
        `${part({ alg: "ES256", typ: VP_JWT_TYP })}.${part({
          "@context": [VC_CONTEXT_V2],
          type: ["VerifiablePresentation"],
          holder,
          verifiableCredential: Array.from({ length: count }, () => ({
            type: "EnvelopedVerifiableCredential",
            id: `data:application/vc+jwt,${vcJwt}`,
          })),
        })}.c2ln`;
      const answered = (token: string): Promise<string> =>
        checkAnswer(
          everyField,
          { vp_token: JSON.stringify({ credential_vc: [token] }) },
          { resolver: { resolve: () => Promise.reject(new Error("no chain")) } },
          {} as never,
          () => Promise.resolve([]),
        ).then(
          () => "accepted",
          (error: unknown) => (error instanceof AnswerRefused ? `${error.error}: ${error.message}` : String(error)),
        );
      for (const count of [0, 2]) {
        expect(await answered(vp(count)), `${count} credentials`).to.equal(
          "invalid_request: the presentation is not a vp+jwt of one credential: it must carry one credential",
        );
      }
      // One credential: its type and every field are as asked, so the presentation's own checks come next.
      expect(await answered(vp(1))).to.match(/^invalid_request: the presentation is refused: /);
      // A subject field beyond those asked (here, beyond the schema's) is disclosed by a vp+jwt too: refused.
      const extraInput = signingInput(
        { alg: "ES256K", typ: VC_JWT_TYP },
        { ...credential, credentialSubject: { ...credential.credentialSubject, salary: "90000" } } as typeof credential,
        Math.floor(Date.now() / 1000),
      );
      vcJwt = `${extraInput}.${es256kSigner(issuer.privateKey)(extraInput)}`;
      expect(await answered(vp(1))).to.equal(
        "invalid_request: the presentation discloses salary, which was not asked for (asked: name, degree, studentNumber)",
      );
    });

    it("opens an answer encrypted to the request's own key, and refuses one to a request that asked for a plain answer", async function () {
      const made = await newRequest(identity, BASE, { type: DIPLOMA, claims: ["name"], encrypted: true });
      const encrypted = { ...made.request, chain: "31337/0x00", resultDigest: "" };
      const [publicJwk] = (JSON.parse(made.request.payload) as { client_metadata: { jwks: { keys: JWK[] } } })
        .client_metadata.jwks.keys;
      const sealed = async (to: JWK | undefined, vpToken: unknown): Promise<string> =>
        new EncryptJWT({ vp_token: vpToken })
          .setProtectedHeader({ alg: "ECDH-ES", enc: "A128GCM", kid: String(to?.kid) })
          .encrypt(await importJWK({ ...to, alg: "ECDH-ES" }, "ECDH-ES"));
      // Opened: what it says is then checked as a plain answer is.
      const opened = await sealed(publicJwk, { other: ["x"] });
      expect(await refusal({ response: opened }, encrypted)).to.equal(
        'invalid_request: the vp_token answers "other", not this request\'s query ("credential")',
      );
      expect(await refusal({ response: opened })).to.match(
        /^invalid_request: the answer is not one to this request: .*this request asks for a plain answer \(direct_post\)/,
      );
      // Encrypted to the request's key, but not as the request says (ECDH-ES, A128GCM or A256GCM): not opened.
      const otherWay = async (header: { alg: string; enc: string }): Promise<string> =>
        refusal(
          {
            response: await new EncryptJWT({ vp_token: { other: ["x"] } })
              .setProtectedHeader({ ...header, kid: String(publicJwk?.kid) })
              .encrypt(await importJWK({ ...publicJwk, alg: header.alg }, header.alg)),
          },
          encrypted,
        );
      for (const header of [
        { alg: "ECDH-ES+A128KW", enc: "A128GCM" },
        { alg: "ECDH-ES", enc: "A192GCM" },
      ]) {
        expect(await otherWay(header), `${header.alg} ${header.enc}`).to.match(
          /^invalid_request: the answer is not one to this request: the encrypted answer cannot be opened with this request's key \(.*not allowed/,
        );
      }
      // A signed (not encrypted) answer: this verifier asks for none.
      const signed = `${Buffer.from(JSON.stringify({ alg: "ES256", kid: "wallet-key" })).toString("base64url")}.${Buffer.from(
        JSON.stringify({
          iss: "wallet",
          aud: request.clientId,
          exp: Math.floor(Date.now() / 1000) + 60,
          vp_token: { credential: ["x"] },
        }),
      ).toString("base64url")}.c2ln`;
      expect(await refusal({ response: signed })).to.equal(
        "invalid_request: the answer is not one to this request: this request asks for no signed answer",
      );
    });

    it("checks the key binding once the type and claims are as asked (here: made for no one, refused)", async function () {
      // The credential's own checks are not reached: nothing is asked of the chain.
      const refused = await checkAnswer(
        request,
        token({ credential: [presented(sdJwt, ["name"])] }),
        { resolver: { resolve: () => Promise.reject(new Error("no chain")) } },
        {} as never,
        () => Promise.resolve([]),
      ).then(
        () => "accepted",
        (error: unknown) => (error instanceof AnswerRefused ? `${error.error}: ${error.message}` : String(error)),
      );
      expect(refused).to.equal(
        `invalid_request: the presentation is refused: made for undefined, not for ${request.clientId}`,
      );
    });

    it("refuses another type than asked, a claim not asked for, and a claim asked for but not disclosed", async function () {
      const kycRequest = { ...request, vct: "https://schemas.ccr.example/kyc.json" };
      expect(await refusal(token({ credential: [presented(sdJwt, ["name"])] }), kycRequest)).to.equal(
        "invalid_request: the credential is of type https://schemas.ccr.example/diploma.json, not " +
          "https://schemas.ccr.example/kyc.json as asked",
      );
      expect(await refusal(token({ credential: [presented(sdJwt, ["name", "studentNumber"])] }))).to.equal(
        "invalid_request: the presentation discloses studentNumber, which was not asked for (asked: name)",
      );
      expect(await refusal(token({ credential: [presented(sdJwt, [])] }))).to.equal(
        "invalid_request: the presentation does not disclose name, which was asked",
      );
      // Several of them, each named.
      const nameAndDegree = { ...request, claims: ["name", "degree"] };
      expect(await refusal(token({ credential: [presented(sdJwt, [])] }), nameAndDegree)).to.equal(
        "invalid_request: the presentation does not disclose name, degree, which was asked",
      );
      expect(
        await refusal(token({ credential: [presented(sdJwt, ["name", "degree", "studentNumber"])] }), {
          ...request,
          claims: ["name"],
        }),
      ).to.equal(
        "invalid_request: the presentation discloses degree, studentNumber, which was not asked for (asked: name)",
      );
    });
  });
});
