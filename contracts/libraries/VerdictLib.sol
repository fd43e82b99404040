// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnchorState, IssuerRecord, IssuerStanding, Status} from "../types/CCRTypes.sol";

/// @notice What a verdict is computed from, gathered from storage by the registry.
struct Facts {
    uint40 anchoredAt; // 0 = not anchored
    uint40 validFrom;
    uint40 validUntil; // 0 = no expiry
    AnchorState state; // the credential's, or its whole batch's
    uint40 changedAt; // when `state` was entered
    bool memberRevoked;
    bool memberSuspended;
    IssuerStanding issuerStanding; // stored standing: ACTIVE, SUSPENDED or REVOKED
    uint40 issuerChangedAt; // when `issuerStanding` was entered
    uint40 compromisedAt; // 0 = none
}

/// @title The verdict precedence, in one place (documented on {ICredentialRegistry-verdict}).
library VerdictLib {
    /// @notice The status of a credential at time `at`, first match wins.
    function status(Facts memory f, uint40 at) internal pure returns (Status) {
        if (f.anchoredAt == 0 || at < f.anchoredAt) return Status.UNKNOWN;
        if (
            f.issuerStanding == IssuerStanding.REVOKED &&
            f.compromisedAt != 0 &&
            f.anchoredAt >= f.compromisedAt &&
            f.issuerChangedAt <= at
        ) return Status.ISSUER_REVOKED;
        if (f.memberRevoked || (f.state == AnchorState.REVOKED && f.changedAt <= at)) return Status.REVOKED;
        if (f.validUntil != 0 && at > f.validUntil) return Status.EXPIRED;
        if (f.memberSuspended || (f.state == AnchorState.SUSPENDED && f.changedAt <= at)) return Status.SUSPENDED;
        if (f.issuerStanding == IssuerStanding.SUSPENDED && f.issuerChangedAt <= at) return Status.ISSUER_SUSPENDED;
        if (at < f.validFrom) return Status.NOT_YET_VALID;
        return Status.VALID;
    }

    /// @notice An issuer's standing at `now_`: the stored standing, with an ACTIVE issuer reported PENDING before its
    /// window and LAPSED after it.
    function standing(IssuerRecord memory issuer, uint256 now_) internal pure returns (IssuerStanding) {
        if (issuer.standing != IssuerStanding.ACTIVE) return issuer.standing;
        if (now_ < issuer.validFrom) return IssuerStanding.PENDING;
        if (issuer.validUntil != 0 && now_ > issuer.validUntil) return IssuerStanding.LAPSED;
        return IssuerStanding.ACTIVE;
    }
}
