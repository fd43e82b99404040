// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Many view calls to one contract in a single `eth_call`, with nothing deployed.
/// @notice Never deployed: its creation code, with the constructor's arguments, is the data of an `eth_call` that
/// has no `to`. The constructor makes the calls and returns `abi.encode(bool[] ok, bytes[] data)` where runtime code
/// would be, so the call's return data is every call's outcome: its return data, or its revert data when `ok` is
/// false. The auditor reads a registry's whole state this way in a few hundred requests instead of one per
/// credential, from any node and at any block.
contract ViewBatch {
    constructor(address target, bytes[] memory calls) {
        bool[] memory ok = new bool[](calls.length);
        bytes[] memory data = new bytes[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            (ok[i], data[i]) = target.staticcall(calls[i]);
        }
        bytes memory encoded = abi.encode(ok, data);
        assembly ("memory-safe") {
            return(add(encoded, 0x20), mload(encoded))
        }
    }
}
