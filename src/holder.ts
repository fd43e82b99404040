/**
 * Holders: the DID a credential is bound to (`credentialSubject.id`), its key, and the resolver that finds a
 * holder's keys. CCR binds holders by `did:ethr` (an Ethereum account, resolved through the chain's ERC-1056
 * registry), `did:key` (secp256k1, P-256 or Ed25519) and `did:jwk` (the same curves), the last two resolved offline.
 */
import { ed25519 } from "@noble/curves/ed25519";
import { p256 } from "@noble/curves/p256";
import { secp256k1 } from "@noble/curves/secp256k1";
import {
  Resolver,
  type DIDResolutionResult,
  type DIDResolver,
  type JsonWebKey as PublicJwk,
  type Resolvable,
} from "did-resolver";
import { SigningKey, computeAddress, getBytes } from "ethers";
import { getResolver as keyDidResolver } from "key-did-resolver";
import { base58btc } from "multiformats/bases/base58";
import { base64url, fromBase64url, fromBase64urlText } from "./bytes.ts";
import { ethrDid, ethrDidAddress } from "./did.ts";
import { CCRError } from "./errors.ts";

/** The DID methods a holder may use. */
export const HOLDER_DID_METHODS = ["ethr", "key", "jwk"] as const;
export type HolderDidMethod = (typeof HOLDER_DID_METHODS)[number];

/** Multicodec prefixes (varint) of the public keys `did:key` identifiers may hold, with the key's length. */
const KEY_CODECS = [
  { curve: "secp256k1", prefix: [0xe7, 0x01], length: 33 },
  { curve: "P-256", prefix: [0x80, 0x24], length: 33 },
  { curve: "Ed25519", prefix: [0xed, 0x01], length: 32 },
] as const;

type Curve = (typeof KEY_CODECS)[number]["curve"];

/** Whether `key` is a point of `curve` (compressed for the Weierstrass curves). */
function onCurve(curve: Curve, key: Uint8Array): boolean {
  try {
    if (curve === "Ed25519") ed25519.ExtendedPoint.fromHex(key);
    else (curve === "P-256" ? p256 : secp256k1).ProjectivePoint.fromHex(key);
    return true;
  } catch {
    return false;
  }
}

function didKeyProblem(did: string): string | undefined {
  const encoded = did.slice("did:key:".length);
  if (!encoded.startsWith("z")) return "a did:key holds a base58btc multibase key (starting with z)";
  let bytes: Uint8Array;
  try {
    bytes = base58btc.decode(encoded);
  } catch {
    return "its key is not base58btc";
  }
  const codec = KEY_CODECS.find(({ prefix }) => bytes[0] === prefix[0] && bytes[1] === prefix[1]);
  if (codec === undefined) return "its key is none of secp256k1, P-256 or Ed25519";
  if (bytes.length !== 2 + codec.length) {
    return `its ${codec.curve} key has ${bytes.length - 2} bytes, not ${codec.length}`;
  }
  return onCurve(codec.curve, bytes.subarray(2)) ? undefined : `its key is not a point of ${codec.curve}`;
}

/** The JWK in a `did:jwk` identifier, or why there is none. */
function didJwk(did: string): { jwk: PublicJwk } | { problem: string } {
  let jwk: unknown;
  try {
    jwk = JSON.parse(fromBase64urlText(did.slice("did:jwk:".length)));
  } catch {
    return { problem: "its key is not base64url-encoded JSON" };
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return { problem: "its key is not a JWK" };
  const key = jwk as PublicJwk;
  if (key.d !== undefined) return { problem: "its JWK holds a private key (d): never publish it" };
  const curves = key.kty === "EC" ? ["secp256k1", "P-256"] : key.kty === "OKP" ? ["Ed25519"] : [];
  if (!curves.includes(String(key.crv))) {
    return {
      problem: `its JWK (kty ${String(key.kty)}, crv ${String(key.crv)}) is none of secp256k1, P-256 or Ed25519`,
    };
  }
  try {
    const x = fromBase64url(String(key.x));
    if (key.kty === "OKP") {
      if (x.length !== 32) throw new Error("not a key");
      ed25519.ExtendedPoint.fromHex(x);
    } else {
      const y = fromBase64url(String(key.y));
      if (x.length !== 32 || y.length !== 32) throw new Error("not a key");
      (key.crv === "P-256" ? p256 : secp256k1).ProjectivePoint.fromHex(new Uint8Array([4, ...x, ...y]));
    }
  } catch {
    return { problem: `its JWK is not a valid ${String(key.crv)} public key` };
  }
  return { jwk: key };
}

/**
 * Why `did` cannot be a holder's DID, or undefined when it can: a well-formed `did:ethr`, `did:key` or `did:jwk`
 * whose key is a point of a curve CCR checks signatures of. Offline: nothing is resolved.
 */
export function holderDidProblem(did: string): string | undefined {
  const method = /^did:([a-z0-9]+):/.exec(did)?.[1];
  if (method === undefined) return `"${did}" is not a DID (did:<method>:<identifier>)`;
  switch (method) {
    case "ethr":
      return /^did:ethr:(?:(?:0x[0-9a-fA-F]+|[a-z0-9]+):)?0x(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{66})$/.test(did)
        ? undefined
        : `"${did}" is not a well-formed did:ethr (did:ethr[:<network>]:<address or public key>)`;
    case "key": {
      const problem = didKeyProblem(did);
      return problem === undefined ? undefined : `"${did}" is not a well-formed did:key: ${problem}`;
    }
    case "jwk": {
      const read = didJwk(did);
      return "problem" in read ? `"${did}" is not a well-formed did:jwk: ${read.problem}` : undefined;
    }
    default:
      return `"${did}" uses did:${method}; a holder's DID must be did:ethr, did:key or did:jwk`;
  }
}

/** Resolves `did:jwk` identifiers (the did:jwk method specification): one key, `#0`, for every purpose. */
export const jwkResolver: DIDResolver = (did) => Promise.resolve(resolveJwk(did));

function resolveJwk(did: string): DIDResolutionResult {
  const read = didJwk(did);
  if ("problem" in read) {
    return {
      didResolutionMetadata: { error: "invalidDid", message: read.problem },
      didDocument: null,
      didDocumentMetadata: {},
    };
  }
  const id = `${did}#0`;
  const use = (read.jwk as { use?: string }).use;
  return {
    didResolutionMetadata: { contentType: "application/did+ld+json" },
    didDocument: {
      "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
      id: did,
      verificationMethod: [{ id, type: "JsonWebKey2020", controller: did, publicKeyJwk: read.jwk }],
      ...(use === "enc"
        ? {}
        : { assertionMethod: [id], authentication: [id], capabilityInvocation: [id], capabilityDelegation: [id] }),
      ...(use === "sig" ? {} : { keyAgreement: [id] }),
    },
    didDocumentMetadata: {},
  };
}

/**
 * A resolver for holders and issuers: `did:ethr` through `ethr` (the chain's resolver, see `ethrDidResolver`),
 * `did:key` and `did:jwk` offline.
 */
export function holderResolver(ethr: Resolvable): Resolver {
  return new Resolver({
    ...keyDidResolver(),
    jwk: jwkResolver,
    ethr: async (did, _parsed, _resolver, options) => ethr.resolve(did, options),
  });
}

/** The `did:key` of a secp256k1 private or public key (compressed, multicodec secp256k1-pub). */
export function secp256k1DidKey(key: string): string {
  const compressed = getBytes(SigningKey.computePublicKey(key, true));
  return `did:key:${base58btc.encode(new Uint8Array([0xe7, 0x01, ...compressed]))}`;
}

/** The `did:jwk` of a secp256k1 private or public key. */
export function secp256k1DidJwk(key: string): string {
  const point = getBytes(SigningKey.computePublicKey(key, false));
  const coordinate = (from: number): string => base64url(point.subarray(from, from + 32));
  const jwk = { crv: "secp256k1", kty: "EC", x: coordinate(1), y: coordinate(33) };
  return `did:jwk:${base64url(JSON.stringify(jwk))}`;
}

/** The holder DID of a secp256k1 key by method (`did:ethr` on `chainId`). */
export function holderDidOf(method: HolderDidMethod, privateKey: string, chainId: number | bigint): string {
  switch (method) {
    case "ethr":
      return ethrDid(chainId, computeAddress(privateKey));
    case "key":
      return secp256k1DidKey(privateKey);
    case "jwk":
      return secp256k1DidJwk(privateKey);
  }
}

/**
 * The verification method id a secp256k1 key signs with as `did` (the JWS `kid`), or a CCRError("KEY_MISMATCH")
 * naming both when the key is not the DID's: `did:ethr` of its address (`#controller`), its `did:key` or `did:jwk`.
 */
export function holderKeyId(did: string, privateKey: string): string {
  const address = ethrDidAddress(did);
  if (address !== undefined && address.toLowerCase() === computeAddress(privateKey).toLowerCase()) {
    return `${did}#controller`;
  }
  if (did === secp256k1DidKey(privateKey)) return `${did}#${did.slice("did:key:".length)}`;
  if (did === secp256k1DidJwk(privateKey)) return `${did}#0`;
  throw new CCRError(
    "KEY_MISMATCH",
    `the key of ${computeAddress(privateKey)} is not the key of the holder ${did}: present with the holder's own key`,
  );
}
