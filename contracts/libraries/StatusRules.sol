// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnchorState} from "../types/CCRTypes.sol";

/// @title The lifecycle rules of credentials, batches and batch members.
library StatusRules {
    /// @notice RFC 5280 certificateHold: a suspension reason, never a revocation reason.
    uint8 internal constant CERTIFICATE_HOLD = 6;

    /// @notice The state a record in `current` takes when `requested` is asked for, by the economy's authority or not;
    /// NONE when the change is not allowed. Revoked is final; anything else may be revoked. The issuer (or an
    /// operator) suspends an ACTIVE record (SUSPENDED) and reinstates a SUSPENDED one. The authority's suspension of
    /// an ACTIVE or SUSPENDED record is a hold (HELD), which only the authority can lift; it may also reinstate
    /// the issuer's suspensions.
    function next(AnchorState current, AnchorState requested, bool byAuthority) internal pure returns (AnchorState) {
        if (current == AnchorState.NONE || current == AnchorState.REVOKED) return AnchorState.NONE;
        if (requested == AnchorState.REVOKED) return AnchorState.REVOKED;
        if (requested == AnchorState.SUSPENDED) {
            if (current == AnchorState.ACTIVE) return byAuthority ? AnchorState.HELD : AnchorState.SUSPENDED;
            return byAuthority && current == AnchorState.SUSPENDED ? AnchorState.HELD : AnchorState.NONE;
        }
        if (requested == AnchorState.ACTIVE) {
            if (current == AnchorState.SUSPENDED || (current == AnchorState.HELD && byAuthority)) {
                return AnchorState.ACTIVE;
            }
        }
        return AnchorState.NONE;
    }

    /// @notice Whether `reason` is an RFC 5280 code allowed for a change to `requested`: 0-6, 9 and 10 (7 is unused,
    /// 8 removeFromCRL is what a reinstatement is); 6 certificateHold only for a suspension; a reinstatement takes 0.
    function isValidReason(AnchorState requested, uint8 reason) internal pure returns (bool) {
        if (requested == AnchorState.ACTIVE) return reason == 0;
        if (reason == 7 || reason == 8 || reason > 10) return false;
        return reason != CERTIFICATE_HOLD || requested == AnchorState.SUSPENDED;
    }
}
