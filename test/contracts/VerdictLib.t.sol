// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Facts, VerdictLib} from "../../contracts/libraries/VerdictLib.sol";
import {AnchorState, IssuerRecord, IssuerStanding, Status} from "../../contracts/types/CCRTypes.sol";

/// @dev The documented precedence, written as an ordered list of conditions, against the library.
contract VerdictLibTest {
    function testFuzz_followsDocumentedPrecedence(
        uint40 anchoredAt,
        uint40 validFrom,
        uint40 validUntil,
        uint8 state,
        uint40 changedAt,
        bool memberRevoked,
        bool memberSuspended,
        uint8 issuerStanding,
        uint40 issuerChangedAt,
        uint40 compromisedAt,
        uint40 at
    ) public pure {
        Facts memory f = Facts({
            anchoredAt: anchoredAt,
            validFrom: validFrom,
            validUntil: validUntil,
            state: AnchorState(1 + (state % 3)),
            changedAt: changedAt,
            memberRevoked: memberRevoked,
            memberSuspended: memberSuspended,
            issuerStanding: IssuerStanding(1 + (issuerStanding % 3)),
            issuerChangedAt: issuerChangedAt,
            compromisedAt: compromisedAt
        });
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
        applies[0] = anchoredAt == 0 || at < anchoredAt;
        applies[1] =
            f.issuerStanding == IssuerStanding.REVOKED &&
            compromisedAt != 0 &&
            anchoredAt >= compromisedAt &&
            issuerChangedAt <= at;
        applies[2] = memberRevoked || (f.state == AnchorState.REVOKED && changedAt <= at);
        applies[3] = validUntil != 0 && at > validUntil;
        applies[4] = memberSuspended || (f.state == AnchorState.SUSPENDED && changedAt <= at);
        applies[5] = f.issuerStanding == IssuerStanding.SUSPENDED && issuerChangedAt <= at;
        applies[6] = at < validFrom;
        applies[7] = true;
        uint256 first = 0;
        while (!applies[first]) ++first;
        require(VerdictLib.status(f, at) == order[first], "precedence");
        // A revocation in force never verifies VALID.
        if (applies[2]) require(VerdictLib.status(f, at) != Status.VALID, "revoked valid");
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
