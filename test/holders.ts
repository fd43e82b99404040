/** Holders for test rows: well-formed DIDs, with keys where a test presents. */
import { keccak256, toUtf8Bytes } from "ethers";
import { secp256k1DidKey } from "../src/holder.ts";

/** The private key of the test holder named `label` (a test key, derived from its name). */
export const holderKey = (label: string): string => keccak256(toUtf8Bytes(`ccr test holder ${label}`));

/** The did:key of the test holder `label`. */
export const holderDid = (label: string): string => secp256k1DidKey(holderKey(label));

/** A did:ethr for row `n` of a large run: well formed and cheap to make (no key behind it). */
export const rowDid = (n: number): string => `did:ethr:0x7a69:0x${n.toString(16).padStart(40, "0")}`;
