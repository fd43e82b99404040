/**
 * The two algorithms an issuer signs credentials with: ES256K (secp256k1, the `did:ethr` controller's own curve, the
 * default) and ES256 (P-256, which `jose`, browsers' WebCrypto and the OpenID4VC high-assurance profile require). A
 * P-256 key is bound to the issuer's DID through ERC-1056 as a `did/pub/JsonWebKey2020/veriKey` attribute whose
 * value is the uncompressed public key: ethr-did-resolver lists it as a `JsonWebKey2020` assertion method with
 * `publicKeyHex`, which did-jwt (and CCR) take for ES256; revoking the attribute (or its validity running out)
 * removes it, as for a secp256k1 `veriKey` delegate.
 */
import { createECDH, createPrivateKey, createPublicKey, sign, type JsonWebKey, type KeyObject } from "node:crypto";
import { encodeBytes32String, getBytes, hexlify } from "ethers";
import { CCRError } from "../errors.ts";

export const SIGNING_ALGS = ["ES256K", "ES256"] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export const DEFAULT_SIGNING_ALG: SigningAlg = "ES256K";

/** The ERC-1056 attribute name that binds a P-256 signing key to a `did:ethr` (30 bytes; value: hex public key). */
export const P256_KEY_ATTRIBUTE = "did/pub/JsonWebKey2020/veriKey";
export const P256_KEY_ATTRIBUTE_BYTES = encodeBytes32String(P256_KEY_ATTRIBUTE);

/** The algorithm named `name` (case-insensitive), or a sentence naming the ones there are. */
export function signingAlg(name: string): SigningAlg {
  const alg = SIGNING_ALGS.find((a) => a.toLowerCase() === name.toLowerCase());
  if (alg === undefined) {
    throw new CCRError("INVALID_ARGUMENT", `the signing algorithm ${name} is not one of ${SIGNING_ALGS.join(", ")}`);
  }
  return alg;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

/** The uncompressed P-256 public key (0x04 || x || y, hex) of the private key `privateKey` (32 bytes, hex). */
export function p256PublicKeyHex(privateKey: string): string {
  const ecdh = createECDH("prime256v1");
  try {
    ecdh.setPrivateKey(getBytes(privateKey));
  } catch (cause) {
    throw new CCRError("KEY_UNAVAILABLE", "the signing key is not a P-256 private key", { cause });
  }
  return hexlify(ecdh.getPublicKey());
}

/** The public JWK of an uncompressed P-256 public key (hex), or undefined when it is not one. */
export function p256Jwk(publicKeyHex: string): { kty: "EC"; crv: "P-256"; x: string; y: string } | undefined {
  const bytes = /^(0x)?04[0-9a-fA-F]{128}$/.test(publicKeyHex)
    ? getBytes(`0x${publicKeyHex.replace(/^0x/, "")}`)
    : undefined;
  if (bytes === undefined) return undefined;
  const jwk = { kty: "EC" as const, crv: "P-256" as const, x: b64(bytes.subarray(1, 33)), y: b64(bytes.subarray(33)) };
  try {
    createPublicKey({ key: jwk, format: "jwk" }); // refuses a point that is not on the curve
  } catch {
    return undefined;
  }
  return jwk;
}

/** The private JWK of a P-256 private key (hex). */
export function p256PrivateJwk(privateKey: string): JsonWebKey {
  const jwk = p256Jwk(p256PublicKeyHex(privateKey));
  if (jwk === undefined) throw new CCRError("KEY_UNAVAILABLE", "the signing key is not a P-256 private key");
  return { ...jwk, d: b64(getBytes(privateKey)) };
}

/** An ES256 signer with Node's crypto (OpenSSL): the base64url signature (r || s) of a JWS signing input. */
export function es256Signer(privateKey: string): (data: string) => string {
  const key: KeyObject = createPrivateKey({ key: p256PrivateJwk(privateKey), format: "jwk" });
  return (data) => sign("sha256", Buffer.from(data), { key, dsaEncoding: "ieee-p1363" }).toString("base64url");
}
