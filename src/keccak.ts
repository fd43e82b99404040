/**
 * keccak256 on Node: the native sponge of the `keccak` package (libkeccak, about three times as fast as JavaScript on
 * a Merkle node and six times on a credential's JWS, which `issue`, `verify` and every Merkle proof hash many
 * thousands of times). One sponge is reused, without the package's stream wrapper, which costs more than the hash on
 * 64 bytes (and whose stream library takes 25 ms to load); where the native add-on cannot load, ethers' JavaScript
 * keccak256 serves. The browser's is `keccakBrowser.ts` (the `browser` condition of the `#keccak` import).
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { getBytes, keccak256 } from "ethers";

interface Sponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  squeeze(length: number): Buffer;
}

function nativeSponge(): Sponge | undefined {
  try {
    const require = createRequire(import.meta.url);
    const load = require("node-gyp-build") as (dir: string) => unknown;
    const Native = load(dirname(require.resolve("keccak/package.json")));
    return typeof Native === "function" ? new (Native as new () => Sponge)() : undefined;
  } catch {
    return undefined;
  }
}

const sponge = nativeSponge();

/** keccak256 of `data`, as bytes. */
export function keccak(data: Uint8Array): Uint8Array {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (sponge === undefined) return getBytes(keccak256(bytes));
  // keccak256: rate 1088 bits, capacity 512.
  sponge.initialize(1088, 512);
  sponge.absorb(bytes);
  return sponge.squeeze(32);
}
