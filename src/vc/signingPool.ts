/**
 * Signs vc+jwt credentials on worker threads, one per core: ES256K over each JWS signing input with libsecp256k1 (the
 * `secp256k1` package's native binding: RFC 6979 nonces and low-S signatures, as did-jwt's `ES256KSigner` makes
 * them), or ES256 with Node's crypto (OpenSSL), and the credential's hash (keccak256 of the compact JWS, what is
 * anchored) computed beside it with the `keccak` package's. An ES256K JWS is byte for byte the one did-jwt's
 * `createJWT` makes (see `signingInput`).
 */
import { createHash } from "node:crypto";
import { getBytes } from "ethers";
import secp256k1 from "secp256k1";
import { WorkerPool } from "../workerPool.ts";
import { es256Signer, p256PrivateJwk, type SigningAlg } from "./jwsAlg.ts";

/** The workers' signers, by algorithm: each defines `signature(input)` (base64url) and the keccak hasher. */
const SETUP: Record<SigningAlg, string> = {
  ES256K: `
const { createHash } = require("node:crypto");
const secp256k1 = load("secp256k1");
const createKeccakHash = load("keccak");
const key = Uint8Array.from(workerData.key);
const signature = (input) =>
  Buffer.from(secp256k1.ecdsaSign(createHash("sha256").update(input).digest(), key).signature).toString("base64url");
`,
  ES256: `
const { createPrivateKey, sign } = require("node:crypto");
const createKeccakHash = load("keccak");
const key = createPrivateKey({ key: workerData.jwk, format: "jwk" });
const signature = (input) =>
  sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }).toString("base64url");
`,
};
/** The workers' handler: sign one signing input, hash the JWS. */
const SIGN = `(input) => {
  const jws = input + "." + signature(input);
  return [jws, "0x" + createKeccakHash("keccak256").update(jws).digest("hex")];
}`;

/**
 * An ES256K signer on this thread with libsecp256k1: the base64url signature of a JWS signing input, byte for byte
 * what did-jwt's `ES256KSigner` gives (RFC 6979 nonces, low-S), many times as fast.
 */
export function es256kSigner(privateKey: string): (data: string) => string {
  const key = getBytes(privateKey);
  return (data) =>
    Buffer.from(secp256k1.ecdsaSign(createHash("sha256").update(data).digest(), key).signature).toString("base64url");
}

/** The signer of JWS signing inputs with `alg` on this thread (see `es256kSigner` and `es256Signer`). */
export function jwsSigner(alg: SigningAlg, privateKey: string): (data: string) => string {
  return alg === "ES256" ? es256Signer(privateKey) : es256kSigner(privateKey);
}

/** A signed credential: its compact JWS and its hash. */
export interface Signed {
  jws: string;
  hash: string;
}

/** The JWS signing input did-jwt's `createJWT` makes: the header as given, the payload `{iat, ...credential, iss}`. */
export function signingInput(header: Record<string, string>, credential: { issuer: string }, iat: number): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode(header)}.${encode({ iat, ...credential, iss: credential.issuer })}`;
}

export class SigningPool {
  readonly #pool: WorkerPool<string, [string, string]>;

  /** Starts `threads` workers (default: one per core) holding `privateKey`, signing with `alg` (default ES256K). */
  constructor(privateKey: string, threads?: number, alg: SigningAlg = "ES256K") {
    const key = getBytes(privateKey);
    // The key is checked here, on this thread, so that a bad key fails the call rather than a worker.
    if (alg === "ES256K" && (key.length !== 32 || !secp256k1.privateKeyVerify(key))) {
      throw new Error("the signing key is not a secp256k1 private key");
    }
    const data = alg === "ES256" ? { jwk: p256PrivateJwk(privateKey) } : { key };
    this.#pool = new WorkerPool(SETUP[alg], SIGN, { data, ...(threads === undefined ? {} : { threads }) });
  }

  /** Signs every input (see `signingInput`), spread over the workers in slices; the results in the inputs' order. */
  async sign(inputs: readonly string[]): Promise<Signed[]> {
    return (await this.#pool.map(inputs)).map(([jws, hash]) => ({ jws, hash }));
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
