// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnchorRecord, AnchorRequest, AnchorState, MemberSet, Query, Verdict} from "../types/CCRTypes.sol";

/// @title Credential anchoring, status and verdicts.
/// @notice Issuers (or their operators) anchor credential hashes one by one or as Merkle batches, and revoke,
/// suspend and reinstate them. The issuer's economy authority may do the same (regulatory action). Only hashes go
/// on-chain.
///
/// Batches use the leaf format of OpenZeppelin's merkle-tree (StandardMerkleTree) with leaf encoding
/// `["bytes32", "uint256"]` = (credential hash, index in the batch), see {BatchLeaf}.
///
/// Revocation and suspension take RFC 5280 reason codes: 0 unspecified, 1 keyCompromise, 2 cACompromise,
/// 3 affiliationChanged, 4 superseded, 5 cessationOfOperation, 6 certificateHold (suspension only), 9
/// privilegeWithdrawn, 10 aACompromise. Codes 7, 8 and above 10 are refused.
interface ICredentialRegistry {
    // ---------------------------------------------------------------- errors

    /// @notice Thrown when the caller of an operator function is not an operator of `issuer`.
    error NotOperator(address caller, address issuer);
    /// @notice Thrown when `caller` may not change the status of `issuer`'s credentials (it is not the issuer or its
    /// operator while the issuer is not revoked, nor the authority of the issuer's economy).
    error NotAllowedToManage(address caller, address issuer);
    /// @notice Thrown when an issuer that is not accredited and active anchors.
    error IssuerNotActive(address issuer, uint8 standing);
    /// @notice Thrown when an issuer anchors outside its accreditation window.
    error OutsideAccreditationWindow(address issuer, uint40 validFrom, uint40 validUntil, uint256 now_);
    /// @notice Thrown when an issuer anchors for a schema it is not accredited for.
    error NotAccreditedForSchema(address issuer, uint8 schema);
    /// @notice Thrown when a credential or batch window ends before it starts.
    error InvalidValidity(uint40 validFrom, uint40 validUntil);
    /// @notice Thrown when anchoring the zero hash.
    error ZeroHash();
    /// @notice Thrown when anchoring a batch of no members.
    error EmptyBatch(bytes32 root);
    /// @notice Thrown when a credential hash or batch root is already anchored (this also makes signed requests
    /// single-use).
    error AlreadyAnchored(bytes32 hash);
    /// @notice Thrown when acting on a credential or batch that is not anchored.
    error NotAnchored(bytes32 hash);
    /// @notice Thrown when a status change does not apply to the current state (revoked is final).
    error InvalidTransition(bytes32 hash, AnchorState current, AnchorState requested);
    /// @notice Thrown when a member status change does not apply to member `index`'s current state.
    error InvalidMemberTransition(bytes32 root, uint256 index, AnchorState current, AnchorState requested);
    /// @notice Thrown when a member set (`word`, `bits`) names no member, or a member at or beyond the batch size.
    error MemberOutOfRange(bytes32 root, uint256 word, uint256 bits, uint32 size);
    /// @notice Thrown when a reason code is not allowed for the change.
    error InvalidReason(uint8 reason);
    /// @notice Thrown when a signed request is relayed after its deadline.
    error RequestExpired(uint40 deadline, uint256 now_);
    /// @notice Thrown when a signed request's signature is not the issuer's (EOA or ERC-1271).
    error InvalidSignature(address issuer);

    // ---------------------------------------------------------------- events

    /// @notice Emitted when a credential hash is anchored. The issuer's economy never changes (see
    /// {IAccreditation-IssuerAccredited}), the anchoring time is the block's.
    /// @dev No `actor`: it is not part of the state, and anchoring is the hot path (a data word costs 256 gas). The
    /// key that anchored is the transaction's sender for {anchor} and {anchorFor} (the operator), and the issuer
    /// for {anchorSigned}. Status changes, where issuer and authority both act, carry their actor.
    event CredentialAnchored(
        bytes32 indexed credential,
        address indexed issuer,
        uint8 schema,
        uint40 validFrom,
        uint40 validUntil
    );
    /// @notice Emitted when a Merkle batch of `size` credentials is anchored (see {CredentialAnchored}).
    event BatchAnchored(
        bytes32 indexed root,
        address indexed issuer,
        uint32 size,
        uint8 schema,
        uint40 validFrom,
        uint40 validUntil
    );
    /// @notice Emitted when a single credential is revoked, suspended or reinstated (`state` is the new state).
    event CredentialStatusChanged(
        bytes32 indexed credential,
        address indexed issuer,
        AnchorState state,
        uint8 reason,
        address actor
    );
    /// @notice Emitted when a whole batch is revoked, suspended or reinstated.
    event BatchStatusChanged(
        bytes32 indexed root,
        address indexed issuer,
        AnchorState state,
        uint8 reason,
        address actor
    );
    /// @notice Emitted when the members `word * 256 + b` for every set bit b of `bits` change to `state`.
    event MembersStatusChanged(
        bytes32 indexed root,
        address indexed issuer,
        uint256 word,
        uint256 bits,
        AnchorState state,
        uint8 reason,
        address actor
    );

    // ---------------------------------------------------------------- anchoring

    /// @notice Anchors `credential` for the caller, an active issuer accredited for `schema`, valid in
    /// [`validFrom`, `validUntil`] (0 = from anchoring / no expiry).
    function anchor(bytes32 credential, uint8 schema, uint40 validFrom, uint40 validUntil) external;

    /// @notice Anchors `credential` for `issuer`; the caller is one of its operators.
    function anchorFor(address issuer, bytes32 credential, uint8 schema, uint40 validFrom, uint40 validUntil) external;

    /// @notice Anchors a Merkle batch of `size` credentials for the caller in one transaction.
    function anchorBatch(bytes32 root, uint32 size, uint8 schema, uint40 validFrom, uint40 validUntil) external;

    /// @notice Anchors a Merkle batch for `issuer`; the caller is one of its operators.
    function anchorBatchFor(
        address issuer,
        bytes32 root,
        uint32 size,
        uint8 schema,
        uint40 validFrom,
        uint40 validUntil
    ) external;

    /// @notice Anchors a credential (`request.size` 0) or a batch for `request.issuer`, who signed `request` as EIP-712
    /// typed data; anyone may relay it. The request is bound to this chain and contract and expires at its deadline;
    /// it cannot be replayed because a hash is anchored at most once.
    function anchorSigned(AnchorRequest calldata request, bytes calldata signature) external;

    /// @notice The EIP-712 digest an issuer signs for `request`.
    function anchorRequestDigest(AnchorRequest calldata request) external view returns (bytes32);

    // ---------------------------------------------------------------- status

    /// @notice Revokes a single credential for good.
    function revokeCredential(bytes32 credential, uint8 reason) external;

    /// @notice Suspends a single credential (reversible).
    function suspendCredential(bytes32 credential, uint8 reason) external;

    /// @notice Reinstates a suspended single credential.
    function reinstateCredential(bytes32 credential) external;

    /// @notice Revokes a whole batch for good.
    function revokeBatch(bytes32 root, uint8 reason) external;

    /// @notice Suspends a whole batch.
    function suspendBatch(bytes32 root, uint8 reason) external;

    /// @notice Reinstates a suspended batch.
    function reinstateBatch(bytes32 root) external;

    /// @notice Revokes batch members for good, 256 per word of `members`; each must not be revoked yet.
    function revokeMembers(bytes32 root, MemberSet[] calldata members, uint8 reason) external;

    /// @notice Suspends batch members; each must be neither revoked nor suspended.
    function suspendMembers(bytes32 root, MemberSet[] calldata members, uint8 reason) external;

    /// @notice Reinstates suspended batch members; each must be suspended and not revoked.
    function reinstateMembers(bytes32 root, MemberSet[] calldata members) external;

    // ---------------------------------------------------------------- verdicts

    /// @notice The complete verdict on a credential now, for a verifier in `verifierEconomy` (zero for none).
    /// @dev Precedence, first match wins:
    ///  1. UNKNOWN: not anchored (or the batch proof does not hold).
    ///  2. ISSUER_REVOKED: the issuer was revoked with a compromise time at or before the anchoring.
    ///  3. REVOKED: the credential, its batch or its member entry is revoked.
    ///  4. EXPIRED: past `validUntil`.
    ///  5. SUSPENDED: the credential, its batch or its member entry is suspended.
    ///  6. ISSUER_SUSPENDED: the issuer is suspended.
    ///  7. NOT_YET_VALID: before `validFrom`.
    ///  8. VALID.
    /// Final states come before reversible ones, the credential's own state before its issuer's. An issuer revoked
    /// without compromise, or whose accreditation lapsed, leaves its credentials valid (see `issuerStanding`).
    function verdict(Query calldata query, bytes2 verifierEconomy) external view returns (Verdict memory);

    /// @notice The verdict as the registry would have given it at time `at`, for revocation, expiry, compromise and
    /// anchoring, with the same precedence. Suspensions count from their start if still in force; suspensions that
    /// ended before now are not stored and are left to the event history.
    /// @dev Batch members keep no time per member (that would defeat the cost of a bitmap): a member revoked or
    /// suspended now is reported so at any `at` after anchoring, which errs on the safe side. The exact time of a
    /// member change is in the {MembersStatusChanged} event history (the auditor's index).
    function verdictAt(Query calldata query, bytes2 verifierEconomy, uint40 at) external view returns (Verdict memory);

    /// @notice The verdicts on many credentials in one call.
    function verdicts(Query[] calldata queries, bytes2 verifierEconomy) external view returns (Verdict[] memory);

    /// @notice The stored record of a single credential.
    function getCredential(bytes32 credential) external view returns (AnchorRecord memory);

    /// @notice The stored record of a batch.
    function getBatch(bytes32 root) external view returns (AnchorRecord memory);

    /// @notice The revoked and suspended bits of members `word * 256 ... word * 256 + 255` of batch `root`.
    function memberBits(bytes32 root, uint256 word) external view returns (uint256 revoked, uint256 suspended);
}
