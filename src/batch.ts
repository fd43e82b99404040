import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { CCRError } from "./errors.ts";

/** The leaf encoding of a batch: (credential hash, index), as `BatchLeaf.sol` hashes it. */
export const LEAF_ENCODING = ["bytes32", "uint256"] as const;

/** A Merkle batch of credential hashes, built with OpenZeppelin's StandardMerkleTree unchanged. */
export interface Batch {
  readonly root: string;
  readonly size: number;
  readonly tree: StandardMerkleTree<[string, bigint]>;
  /** The proof of member `index`. */
  proof(index: number): string[];
}

/** Builds the batch of `hashes`; member i is `hashes[i]`. */
export function buildBatch(hashes: readonly string[]): Batch {
  if (hashes.length === 0) throw new CCRError("EMPTY_BATCH", "a batch needs at least one credential");
  const tree = StandardMerkleTree.of(
    hashes.map((hash, index): [string, bigint] => [hash, BigInt(index)]),
    [...LEAF_ENCODING],
  );
  // StandardMerkleTree sorts leaves; find each value's position in the tree once.
  const position = new Map<number, number>();
  for (const [treeIndex, [, index]] of tree.entries()) position.set(Number(index), treeIndex);
  return {
    root: tree.root,
    size: hashes.length,
    tree,
    proof(index: number): string[] {
      const treeIndex = position.get(index);
      if (treeIndex === undefined) {
        throw new CCRError("INVALID_MEMBER_INDEX", `member ${index} is not in this batch of ${hashes.length}`);
      }
      return tree.getProof(treeIndex);
    },
  };
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
