// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Batch membership, in the leaf and proof format of OpenZeppelin's merkle-tree.
/// @notice A leaf binds a credential hash to its index: `StandardMerkleTree.of(values, ["bytes32", "uint256"])`
/// in TypeScript builds the same tree, so proofs need no translation.
library BatchLeaf {
    /// @notice The leaf of `credential` at `index`: the double keccak256 of their ABI encoding.
    function hash(bytes32 credential, uint256 index) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(credential, index))));
    }

    /// @notice Whether `proof` shows that `credential` is member `index` of the batch with root `root`.
    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        bytes32 credential,
        uint256 index
    ) internal pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, hash(credential, index));
    }
}
