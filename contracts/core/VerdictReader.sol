// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ICCR} from "../interfaces/ICCR.sol";
import {IVerdicts} from "../interfaces/IVerdicts.sol";
import {BatchLeaf} from "../libraries/BatchLeaf.sol";
import {Packing} from "../libraries/Packing.sol";
import {Decision, Facts, VerdictLib} from "../libraries/VerdictLib.sol";
import {
    AnchorRecord,
    AnchorState,
    IssuerMeta,
    IssuerRecord,
    IssuerStanding,
    Query,
    Verdict
} from "../types/CCRTypes.sol";

/// @title Computes verdicts from a registry's records, read through its view functions.
/// @notice Created by the registry in its constructor (the creator is the registry it reads); holds no state of its
/// own. The registry forwards {IVerdicts} calls here, so verifiers may ask either address.
contract VerdictReader is IVerdicts {
    ICCR private immutable REGISTRY;
    /// @dev Words per query in {ICCR-verdictFacts}.
    uint256 private constant FACTS = 5;

    constructor() {
        REGISTRY = ICCR(msg.sender);
    }

    /// @inheritdoc IVerdicts
    function verdict(Query calldata query, bytes2 verifierEconomy) external view returns (Verdict memory) {
        return _one(query, verifierEconomy, uint40(block.timestamp));
    }

    /// @inheritdoc IVerdicts
    function verdictAt(Query calldata query, bytes2 verifierEconomy, uint40 at) external view returns (Verdict memory) {
        return _one(query, verifierEconomy, at);
    }

    /// @inheritdoc IVerdicts
    function verdicts(
        Query[] calldata queries,
        bytes2 verifierEconomy
    ) external view returns (Verdict[] memory result) {
        // One call to the registry for every query's facts: a call frame costs more than the verdict itself.
        uint256[] memory keys = new uint256[](queries.length * 3);
        for (uint256 i = 0; i < queries.length; ++i) _key(keys, i, queries[i]);
        uint256[] memory words = REGISTRY.verdictFacts(keys);
        result = new Verdict[](queries.length);
        for (uint256 i = 0; i < queries.length; ++i) {
            result[i] = _verdict(queries[i], words, i * FACTS, verifierEconomy, uint40(block.timestamp));
        }
    }

    function _one(Query calldata query, bytes2 verifierEconomy, uint40 at) private view returns (Verdict memory) {
        uint256[] memory keys = new uint256[](3);
        _key(keys, 0, query);
        return _verdict(query, REGISTRY.verdictFacts(keys), 0, verifierEconomy, at);
    }

    /// @dev Writes the three key words of `query` at position `i` of `keys` (see {ICCR-verdictFacts}).
    function _key(uint256[] memory keys, uint256 i, Query calldata query) private pure {
        bool batch = query.batchRoot != bytes32(0);
        keys[3 * i] = uint256(uint160(query.issuer)) | (batch ? 1 << 255 : 0);
        keys[3 * i + 1] = uint256(batch ? query.batchRoot : query.credential);
        keys[3 * i + 2] = query.index >> 8;
    }

    /// @dev The verdict on `query` from its facts, the words `words[at .. at + FACTS)` (see {ICCR-verdictFacts}).
    function _verdict(
        Query calldata query,
        uint256[] memory words,
        uint256 at,
        bytes2 verifierEconomy,
        uint40 time
    ) private view returns (Verdict memory v) {
        AnchorRecord memory record = Packing.anchorRecord(words[at]);
        Facts memory facts;
        v.batchMember = query.batchRoot != bytes32(0);
        if (v.batchMember) {
            facts.batch = true;
            if (
                record.state == AnchorState.NONE ||
                query.index >= record.size ||
                !BatchLeaf.verify(query.proof, query.batchRoot, query.credential, query.index)
            ) return v; // UNKNOWN: not a member of a batch this issuer anchored
            uint256 bit = query.index & 0xff;
            facts.memberRevoked = (words[at + 3] >> bit) & 1 == 1;
            facts.memberSuspended = (words[at + 4] >> bit) & 1 == 1;
        }
        if (record.state == AnchorState.NONE) return v;
        _describe(
            v,
            facts,
            record,
            Packing.issuerMeta(words[at + 2]),
            Packing.issuerRecord(words[at + 1]),
            verifierEconomy
        );
        Decision memory d = VerdictLib.decide(facts, time);
        (v.status, v.decidedBy, v.decidedAt, v.reason) = (d.status, d.by, d.at, d.reason);
    }

    /// @dev Fills the verdict's description and the facts its status is decided from.
    function _describe(
        Verdict memory v,
        Facts memory facts,
        AnchorRecord memory record,
        IssuerMeta memory meta,
        IssuerRecord memory issuer,
        bytes2 verifierEconomy
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
        v.recognised = _isRecognised(verifierEconomy, meta.economy, record.schema);

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

    /// @dev Whether a verifier in `verifier` accepts `issuerEconomy`'s accreditation for `schema`: both must be members
    /// now, and the economies the same or `verifier` recognising `issuerEconomy` for the schema.
    function _isRecognised(bytes2 verifier, bytes2 issuerEconomy, uint8 schema) private view returns (bool) {
        if (verifier == bytes2(0) || !REGISTRY.getEconomy(verifier).member) return false;
        if (verifier == issuerEconomy) return true;
        return
            REGISTRY.getEconomy(issuerEconomy).member &&
            (REGISTRY.recognisedSchemas(verifier, issuerEconomy) >> schema) & 1 == 1;
    }
}
