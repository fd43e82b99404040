import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { verifyJWS } from "did-jwt";
import type { VerificationMethod } from "did-resolver";
import { SigningKey, computeAddress, getBytes, hexlify } from "ethers";

/** The Ethereum address a verification method names (`blockchainAccountId` or `ethereumAddress`), lower-case. */
function methodAddress(method: VerificationMethod): string | undefined {
  const account = method.blockchainAccountId ?? (method as { ethereumAddress?: string }).ethereumAddress;
  return /(0x[0-9a-fA-F]{40})$/.exec(account ?? "")?.[1]?.toLowerCase();
}

function keyObject(uncompressed: string): KeyObject {
  const bytes = getBytes(uncompressed);
  const coordinate = (from: number): string => Buffer.from(bytes.slice(from, from + 32)).toString("base64url");
  return createPublicKey({ key: { kty: "EC", crv: "secp256k1", x: coordinate(1), y: coordinate(33) }, format: "jwk" });
}

/**
 * Checks ES256K JWS signatures against DID verification methods, as did-jwt's `verifyJWS` does, but fast for many
 * credentials of few issuers: the public key behind an address-only method (EcdsaSecp256k1RecoveryMethod2020) is
 * recovered once, then signatures are checked natively (node:crypto, OpenSSL). Anything else falls back to did-jwt.
 */
export class SignatureChecker {
  private readonly keys = new Map<string, KeyObject>();

  /** Whether `jws` is signed by one of `methods`. */
  check(jws: string, methods: readonly VerificationMethod[]): boolean {
    const [header, payload, signature] = jws.split(".");
    if (header === undefined || payload === undefined || signature === undefined) return false;
    const raw = Buffer.from(signature, "base64url");
    if (raw.length !== 64) return this.fallback(jws, methods);
    const input = Buffer.from(`${header}.${payload}`);
    const addresses = new Set(methods.map(methodAddress).filter((a) => a !== undefined));
    for (const address of addresses) {
      const key = this.keys.get(address);
      if (key !== undefined && verify("sha256", input, { key, dsaEncoding: "ieee-p1363" }, raw)) return true;
    }
    const digest = createHash("sha256").update(input).digest();
    const r = hexlify(raw.subarray(0, 32));
    const s = hexlify(raw.subarray(32));
    for (const v of [27, 28]) {
      let recovered: string;
      try {
        recovered = SigningKey.recoverPublicKey(digest, { r, s, v });
      } catch {
        continue;
      }
      const address = computeAddress(recovered).toLowerCase();
      if (!addresses.has(address)) continue;
      const key = keyObject(recovered);
      if (verify("sha256", input, { key, dsaEncoding: "ieee-p1363" }, raw)) {
        this.keys.set(address, key);
        return true;
      }
    }
    return this.fallback(jws, methods);
  }

  private fallback(jws: string, methods: readonly VerificationMethod[]): boolean {
    const others = methods.filter((m) => methodAddress(m) === undefined);
    if (others.length === 0) return false;
    try {
      verifyJWS(jws, others);
      return true;
    } catch {
      return false;
    }
  }
}
