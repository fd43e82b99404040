/**
 * The JOSE callbacks the OpenID4VC libraries ask of their user, with Node's crypto: verifying a wallet's proof JWT
 * against its public JWK (ES256, ES256K, EdDSA: the curves CCR resolves holders of), hashing, randomness. The service
 * never signs a JWT through them: credentials are signed by the issuance stages (`../vc/issuance`).
 */
import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey, type KeyObject } from "node:crypto";
import type { CallbackContext, Jwk } from "@openid4vc/oauth2";
import { base64url, fromBase64url } from "../bytes.ts";

/** The proof algorithms accepted, each with its key type and curve. */
export const PROOF_ALGORITHMS: Record<string, { kty: string; crv: string; hash: string | null }> = {
  ES256: { kty: "EC", crv: "P-256", hash: "sha256" },
  ES256K: { kty: "EC", crv: "secp256k1", hash: "sha256" },
  EdDSA: { kty: "OKP", crv: "Ed25519", hash: null },
};

/** Why `jwk` cannot sign with `alg`, or undefined when it can. */
export function keyProblem(alg: string, jwk: Jwk): string | undefined {
  const expected = PROOF_ALGORITHMS[alg];
  if (expected === undefined) {
    return `the algorithm ${alg} is not accepted (accepted: ${Object.keys(PROOF_ALGORITHMS).join(", ")})`;
  }
  if (jwk.kty !== expected.kty || jwk.crv !== expected.crv) {
    return `a ${alg} proof needs a ${expected.kty} ${expected.crv} key, not ${jwk.kty} ${String(jwk.crv)}`;
  }
  if ("d" in jwk && jwk.d !== undefined) return "the proof's JWK holds a private key (d): never send it";
  return undefined;
}

/** Public keys as Node's key objects, the last few hundred used (an attester's key verifies a whole fleet). */
const keyObjects = new Map<string, KeyObject>();

function keyObject(jwk: Jwk): KeyObject {
  const id = `${jwk.crv}:${jwk.x}:${jwk.y}`;
  let key = keyObjects.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: publicJwk(jwk) as JsonWebKey, format: "jwk" });
    if (keyObjects.size >= 512) keyObjects.delete(keyObjects.keys().next().value ?? "");
    keyObjects.set(id, key);
  }
  return key;
}

/**
 * Whether `compact`'s signature is `jwk`'s over its first two parts, with `alg`. Checked on libuv's thread pool
 * (Node's `verify` with a callback), so that a service's event loop goes on serving while the signatures of many
 * requests are checked on other cores.
 */
export async function verifiesWith(compact: string, alg: string, jwk: Jwk): Promise<boolean> {
  const algorithm = PROOF_ALGORITHMS[alg];
  if (algorithm === undefined || keyProblem(alg, jwk) !== undefined) return false;
  const [header, payload, signature] = compact.split(".");
  if (header === undefined || payload === undefined || signature === undefined) return false;
  let key: KeyObject;
  try {
    key = keyObject(jwk);
  } catch {
    return false;
  }
  return new Promise((resolve) => {
    try {
      verify(
        algorithm.hash,
        Buffer.from(`${header}.${payload}`),
        { key, dsaEncoding: "ieee-p1363" },
        fromBase64url(signature),
        (error, verified) => resolve(error === null && verified),
      );
    } catch {
      resolve(false); // what Node refuses before checking (a malformed signature): no key signed it
    }
  });
}

/** The public part of `jwk` (no private or extra members), as a holder's key is written into a credential. */
export function publicJwk(jwk: Jwk): Jwk {
  const { kty, crv, x, y } = jwk;
  return {
    kty,
    ...(crv === undefined ? {} : { crv }),
    ...(x === undefined ? {} : { x }),
    ...(y === undefined ? {} : { y }),
  };
}

/**
 * The `did:jwk` of a public key: how a wallet's proven key names its holder in a credential. Its members in
 * lexicographic order (as RFC 7638 orders them), the form `ccr present` derives from the same key.
 */
export function didJwkOf(jwk: Jwk): string {
  const key = publicJwk(jwk) as Record<string, unknown>;
  const ordered = Object.fromEntries(
    Object.keys(key)
      .sort()
      .map((name) => [name, key[name]]),
  );
  return `did:jwk:${base64url(JSON.stringify(ordered))}`;
}

/** The RFC 7638 thumbprint of a public key (base64url of SHA-256 over its required members in order). */
export function jwkThumbprint(jwk: Jwk): string {
  const required =
    jwk.kty === "OKP" ? ["crv", "kty", "x"] : jwk.kty === "EC" ? ["crv", "kty", "x", "y"] : ["e", "kty", "n"];
  const members = Object.fromEntries(required.map((name) => [name, (jwk as Record<string, unknown>)[name]]));
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

/** The callbacks of `@openid4vc/*` that an issuer uses: verifying JWTs signed by a JWK, hashing, randomness. */
export const issuerCallbacks: Omit<CallbackContext, "decryptJwe" | "encryptJwe" | "signJwt" | "clientAuthentication"> =
  {
    hash: (data, alg) => createHash(alg.replace("-", "").toLowerCase()).update(data).digest(),
    generateRandom: (bytes) => randomBytes(bytes),
    verifyJwt: async (signer, { header, compact }) => {
      const jwk = signer.method === "jwk" ? signer.publicJwk : undefined;
      if (jwk === undefined) return { verified: false };
      return (await verifiesWith(compact, String(header.alg), jwk))
        ? { verified: true, signerJwk: jwk }
        : { verified: false };
    },
  };

/** The callbacks the service never uses (it signs no JWT and authenticates no client through `@openid4vc`). */
export function unsupported(): never {
  throw new Error("the issuer service signs no JWT and authenticates no client through @openid4vc");
}
