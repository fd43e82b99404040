// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Accreditation} from "./core/Accreditation.sol";
import {DelegatedAnchoring} from "./core/DelegatedAnchoring.sol";
import {IAccreditation} from "./interfaces/IAccreditation.sol";
import {ICredentialRegistry} from "./interfaces/ICredentialRegistry.sol";
import {IVerdicts} from "./interfaces/IVerdicts.sol";

/// @title CCR registry: framework, credentials and verdicts in one contract (its whole ABI is {ICCR}'s).
contract CCRRegistry is DelegatedAnchoring {
    /// @param council The framework's governance (a multisig or timelock in production).
    /// @param councilTransferDelay Seconds a council handover must wait after it is begun.
    /// @param economies The first member economies (ISO 3166-1 alpha-2 codes as bytes2).
    /// @param authorities Their authorities, in the same order.
    constructor(
        address council,
        uint48 councilTransferDelay,
        bytes2[] memory economies,
        address[] memory authorities
    ) Accreditation(council, councilTransferDelay, economies, authorities) EIP712("CCR", "1") {}

    /// @inheritdoc ICredentialRegistry
    function ccrVersion() external pure returns (string memory) {
        return "2";
    }

    /// @inheritdoc AccessControlDefaultAdminRules
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return
            interfaceId == type(IAccreditation).interfaceId ||
            interfaceId == type(ICredentialRegistry).interfaceId ||
            interfaceId == type(IVerdicts).interfaceId ||
            super.supportsInterface(interfaceId);
    }
}
