import * as crypto from "node:crypto";
import { createHash, type KeyObject } from "node:crypto";
import { verifyJWS } from "did-jwt";
import type { VerificationMethod } from "did-resolver";
import secp256k1 from "secp256k1";
import { keccak } from "#keccak";
import { hex } from "../bytes.ts";
import { WorkerPool } from "../workerPool.ts";

/** The Ethereum address a verification method names (`blockchainAccountId` or `ethereumAddress`), lower-case. */
function methodAddress(method: VerificationMethod): string | undefined {
  const account = method.blockchainAccountId ?? (method as { ethereumAddress?: string }).ethereumAddress;
  return /(0x[0-9a-fA-F]{40})$/.exec(account ?? "")?.[1]?.toLowerCase();
}

/** What `addressSigned` works with, given to it (it has no free variables). */
interface Tools {
  secp256k1: typeof secp256k1;
  sha256: (text: string) => Uint8Array;
  /** The lower-case address of an uncompressed public key. */
  address: (publicKey: Uint8Array) => string;
}

/**
 * Whether the JWS signing input `input` carries `signature` (base64url) by the key of one of `addresses` (lower-case),
 * as did-jwt decides for address-only methods (high-S signatures included). `keys` caches the public key recovered
 * for each address. Written without free variables: it runs on this thread and, as text, on the workers.
 */
function addressSigned(
  tools: Tools,
  keys: Map<string, Uint8Array>,
  input: string,
  signature: string,
  addresses: readonly string[],
): boolean {
  const raw = Buffer.from(signature, "base64url");
  if (raw.length !== 64) return false;
  let normalized: Uint8Array;
  try {
    normalized = tools.secp256k1.signatureNormalize(Uint8Array.from(raw));
  } catch {
    return false; // r or s out of range: no key verifies it
  }
  const digest = tools.sha256(input);
  for (const address of addresses) {
    const key = keys.get(address);
    if (key !== undefined && tools.secp256k1.ecdsaVerify(normalized, digest, key)) return true;
  }
  for (const recovery of [0, 1]) {
    let recovered: Uint8Array;
    try {
      recovered = tools.secp256k1.ecdsaRecover(normalized, recovery, digest, false);
    } catch {
      continue;
    }
    const address = tools.address(recovered);
    if (!addresses.includes(address) || !tools.secp256k1.ecdsaVerify(normalized, digest, recovered)) continue;
    keys.set(address, recovered);
    return true;
  }
  return false;
}

/**
 * Whether the JWS signing input `input` carries the ES256 `signature` (base64url, r || s) of one of the P-256 public
 * keys `publicKeys` (uncompressed, hex without 0x). `keys` caches Node's key object of each. Written without free
 * variables, like `addressSigned`.
 */
function p256Signed(
  crypto: typeof import("node:crypto"),
  keys: Map<string, import("node:crypto").KeyObject>,
  input: string,
  signature: string,
  publicKeys: readonly string[],
): boolean {
  const raw = Buffer.from(signature, "base64url");
  if (raw.length !== 64) return false;
  for (const hex of publicKeys) {
    let key = keys.get(hex);
    if (key === undefined) {
      const point = Buffer.from(hex, "hex");
      const jwk = {
        kty: "EC",
        crv: "P-256",
        x: point.subarray(1, 33).toString("base64url"),
        y: point.subarray(33).toString("base64url"),
      };
      try {
        key = crypto.createPublicKey({ key: jwk, format: "jwk" });
      } catch {
        continue; // not a point on the curve: it verifies nothing
      }
      keys.set(hex, key);
    }
    if (crypto.verify("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }, raw)) return true;
  }
  return false;
}

const TOOLS: Tools = {
  secp256k1,
  sha256: (text) => createHash("sha256").update(text).digest(),
  address: (publicKey) => `0x${hex(keccak(publicKey.subarray(1))).slice(-40)}`,
};

/** The workers' tools and handler: `addressSigned` (ES256K) or `p256Signed` (ES256) over a job. */
const SETUP = `
const crypto = require("node:crypto");
const createKeccakHash = load("keccak");
const tools = {
  secp256k1: load("secp256k1"),
  sha256: (text) => crypto.createHash("sha256").update(text).digest(),
  address: (publicKey) => "0x" + createKeccakHash("keccak256").update(Buffer.from(publicKey.subarray(1))).digest("hex").slice(-40),
};
const keys = new Map();
const p256Keys = new Map();
const addressSigned = ${addressSigned.toString()};
const p256Signed = ${p256Signed.toString()};
`;
const HANDLE = `([alg, input, signature, keys_]) => alg === "ES256"
  ? p256Signed(crypto, p256Keys, input, signature, keys_)
  : addressSigned(tools, keys, input, signature, keys_)`;

/** What the workers check of a compact JWS: its algorithm, signing input, signature, and the keys to try. */
type Job = ["ES256K" | "ES256", string, string, string[]];

/** The uncompressed P-256 public key (hex, no 0x) of a verification method, when it has one. */
function p256Key(method: VerificationMethod): string | undefined {
  const publicKeyHex = (method as { publicKeyHex?: string }).publicKeyHex;
  if (publicKeyHex !== undefined) {
    const key = publicKeyHex.replace(/^0x/, "").toLowerCase();
    return /^04[0-9a-f]{128}$/.test(key) ? key : undefined;
  }
  const jwk = method.publicKeyJwk;
  if (jwk?.crv !== "P-256" || jwk.x === undefined || jwk.y === undefined) return undefined;
  return `04${Buffer.from(jwk.x, "base64url").toString("hex")}${Buffer.from(jwk.y, "base64url").toString("hex")}`;
}

/**
 * What the fast checks need of a compact JWS signed with ES256K (the addresses of `methods`) or ES256 (their P-256
 * keys); undefined when it is not three parts, or has another algorithm (did-jwt checks those).
 */
function jobOf(jws: string, methods: readonly VerificationMethod[]): Job | undefined {
  const [header, payload, signature] = jws.split(".");
  if (header === undefined || payload === undefined || signature === undefined) return undefined;
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: unknown }).alg;
  } catch {
    return undefined;
  }
  const input = `${header}.${payload}`;
  if (alg === "ES256")
    return ["ES256", input, signature, [...new Set(methods.map(p256Key).filter((k) => k !== undefined))]];
  if (alg !== "ES256K") return undefined;
  return ["ES256K", input, signature, [...new Set(methods.map(methodAddress).filter((a) => a !== undefined))]];
}

/**
 * Whether did-jwt is asked when the fast check says no: for ES256K (public keys given otherwise than as an address),
 * and for ES256 when no method's key could be read as a P-256 point here (a multibase key, say).
 */
function fallsBack([alg, , , keys]: Job): boolean {
  return alg === "ES256K" || keys.length === 0;
}

/** Below this many signatures, checking them here costs less than starting the workers. */
const POOL_FROM = 256;
let pool: WorkerPool<Job, boolean> | undefined;

/**
 * Checks ES256K and ES256 JWS signatures against DID verification methods, as did-jwt's `verifyJWS` does (high-S
 * signatures included, as it takes them), but fast for many credentials of few issuers: the public key behind an
 * address-only method (EcdsaSecp256k1RecoveryMethod2020) is recovered once, then signatures are checked with
 * libsecp256k1 (the `secp256k1` package's native binding), P-256 ones with Node's crypto; many at once (`checkMany`)
 * on worker threads, one per core. The header's `alg` decides which keys may have signed; anything else falls back
 * to did-jwt.
 */
export class SignatureChecker {
  /** Address -> the public key recovered for it (65 bytes, uncompressed). */
  private readonly keys = new Map<string, Uint8Array>();
  /** P-256 public key (hex) -> Node's key object of it. */
  private readonly p256Keys = new Map<string, KeyObject>();

  /** Whether `jws` is signed by one of `methods`. */
  check(jws: string, methods: readonly VerificationMethod[]): boolean {
    const job = jobOf(jws, methods);
    if (job === undefined) return this.fallback(jws, methods);
    return this.signed(job) || (fallsBack(job) && this.fallback(jws, methods));
  }

  /** `check` of every item, on worker threads when there are many; the answers in the items' order. */
  async checkMany(items: readonly { jws: string; methods: readonly VerificationMethod[] }[]): Promise<boolean[]> {
    if (items.length < POOL_FROM) return items.map(({ jws, methods }) => this.check(jws, methods));
    // Unreferenced workers, kept for the process's later calls; each is loaded before it is given work, so that an
    // exit never stops one in the middle of loading its native modules.
    pool ??= new WorkerPool(SETUP, HANDLE, { unref: true });
    const jobs = items.map(({ jws, methods }) => jobOf(jws, methods));
    const signed = await pool.map(jobs.map((job): Job => job ?? ["ES256K", "", "", []]));
    return items.map(({ jws, methods }, i) => {
      const job = jobs[i];
      if (job === undefined) return this.fallback(jws, methods);
      return signed[i] === true || (fallsBack(job) && this.fallback(jws, methods));
    });
  }

  private signed([alg, input, signature, keys]: Job): boolean {
    return alg === "ES256"
      ? p256Signed(crypto, this.p256Keys, input, signature, keys)
      : addressSigned(TOOLS, this.keys, input, signature, keys);
  }

  /** did-jwt's check, with the methods that are not addresses (it takes the algorithm from the header). */
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
