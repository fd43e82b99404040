// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICredentialRegistry} from "../interfaces/ICredentialRegistry.sol";
import {BatchLeaf} from "../libraries/BatchLeaf.sol";
import {Packing} from "../libraries/Packing.sol";
import {StatusRules} from "../libraries/StatusRules.sol";
import {Facts, VerdictLib} from "../libraries/VerdictLib.sol";
import {
    AnchorRecord,
    AnchorState,
    IssuerMeta,
    IssuerRecord,
    IssuerStanding,
    MemberSet,
    Query,
    Verdict
} from "../types/CCRTypes.sol";
import {Accreditation} from "./Accreditation.sol";

/// @title Anchoring, status changes and verdicts of single credentials and Merkle batches.
abstract contract CredentialRegistry is Accreditation, ICredentialRegistry {
    mapping(bytes32 credential => AnchorRecord) private _credentials;
    mapping(bytes32 root => AnchorRecord) private _batches;
    mapping(bytes32 root => mapping(uint256 word => uint256 bits)) private _revokedMembers;
    mapping(bytes32 root => mapping(uint256 word => uint256 bits)) private _suspendedMembers;

    // ---------------------------------------------------------------- anchoring

    /// @inheritdoc ICredentialRegistry
    function anchor(bytes32 credential, uint8 schema, uint40 validFrom, uint40 validUntil) external {
        _anchor(msg.sender, credential, 0, schema, validFrom, validUntil);
    }

    /// @inheritdoc ICredentialRegistry
    function anchorFor(address issuer, bytes32 credential, uint8 schema, uint40 validFrom, uint40 validUntil) external {
        _checkOperator(issuer);
        _anchor(issuer, credential, 0, schema, validFrom, validUntil);
    }

    /// @inheritdoc ICredentialRegistry
    function anchorBatch(bytes32 root, uint32 size, uint8 schema, uint40 validFrom, uint40 validUntil) external {
        if (size == 0) revert EmptyBatch(root);
        _anchor(msg.sender, root, size, schema, validFrom, validUntil);
    }

    /// @inheritdoc ICredentialRegistry
    function anchorBatchFor(
        address issuer,
        bytes32 root,
        uint32 size,
        uint8 schema,
        uint40 validFrom,
        uint40 validUntil
    ) external {
        _checkOperator(issuer);
        if (size == 0) revert EmptyBatch(root);
        _anchor(issuer, root, size, schema, validFrom, validUntil);
    }

    /// @dev Anchors a credential (`size` 0) or a batch: one storage read of the issuer record (standing, window and
    /// schemas), one existence read of the record slot, one write of it.
    function _anchor(
        address issuer,
        bytes32 hash,
        uint32 size,
        uint8 schema,
        uint40 validFrom,
        uint40 validUntil
    ) internal {
        // One storage read checks the whole accreditation.
        uint256 issuerWord = Packing.load(_issuers[issuer]);
        if (!Packing.canAnchor(issuerWord, schema, block.timestamp)) _revertCannotAnchor(issuer, schema);
        if (validUntil != 0 && validUntil <= validFrom) revert InvalidValidity(validFrom, validUntil);
        if (hash == bytes32(0)) revert ZeroHash();
        AnchorRecord storage stored = size == 0 ? _credentials[hash] : _batches[hash];
        if (Packing.isAnchored(stored)) revert AlreadyAnchored(hash);
        // The one storage write of an anchoring.
        Packing.store(
            stored,
            Packing.freshAnchor(Packing.issuerId(issuerWord), schema, size, block.timestamp, validFrom, validUntil)
        );
        if (size == 0) emit CredentialAnchored(hash, issuer, schema, validFrom, validUntil);
        else emit BatchAnchored(hash, issuer, size, schema, validFrom, validUntil);
    }

    /// @dev Names the reason why `issuer` may not anchor under `schema`.
    function _revertCannotAnchor(address issuer, uint8 schema) private view {
        IssuerRecord memory record = _issuers[issuer];
        if (record.standing != IssuerStanding.ACTIVE) revert IssuerNotActive(issuer, uint8(record.standing));
        if (block.timestamp < record.validFrom || (record.validUntil != 0 && block.timestamp > record.validUntil)) {
            revert OutsideAccreditationWindow(issuer, record.validFrom, record.validUntil, block.timestamp);
        }
        revert NotAccreditedForSchema(issuer, schema);
    }

    // ---------------------------------------------------------------- status

    /// @inheritdoc ICredentialRegistry
    function revokeCredential(bytes32 credential, uint8 reason) external {
        _changeState(_credentials[credential], credential, false, AnchorState.REVOKED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function suspendCredential(bytes32 credential, uint8 reason) external {
        _changeState(_credentials[credential], credential, false, AnchorState.SUSPENDED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function reinstateCredential(bytes32 credential) external {
        _changeState(_credentials[credential], credential, false, AnchorState.ACTIVE, 0);
    }

    /// @inheritdoc ICredentialRegistry
    function revokeBatch(bytes32 root, uint8 reason) external {
        _changeState(_batches[root], root, true, AnchorState.REVOKED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function suspendBatch(bytes32 root, uint8 reason) external {
        _changeState(_batches[root], root, true, AnchorState.SUSPENDED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function reinstateBatch(bytes32 root) external {
        _changeState(_batches[root], root, true, AnchorState.ACTIVE, 0);
    }

    /// @inheritdoc ICredentialRegistry
    function revokeMembers(bytes32 root, MemberSet[] calldata members, uint8 reason) external {
        _changeMembers(root, members, AnchorState.REVOKED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function suspendMembers(bytes32 root, MemberSet[] calldata members, uint8 reason) external {
        _changeMembers(root, members, AnchorState.SUSPENDED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function reinstateMembers(bytes32 root, MemberSet[] calldata members) external {
        _changeMembers(root, members, AnchorState.ACTIVE, 0);
    }

    function _changeState(
        AnchorRecord storage record,
        bytes32 hash,
        bool batch,
        AnchorState requested,
        uint8 reason
    ) private {
        AnchorState current = record.state;
        if (current == AnchorState.NONE) revert NotAnchored(hash);
        address issuer = _checkManager(record.issuerId);
        if (!StatusRules.isValidReason(requested, reason)) revert InvalidReason(reason);
        if (!StatusRules.canChange(current, requested)) revert InvalidTransition(hash, current, requested);
        // One slot: state, reason and time are packed together.
        record.state = requested;
        record.reason = reason;
        record.changedAt = _now();
        if (batch) emit BatchStatusChanged(hash, issuer, requested, reason, msg.sender);
        else emit CredentialStatusChanged(hash, issuer, requested, reason, msg.sender);
    }

    function _changeMembers(bytes32 root, MemberSet[] calldata members, AnchorState requested, uint8 reason) private {
        AnchorRecord storage record = _batches[root];
        AnchorState batchState = record.state;
        if (batchState == AnchorState.NONE) revert NotAnchored(root);
        address issuer = _checkManager(record.issuerId);
        if (!StatusRules.isValidReason(requested, reason)) revert InvalidReason(reason);
        if (batchState == AnchorState.REVOKED) revert InvalidTransition(root, batchState, requested);
        uint32 size = record.size;
        for (uint256 i = 0; i < members.length; ++i) {
            (uint256 word, uint256 bits) = (members[i].word, members[i].bits);
            _checkRange(root, word, bits, size);
            _changeWord(root, word, bits, requested);
            emit MembersStatusChanged(root, issuer, word, bits, requested, reason, msg.sender);
        }
    }

    /// @dev Applies a change to the members `bits` of `word`: one bitmap write for up to 256 members.
    function _changeWord(bytes32 root, uint256 word, uint256 bits, AnchorState requested) private {
        uint256 revokedBits = _revokedMembers[root][word];
        _checkNoClash(root, word, bits & revokedBits, AnchorState.REVOKED, requested);
        if (requested == AnchorState.REVOKED) {
            _revokedMembers[root][word] = revokedBits | bits;
            return;
        }
        uint256 suspendedBits = _suspendedMembers[root][word];
        if (requested == AnchorState.SUSPENDED) {
            _checkNoClash(root, word, bits & suspendedBits, AnchorState.SUSPENDED, requested);
            _suspendedMembers[root][word] = suspendedBits | bits;
        } else {
            _checkNoClash(root, word, bits & ~suspendedBits, AnchorState.ACTIVE, requested);
            _suspendedMembers[root][word] = suspendedBits & ~bits;
        }
    }

    /// @dev Reverts unless `bits` names at least one member and only members below `size`.
    function _checkRange(bytes32 root, uint256 word, uint256 bits, uint32 size) private pure {
        uint256 words = (uint256(size) + 255) >> 8;
        if (bits == 0 || word >= words) revert MemberOutOfRange(root, word, bits, size);
        uint256 inWord = size - (word << 8); // members in this word, > 0 since word < words
        if (inWord < 256 && bits >> inWord != 0) revert MemberOutOfRange(root, word, bits, size);
    }

    /// @dev Reverts naming the lowest member in `clash`, whose state `current` does not allow `requested`.
    function _checkNoClash(
        bytes32 root,
        uint256 word,
        uint256 clash,
        AnchorState current,
        AnchorState requested
    ) private pure {
        if (clash == 0) return;
        // Lowest set bit: clash & -clash; the word is in range, so the index cannot overflow.
        uint256 lowest;
        unchecked {
            lowest = Math.log2(clash & (~clash + 1));
        }
        revert InvalidMemberTransition(root, (word << 8) | lowest, current, requested);
    }

    function _checkOperator(address issuer) private view {
        if (!_operators[issuer][msg.sender]) revert NotOperator(msg.sender, issuer);
    }

    /// @dev The issuer with id `issuerId`, if the caller may change its credentials: the issuer or its operator while
    /// the issuer is not revoked, or its economy's authority at any time.
    function _checkManager(uint24 issuerId) private view returns (address issuer) {
        issuer = _issuerMeta[issuerId].account;
        IssuerRecord storage record = _issuers[issuer];
        if (msg.sender == issuer || _operators[issuer][msg.sender]) {
            if (record.standing != IssuerStanding.REVOKED) return issuer;
        } else if (msg.sender == _authorityOf(record.economy)) {
            return issuer;
        }
        revert NotAllowedToManage(msg.sender, issuer);
    }

    // ---------------------------------------------------------------- verdicts

    /// @inheritdoc ICredentialRegistry
    function verdict(Query calldata query, bytes2 verifierEconomy) external view returns (Verdict memory) {
        return _verdict(query, verifierEconomy, _now());
    }

    /// @inheritdoc ICredentialRegistry
    function verdictAt(Query calldata query, bytes2 verifierEconomy, uint40 at) external view returns (Verdict memory) {
        return _verdict(query, verifierEconomy, at);
    }

    /// @inheritdoc ICredentialRegistry
    function verdicts(
        Query[] calldata queries,
        bytes2 verifierEconomy
    ) external view returns (Verdict[] memory result) {
        uint40 now_ = _now();
        result = new Verdict[](queries.length);
        for (uint256 i = 0; i < queries.length; ++i) {
            result[i] = _verdict(queries[i], verifierEconomy, now_);
        }
    }

    /// @inheritdoc ICredentialRegistry
    function getCredential(bytes32 credential) external view returns (AnchorRecord memory) {
        return _credentials[credential];
    }

    /// @inheritdoc ICredentialRegistry
    function getBatch(bytes32 root) external view returns (AnchorRecord memory) {
        return _batches[root];
    }

    /// @inheritdoc ICredentialRegistry
    function memberBits(bytes32 root, uint256 word) external view returns (uint256 revoked, uint256 suspended) {
        return (_revokedMembers[root][word], _suspendedMembers[root][word]);
    }

    function _verdict(Query calldata query, bytes2 verifierEconomy, uint40 at) private view returns (Verdict memory v) {
        AnchorRecord memory record;
        Facts memory facts;
        if (query.batchRoot == bytes32(0)) {
            record = _credentials[query.credential];
        } else {
            v.batchMember = true;
            record = _batches[query.batchRoot];
            if (
                record.state == AnchorState.NONE ||
                query.index >= record.size ||
                !BatchLeaf.verify(query.proof, query.batchRoot, query.credential, query.index)
            ) return v; // UNKNOWN: not a member of an anchored batch
            uint256 word = query.index >> 8;
            uint256 bit = query.index & 0xff;
            facts.memberRevoked = (_revokedMembers[query.batchRoot][word] >> bit) & 1 == 1;
            facts.memberSuspended = (_suspendedMembers[query.batchRoot][word] >> bit) & 1 == 1;
        }
        if (record.state == AnchorState.NONE) return v;

        IssuerMeta memory meta = _issuerMeta[record.issuerId];
        IssuerRecord memory issuer = _issuers[meta.account];
        v.issuer = meta.account;
        v.economy = issuer.economy;
        v.schema = record.schema;
        v.anchoredAt = record.anchoredAt;
        v.validFrom = record.validFrom;
        v.validUntil = record.validUntil;
        if (record.state == AnchorState.REVOKED || record.state == AnchorState.SUSPENDED) {
            (v.revokedAt, v.reason) = (record.changedAt, record.reason);
        }
        v.compromisedAt = meta.compromisedAt;
        v.issuerStanding = VerdictLib.standing(issuer, block.timestamp);
        v.recognised = _isRecognised(verifierEconomy, issuer.economy, record.schema);

        facts.anchoredAt = record.anchoredAt;
        facts.validFrom = record.validFrom;
        facts.validUntil = record.validUntil;
        facts.state = record.state;
        facts.changedAt = record.changedAt;
        facts.issuerStanding = issuer.standing;
        facts.issuerChangedAt = meta.changedAt;
        facts.compromisedAt = meta.compromisedAt;
        v.status = VerdictLib.status(facts, at);
    }
}
