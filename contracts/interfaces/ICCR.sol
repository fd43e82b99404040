// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAccreditation} from "./IAccreditation.sol";
import {ICredentialRegistry} from "./ICredentialRegistry.sol";
import {IVerdicts} from "./IVerdicts.sol";

/// @title CCR, the cross-border credential registry: everything one registry address answers.
/// @notice The framework and the credential registry are one contract, so that anchoring checks accreditation
/// without an external call; its verdicts are computed by its read-only {VerdictReader}, to which the registry
/// forwards {IVerdicts} calls, so verifiers ask the registry's address. The council is OpenZeppelin's default admin.
/// Tools use this interface's ABI for the registry's address.
// solhint-disable-next-line no-empty-blocks
interface ICCR is IAccreditation, ICredentialRegistry, IVerdicts, IAccessControlDefaultAdminRules, IERC165 {
    // Only joins the interfaces above: everything the registry's address answers, forwarded verdicts included.
}
