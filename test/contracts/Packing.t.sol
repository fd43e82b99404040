// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Packing} from "../../contracts/libraries/Packing.sol";
import {
    AnchorMode,
    AnchorRecord,
    AnchorState,
    IssuerMeta,
    IssuerRecord,
    IssuerStanding
} from "../../contracts/types/CCRTypes.sol";
import {VM} from "./Vm.sol";

/// @dev Pins the hand-packed words of the hot path against the compiler's own struct layout.
contract PackingTest {
    AnchorRecord private _anchor;
    IssuerRecord private _issuer;
    IssuerMeta private _meta;

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
        uint40 now_,
        uint8 pick
    ) public {
        // Most runs test the window's edges: its first second, its last, and one second outside each.
        pick %= 6;
        if (pick == 0) now_ = validFrom;
        else if (pick == 1) now_ = validUntil;
        else if (pick == 2 && validUntil < type(uint40).max) now_ = validUntil + 1;
        else if (pick == 3 && validFrom > 0) now_ = validFrom - 1;
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

    /// The window [validFrom, validUntil] includes both ends: anchoring is allowed in its first and its last second,
    /// not one second before or after; validUntil 0 is open-ended.
    function test_canAnchorAtTheWindowsEdges() public {
        uint8 schema = 3;
        _issuer = IssuerRecord(7, bytes2("SG"), IssuerStanding.ACTIVE, 1000, 2000, uint128(1) << schema);
        uint256 word = Packing.load(_issuer);
        require(!Packing.canAnchor(word, schema, 999), "a second before validFrom");
        require(Packing.canAnchor(word, schema, 1000), "validFrom");
        require(Packing.canAnchor(word, schema, 2000), "validUntil");
        require(!Packing.canAnchor(word, schema, 2001), "a second after validUntil");
        require(!Packing.canAnchor(word, schema + 1, 1500), "another schema");
        _issuer = IssuerRecord(7, bytes2("SG"), IssuerStanding.ACTIVE, 1000, 0, uint128(1) << schema);
        require(Packing.canAnchor(Packing.load(_issuer), schema, type(uint40).max), "open-ended");
    }

    function testFuzz_recordSlotIsIssuerHashAndSpace(address issuer, bytes32 hash, bytes32 space) public pure {
        AnchorRecord storage r = Packing.recordOf(issuer, hash, space);
        bytes32 slot;
        assembly ("memory-safe") {
            slot := r.slot
        }
        require(slot == keccak256(abi.encode(issuer, hash, space)), "slot");
    }

    /// Two issuers' records of one hash, or one issuer's records of two hashes or in two spaces, never share a slot;
    /// a record written for one is not seen by the other.
    function testFuzz_recordsOfDifferentIssuersAreApart(
        address issuer,
        address other,
        bytes32 hash,
        bytes32 otherHash,
        uint24 issuerId
    ) public {
        VM.assume(issuer != other || hash != otherHash);
        VM.assume(issuerId != 0);
        bytes32 space = keccak256("space");
        AnchorRecord storage mine = Packing.recordOf(issuer, hash, space);
        Packing.store(mine, Packing.freshAnchor(issuerId, 1, 0, 1, 0, 0));
        require(!Packing.isAnchored(Packing.recordOf(other, otherHash, space)), "other issuer sees the record");
        require(!Packing.isAnchored(Packing.recordOf(issuer, hash, keccak256("other space"))), "other space");
        require(Packing.isAnchored(mine), "own record");
        Packing.store(mine, 0);
    }

    function testFuzz_anchorTermsLayout(
        address actor,
        uint8 schema,
        uint40 validFrom,
        uint40 validUntil,
        uint8 mode
    ) public pure {
        AnchorMode m = AnchorMode(mode % 3);
        uint256 terms = Packing.anchorTerms(actor, schema, validFrom, validUntil, m);
        require(address(uint160(terms)) == actor, "actor");
        require(uint8(terms >> 160) == schema, "schema");
        require(uint40(terms >> 168) == validFrom && uint40(terms >> 208) == validUntil, "window");
        require(uint8(terms >> 248) == uint8(m), "mode");
    }

    /// The verdict reader decodes raw storage words into memory it reuses: each decoder gives back exactly what the
    /// compiler stored, overwriting every field of what the memory held before (all bits set here).
    function testFuzz_decodersMatchStructLayout(
        uint24 id,
        uint8 schema,
        uint8 state,
        uint8 reason,
        uint32 size,
        uint40 t1,
        uint40 t2,
        uint40 t3,
        uint40 t4,
        uint128 schemas,
        address account,
        bytes2 economy
    ) public {
        _anchor = AnchorRecord(id, schema, AnchorState(state % 5), reason, size, t1, t2, t3, t4);
        require(
            keccak256(abi.encode(Packing.decodeAnchor(Packing.loadWord(_anchor), _dirtyAnchor()))) ==
                keccak256(abi.encode(_anchor)),
            "anchor"
        );
        _issuer = IssuerRecord(id, economy, IssuerStanding(state % 4), t1, t2, schemas);
        require(
            keccak256(abi.encode(Packing.decodeIssuer(Packing.load(_issuer), _dirtyIssuer()))) ==
                keccak256(abi.encode(_issuer)),
            "issuer"
        );
        _meta = IssuerMeta(account, t3, t4, economy);
        require(
            keccak256(abi.encode(Packing.decodeMeta(Packing.loadMeta(_meta), _dirtyMeta()))) ==
                keccak256(abi.encode(_meta)),
            "meta"
        );
    }

    function _dirtyAnchor() private pure returns (AnchorRecord memory) {
        return
            AnchorRecord(
                type(uint24).max,
                255,
                AnchorState.HELD,
                255,
                type(uint32).max,
                2 ** 40 - 1,
                2 ** 40 - 1,
                2 ** 40 - 1,
                2 ** 40 - 1
            );
    }

    function _dirtyIssuer() private pure returns (IssuerRecord memory) {
        return
            IssuerRecord(type(uint24).max, 0xffff, IssuerStanding.REVOKED, 2 ** 40 - 1, 2 ** 40 - 1, type(uint128).max);
    }

    function _dirtyMeta() private pure returns (IssuerMeta memory) {
        return IssuerMeta(address(type(uint160).max), 2 ** 40 - 1, 2 ** 40 - 1, 0xffff);
    }

    function test_emptyRecordIsNotAnchored() public view {
        require(!Packing.isAnchored(_anchor), "empty");
    }
}
