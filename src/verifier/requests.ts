/**
 * OpenID4VP 1.0 requests: what a verifier asks a wallet for (a DCQL query for one registered credential type, the
 * claims to disclose), as a request object signed by the verifier's key and certificate (JAR, `x509_san_dns:` client
 * id, `x5c` header), fetched by `request_uri`, answered by `direct_post` to a per-request `response_uri`. Built with
 * `@openid4vc/openid4vp` (the authorization request, the JAR, the answer's structure against the query); CCR signs.
 */
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from "node:crypto";
import type { Jwk, SignJwtCallback } from "@openid4vc/oauth2";
import { createOpenid4vpAuthorizationRequest } from "@openid4vc/openid4vp";
import { CCRError } from "../errors.ts";
import type { CredentialType } from "../vc/credentialType.ts";
import type { VerifierRequest } from "./store.ts";

/** The DCQL credential query id of the one credential a CCR request asks for. */
export const CREDENTIAL_QUERY_ID = "credential";
/** How long a request can be answered, by default (seconds). */
export const REQUEST_LIFETIME = 300;

/** The verifier's identity: a P-256 key and the certificate chain naming its host (the `x509_san_dns` client id). */
export interface VerifierIdentity {
  key: KeyObject;
  publicJwk: Jwk;
  /** The chain as `x5c` carries it: base64 DER, leaf first. */
  x5c: string[];
  /** `x509_san_dns:<host>`: the host the wallet reaches the verifier at, a DNS name of the leaf certificate. */
  clientId: string;
}

/**
 * The verifier identity of a PEM certificate chain and its P-256 private key, for `baseUrl`'s host; refused with a
 * sentence when the key is not P-256, is not the certificate's, or the certificate does not name the host.
 */
export function verifierIdentity(certificatePem: string, keyPem: string, baseUrl: string): VerifierIdentity {
  const pems = certificatePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const [leaf] = pems.map((pem) => new X509Certificate(pem));
  if (leaf === undefined)
    throw new CCRError("INVALID_ARGUMENT", "the verifier's certificate file holds no certificate");
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (cause) {
    throw new CCRError("INVALID_ARGUMENT", "the verifier's key file holds no private key (PEM)", { cause });
  }
  if (key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new CCRError("INVALID_ARGUMENT", "the verifier's key must be a P-256 key: request objects are signed ES256");
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CCRError("INVALID_ARGUMENT", "the verifier's key is not the key of its certificate");
  }
  const host = new URL(baseUrl).hostname;
  if (leaf.checkHost(host) === undefined) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `the verifier's certificate does not name ${host} (its subject alternative names: ${leaf.subjectAltName ?? "none"}): ` +
        "a wallet checks that the x509_san_dns client id is one of them",
    );
  }
  const publicJwk = createPublicKey(key).export({ format: "jwk" }) as Jwk;
  const x5c = pems.map((pem) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ""));
  return { key, publicJwk, x5c, clientId: `x509_san_dns:${host}` };
}

/** Signs the request object with the verifier's key (ES256): the one JWT the library asks CCR to sign. */
function signer(identity: VerifierIdentity): SignJwtCallback {
  return (jwtSigner, { header, payload }) => {
    if (jwtSigner.method !== "x5c" || jwtSigner.alg !== "ES256") {
      throw new Error(`the verifier signs with its certificate's key (x5c, ES256), not ${jwtSigner.method}`);
    }
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
    const input = `${encode(header)}.${encode(payload)}`;
    const signature = sign("sha256", Buffer.from(input), { key: identity.key, dsaEncoding: "ieee-p1363" });
    return { jwt: `${input}.${signature.toString("base64url")}`, signerJwk: identity.publicJwk };
  };
}

/** What an official asks for: a registered credential type, the claims to be disclosed, whose recognition counts. */
export interface Ask {
  type: CredentialType;
  claims: string[];
  economy?: string | undefined;
  /** The answer encrypted to the request's own key (`direct_post.jwt`), so that only this verifier reads it. */
  encrypted?: boolean | undefined;
}

/** The content encryptions an encrypted answer may use (with ECDH-ES key agreement on P-256). */
export const ANSWER_ENCRYPTIONS = ["A128GCM", "A256GCM"];

/** A request's own key for encrypted answers: the private JWK it keeps, and the public one wallets encrypt to. */
function answerKey(): { privateJwk: Jwk; publicJwk: Jwk } {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const privateJwk = privateKey.export({ format: "jwk" }) as Jwk;
  const publicJwk: Jwk = { ...privateJwk, kid: randomBytes(8).toString("base64url"), use: "enc", alg: "ECDH-ES" };
  delete publicJwk.d;
  return { privateJwk: { ...privateJwk, kid: publicJwk.kid }, publicJwk };
}

/** The claims asked for, checked against the type's fields; refused with the fields there are. */
export function askedClaims(type: CredentialType, claims: readonly string[]): string[] {
  const unknown = claims.filter((claim) => !type.fields.includes(claim));
  if (unknown.length > 0) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `"${type.name}" has no field ${unknown.join(", ")}; its fields: ${type.fields.filter((f) => f !== "id").join(", ")}`,
    );
  }
  if (claims.length === 0) throw new CCRError("INVALID_ARGUMENT", "ask for at least one claim");
  return [...new Set(claims)];
}

/** The DCQL credential query id of the same credential as a W3C VC in a vp+jwt (`jwt_vc_json`). */
export const VC_QUERY_ID = "credential_vc";

/**
 * The DCQL query of an ask: one SD-JWT VC of the type's `vct`, with exactly the claims asked. When every field of the
 * type is asked, a W3C VC (`jwt_vc_json`, in a vp+jwt) is one of the two options too: it discloses every field, so it
 * answers only a request for all of them.
 */
export function dcqlQuery(ask: Ask): Record<string, unknown> {
  const sdJwt = {
    id: CREDENTIAL_QUERY_ID,
    format: "dc+sd-jwt",
    meta: { vct_values: [ask.type.uri] },
    claims: ask.claims.map((claim) => ({ path: [claim] })),
  };
  const all = ask.type.fields.filter((field) => field !== "id").every((field) => ask.claims.includes(field));
  if (!all) return { credentials: [sdJwt] };
  const vc = {
    id: VC_QUERY_ID,
    format: "jwt_vc_json",
    meta: { type_values: [["VerifiableCredential", ask.type.vcType]] },
    claims: ask.claims.map((claim) => ({ path: ["credentialSubject", claim] })),
  };
  return { credentials: [sdJwt, vc], credential_sets: [{ options: [[CREDENTIAL_QUERY_ID], [VC_QUERY_ID]] }] };
}

/** A new request for `ask`, answered at `<baseUrl>/oid4vp/response/<id>`; with its `openid4vp://` link. */
export async function newRequest(
  identity: VerifierIdentity,
  baseUrl: string,
  ask: Ask,
  lifetime = REQUEST_LIFETIME,
  now = new Date(),
): Promise<{ request: Omit<VerifierRequest, "resultDigest" | "chain">; link: string }> {
  const id = randomBytes(16).toString("base64url");
  const nonce = randomBytes(24).toString("base64url");
  const requestUri = `${baseUrl}/oid4vp/request/${id}`;
  const encryption = ask.encrypted === true ? answerKey() : undefined;
  const payload = {
    response_type: "vp_token" as const,
    client_id: identity.clientId,
    response_uri: `${baseUrl}/oid4vp/response/${id}`,
    response_mode: encryption === undefined ? ("direct_post" as const) : ("direct_post.jwt" as const),
    nonce,
    // No `state`: every request has a response_uri of its own, and a key-bound answer needs none (OpenID4VP 1.0,
    // 5.3); some wallets (@digitalbazaar/oid4-client) do not send it back.
    dcql_query: dcqlQuery(ask),
    client_metadata: {
      client_name: "CCR verifier",
      ...(encryption === undefined
        ? {}
        : { jwks: { keys: [encryption.publicJwk] }, encrypted_response_enc_values_supported: ANSWER_ENCRYPTIONS }),
      vp_formats_supported: {
        "dc+sd-jwt": {
          "sd-jwt_alg_values": ["ES256", "ES256K"] as [string, ...string[]],
          "kb-jwt_alg_values": ["ES256", "ES256K", "EdDSA"] as [string, ...string[]],
        },
        jwt_vc_json: { alg_values: ["ES256", "ES256K", "EdDSA"] as [string, ...string[]] },
      },
    },
  };
  const created = await createOpenid4vpAuthorizationRequest({
    authorizationRequestPayload: payload,
    jar: {
      requestUri,
      jwtSigner: { method: "x5c", x5c: identity.x5c, alg: "ES256" },
      expiresInSeconds: lifetime,
    },
    callbacks: { signJwt: signer(identity), encryptJwe: () => Promise.reject(new Error("no encrypted requests")) },
    now,
  });
  const requestObject = created.jar?.authorizationRequestJwt;
  if (requestObject === undefined) throw new Error("the library made no request object");
  const createdAt = Math.floor(now.getTime() / 1000);
  return {
    request: {
      id,
      nonce,
      clientId: identity.clientId,
      schemaId: ask.type.id,
      vct: ask.type.uri,
      claims: ask.claims,
      economy: ask.economy,
      payload: JSON.stringify(payload),
      ...(encryption === undefined ? {} : { decryptionKey: JSON.stringify(encryption.privateJwk) }),
      requestObject,
      createdAt,
      expiresAt: createdAt + lifetime,
      state_: "open",
    },
    link: created.authorizationRequest,
  };
}
