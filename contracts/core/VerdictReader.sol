// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ICCR} from "../interfaces/ICCR.sol";
import {IVerdicts} from "../interfaces/IVerdicts.sol";
import {BatchLeaf} from "../libraries/BatchLeaf.sol";
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

    constructor() {
        REGISTRY = ICCR(msg.sender);
    }

    /// @inheritdoc IVerdicts
    function verdict(Query calldata query, bytes2 verifierEconomy) external view returns (Verdict memory) {
        return _verdict(query, verifierEconomy, uint40(block.timestamp));
    }

    /// @inheritdoc IVerdicts
    function verdictAt(Query calldata query, bytes2 verifierEconomy, uint40 at) external view returns (Verdict memory) {
        return _verdict(query, verifierEconomy, at);
    }

    /// @inheritdoc IVerdicts
    function verdicts(
        Query[] calldata queries,
        bytes2 verifierEconomy
    ) external view returns (Verdict[] memory result) {
        result = new Verdict[](queries.length);
        for (uint256 i = 0; i < queries.length; ++i) {
            result[i] = _verdict(queries[i], verifierEconomy, uint40(block.timestamp));
        }
    }

    function _verdict(Query calldata query, bytes2 verifierEconomy, uint40 at) private view returns (Verdict memory v) {
        AnchorRecord memory record;
        Facts memory facts;
        if (query.batchRoot == bytes32(0)) {
            record = REGISTRY.getCredential(query.issuer, query.credential);
        } else {
            v.batchMember = true;
            facts.batch = true;
            record = REGISTRY.getBatch(query.issuer, query.batchRoot);
            if (
                record.state == AnchorState.NONE ||
                query.index >= record.size ||
                !BatchLeaf.verify(query.proof, query.batchRoot, query.credential, query.index)
            ) return v; // UNKNOWN: not a member of a batch this issuer anchored
            (uint256 revoked, uint256 suspended, ) = REGISTRY.memberBits(
                query.issuer,
                query.batchRoot,
                query.index >> 8
            );
            uint256 bit = query.index & 0xff;
            facts.memberRevoked = (revoked >> bit) & 1 == 1;
            facts.memberSuspended = (suspended >> bit) & 1 == 1;
        }
        if (record.state == AnchorState.NONE) return v;

        IssuerMeta memory meta = REGISTRY.getIssuerMeta(record.issuerId);
        IssuerRecord memory issuer = REGISTRY.getIssuer(meta.account);
        // An accreditation that is no longer its address's was released by the council: it ended as a revocation.
        IssuerStanding stored = issuer.id == record.issuerId ? issuer.standing : IssuerStanding.REVOKED;
        v.issuer = meta.account;
        v.economy = meta.economy;
        v.schema = record.schema;
        v.anchoredAt = record.anchoredAt;
        v.validFrom = record.validFrom;
        v.validUntil = record.validUntil;
        v.compromisedAt = meta.compromisedAt;
        v.issuerStanding = issuer.id == record.issuerId ? VerdictLib.standing(issuer, block.timestamp) : stored;
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
        Decision memory d = VerdictLib.decide(facts, at);
        (v.status, v.decidedBy, v.decidedAt, v.reason) = (d.status, d.by, d.at, d.reason);
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
