/**
 * The browser's signature checks (selected by the `browser` condition of the `#signature` import): did-jwt's
 * `verifyJWS` (noble's secp256k1) for every method, the public key behind an address-only method recovered from the
 * signature. Node's `signature.ts` checks the same signatures with libsecp256k1, faster for many credentials.
 */
import { verifyJWS } from "did-jwt";
import type { VerificationMethod } from "did-resolver";

export class SignatureChecker {
  /** Whether `jws` is signed by one of `methods`. */
  check(jws: string, methods: readonly VerificationMethod[]): boolean {
    try {
      verifyJWS(jws, [...methods]);
      return true;
    } catch {
      return false;
    }
  }

  /** `check` of every item; the answers in the items' order. */
  checkMany(items: readonly { jws: string; methods: readonly VerificationMethod[] }[]): Promise<boolean[]> {
    return Promise.resolve(items.map(({ jws, methods }) => this.check(jws, methods)));
  }
}
