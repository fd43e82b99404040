// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Packing} from "../../contracts/libraries/Packing.sol";
import {AnchorRecord, AnchorState, IssuerRecord, IssuerStanding} from "../../contracts/types/CCRTypes.sol";
import {VM} from "./Vm.sol";

/// @dev Pins the hand-packed words of the hot path against the compiler's own struct layout.
contract PackingTest {
    AnchorRecord private _anchor;
    IssuerRecord private _issuer;

    function testFuzz_freshAnchorMatchesStructLayout(
        uint24 issuerId,
        uint8 schema,
        uint32 size,
        uint40 anchoredAt,
        uint40 validFrom,
        uint40 validUntil
    ) public {
        Packing.store(_anchor, Packing.freshAnchor(issuerId, schema, size, anchoredAt, validFrom, validUntil));
        AnchorRecord memory r = _anchor;
        require(r.issuerId == issuerId && r.schema == schema && r.size == size, "ids");
        require(r.state == AnchorState.ACTIVE && r.reason == 0 && r.changedAt == 0, "state");
        require(r.anchoredAt == anchoredAt && r.validFrom == validFrom && r.validUntil == validUntil, "times");
        require(Packing.isAnchored(_anchor), "anchored");
    }

    function testFuzz_canAnchorMatchesStructRules(
        uint24 id,
        bytes2 economy,
        uint8 standing,
        uint40 validFrom,
        uint40 validUntil,
        uint128 schemas,
        uint8 schema,
        uint40 now_
    ) public {
        IssuerStanding s = IssuerStanding(standing % 4);
        _issuer = IssuerRecord(id, economy, s, validFrom, validUntil, schemas);
        uint256 word = Packing.load(_issuer);
        bool expected =
            s == IssuerStanding.ACTIVE &&
                now_ >= validFrom &&
                (validUntil == 0 || now_ <= validUntil) &&
                schema < 128 &&
                (schemas >> schema) & 1 == 1;
        require(Packing.canAnchor(word, schema, now_) == expected, "canAnchor");
        require(Packing.issuerId(word) == id, "issuerId");
    }

    function test_emptyRecordIsNotAnchored() public view {
        require(!Packing.isAnchored(_anchor), "empty");
    }
}
