import { createHash } from "node:crypto";
import { verifyJWS } from "did-jwt";
import type { VerificationMethod } from "did-resolver";
import { computeAddress } from "ethers";
import secp256k1 from "secp256k1";
import { hex } from "../bytes.ts";

/** The Ethereum address a verification method names (`blockchainAccountId` or `ethereumAddress`), lower-case. */
function methodAddress(method: VerificationMethod): string | undefined {
  const account = method.blockchainAccountId ?? (method as { ethereumAddress?: string }).ethereumAddress;
  return /(0x[0-9a-fA-F]{40})$/.exec(account ?? "")?.[1]?.toLowerCase();
}

/**
 * Checks ES256K JWS signatures against DID verification methods, as did-jwt's `verifyJWS` does (high-S signatures
 * included, as it takes them), but fast for many credentials of few issuers: the public key behind an address-only
 * method (EcdsaSecp256k1RecoveryMethod2020) is recovered once, then signatures are checked with libsecp256k1 (the
 * `secp256k1` package's native binding). Anything else falls back to did-jwt.
 */
export class SignatureChecker {
  /** Address -> the public key recovered for it (65 bytes, uncompressed). */
  private readonly keys = new Map<string, Uint8Array>();

  /** Whether `jws` is signed by one of `methods`. */
  check(jws: string, methods: readonly VerificationMethod[]): boolean {
    const [header, payload, signature] = jws.split(".");
    if (header === undefined || payload === undefined || signature === undefined) return false;
    const raw = Buffer.from(signature, "base64url");
    if (raw.length !== 64) return this.fallback(jws, methods);
    let normalized: Uint8Array;
    try {
      normalized = secp256k1.signatureNormalize(Uint8Array.from(raw));
    } catch {
      return this.fallback(jws, methods); // r or s out of range: no key verifies it
    }
    const digest = createHash("sha256").update(`${header}.${payload}`).digest();
    const addresses = new Set(methods.map(methodAddress).filter((a) => a !== undefined));
    for (const address of addresses) {
      const key = this.keys.get(address);
      if (key !== undefined && secp256k1.ecdsaVerify(normalized, digest, key)) return true;
    }
    for (const recovery of [0, 1]) {
      let recovered: Uint8Array;
      try {
        recovered = secp256k1.ecdsaRecover(normalized, recovery, digest, false);
      } catch {
        continue;
      }
      const address = computeAddress(hex(recovered)).toLowerCase();
      if (!addresses.has(address) || !secp256k1.ecdsaVerify(normalized, digest, recovered)) continue;
      this.keys.set(address, recovered);
      return true;
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
