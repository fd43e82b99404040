/**
 * The device's side of zero-touch provisioning, with `@openid4vc/oauth2` and `@openid4vc/openid4vci` as a wallet
 * uses them: the maker's attestation of the device's key (made at the factory, `attestDevice`), then the device's
 * own enrolment (`enrollDevice`): an access token for its attestation, a nonce, and its credential for a proof signed
 * by its key (collected from the deferred endpoint when the service defers it). Keys are JWKs signed with Node's crypto (ES256, ES256K, EdDSA): a device keeps its private key, in a
 * TPM in real life.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import {
  Oauth2Client,
  clientAuthenticationClientAttestationJwt,
  type CallbackContext,
  type Jwk,
  type JwtSigner,
} from "@openid4vc/oauth2";
import { Openid4vciClient, type IssuerMetadataResult } from "@openid4vc/openid4vci";
import { publicJwk } from "./jwt.ts";

/** A key pair as JWKs, with the algorithm it signs with. */
export interface KeyPair {
  alg: "ES256" | "ES256K" | "EdDSA";
  publicJwk: Jwk;
  privateJwk: Jwk;
}

/** A new key pair: what a device (or an attestation line at its factory) makes once. */
export function newKeyPair(alg: KeyPair["alg"] = "ES256"): KeyPair {
  const { publicKey, privateKey } =
    alg === "EdDSA"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: alg === "ES256" ? "P-256" : "secp256k1" });
  return {
    alg,
    publicJwk: publicKey.export({ format: "jwk" }) as Jwk,
    privateJwk: privateKey.export({ format: "jwk" }) as Jwk,
  };
}

/** Private keys as OpenSSL key objects, made once per key: a device signs two or three JWTs per enrolment. */
const keyObjects = new WeakMap<Jwk, KeyObject>();

/** A compact JWS of `header` and `payload` signed with `key`. */
export function signJws(key: KeyPair, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode(header)}.${encode(payload)}`;
  let privateKey = keyObjects.get(key.privateJwk);
  if (privateKey === undefined) {
    privateKey = createPrivateKey({ key: key.privateJwk as JsonWebKey, format: "jwk" });
    keyObjects.set(key.privateJwk, privateKey);
  }
  const signature = sign(key.alg === "EdDSA" ? null : "sha256", Buffer.from(input), {
    key: privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return `${input}.${signature.toString("base64url")}`;
}

/** The callbacks of the `@openid4vc` clients, signing with `keys` (by public key, or by `kid` for an attester). */
function clientCallbacks(
  keys: KeyPair[],
  fetcher: typeof fetch,
): Omit<CallbackContext, "verifyJwt" | "decryptJwe" | "encryptJwe" | "clientAuthentication"> {
  const find = (signer: JwtSigner): KeyPair | undefined =>
    signer.method === "jwk"
      ? keys.find((k) => k.publicJwk.x === signer.publicJwk.x && k.publicJwk.y === signer.publicJwk.y)
      : keys.find((k) => k.publicJwk.kid === signer.kid);
  return {
    fetch: fetcher,
    hash: (data, alg) => createHash(alg.replace("-", "").toLowerCase()).update(data).digest(),
    generateRandom: (bytes) => randomBytes(bytes),
    signJwt: (signer, { header, payload }) => {
      const key = find(signer);
      if (key === undefined) throw new Error("no such key to sign with");
      return { jwt: signJws(key, header, payload), signerJwk: publicJwk(key.publicJwk) };
    },
  };
}

/** What the maker attests of a device. */
export interface DeviceFacts {
  serialNumber: string;
  model: string;
  firmwareVersion?: string | undefined;
}

/**
 * The maker's attestation of a device's key (an OAuth client attestation, `oauth-client-attestation+jwt`): signed
 * by `attester` (its `kid` as registered with `ccr attester add`), naming the device by serial number (`sub`), its
 * key (`cnf.jwk`), model and firmware, valid `validFor` seconds.
 */
export function attestDevice(
  attester: KeyPair & { kid: string },
  maker: string,
  device: DeviceFacts,
  deviceKey: Jwk,
  validFor = 3600,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return Promise.resolve(
    signJws(
      attester,
      // A maker named by a DID names its key within it (`<did>#<kid>`), as JOSE libraries expect of a DID issuer.
      {
        typ: "oauth-client-attestation+jwt",
        alg: attester.alg,
        kid: maker.startsWith("did:") ? `${maker}#${attester.kid}` : attester.kid,
      },
      {
        iss: maker,
        sub: device.serialNumber,
        iat: now,
        exp: now + validFor,
        cnf: { jwk: publicJwk(deviceKey) },
        model: device.model,
        ...(device.firmwareVersion === undefined ? {} : { firmwareVersion: device.firmwareVersion }),
      },
    ),
  );
}

/** A device's enrolment: token for its attestation, nonce, credential of `configuration` bound to its key. */
export async function enrollDevice(options: {
  issuerUrl: string;
  attestation: string;
  deviceKey: KeyPair;
  configuration: string;
  fetch?: typeof fetch;
  /** The issuer's metadata, when the device has it already (see `issuerMetadataOf`). */
  issuerMetadata?: IssuerMetadataResult | undefined;
}): Promise<{ credential: string; accessToken: string }> {
  const { issuerUrl, attestation, deviceKey, configuration } = options;
  const callbacks = clientCallbacks([deviceKey], options.fetch ?? fetch);
  const vci = new Openid4vciClient({ callbacks: { ...callbacks, clientAuthentication: () => undefined } });
  const issuerMetadata = options.issuerMetadata ?? (await vci.resolveIssuerMetadata(issuerUrl));
  const [authorizationServer] = issuerMetadata.authorizationServers;
  if (authorizationServer === undefined) throw new Error(`${issuerUrl} names no authorization server`);
  const oauth = new Oauth2Client({
    callbacks: {
      ...callbacks,
      clientAuthentication: clientAuthenticationClientAttestationJwt({ clientAttestationJwt: attestation, callbacks }),
    },
  });
  const { accessTokenResponse } = await oauth.retrieveClientCredentialsAccessToken({
    authorizationServerMetadata: authorizationServer,
  });
  const { c_nonce: nonce } = await vci.requestNonce({ issuerMetadata });
  const { jwt } = await vci.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId: configuration,
    signer: { method: "jwk", publicJwk: publicJwk(deviceKey.publicJwk), alg: deviceKey.alg },
    nonce,
  });
  const { credentialResponse } = await vci.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configuration,
    proofs: { jwt: [jwt] },
  });
  let credentials = credentialResponse.credentials as ({ credential: string } | string)[] | undefined;
  // Deferred (the service is catching up with its anchoring): ask again after the interval it names, until it answers.
  let transactionId = credentialResponse.transaction_id;
  while (credentials === undefined && transactionId !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0.2, Number(credentialResponse.interval ?? 1)) * 1000));
    const { deferredCredentialResponse } = await vci.retrieveDeferredCredentials({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      transactionId,
    });
    credentials = deferredCredentialResponse.credentials as typeof credentials;
    transactionId = deferredCredentialResponse.transaction_id ?? transactionId;
  }
  const [first] = credentials ?? [];
  if (first === undefined) throw new Error(`${issuerUrl} answered without a credential`);
  return {
    credential: typeof first === "string" ? first : first.credential,
    accessToken: accessTokenResponse.access_token,
  };
}

/** An issuer's metadata (its own and its authorization server's), read once: what a fleet's devices share. */
export function issuerMetadataOf(issuerUrl: string, fetcher: typeof fetch = fetch): Promise<IssuerMetadataResult> {
  const callbacks = clientCallbacks([], fetcher);
  return new Openid4vciClient({
    callbacks: { ...callbacks, clientAuthentication: () => undefined },
  }).resolveIssuerMetadata(issuerUrl);
}
