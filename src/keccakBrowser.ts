/** keccak256 in the browser (the `browser` condition of the `#keccak` import): ethers' JavaScript one. */
import { getBytes, keccak256 } from "ethers";

/** keccak256 of `data`, as bytes. */
export function keccak(data: Uint8Array): Uint8Array {
  return getBytes(keccak256(data));
}
