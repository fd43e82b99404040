// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Facts, VerdictLib} from "../../contracts/libraries/VerdictLib.sol";
import {AnchorState, Decider, IssuerRecord, IssuerStanding, Status} from "../../contracts/types/CCRTypes.sol";

/// @dev What {VerdictLib-decide} returns, kept together for the checks.
struct Decision {
    Status status;
    Decider by;
    uint40 at;
    uint8 reason;
}

/// @dev The documented precedence, written as an ordered list of conditions, against the library.
contract VerdictLibTest {
    function testFuzz_followsDocumentedPrecedence(
        uint40 anchoredAt,
        uint40 validFrom,
        uint40 validUntil,
        uint40 changedAt,
        uint40 issuerChangedAt,
        uint40 compromisedAt,
        uint40 at,
        uint256 flags
    ) public pure {
        // Most runs put two of the times on an edge the rules compare: the compromise in the anchoring's second or
        // the next, or the time asked at validUntil, validFrom, a change or the anchoring itself.
        uint256 edge = (flags >> 32) % 8;
        if (edge == 1) compromisedAt = anchoredAt;
        else if (edge == 2 && anchoredAt < type(uint40).max) compromisedAt = anchoredAt + 1;
        else if (edge == 3) at = validUntil;
        else if (edge == 4) at = validFrom;
        else if (edge == 5) at = changedAt;
        else if (edge == 6) at = issuerChangedAt;
        else if (edge == 7) at = anchoredAt;
        Facts memory f = Facts({
            anchoredAt: anchoredAt,
            validFrom: validFrom,
            validUntil: validUntil,
            state: AnchorState(1 + (flags % 4)),
            changedAt: changedAt,
            reason: uint8(flags >> 8),
            batch: (flags >> 16) & 1 == 1,
            memberRevoked: (flags >> 17) & 1 == 1,
            memberSuspended: (flags >> 18) & 1 == 1,
            issuerStanding: IssuerStanding(1 + ((flags >> 24) % 3)),
            issuerChangedAt: issuerChangedAt,
            compromisedAt: compromisedAt
        });
        _checkPrecedence(f, at);
    }

    /// An issuer revoked for a key compromise: what it anchored in the compromise's second or later is
    /// ISSUER_REVOKED; what it anchored the second before stands.
    function test_compromiseIncludesItsOwnSecond() public pure {
        Facts memory f = Facts({
            anchoredAt: 1000,
            validFrom: 0,
            validUntil: 0,
            state: AnchorState.ACTIVE,
            changedAt: 0,
            reason: 0,
            batch: false,
            memberRevoked: false,
            memberSuspended: false,
            issuerStanding: IssuerStanding.REVOKED,
            issuerChangedAt: 1500,
            compromisedAt: 1000
        });
        (Status status, , , ) = VerdictLib.decide(f, 2000);
        require(status == Status.ISSUER_REVOKED, "anchored in the compromise's second");
        f.compromisedAt = 1001;
        (status, , , ) = VerdictLib.decide(f, 2000);
        require(status == Status.VALID, "anchored the second before the compromise");
    }

    function _checkPrecedence(Facts memory f, uint40 at) private pure {
        bool[8] memory applies;
        Status[8] memory order = [
            Status.UNKNOWN,
            Status.ISSUER_REVOKED,
            Status.REVOKED,
            Status.EXPIRED,
            Status.SUSPENDED,
            Status.ISSUER_SUSPENDED,
            Status.NOT_YET_VALID,
            Status.VALID
        ];
        applies[0] = f.anchoredAt == 0 || at < f.anchoredAt;
        applies[1] =
            f.issuerStanding == IssuerStanding.REVOKED &&
            f.compromisedAt != 0 &&
            f.anchoredAt >= f.compromisedAt &&
            f.issuerChangedAt <= at;
        applies[2] = f.memberRevoked || (f.state == AnchorState.REVOKED && f.changedAt <= at);
        applies[3] = f.validUntil != 0 && at > f.validUntil;
        bool held = f.state == AnchorState.SUSPENDED || f.state == AnchorState.HELD;
        applies[4] = f.memberSuspended || (held && f.changedAt <= at);
        applies[5] = f.issuerStanding == IssuerStanding.SUSPENDED && f.issuerChangedAt <= at;
        applies[6] = at < f.validFrom;
        applies[7] = true;
        uint256 first = 0;
        while (!applies[first]) ++first;
        Decision memory d;
        (d.status, d.by, d.at, d.reason) = VerdictLib.decide(f, at);
        require(d.status == order[first], "precedence");
        // A revocation in force never verifies VALID.
        if (applies[2]) require(d.status != Status.VALID, "revoked valid");
        _checkDecider(f, at, d);
    }

    /// @dev The decision names the entry that decided, with that entry's time and reason and no other's: a record
    /// state decides only from its start, a member entry (no time or reason on-chain) only when the record did not.
    function _checkDecider(Facts memory f, uint40 at, Decision memory d) private pure {
        Decider record = f.batch ? Decider.BATCH : Decider.CREDENTIAL;
        bool recordApplies = f.changedAt <= at;
        if (d.status == Status.UNKNOWN || d.status == Status.VALID) {
            require(d.by == Decider.NONE && d.at == 0 && d.reason == 0, "nothing decides");
        } else if (d.status == Status.ISSUER_REVOKED || d.status == Status.ISSUER_SUSPENDED) {
            require(d.by == Decider.ISSUER && d.at == f.issuerChangedAt && d.reason == 0, "issuer");
        } else if (d.status == Status.EXPIRED) {
            require(d.by == Decider.VALIDITY && d.at == f.validUntil, "expiry");
        } else if (d.status == Status.NOT_YET_VALID) {
            require(d.by == Decider.VALIDITY && d.at == f.validFrom, "not yet valid");
        } else if (d.status == Status.REVOKED) {
            if (f.state == AnchorState.REVOKED && recordApplies) {
                require(d.by == record && d.at == f.changedAt && d.reason == f.reason, "record revocation");
            } else {
                require(f.memberRevoked && d.by == Decider.MEMBER && d.at == 0 && d.reason == 0, "member revocation");
            }
        } else {
            bool recordSuspended = f.state == AnchorState.SUSPENDED || f.state == AnchorState.HELD;
            if (recordSuspended && recordApplies) {
                require(d.by == record && d.at == f.changedAt && d.reason == f.reason, "record suspension");
            } else {
                require(f.memberSuspended && d.by == Decider.MEMBER && d.at == 0 && d.reason == 0, "member suspension");
            }
        }
        // A state that begins after `at` never lends its time or reason.
        if (d.by == record) require(f.changedAt <= at, "future state");
    }

    function testFuzz_standingDerivesWindow(
        uint8 standing,
        uint40 validFrom,
        uint40 validUntil,
        uint40 now_
    ) public pure {
        IssuerRecord memory r = IssuerRecord(1, "SG", IssuerStanding(1 + (standing % 3)), validFrom, validUntil, 1);
        IssuerStanding s = VerdictLib.standing(r, now_);
        if (r.standing != IssuerStanding.ACTIVE) require(s == r.standing, "stored");
        else if (now_ < validFrom) require(s == IssuerStanding.PENDING, "pending");
        else if (validUntil != 0 && now_ > validUntil) require(s == IssuerStanding.LAPSED, "lapsed");
        else require(s == IssuerStanding.ACTIVE, "active");
    }
}
