import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getBytes, hexlify, keccak256, randomBytes } from "ethers";
import { LEAF_ENCODING, buildBatch, provesMember } from "../src/batch.ts";
import { fromHex, fromWord } from "../src/bytes.ts";
import { CCRError } from "../src/errors.ts";

const hashes = (count: number): string[] => Array.from({ length: count }, () => hexlify(randomBytes(32)));

/** OpenZeppelin's own tree of the same members, as `BatchLeaf.sol` and `MerkleProof.verify` expect it. */
function library(members: readonly string[]): StandardMerkleTree<[string, bigint]> {
  return StandardMerkleTree.of(
    members.map((hash, index): [string, bigint] => [hash, BigInt(index)]),
    [...LEAF_ENCODING],
  );
}

function thrown(action: () => unknown): CCRError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(CCRError);
    return error as CCRError;
  }
  throw new Error("expected an error");
}

describe("Merkle batches (src/batch.ts)", function () {
  it("builds OpenZeppelin's StandardMerkleTree node for node: the same root and every member's same proof", function () {
    for (const size of [1, 2, 3, 4, 5, 7, 8, 9, 16, 33, 255, 1000]) {
      const members = hashes(size);
      const batch = buildBatch(members);
      const reference = library(members);
      expect(batch.root, `root of ${size}`).to.equal(reference.root);
      expect(batch.size).to.equal(size);
      for (const [treeIndex, [, index]] of reference.entries()) {
        const proof = batch.proof(Number(index));
        expect(proof, `proof of member ${index} of ${size}`).to.deep.equal(reference.getProof(treeIndex));
        expect(provesMember(batch.root, members[Number(index)] ?? "", Number(index), proof)).to.equal(true);
      }
    }
  });

  it("agrees with the library on members whose hashes repeat and on indexes beyond 2^32", function () {
    const same = keccak256("0x01");
    const members = [same, same, same];
    const batch = buildBatch(members);
    expect(batch.root).to.equal(library(members).root);
    // A leaf encodes its index as a uint256: a large index gives the library's leaf too.
    const index = 2 ** 40 + 7;
    const leaf = StandardMerkleTree.of([[same, BigInt(index)]], [...LEAF_ENCODING]);
    expect(provesMember(leaf.root, same, index, [])).to.equal(true);
    expect(provesMember(leaf.root, same, 7, [])).to.equal(false);
  });

  it("rejects what does not lead to the root: another member, index, hash, sibling or root", function () {
    const members = hashes(9);
    const batch = buildBatch(members);
    const proof = batch.proof(4);
    const member = members[4] ?? "";
    expect(provesMember(batch.root, member, 4, proof)).to.equal(true);
    expect(provesMember(batch.root, member, 5, proof)).to.equal(false);
    expect(provesMember(batch.root, members[5] ?? "", 4, proof)).to.equal(false);
    expect(provesMember(batch.root, member, 4, [...proof.slice(0, -1), keccak256("0x02")])).to.equal(false);
    expect(provesMember(batch.root, member, 4, proof.slice(1))).to.equal(false);
    expect(provesMember(keccak256("0x03"), member, 4, proof)).to.equal(false);
  });

  it("answers false, never throws, for malformed roots, hashes, indexes and proofs", function () {
    const members = hashes(4);
    const batch = buildBatch(members);
    const proof = batch.proof(1);
    const member = members[1] ?? "";
    expect(provesMember("0x1234", member, 1, proof)).to.equal(false);
    expect(provesMember(batch.root, `${member}00`, 1, proof)).to.equal(false);
    expect(provesMember(batch.root, member, -1, proof)).to.equal(false);
    expect(provesMember(batch.root, member, 1.5, proof)).to.equal(false);
    expect(provesMember(batch.root, member, 1, ["0xzz" + "0".repeat(62), ...proof.slice(1)])).to.equal(false);
    expect(provesMember(batch.root, member, 1, [42 as unknown as string, ...proof.slice(1)])).to.equal(false);
  });

  it("refuses an empty batch, a member that is not a 32-byte hash, and a proof of a member it does not have", function () {
    expect(thrown(() => buildBatch([])).code).to.equal("EMPTY_BATCH");
    const bad = thrown(() => buildBatch([keccak256("0x01"), "0xabc"]));
    expect(bad.code).to.equal("INVALID_ARGUMENT");
    expect(bad.message).to.include("member 1").and.include("0xabc");
    const batch = buildBatch(hashes(3));
    for (const index of [3, -1, 1.5]) {
      const missing = thrown(() => batch.proof(index));
      expect(missing.code).to.equal("INVALID_MEMBER_INDEX");
      expect(missing.message).to.include(`member ${index} is not in this batch of 3`);
    }
  });

  it("reads hex as ethers' getBytes does, whatever its length and case, and refuses what is not whole bytes", function () {
    for (let length = 0; length <= 40; length++) {
      const value = hexlify(randomBytes(length));
      expect(fromHex(value), value).to.deep.equal(getBytes(value));
      expect(fromHex(value.toUpperCase().replace("0X", "0x"))).to.deep.equal(getBytes(value));
      expect(fromWord(value), value).to.deep.equal(length === 32 ? getBytes(value) : undefined);
    }
    for (const bad of ["", "0x1", "1234", "0xzz", "0x12 "]) {
      expect(() => fromHex(bad), bad).to.throw("not 0x-hex of whole bytes");
      expect(fromWord(bad)).to.equal(undefined);
    }
  });
});
