/**
 * Signs vc+jwt credentials on worker threads, one per core: ES256K over each JWS signing input with node:crypto
 * (OpenSSL), the signature made low-S (as did-jwt's verifier, like every secp256k1 verifier of Ethereum's kind,
 * requires), and the credential's hash (keccak256 of the compact JWS, what is anchored) computed beside it. The JWS
 * is byte for byte the shape did-jwt's `createJWT` makes (see `signingInput`); only its signature's nonce differs
 * (OpenSSL's random one instead of RFC 6979's), which no verifier can tell.
 */
import { createPrivateKey } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { SigningKey, getBytes } from "ethers";

/** The worker: plain JavaScript (evaluated, so that the same code runs from the sources and from the built CLI). */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createPrivateKey, sign } = require("node:crypto");
const ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const key = createPrivateKey({ key: workerData.jwk, format: "jwk" });
import(workerData.ethers).then(({ keccak256 }) => {
  parentPort.on("message", ({ id, inputs }) => {
    const out = [];
    for (const input of inputs) {
      const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
      const s = BigInt("0x" + signature.subarray(32).toString("hex"));
      if (s > ORDER >> 1n) Buffer.from((ORDER - s).toString(16).padStart(64, "0"), "hex").copy(signature, 32);
      const jws = input + "." + signature.toString("base64url");
      out.push(jws, keccak256(Buffer.from(jws)));
    }
    parentPort.postMessage({ id, out });
  });
  parentPort.postMessage({ ready: true });
});
`;

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
    const publicKey = getBytes(new SigningKey(privateKey).publicKey);
    const part = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
    const jwk = {
      kty: "EC",
      crv: "secp256k1",
      d: part(getBytes(privateKey)),
      x: part(publicKey.subarray(1, 33)),
      y: part(publicKey.subarray(33)),
    };
    // The key is checked here, on this thread, so that a bad key fails the call rather than a worker.
    createPrivateKey({ key: jwk, format: "jwk" });
    const ethers = import.meta.resolve("ethers");
    this.#workers = Array.from({ length: Math.max(1, threads) }, () => {
      const worker = new Worker(WORKER, { eval: true, workerData: { jwk, ethers } });
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

  async close(): Promise<void> {
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }
}
