// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {BatchLeaf} from "../../contracts/libraries/BatchLeaf.sol";
import {VM} from "./Vm.sol";

/// @dev Leaf derivation and membership proofs in the format of OpenZeppelin's StandardMerkleTree.
contract BatchLeafTest {
    function testFuzz_leafIsDoubleHashedAbiEncoding(bytes32 credential, uint256 index) public pure {
        bytes32 expected = keccak256(bytes.concat(keccak256(abi.encode(credential, index))));
        require(BatchLeaf.hash(credential, index) == expected, "leaf");
    }

    function testFuzz_leafBindsCredentialAndIndex(
        bytes32 credential,
        uint256 index,
        bytes32 other,
        uint256 otherIndex
    ) public {
        VM.assume(credential != other || index != otherIndex);
        require(BatchLeaf.hash(credential, index) != BatchLeaf.hash(other, otherIndex), "collision");
    }

    function testFuzz_twoMemberBatchProofs(bytes32 a, bytes32 b) public view {
        bytes32 leafA = BatchLeaf.hash(a, 0);
        bytes32 leafB = BatchLeaf.hash(b, 1);
        bytes32 root = leafA < leafB ? keccak256(abi.encode(leafA, leafB)) : keccak256(abi.encode(leafB, leafA));
        require(this.verify(_one(leafB), root, a, 0), "member 0");
        require(this.verify(_one(leafA), root, b, 1), "member 1");
        require(!this.verify(_one(leafB), root, a, 1), "wrong index");
    }

    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        bytes32 credential,
        uint256 index
    ) external pure returns (bool) {
        return BatchLeaf.verify(proof, root, credential, index);
    }

    function _one(bytes32 node) private pure returns (bytes32[] memory proof) {
        proof = new bytes32[](1);
        proof[0] = node;
    }
}
