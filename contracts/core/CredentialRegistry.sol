// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICredentialRegistry} from "../interfaces/ICredentialRegistry.sol";
import {Packing} from "../libraries/Packing.sol";
import {StatusRules} from "../libraries/StatusRules.sol";
import {AnchorMode, AnchorRecord, AnchorState, IssuerRecord, IssuerStanding, MemberSet} from "../types/CCRTypes.sol";
import {VerdictReader} from "./VerdictReader.sol";
import {Accreditation} from "./Accreditation.sol";

/// @title Anchoring and status changes of single credentials and Merkle batches, kept per issuer.
/// @dev Records live at keccak256(issuer, hash, space) (see {Packing-recordOf}): a credential or batch is its issuer's,
/// so no other issuer can anchor it first, change it or be reported as its issuer. Verdicts are computed by a
/// read-only {VerdictReader} that this contract creates and forwards {IVerdicts} calls to, which keeps this contract
/// under the code size limit while verifiers still ask one address.
abstract contract CredentialRegistry is Accreditation, ICredentialRegistry {
    /// @dev ERC-7201-style record spaces: keccak256(abi.encode(uint256(keccak256("ccr.credentials")) - 1)) &
    /// ~bytes32(uint256(0xff)), and likewise "ccr.batches".
    bytes32 private constant CREDENTIALS = 0xe466650eec7d8a45ccfb5cb34efdbd255f2078d9f42daefc4be5c19dcca3c100;
    bytes32 private constant BATCHES = 0xba0645b65284dd8adb924a6f55c786552b0d15a5cff1559244fe063bf3d87900;

    address private immutable VERDICT_READER;
    /// @dev Words per query in {verdictFacts}.
    uint256 private constant FACTS = 5;

    mapping(address issuer => mapping(bytes32 root => mapping(uint256 word => uint256 bits))) private _revokedMembers;
    mapping(address issuer => mapping(bytes32 root => mapping(uint256 word => uint256 bits))) private _suspendedMembers;
    /// @dev Members held by the economy's authority; a held member is also in `_suspendedMembers`.
    mapping(address issuer => mapping(bytes32 root => mapping(uint256 word => uint256 bits))) private _heldMembers;

    constructor() {
        VERDICT_READER = address(new VerdictReader());
    }

    // ---------------------------------------------------------------- anchoring

    /// @inheritdoc ICredentialRegistry
    function anchor(bytes32 credential, uint8 schema, uint40 validFrom, uint40 validUntil) external {
        _anchor(msg.sender, credential, 0, schema, validFrom, validUntil, AnchorMode.ISSUER);
    }

    /// @inheritdoc ICredentialRegistry
    function anchorFor(address issuer, bytes32 credential, uint8 schema, uint40 validFrom, uint40 validUntil) external {
        _anchor(issuer, credential, 0, schema, validFrom, validUntil, AnchorMode.OPERATOR);
    }

    /// @inheritdoc ICredentialRegistry
    function anchorBatch(bytes32 root, uint32 size, uint8 schema, uint40 validFrom, uint40 validUntil) external {
        if (size == 0) revert EmptyBatch(root);
        _anchor(msg.sender, root, size, schema, validFrom, validUntil, AnchorMode.ISSUER);
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
        if (size == 0) revert EmptyBatch(root);
        _anchor(issuer, root, size, schema, validFrom, validUntil, AnchorMode.OPERATOR);
    }

    /// @dev Anchors a credential (`size` 0) or a batch for `issuer`: one storage read of the issuer record (standing,
    /// window, schemas and id), for operators one read of the operator flag, one existence read of the record slot,
    /// one write of it, one event.
    function _anchor(
        address issuer,
        bytes32 hash,
        uint32 size,
        uint8 schema,
        uint40 validFrom,
        uint40 validUntil,
        AnchorMode mode
    ) internal {
        // One storage read checks the whole accreditation.
        uint256 issuerWord = Packing.load(_issuers[issuer]);
        if (mode == AnchorMode.OPERATOR && !_operators[Packing.issuerId(issuerWord)][msg.sender]) {
            revert NotOperator(msg.sender, issuer);
        }
        if (!Packing.canAnchor(issuerWord, schema, block.timestamp)) _revertCannotAnchor(issuer, schema);
        // 0 means "from anchoring", which canAnchor just placed inside the window.
        if (validFrom != 0 && !Packing.inWindow(issuerWord, validFrom)) {
            (uint40 from, uint40 until) = Packing.window(issuerWord);
            revert ValidityOutsideAccreditation(issuer, validFrom, from, until);
        }
        if (validUntil != 0) {
            if (validUntil <= validFrom) revert InvalidValidity(validFrom, validUntil);
            if (validUntil < block.timestamp) revert ValidityEnded(validUntil, block.timestamp);
        }
        if (hash == bytes32(0)) revert ZeroHash();
        AnchorRecord storage stored = Packing.recordOf(issuer, hash, size == 0 ? CREDENTIALS : BATCHES);
        if (Packing.isAnchored(stored)) revert AlreadyAnchored(issuer, hash);
        // The one storage write of an anchoring.
        Packing.store(
            stored,
            Packing.freshAnchor(Packing.issuerId(issuerWord), schema, size, block.timestamp, validFrom, validUntil)
        );
        uint256 terms = Packing.anchorTerms(msg.sender, schema, validFrom, validUntil, mode);
        if (size == 0) emit CredentialAnchored(hash, issuer, terms);
        else emit BatchAnchored(hash, issuer, terms, size);
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
    function revokeCredential(address issuer, bytes32 credential, uint8 reason) external {
        _changeState(issuer, credential, false, AnchorState.REVOKED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function suspendCredential(address issuer, bytes32 credential, uint8 reason) external {
        _changeState(issuer, credential, false, AnchorState.SUSPENDED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function reinstateCredential(address issuer, bytes32 credential) external {
        _changeState(issuer, credential, false, AnchorState.ACTIVE, 0);
    }

    /// @inheritdoc ICredentialRegistry
    function revokeBatch(address issuer, bytes32 root, uint8 reason) external {
        _changeState(issuer, root, true, AnchorState.REVOKED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function suspendBatch(address issuer, bytes32 root, uint8 reason) external {
        _changeState(issuer, root, true, AnchorState.SUSPENDED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function reinstateBatch(address issuer, bytes32 root) external {
        _changeState(issuer, root, true, AnchorState.ACTIVE, 0);
    }

    /// @inheritdoc ICredentialRegistry
    function revokeMembers(address issuer, bytes32 root, MemberSet[] calldata members, uint8 reason) external {
        _changeMembers(issuer, root, members, AnchorState.REVOKED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function suspendMembers(address issuer, bytes32 root, MemberSet[] calldata members, uint8 reason) external {
        _changeMembers(issuer, root, members, AnchorState.SUSPENDED, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function reinstateMembers(address issuer, bytes32 root, MemberSet[] calldata members) external {
        _changeMembers(issuer, root, members, AnchorState.ACTIVE, 0);
    }

    function _changeState(address issuer, bytes32 hash, bool batch, AnchorState requested, uint8 reason) private {
        AnchorRecord storage record = Packing.recordOf(issuer, hash, batch ? BATCHES : CREDENTIALS);
        AnchorState current = record.state;
        if (current == AnchorState.NONE) revert NotAnchored(issuer, hash);
        bool byAuthority = _checkManager(issuer, record.issuerId);
        if (!StatusRules.isValidReason(requested, reason)) revert InvalidReason(reason);
        AnchorState next = StatusRules.next(current, requested, byAuthority);
        if (next == AnchorState.NONE) revert InvalidTransition(issuer, hash, current, requested);
        // One slot: state, reason and time are packed together.
        record.state = next;
        record.reason = reason;
        record.changedAt = _now();
        if (batch) emit BatchStatusChanged(hash, issuer, next, reason, msg.sender);
        else emit CredentialStatusChanged(hash, issuer, next, reason, msg.sender);
    }

    function _changeMembers(
        address issuer,
        bytes32 root,
        MemberSet[] calldata members,
        AnchorState requested,
        uint8 reason
    ) private {
        AnchorRecord storage record = Packing.recordOf(issuer, root, BATCHES);
        AnchorState batchState = record.state;
        if (batchState == AnchorState.NONE) revert NotAnchored(issuer, root);
        bool byAuthority = _checkManager(issuer, record.issuerId);
        if (!StatusRules.isValidReason(requested, reason)) revert InvalidReason(reason);
        if (batchState == AnchorState.REVOKED) revert InvalidTransition(issuer, root, batchState, requested);
        AnchorState next = requested == AnchorState.SUSPENDED && byAuthority ? AnchorState.HELD : requested;
        uint32 size = record.size;
        for (uint256 i = 0; i < members.length; ++i) {
            (uint256 word, uint256 bits) = (members[i].word, members[i].bits);
            _checkRange(root, word, bits, size);
            _changeWord(issuer, root, word, bits, next, byAuthority);
            emit MembersStatusChanged(root, issuer, word, bits, next, reason, msg.sender);
        }
    }

    /// @dev Applies a change to the members `bits` of `word`: one bitmap write for up to 256 members (two for a
    /// hold or its release).
    function _changeWord(
        address issuer,
        bytes32 root,
        uint256 word,
        uint256 bits,
        AnchorState next,
        bool byAuthority
    ) private {
        mapping(uint256 => uint256) storage revoked = _revokedMembers[issuer][root];
        uint256 revokedBits = revoked[word];
        _checkNoClash(issuer, root, word, bits & revokedBits, AnchorState.REVOKED, next);
        if (next == AnchorState.REVOKED) {
            revoked[word] = revokedBits | bits;
            return;
        }
        mapping(uint256 => uint256) storage suspended = _suspendedMembers[issuer][root];
        mapping(uint256 => uint256) storage held = _heldMembers[issuer][root];
        uint256 suspendedBits = suspended[word];
        if (next == AnchorState.SUSPENDED) {
            // The issuer's suspension: members must be active.
            uint256 heldBits = bits & suspendedBits == 0 ? 0 : held[word];
            _checkNoClash(issuer, root, word, bits & heldBits, AnchorState.HELD, next);
            _checkNoClash(issuer, root, word, bits & suspendedBits, AnchorState.SUSPENDED, next);
            suspended[word] = suspendedBits | bits;
        } else if (next == AnchorState.HELD) {
            // The authority's hold: members must be active or suspended by the issuer.
            uint256 heldBits = held[word];
            _checkNoClash(issuer, root, word, bits & heldBits, AnchorState.HELD, next);
            suspended[word] = suspendedBits | bits;
            held[word] = heldBits | bits;
        } else {
            _checkNoClash(issuer, root, word, bits & ~suspendedBits, AnchorState.ACTIVE, next);
            uint256 heldBits = held[word];
            if (bits & heldBits != 0) {
                if (!byAuthority) _checkNoClash(issuer, root, word, bits & heldBits, AnchorState.HELD, next);
                held[word] = heldBits & ~bits;
            }
            suspended[word] = suspendedBits & ~bits;
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
        address issuer,
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
        // A hold is asked for as a suspension.
        if (requested == AnchorState.HELD) requested = AnchorState.SUSPENDED;
        revert InvalidMemberTransition(issuer, root, (word << 8) | lowest, current, requested);
    }

    /// @dev Whether the caller may change a record anchored by `issuer` under accreditation `issuerId`, and as what:
    /// true for the authority of that accreditation's economy (at any time), false for the issuer or its operator
    /// (while the accreditation is the address's current one and not revoked); reverts for anyone else.
    function _checkManager(address issuer, uint24 issuerId) private view returns (bool byAuthority) {
        IssuerRecord storage current = _issuers[issuer];
        bool sameAccreditation = current.id == issuerId;
        bytes2 economy = sameAccreditation ? current.economy : _issuerMeta[issuerId].economy;
        // A removed economy has no authority (zero), which is never the caller.
        if (msg.sender == _authorityOf(economy)) return true;
        if (
            sameAccreditation &&
            current.standing != IssuerStanding.REVOKED &&
            (msg.sender == issuer || _operators[issuerId][msg.sender])
        ) return false;
        revert NotAllowedToManage(msg.sender, issuer);
    }

    // ---------------------------------------------------------------- verdicts (forwarded)

    /// @notice Answers {IVerdicts} calls (`verdict`, `verdictAt`, `verdicts`): forwarded to the {VerdictReader}, whose
    /// answer or refusal becomes this call's. Any other unknown call is refused by the reader.
    /// @dev A fallback rather than three forwarding functions: their calldata checks would not fit the size limit.
    fallback() external {
        _forwardToReader();
    }

    /// @dev Answers the current call with the reader's answer to the same calldata, or its revert.
    function _forwardToReader() private view {
        address reader = VERDICT_READER;
        // Not memory-safe, on purpose: the calldata is copied to memory from 0, and the call ends here either way.
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := staticcall(gas(), reader, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) {
                revert(0, returndatasize())
            }
            return(0, returndatasize())
        }
    }

    // ---------------------------------------------------------------- records

    /// @inheritdoc ICredentialRegistry
    function getCredential(address issuer, bytes32 credential) external view returns (AnchorRecord memory record) {
        AnchorRecord storage stored = Packing.recordOf(issuer, credential, CREDENTIALS);
        if (Packing.isAnchored(stored)) record = stored;
    }

    /// @inheritdoc ICredentialRegistry
    function getBatch(address issuer, bytes32 root) external view returns (AnchorRecord memory record) {
        AnchorRecord storage stored = Packing.recordOf(issuer, root, BATCHES);
        if (Packing.isAnchored(stored)) record = stored;
    }

    /// @inheritdoc ICredentialRegistry
    function memberBits(
        address issuer,
        bytes32 root,
        uint256 word
    ) external view returns (uint256 revoked, uint256 suspended, uint256 held) {
        return (
            _revokedMembers[issuer][root][word],
            _suspendedMembers[issuer][root][word],
            _heldMembers[issuer][root][word]
        );
    }

    /// @inheritdoc ICredentialRegistry
    /// @dev Five storage reads per key triple, written straight into `words` (n * 5 long, so every write is in range);
    /// slots are computed as the compiler computes them for these mappings: keccak256(key . slot), nested for the
    /// member bitmaps, and {Packing-recordOf} for records. Scratch memory at the free memory pointer, not kept.
    function verdictFacts(uint256[] calldata keys) external view returns (uint256[] memory words) {
        uint256 n = keys.length / 3;
        words = new uint256[](n * FACTS);
        // See the @dev above: plain storage reads into the freshly allocated `words`.
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                let key := add(keys.offset, mul(i, 0x60))
                let who := calldataload(key)
                let hash := calldataload(add(key, 0x20))
                let issuer := and(who, 0xffffffffffffffffffffffffffffffffffffffff)
                let batch := shr(255, who)
                let out := add(add(words, 0x20), mul(i, 0xa0))
                // The record: keccak256(issuer, hash, space).
                mstore(scratch, issuer)
                mstore(add(scratch, 0x20), hash)
                mstore(add(scratch, 0x40), CREDENTIALS)
                if batch {
                    mstore(add(scratch, 0x40), BATCHES)
                }
                let record := sload(keccak256(scratch, 0x60))
                mstore(out, record)
                // The issuer's record: _issuers[issuer].
                mstore(add(scratch, 0x20), _issuers.slot)
                mstore(add(out, 0x20), sload(keccak256(scratch, 0x40)))
                // The record's accreditation: _issuerMeta[record.issuerId].
                mstore(scratch, and(record, 0xffffff))
                mstore(add(scratch, 0x20), _issuerMeta.slot)
                mstore(add(out, 0x40), sload(keccak256(scratch, 0x40)))
                if batch {
                    let word := calldataload(add(key, 0x40))
                    mstore(add(out, 0x60), sload(_memberSlot(scratch, _revokedMembers.slot, issuer, hash, word)))
                    mstore(add(out, 0x80), sload(_memberSlot(scratch, _suspendedMembers.slot, issuer, hash, word)))
                }
            }

            /// The slot of map[issuer][root][word] for a member bitmap `map` at slot `base`.
            function _memberSlot(mem, base, issuer_, root, word_) -> slot {
                mstore(mem, issuer_)
                mstore(add(mem, 0x20), base)
                mstore(add(mem, 0x20), keccak256(mem, 0x40))
                mstore(mem, root)
                mstore(add(mem, 0x20), keccak256(mem, 0x40))
                mstore(mem, word_)
                slot := keccak256(mem, 0x40)
            }
        }
    }

    /// @inheritdoc ICredentialRegistry
    function verdictReader() external view returns (address) {
        return VERDICT_READER;
    }
}
