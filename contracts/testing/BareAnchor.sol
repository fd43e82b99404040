// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title The floor of anchoring, for the benchmark: one storage slot and one event, no checks at all.
contract BareAnchor {
    mapping(bytes32 hash => uint256 anchoredAt) private _anchors;

    /// @notice Emitted when `hash` is stored.
    event Anchored(bytes32 indexed hash);

    function anchor(bytes32 hash) external {
        _anchors[hash] = block.timestamp;
        emit Anchored(hash);
    }
}
