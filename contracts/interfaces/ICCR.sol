// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccreditation} from "./IAccreditation.sol";
import {ICredentialRegistry} from "./ICredentialRegistry.sol";

/// @title CCR, the cross-border credential registry: the framework and the credential registry in one contract, so
/// that anchoring checks accreditation without an external call.
interface ICCR is IAccreditation, ICredentialRegistry {
    /// @notice The version of the registry's interface, for tools that refuse a contract that is not a CCR registry.
    function ccrVersion() external pure returns (string memory);
}
