/**
 * Signs vc+jwt credentials on worker threads, one per core: ES256K over each JWS signing input with libsecp256k1 (the
 * `secp256k1` package's native binding: RFC 6979 nonces and low-S signatures, as did-jwt's `ES256KSigner` makes
 * them), and the credential's hash (keccak256 of the compact JWS, what is anchored) computed beside it with the
 * `keccak` package's. The JWS is byte for byte the one did-jwt's `createJWT` makes (see `signingInput`).
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { getBytes } from "ethers";
import secp256k1 from "secp256k1";

/** The worker: plain JavaScript (evaluated, so that the same code runs from the sources and from the built CLI). */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const load = require("node:module").createRequire(workerData.from);
const secp256k1 = load("secp256k1");
const createKeccakHash = load("keccak");
const key = Uint8Array.from(workerData.key);
parentPort.on("message", ({ id, inputs }) => {
  const out = [];
  for (const input of inputs) {
    const { signature } = secp256k1.ecdsaSign(createHash("sha256").update(input).digest(), key);
    const jws = input + "." + Buffer.from(signature).toString("base64url");
    out.push(jws, "0x" + createKeccakHash("keccak256").update(jws).digest("hex"));
  }
  parentPort.postMessage({ id, out });
});
parentPort.postMessage({ ready: true });
`;

/**
 * An ES256K signer on this thread with libsecp256k1: the base64url signature of a JWS signing input, byte for byte
 * what did-jwt's `ES256KSigner` gives (RFC 6979 nonces, low-S), many times as fast.
 */
export function es256kSigner(privateKey: string): (data: string) => string {
  const key = getBytes(privateKey);
  return (data) =>
    Buffer.from(secp256k1.ecdsaSign(createHash("sha256").update(data).digest(), key).signature).toString("base64url");
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
  readonly #workers: { worker: Worker; ready: Promise<void> }[];
  readonly #waiting = new Map<number, { resolve: (out: string[]) => void; reject: (error: Error) => void }>();
  #next = 0;
  #turn = 0;

  /** Starts `threads` workers (default: one per core) holding `privateKey`. */
  constructor(privateKey: string, threads = availableParallelism()) {
    const key = getBytes(privateKey);
    // The key is checked here, on this thread, so that a bad key fails the call rather than a worker.
    if (key.length !== 32 || !secp256k1.privateKeyVerify(key)) {
      throw new Error("the signing key is not a secp256k1 private key");
    }
    this.#workers = Array.from({ length: Math.max(1, threads) }, () => {
      const worker = new Worker(WORKER, { eval: true, workerData: { key, from: import.meta.url } });
      const ready = new Promise<void>((resolve, reject) => {
        worker.once("error", reject);
        worker.on("message", (message: { ready?: true; id?: number; out?: string[] }) => {
          if (message.ready === true) return resolve();
          const waiting = this.#waiting.get(message.id ?? -1);
          this.#waiting.delete(message.id ?? -1);
          waiting?.resolve(message.out ?? []);
        });
      });
      worker.on("error", (error) => {
        for (const waiting of this.#waiting.values()) waiting.reject(error);
        this.#waiting.clear();
      });
      return { worker, ready };
    });
  }

  /** Signs every input (see `signingInput`), spread over the workers in slices; the results in the inputs' order. */
  async sign(inputs: readonly string[]): Promise<Signed[]> {
    const slice = Math.max(1, Math.ceil(inputs.length / (this.#workers.length * 4)));
    const parts: Promise<string[]>[] = [];
    for (let start = 0; start < inputs.length; start += slice) {
      parts.push(this.#send(inputs.slice(start, start + slice)));
    }
    const signed: Signed[] = [];
    for (const out of await Promise.all(parts)) {
      for (let i = 0; i < out.length; i += 2) signed.push({ jws: out[i] ?? "", hash: out[i + 1] ?? "" });
    }
    return signed;
  }

  async #send(inputs: string[]): Promise<string[]> {
    const target = this.#workers[this.#turn++ % this.#workers.length];
    if (target === undefined) throw new Error("the signing pool has no worker");
    await target.ready;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      target.worker.postMessage({ id, inputs });
    });
  }

  /**
   * Stops the workers, each once it has loaded its native modules: a worker terminated while it loads one aborts the
   * whole process (seen about once in 200 short runs).
   */
  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(async ({ worker, ready }) => {
        await ready.catch(() => undefined);
        await worker.terminate();
      }),
    );
  }
}
