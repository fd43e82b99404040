// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnchorState, Decider, IssuerRecord, IssuerStanding, Status} from "../types/CCRTypes.sol";

/// @notice What a verdict is computed from, gathered from the registry by the {VerdictReader}.
struct Facts {
    uint40 anchoredAt; // 0 = not anchored
    uint40 validFrom;
    uint40 validUntil; // 0 = no expiry
    AnchorState state; // the credential's, or its whole batch's
    uint40 changedAt; // when `state` was entered
    uint8 reason; // the reason `state` was entered with
    bool batch; // whether `state` is a whole batch's
    bool memberRevoked;
    bool memberSuspended;
    IssuerStanding issuerStanding; // stored standing: ACTIVE, SUSPENDED or REVOKED
    uint40 issuerChangedAt; // when `issuerStanding` was entered
    uint40 compromisedAt; // 0 = none
}

/// @title The verdict precedence, in one place (documented on {IVerdicts-verdict}).
library VerdictLib {
    /// @notice The status of a credential at time `at`, first match wins, and what decided it: the deciding entry
    /// (`by`), the time it took its state and its reason.
    function decide(
        Facts memory f,
        uint40 at
    ) internal pure returns (Status status, Decider by, uint40 decidedAt, uint8 reason) {
        if (f.anchoredAt == 0 || at < f.anchoredAt) return (Status.UNKNOWN, Decider.NONE, 0, 0);
        Decider record = f.batch ? Decider.BATCH : Decider.CREDENTIAL;
        bool stateApplies = f.changedAt <= at;
        if (
            f.issuerStanding == IssuerStanding.REVOKED &&
            f.compromisedAt != 0 &&
            f.anchoredAt >= f.compromisedAt &&
            f.issuerChangedAt <= at
        ) return (Status.ISSUER_REVOKED, Decider.ISSUER, f.issuerChangedAt, 0);
        if (f.state == AnchorState.REVOKED && stateApplies) return (Status.REVOKED, record, f.changedAt, f.reason);
        if (f.memberRevoked) return (Status.REVOKED, Decider.MEMBER, 0, 0);
        if (f.validUntil != 0 && at > f.validUntil) return (Status.EXPIRED, Decider.VALIDITY, f.validUntil, 0);
        if ((f.state == AnchorState.SUSPENDED || f.state == AnchorState.HELD) && stateApplies) {
            return (Status.SUSPENDED, record, f.changedAt, f.reason);
        }
        if (f.memberSuspended) return (Status.SUSPENDED, Decider.MEMBER, 0, 0);
        if (f.issuerStanding == IssuerStanding.SUSPENDED && f.issuerChangedAt <= at) {
            return (Status.ISSUER_SUSPENDED, Decider.ISSUER, f.issuerChangedAt, 0);
        }
        if (at < f.validFrom) return (Status.NOT_YET_VALID, Decider.VALIDITY, f.validFrom, 0);
        return (Status.VALID, Decider.NONE, 0, 0);
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
