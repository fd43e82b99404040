import { createHash } from "node:crypto";
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

const TOOLS: Tools = {
  secp256k1,
  sha256: (text) => createHash("sha256").update(text).digest(),
  address: (publicKey) => `0x${hex(keccak(publicKey.subarray(1))).slice(-40)}`,
};

/** The workers' tools and handler: `addressSigned` over `[input, signature, addresses]`. */
const SETUP = `
const { createHash } = require("node:crypto");
const createKeccakHash = load("keccak");
const tools = {
  secp256k1: load("secp256k1"),
  sha256: (text) => createHash("sha256").update(text).digest(),
  address: (publicKey) => "0x" + createKeccakHash("keccak256").update(Buffer.from(publicKey.subarray(1))).digest("hex").slice(-40),
};
const keys = new Map();
const addressSigned = ${addressSigned.toString()};
`;
const HANDLE = `([input, signature, addresses]) => addressSigned(tools, keys, input, signature, addresses)`;

/**
 * What `addressSigned` checks of a compact JWS: its signing input, its signature and the addresses of `methods`;
 * undefined when it is not three parts.
 */
function addressJob(jws: string, methods: readonly VerificationMethod[]): [string, string, string[]] | undefined {
  const [header, payload, signature] = jws.split(".");
  if (header === undefined || payload === undefined || signature === undefined) return undefined;
  return [`${header}.${payload}`, signature, [...new Set(methods.map(methodAddress).filter((a) => a !== undefined))]];
}

/** Below this many signatures, checking them here costs less than starting the workers. */
const POOL_FROM = 256;
let pool: WorkerPool<[string, string, string[]], boolean> | undefined;

/**
 * Checks ES256K JWS signatures against DID verification methods, as did-jwt's `verifyJWS` does (high-S signatures
 * included, as it takes them), but fast for many credentials of few issuers: the public key behind an address-only
 * method (EcdsaSecp256k1RecoveryMethod2020) is recovered once, then signatures are checked with libsecp256k1 (the
 * `secp256k1` package's native binding); many at once (`checkMany`) on worker threads, one per core. Anything else
 * falls back to did-jwt.
 */
export class SignatureChecker {
  /** Address -> the public key recovered for it (65 bytes, uncompressed). */
  private readonly keys = new Map<string, Uint8Array>();

  /** Whether `jws` is signed by one of `methods`. */
  check(jws: string, methods: readonly VerificationMethod[]): boolean {
    const job = addressJob(jws, methods);
    if (job === undefined) return false;
    return addressSigned(TOOLS, this.keys, ...job) || this.fallback(jws, methods);
  }

  /** `check` of every item, on worker threads when there are many; the answers in the items' order. */
  async checkMany(items: readonly { jws: string; methods: readonly VerificationMethod[] }[]): Promise<boolean[]> {
    if (items.length < POOL_FROM) return items.map(({ jws, methods }) => this.check(jws, methods));
    // Unreferenced workers, kept for the process's later calls; each is loaded before it is given work, so that an
    // exit never stops one in the middle of loading its native modules.
    pool ??= new WorkerPool(SETUP, HANDLE, { unref: true });
    const jobs = items.map(({ jws, methods }) => addressJob(jws, methods));
    const signed = await pool.map(jobs.map((job): [string, string, string[]] => job ?? ["", "", []]));
    return items.map(
      ({ jws, methods }, i) => jobs[i] !== undefined && (signed[i] === true || this.fallback(jws, methods)),
    );
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
