// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnchorMode, AnchorRecord, AnchorState, IssuerMeta, IssuerRecord, IssuerStanding} from "../types/CCRTypes.sol";

/// @title Hot-path access to the one-slot records {IssuerRecord} and {AnchorRecord}.
/// @dev Anchoring is the hot path: it reads the issuer's word once and tests standing, window and schema with shifts
/// (the compiler would copy all six fields to memory), then writes the new record as one word (the compiler would
/// read-modify-write each field). Bit positions follow Solidity's packing of the structs in declaration order; a fuzz
/// test pins them against the compiler's own layout.
library Packing {
    uint256 private constant MASK_24 = (1 << 24) - 1;
    uint256 private constant MASK_40 = (1 << 40) - 1;
    /// @dev IssuerStanding.ACTIVE and AnchorState.ACTIVE, as a literal that inline assembly can use.
    uint256 private constant ACTIVE = 1;

    // IssuerRecord: id 0-23, economy 24-39, standing 40-47, validFrom 48-87, validUntil 88-127, schemas 128-255.
    uint256 private constant ISSUER_STANDING = 40;
    uint256 private constant ISSUER_FROM = 48;
    uint256 private constant ISSUER_UNTIL = 88;
    uint256 private constant ISSUER_SCHEMAS = 128;

    // AnchorRecord: issuerId 0-23, schema 24-31, state 32-39, reason 40-47, size 48-79, anchoredAt 80-119,
    // validFrom 120-159, validUntil 160-199, changedAt 200-239.
    uint256 private constant ANCHOR_SCHEMA = 24;
    uint256 private constant ANCHOR_STATE = 32;
    uint256 private constant ANCHOR_SIZE = 48;
    uint256 private constant ANCHOR_AT = 80;
    uint256 private constant ANCHOR_FROM = 120;
    uint256 private constant ANCHOR_UNTIL = 160;

    // Anchoring events' terms: actor 0-159, schema 160-167, validFrom 168-207, validUntil 208-247, mode 248-255.
    uint256 private constant TERMS_SCHEMA = 160;
    uint256 private constant TERMS_FROM = 168;
    uint256 private constant TERMS_UNTIL = 208;
    uint256 private constant TERMS_MODE = 248;

    /// @notice The storage word of `record`.
    function load(IssuerRecord storage record) internal view returns (uint256 word) {
        // The record is one slot (see {IssuerRecord}).
        assembly ("memory-safe") {
            word := sload(record.slot)
        }
    }

    /// @notice Whether the issuer whose record is `word` may anchor under `schema` at `now_`: ACTIVE, inside its
    /// window, accredited for the schema (ids of 128 and above shift out of the word: never accredited).
    function canAnchor(uint256 word, uint8 schema, uint256 now_) internal pure returns (bool ok) {
        // Branch-free: the four conditions as 0/1 values and-ed together.
        assembly ("memory-safe") {
            let until := and(shr(ISSUER_UNTIL, word), MASK_40)
            ok := and(
                and(
                    eq(and(shr(ISSUER_STANDING, word), 0xff), ACTIVE), // standing == ACTIVE
                    iszero(lt(now_, and(shr(ISSUER_FROM, word), MASK_40))) // now_ >= validFrom
                ),
                and(
                    or(iszero(until), iszero(gt(now_, until))), // open-ended or now_ <= validUntil
                    and(shr(schema, shr(ISSUER_SCHEMAS, word)), 1) // schema bit set
                )
            )
        }
    }

    /// @notice The accreditation window [validFrom, validUntil] of the issuer record `word`.
    function window(uint256 word) internal pure returns (uint40 from, uint40 until) {
        return (uint40(word >> ISSUER_FROM), uint40(word >> ISSUER_UNTIL));
    }

    /// @notice Whether `time` lies inside the accreditation window of the issuer record `word` (validUntil 0: open).
    function inWindow(uint256 word, uint256 time) internal pure returns (bool ok) {
        assembly ("memory-safe") {
            let until := and(shr(ISSUER_UNTIL, word), MASK_40)
            ok := and(
                iszero(lt(time, and(shr(ISSUER_FROM, word), MASK_40))),
                or(iszero(until), iszero(gt(time, until)))
            )
        }
    }

    /// @notice The issuer id in an issuer record word.
    function issuerId(uint256 word) internal pure returns (uint24) {
        return uint24(word & MASK_24);
    }

    /// @notice The storage word of a freshly anchored, ACTIVE record with no status change yet.
    function freshAnchor(
        uint256 issuerId_,
        uint8 schema,
        uint32 size,
        uint256 anchoredAt,
        uint40 validFrom,
        uint40 validUntil
    ) internal pure returns (uint256 word) {
        // The typed arguments are already clean (ABI-decoded); anchoredAt is a timestamp below 2^40.
        assembly ("memory-safe") {
            word := or(
                or(or(issuerId_, shl(ANCHOR_SCHEMA, schema)), or(shl(ANCHOR_STATE, ACTIVE), shl(ANCHOR_SIZE, size))),
                or(shl(ANCHOR_AT, anchoredAt), or(shl(ANCHOR_FROM, validFrom), shl(ANCHOR_UNTIL, validUntil)))
            )
        }
    }

    /// @notice The record of `hash` anchored by `issuer` in the record space `space` (credentials or batches): the slot
    /// keccak256(issuer, hash, space), one hash of three words where a nested mapping would take two.
    /// @dev The spaces are ERC-7201-style constants, so these slots never meet the contract's ordinary layout; two
    /// issuers' records of one hash are different slots (fuzzed in test/contracts/Packing.t.sol).
    function recordOf(address issuer, bytes32 hash, bytes32 space) internal pure returns (AnchorRecord storage r) {
        // Hashes three words at the free memory pointer without moving it: scratch use only.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, issuer)
            mstore(add(ptr, 0x20), hash)
            mstore(add(ptr, 0x40), space)
            r.slot := keccak256(ptr, 0x60)
        }
    }

    /// @notice The `terms` word of the anchoring events: `actor` in bits 0-159, `schema` 160-167, `validFrom` 168-207,
    /// `validUntil` 208-247, `mode` 248-255. One data word instead of four (an event data word costs 256 gas).
    function anchorTerms(
        address actor,
        uint8 schema,
        uint40 validFrom,
        uint40 validUntil,
        AnchorMode mode
    ) internal pure returns (uint256 terms) {
        // The typed arguments are clean (ABI-decoded, or msg.sender).
        assembly ("memory-safe") {
            terms := or(
                or(actor, shl(TERMS_SCHEMA, schema)),
                or(or(shl(TERMS_FROM, validFrom), shl(TERMS_UNTIL, validUntil)), shl(TERMS_MODE, mode))
            )
        }
    }

    /// @notice The storage word of `record`.
    function loadWord(AnchorRecord storage record) internal view returns (uint256 word) {
        // The record is one slot (see {AnchorRecord}).
        assembly ("memory-safe") {
            word := sload(record.slot)
        }
    }

    /// @notice The storage word of `meta`.
    function loadMeta(IssuerMeta storage meta) internal view returns (uint256 word) {
        // The record is one slot (see {IssuerMeta}).
        assembly ("memory-safe") {
            word := sload(meta.slot)
        }
    }

    /// @notice Decodes the storage word of an {AnchorRecord} into `r` (memory the caller reuses), and returns `r`.
    function decodeAnchor(uint256 word, AnchorRecord memory r) internal pure returns (AnchorRecord memory) {
        r.issuerId = uint24(word);
        r.schema = uint8(word >> ANCHOR_SCHEMA);
        r.state = AnchorState(uint8(word >> ANCHOR_STATE));
        r.reason = uint8(word >> 40);
        r.size = uint32(word >> ANCHOR_SIZE);
        r.anchoredAt = uint40(word >> ANCHOR_AT);
        r.validFrom = uint40(word >> ANCHOR_FROM);
        r.validUntil = uint40(word >> ANCHOR_UNTIL);
        r.changedAt = uint40(word >> 200);
        return r;
    }

    /// @notice Decodes the storage word of an {IssuerRecord} into `r`, and returns `r`.
    function decodeIssuer(uint256 word, IssuerRecord memory r) internal pure returns (IssuerRecord memory) {
        r.id = uint24(word);
        r.economy = bytes2(uint16(word >> 24));
        r.standing = IssuerStanding(uint8(word >> ISSUER_STANDING));
        r.validFrom = uint40(word >> ISSUER_FROM);
        r.validUntil = uint40(word >> ISSUER_UNTIL);
        r.schemas = uint128(word >> ISSUER_SCHEMAS);
        return r;
    }

    /// @notice Decodes the storage word of an {IssuerMeta} (account 0-159, changedAt 160-199, compromisedAt 200-239,
    /// economy 240-255) into `m`, and returns `m`.
    function decodeMeta(uint256 word, IssuerMeta memory m) internal pure returns (IssuerMeta memory) {
        m.account = address(uint160(word));
        m.changedAt = uint40(word >> 160);
        m.compromisedAt = uint40(word >> 200);
        m.economy = bytes2(uint16(word >> 240));
        return m;
    }

    /// @notice Whether the record is anchored: an anchored record's word is never zero (its state is not NONE).
    function isAnchored(AnchorRecord storage record) internal view returns (bool anchored) {
        // The record is one slot (see {AnchorRecord}).
        assembly ("memory-safe") {
            anchored := iszero(iszero(sload(record.slot)))
        }
    }

    /// @notice Stores `word` as `record`.
    function store(AnchorRecord storage record, uint256 word) internal {
        // The record is one slot (see {AnchorRecord}); `word` is laid out as the compiler lays out that slot.
        assembly ("memory-safe") {
            sstore(record.slot, word)
        }
    }
}
