// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The few cheatcodes these tests use (Hardhat's Solidity test runner implements Foundry's).
interface Vm {
    function warp(uint256 timestamp) external;
    function prank(address sender) external;
    function assume(bool condition) external;
}

Vm constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

/// @dev What an invariant test's `targetSelectors()` returns: the functions of `addr` the fuzzer may call.
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}
