import { keccak } from "#keccak";
import { fromWord, hex } from "./bytes.ts";
import { CCRError } from "./errors.ts";

/** The leaf encoding of a batch: (credential hash, index), as `BatchLeaf.sol` hashes it. */
export const LEAF_ENCODING = ["bytes32", "uint256"] as const;

/**
 * A Merkle batch of credential hashes: OpenZeppelin's StandardMerkleTree of `(bytes32 hash, uint256 index)` leaves,
 * node for node (leaves sorted by hash, pairs hashed sorted, the tree laid out in one array, leaves at its end), which
 * `MerkleProof.verify` and `BatchLeaf.sol` check on-chain. It is computed here over bytes with native keccak rather
 * than through the library, whose ABI encoder and hex checks cost half a millisecond per member: the tests compare
 * every root and proof with the library's.
 */
export interface Batch {
  readonly root: string;
  readonly size: number;
  /** The proof of member `index`. */
  proof(index: number): string[];
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The leaf of member `index` whose credential hash is `hash`: keccak256(keccak256(abi.encode(hash, index))). */
function leafOf(hash: Uint8Array, index: number): Uint8Array {
  const encoded = new Uint8Array(64);
  encoded.set(hash, 0);
  for (let i = 63, rest = index; rest > 0; i--, rest = Math.floor(rest / 256)) encoded[i] = rest % 256;
  return keccak(keccak(encoded));
}

/** A node: keccak256 of its two children, the smaller first. */
function nodeOf(a: Uint8Array, b: Uint8Array): Uint8Array {
  const pair = new Uint8Array(64);
  const aFirst = compare(a, b) <= 0;
  pair.set(aFirst ? a : b, 0);
  pair.set(aFirst ? b : a, 32);
  return keccak(pair);
}

/** Builds the batch of `hashes`; member i is `hashes[i]`. */
export function buildBatch(hashes: readonly string[]): Batch {
  if (hashes.length === 0) throw new CCRError("EMPTY_BATCH", "a batch needs at least one credential");
  const leaves = hashes.map((hash, index) => {
    const bytes = fromWord(hash);
    if (bytes === undefined) {
      throw new CCRError("INVALID_ARGUMENT", `member ${index} of the batch is not a 32-byte hex hash: ${hash}`);
    }
    return { index, leaf: leafOf(bytes, index) };
  });
  leaves.sort((a, b) => compare(a.leaf, b.leaf));
  const tree = new Array<Uint8Array>(2 * leaves.length - 1);
  // Member index -> its node in the tree.
  const position = new Array<number>(hashes.length);
  leaves.forEach(({ index, leaf }, k) => {
    tree[tree.length - 1 - k] = leaf;
    position[index] = tree.length - 1 - k;
  });
  for (let i = tree.length - 1 - leaves.length; i >= 0; i--) {
    tree[i] = nodeOf(tree[2 * i + 1], tree[2 * i + 2]);
  }
  return {
    root: hex(tree[0]),
    size: hashes.length,
    proof(index: number): string[] {
      let node = position[index];
      if (node === undefined) {
        throw new CCRError("INVALID_MEMBER_INDEX", `member ${index} is not in this batch of ${hashes.length}`);
      }
      const proof: string[] = [];
      for (; node > 0; node = (node - 1) >> 1) proof.push(hex(tree[node % 2 === 1 ? node + 1 : node - 1]));
      return proof;
    },
  };
}

/**
 * Whether `proof` leads from member `index` (credential `hash`) to the batch `root`, as `MerkleProof.verify` on-chain
 * decides. False for anything malformed (a value that is not 32 bytes of hex).
 */
export function provesMember(root: string, hash: string, index: number, proof: readonly string[]): boolean {
  const rootBytes = fromWord(root);
  const hashBytes = fromWord(hash);
  if (rootBytes === undefined || hashBytes === undefined || !Number.isSafeInteger(index) || index < 0) return false;
  let node = leafOf(hashBytes, index);
  for (const sibling of proof) {
    const bytes = typeof sibling === "string" ? fromWord(sibling) : undefined;
    if (bytes === undefined) return false;
    node = nodeOf(node, bytes);
  }
  return compare(node, rootBytes) === 0;
}

/** A set of batch members as the registry takes it: bit b of `bits` is member `word * 256 + b`. */
export interface MemberSet {
  word: bigint;
  bits: bigint;
}

/** Member indexes -> member sets, one per word of 256 members, in ascending word order. */
export function memberSets(indexes: readonly number[]): MemberSet[] {
  const words = new Map<bigint, bigint>();
  for (const index of indexes) {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new CCRError("INVALID_MEMBER_INDEX", `member index ${index} is not a non-negative integer`);
    }
    const word = BigInt(index >> 8);
    words.set(word, (words.get(word) ?? 0n) | (1n << BigInt(index & 0xff)));
  }
  return [...words.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([word, bits]) => ({ word, bits }));
}
