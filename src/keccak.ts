/**
 * keccak256 on Node: the `keccak` package's native binding (about seven times as fast as JavaScript over a
 * credential's JWS, which `issue`, `verify` and every Merkle proof hash many thousands of times). The browser's is
 * `keccakBrowser.ts` (the `browser` condition of the `#keccak` import).
 */
import createKeccakHash from "keccak";

/** keccak256 of `data`, as bytes. */
export function keccak(data: Uint8Array): Uint8Array {
  return createKeccakHash("keccak256")
    .update(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    .digest();
}
