// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnchorState} from "../types/CCRTypes.sol";

/// @title The lifecycle rules of credentials, batches and batch members.
library StatusRules {
    /// @notice RFC 5280 certificateHold: a suspension reason, never a revocation reason.
    uint8 internal constant CERTIFICATE_HOLD = 6;

    /// @notice Whether a change from `current` to `requested` is allowed: ACTIVE -> SUSPENDED, SUSPENDED -> ACTIVE,
    /// ACTIVE or SUSPENDED -> REVOKED. Revoked is final.
    function canChange(AnchorState current, AnchorState requested) internal pure returns (bool) {
        if (requested == AnchorState.REVOKED) return current == AnchorState.ACTIVE || current == AnchorState.SUSPENDED;
        if (requested == AnchorState.SUSPENDED) return current == AnchorState.ACTIVE;
        return requested == AnchorState.ACTIVE && current == AnchorState.SUSPENDED;
    }

    /// @notice Whether `reason` is an RFC 5280 code allowed for a change to `requested`: 0-6, 9 and 10 (7 is unused,
    /// 8 removeFromCRL is what a reinstatement is); 6 certificateHold only for a suspension; a reinstatement takes 0.
    function isValidReason(AnchorState requested, uint8 reason) internal pure returns (bool) {
        if (requested == AnchorState.ACTIVE) return reason == 0;
        if (reason == 7 || reason == 8 || reason > 10) return false;
        return reason != CERTIFICATE_HOLD || requested == AnchorState.SUSPENDED;
    }
}
