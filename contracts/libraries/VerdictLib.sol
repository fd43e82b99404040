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

/// @notice A status and the entry that decided it, with that entry's time and reason.
struct Decision {
    Status status;
    Decider by;
    uint40 at;
    uint8 reason;
}

/// @title The verdict precedence, in one place (documented on {IVerdicts-verdict}).
library VerdictLib {
    /// @notice The status of a credential at time `at`, first match wins, and what decided it.
    function decide(Facts memory f, uint40 at) internal pure returns (Decision memory d) {
        if (f.anchoredAt == 0 || at < f.anchoredAt) return d; // UNKNOWN
        Decider record = f.batch ? Decider.BATCH : Decider.CREDENTIAL;
        bool stateApplies = f.changedAt <= at;
        if (
            f.issuerStanding == IssuerStanding.REVOKED &&
            f.compromisedAt != 0 &&
            f.anchoredAt >= f.compromisedAt &&
            f.issuerChangedAt <= at
        ) return Decision(Status.ISSUER_REVOKED, Decider.ISSUER, f.issuerChangedAt, 0);
        if (f.state == AnchorState.REVOKED && stateApplies)
            return Decision(Status.REVOKED, record, f.changedAt, f.reason);
        if (f.memberRevoked) return Decision(Status.REVOKED, Decider.MEMBER, 0, 0);
        if (f.validUntil != 0 && at > f.validUntil) return Decision(Status.EXPIRED, Decider.VALIDITY, f.validUntil, 0);
        if ((f.state == AnchorState.SUSPENDED || f.state == AnchorState.HELD) && stateApplies) {
            return Decision(Status.SUSPENDED, record, f.changedAt, f.reason);
        }
        if (f.memberSuspended) return Decision(Status.SUSPENDED, Decider.MEMBER, 0, 0);
        if (f.issuerStanding == IssuerStanding.SUSPENDED && f.issuerChangedAt <= at) {
            return Decision(Status.ISSUER_SUSPENDED, Decider.ISSUER, f.issuerChangedAt, 0);
        }
        if (at < f.validFrom) return Decision(Status.NOT_YET_VALID, Decider.VALIDITY, f.validFrom, 0);
        return Decision(Status.VALID, Decider.NONE, 0, 0);
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
