// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ICCR} from "../interfaces/ICCR.sol";
import {ICredentialRegistry} from "../interfaces/ICredentialRegistry.sol";
import {IVerdicts} from "../interfaces/IVerdicts.sol";
import {BatchLeaf} from "../libraries/BatchLeaf.sol";
import {Packing} from "../libraries/Packing.sol";
import {Facts, VerdictLib} from "../libraries/VerdictLib.sol";
import {AnchorRecord, IssuerMeta, IssuerRecord, IssuerStanding, Query, Verdict} from "../types/CCRTypes.sol";

/// @title Computes verdicts from a registry's records, read through its view functions.
/// @notice Created by the registry in its constructor (the creator is the registry it reads); holds no state of its
/// own. The registry forwards {IVerdicts} calls here, so verifiers may ask either address.
contract VerdictReader is IVerdicts {
    ICCR private immutable REGISTRY;
    /// @dev Key words per query and fact words per query in {ICCR-verdictFacts}.
    uint256 private constant KEYS = 3;
    uint256 private constant FACTS = 5;

    /// @dev Memory reused by every query of one call: a call of 200 verdicts would otherwise allocate (and zero) these
    /// records 200 times, and allocation is most of what a verdict costs to compute.
    struct Scratch {
        AnchorRecord record;
        IssuerRecord issuer;
        IssuerMeta meta;
        Facts facts;
        Recognition recognition;
    }

    /// @dev What the verifier's economy recognises, asked of the registry once per call and once per issuer economy
    /// in a row (the queries of one call mostly share their issuers' economies).
    struct Recognition {
        bytes2 verifier; // zero: no verifier economy, or not a member (recognises nothing)
        bytes2 economy; // the issuer economy last asked about
        uint128 schemas; // what `verifier` recognises of `economy` (zero if `economy` is not a member)
    }

    constructor() {
        REGISTRY = ICCR(msg.sender);
    }

    /// @inheritdoc IVerdicts
    function verdict(Query calldata query, bytes2 verifierEconomy) external view returns (Verdict memory v) {
        _one(v, query, verifierEconomy, uint40(block.timestamp));
    }

    /// @inheritdoc IVerdicts
    function verdictAt(
        Query calldata query,
        bytes2 verifierEconomy,
        uint40 at
    ) external view returns (Verdict memory v) {
        _one(v, query, verifierEconomy, at);
    }

    /// @inheritdoc IVerdicts
    function verdicts(
        Query[] calldata queries,
        bytes2 verifierEconomy
    ) external view returns (Verdict[] memory result) {
        // One call to the registry for every query's facts: a call frame costs more than the verdict itself.
        uint256[] memory keys = new uint256[](queries.length * KEYS);
        for (uint256 i = 0; i < queries.length; ++i) _key(keys, i, queries[i]);
        uint256[] memory words = _facts(keys);
        Scratch memory scratch = _scratch(verifierEconomy);
        result = new Verdict[](queries.length);
        for (uint256 i = 0; i < queries.length; ++i) {
            _verdict(result[i], queries[i], words, i * FACTS, uint40(block.timestamp), scratch);
        }
    }

    function _one(Verdict memory v, Query calldata query, bytes2 verifierEconomy, uint40 at) private view {
        uint256[] memory keys = new uint256[](KEYS);
        _key(keys, 0, query);
        _verdict(v, query, _facts(keys), 0, at, _scratch(verifierEconomy));
    }

    /// @dev Writes the three key words of `query` at position `i` of `keys` (see {ICCR-verdictFacts}).
    function _key(uint256[] memory keys, uint256 i, Query calldata query) private pure {
        bytes32 root = query.batchRoot;
        bool batch = root != bytes32(0);
        keys[KEYS * i] = uint256(uint160(query.issuer)) | (batch ? 1 << 255 : 0);
        keys[KEYS * i + 1] = uint256(batch ? root : query.credential);
        keys[KEYS * i + 2] = query.index >> 8;
    }

    /// @dev {ICCR-verdictFacts} of `keys`. The call is made by hand: the compiler would copy the keys into the call one
    /// word at a time and check the answer one word at a time, which costs more than all of a query's verdict.
    function _facts(uint256[] memory keys) private view returns (uint256[] memory words) {
        address registry = address(REGISTRY);
        bytes4 selector = ICredentialRegistry.verdictFacts.selector;
        uint256 expected = 0x40 + (keys.length / KEYS) * FACTS * 0x20; // offset, length, words
        bool ok;
        uint256 size;
        // The arguments (selector, offset 0x20, then `keys` as it lies in memory: its length and items) are built at
        // the free memory pointer; the answer's array (its length and items) is copied over them and kept as `words`.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let keyBytes := add(0x20, mul(mload(keys), 0x20))
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), 0x20)
            mcopy(add(ptr, 0x24), keys, keyBytes)
            ok := staticcall(gas(), registry, ptr, add(0x24, keyBytes), 0, 0)
            size := returndatasize()
            if iszero(ok) {
                returndatacopy(ptr, 0, size)
                revert(ptr, size)
            }
            if eq(size, expected) {
                words := ptr
                returndatacopy(words, 0x20, sub(size, 0x20))
                mstore(0x40, add(words, sub(size, 0x20)))
            }
        }
        // The registry is this reader's creator and answers exactly `expected` bytes; its reverts are passed on.
        if (size != expected) revert UnexpectedFacts(registry, size, expected);
    }

    /// @dev Fresh scratch memory for one call, with the verifier economy's membership asked once.
    function _scratch(bytes2 verifierEconomy) private view returns (Scratch memory scratch) {
        if (verifierEconomy != bytes2(0) && REGISTRY.getEconomy(verifierEconomy).member) {
            scratch.recognition.verifier = verifierEconomy;
        }
    }

    /// @dev Fills `v`, the verdict on `query` (zeroed), from its facts, the words `words[at .. at + FACTS)` (see
    /// {ICCR-verdictFacts}).
    function _verdict(
        Verdict memory v,
        Query calldata query,
        uint256[] memory words,
        uint256 at,
        uint40 time,
        Scratch memory scratch
    ) private view {
        uint256 recordWord = words[at];
        bytes32 root = query.batchRoot;
        v.batchMember = root != bytes32(0);
        if (recordWord == 0) return; // UNKNOWN: an anchored record's word is never zero
        AnchorRecord memory record = Packing.decodeAnchor(recordWord, scratch.record);
        Facts memory facts = scratch.facts;
        facts.batch = v.batchMember;
        facts.memberRevoked = false;
        facts.memberSuspended = false;
        if (v.batchMember) {
            uint256 index = query.index;
            if (index >= record.size || !BatchLeaf.verify(query.proof, root, query.credential, index)) {
                return; // UNKNOWN: not a member of a batch this issuer anchored
            }
            uint256 bit = index & 0xff;
            facts.memberRevoked = (words[at + 3] >> bit) & 1 == 1;
            facts.memberSuspended = (words[at + 4] >> bit) & 1 == 1;
        }
        _describe(
            v,
            facts,
            record,
            Packing.decodeMeta(words[at + 2], scratch.meta),
            Packing.decodeIssuer(words[at + 1], scratch.issuer),
            scratch.recognition
        );
        _decide(v, facts, time);
    }

    /// @dev Sets the verdict's status and what decided it (see {VerdictLib-decide}).
    function _decide(Verdict memory v, Facts memory facts, uint40 time) private pure {
        (v.status, v.decidedBy, v.decidedAt, v.reason) = VerdictLib.decide(facts, time);
    }

    /// @dev Fills the verdict's description and the facts its status is decided from.
    function _describe(
        Verdict memory v,
        Facts memory facts,
        AnchorRecord memory record,
        IssuerMeta memory meta,
        IssuerRecord memory issuer,
        Recognition memory recognition
    ) private view {
        // An accreditation that is no longer its address's was released by the council: it ended as a revocation.
        bool current = issuer.id == record.issuerId;
        IssuerStanding stored = current ? issuer.standing : IssuerStanding.REVOKED;
        v.issuer = meta.account;
        v.economy = meta.economy;
        v.schema = record.schema;
        v.anchoredAt = record.anchoredAt;
        v.validFrom = record.validFrom;
        v.validUntil = record.validUntil;
        v.compromisedAt = meta.compromisedAt;
        v.issuerStanding = current ? VerdictLib.standing(issuer, block.timestamp) : stored;
        v.recognised = _isRecognised(recognition, meta.economy, record.schema);

        facts.anchoredAt = record.anchoredAt;
        facts.validFrom = record.validFrom;
        facts.validUntil = record.validUntil;
        facts.state = record.state;
        facts.changedAt = record.changedAt;
        facts.reason = record.reason;
        facts.issuerStanding = stored;
        facts.issuerChangedAt = meta.changedAt;
        facts.compromisedAt = meta.compromisedAt;
    }

    /// @dev Whether the verifier accepts `issuerEconomy`'s accreditation for `schema`: both must be members now, and
    /// the economies the same or the verifier's recognising `issuerEconomy` for the schema.
    function _isRecognised(
        Recognition memory recognition,
        bytes2 issuerEconomy,
        uint8 schema
    ) private view returns (bool) {
        bytes2 verifier = recognition.verifier;
        if (verifier == bytes2(0)) return false;
        if (verifier == issuerEconomy) return true;
        if (recognition.economy != issuerEconomy) {
            recognition.economy = issuerEconomy;
            recognition.schemas =
                REGISTRY.getEconomy(issuerEconomy).member ? REGISTRY.recognisedSchemas(verifier, issuerEconomy) : 0;
        }
        return (recognition.schemas >> schema) & 1 == 1;
    }
}
