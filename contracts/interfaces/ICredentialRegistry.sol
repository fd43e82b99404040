// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnchorRecord, AnchorRequest, AnchorState, MemberSet} from "../types/CCRTypes.sol";

/// @title Credential anchoring and status.
/// @notice Issuers (or their operators) anchor credential hashes one by one or as Merkle batches, and revoke,
/// suspend and reinstate them. The issuer's economy authority may do the same (regulatory action); a suspension it
/// imposes is a hold (state HELD) that only it can lift. Only hashes go on-chain.
///
/// Records are kept per issuer: a credential or batch is named by its issuer and its hash, so no issuer can anchor
/// over, change, read as or block another issuer's record. Every status function takes the issuer first.
///
/// Batches use the leaf format of OpenZeppelin's merkle-tree (StandardMerkleTree) with leaf encoding
/// `["bytes32", "uint256"]` = (credential hash, index in the batch), see {BatchLeaf}.
///
/// Revocation and suspension take RFC 5280 reason codes: 0 unspecified, 1 keyCompromise, 2 cACompromise,
/// 3 affiliationChanged, 4 superseded, 5 cessationOfOperation, 6 certificateHold (suspension only), 9
/// privilegeWithdrawn, 10 aACompromise. Codes 7, 8 and above 10 are refused.
///
/// Operators: an operator key can do everything the issuer's own key can do with credentials (anchor under the
/// issuer's accreditation, revoke, suspend and reinstate its credentials), but not manage operators, cancel signed
/// requests or accept accreditation. A leaked operator key is limited by removing it ({IAccreditation-removeOperator},
/// effective at once); what it anchored meanwhile is visible in the events (`mode` OPERATOR, `actor` the key) and can
/// be revoked by the issuer. Issuers that want fewer keys exposed anchor through signed requests instead.
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
    /// @notice Thrown when anchoring a credential or batch whose window has already ended (`validUntil` before now). A
    /// `validFrom` in the past is allowed (backdated credentials such as diplomas are anchored after the fact) as long
    /// as it lies inside the issuer's accreditation window.
    error ValidityEnded(uint40 validUntil, uint256 now_);
    /// @notice Thrown when a credential's or batch's `validFrom` lies outside `issuer`'s accreditation window
    /// [`accreditedFrom`, `accreditedUntil`] (0 = open end): its validity must start inside the accreditation, neither
    /// backdated before it began nor after it ends.
    error ValidityOutsideAccreditation(address issuer, uint40 validFrom, uint40 accreditedFrom, uint40 accreditedUntil);
    /// @notice Thrown when anchoring the zero hash.
    error ZeroHash();
    /// @notice Thrown when anchoring a batch of no members.
    error EmptyBatch(bytes32 root);
    /// @notice Thrown when `issuer` already anchored this credential hash or batch root (this also makes signed requests
    /// single-use).
    error AlreadyAnchored(address issuer, bytes32 hash);
    /// @notice Thrown when acting on a credential or batch that `issuer` has not anchored.
    error NotAnchored(address issuer, bytes32 hash);
    /// @notice Thrown when a status change does not apply to the current state: revoked is final, and a hold (HELD)
    /// is lifted only by the economy's authority.
    error InvalidTransition(address issuer, bytes32 hash, AnchorState current, AnchorState requested);
    /// @notice Thrown when a member status change does not apply to member `index`'s current state.
    error InvalidMemberTransition(
        address issuer,
        bytes32 root,
        uint256 index,
        AnchorState current,
        AnchorState requested
    );
    /// @notice Thrown when a member set (`word`, `bits`) names no member, or a member at or beyond the batch size.
    error MemberOutOfRange(bytes32 root, uint256 word, uint256 bits, uint32 size);
    /// @notice Thrown when a reason code is not allowed for the change.
    error InvalidReason(uint8 reason);
    /// @notice Thrown when a signed request is relayed after its deadline.
    error RequestExpired(uint40 deadline, uint256 now_);
    /// @notice Thrown when a signed request's signature is not the issuer's (EOA or ERC-1271).
    error InvalidSignature(address issuer);
    /// @notice Thrown when relaying a signed request that its issuer cancelled, or cancelling it twice.
    error RequestCancelled(address issuer, bytes32 digest);

    // ---------------------------------------------------------------- events

    /// @notice Emitted when `issuer` anchors a credential hash. `terms` packs, in one word: the actor (bits 0-159: the
    /// issuer's key, the operator, or the relayer of a signed request), the schema (160-167), `validFrom` (168-207),
    /// `validUntil` (208-247) and the {AnchorMode} (248-255). The issuer's economy is its accreditation's, the
    /// anchoring time the block's.
    /// @dev One packed data word instead of four: anchoring is the hot path, and a data word costs 256 gas.
    event CredentialAnchored(bytes32 indexed credential, address indexed issuer, uint256 terms);
    /// @notice Emitted when `issuer` anchors a Merkle batch of `size` credentials (`terms` as in {CredentialAnchored}).
    event BatchAnchored(bytes32 indexed root, address indexed issuer, uint256 terms, uint32 size);
    /// @notice Emitted when an issuer cancels a signed anchoring request that was not relayed yet.
    event AnchorRequestCancelled(address indexed issuer, bytes32 indexed digest);
    /// @notice Emitted when a single credential is revoked, suspended, held or reinstated (`state` is the new state;
    /// HELD when the economy's authority suspended it).
    event CredentialStatusChanged(
        bytes32 indexed credential,
        address indexed issuer,
        AnchorState state,
        uint8 reason,
        address actor
    );
    /// @notice Emitted when a whole batch is revoked, suspended, held or reinstated.
    event BatchStatusChanged(
        bytes32 indexed root,
        address indexed issuer,
        AnchorState state,
        uint8 reason,
        address actor
    );
    /// @notice Emitted when the members `word * 256 + b` for every set bit b of `bits` change to `state` (HELD when
    /// the economy's authority suspended them). Members keep no time or reason on-chain: this event is their record.
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
    /// [`validFrom`, `validUntil`] (0 = from anchoring / no expiry). A window that has already ended is refused; one
    /// that began in the past is allowed (backdated credentials).
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
    /// it cannot be replayed because an issuer anchors a hash at most once; the issuer can cancel it before it is
    /// relayed ({cancelAnchorRequest}).
    function anchorSigned(AnchorRequest calldata request, bytes calldata signature) external;

    /// @notice The caller, an issuer (EOA or contract wallet), cancels its signed request with EIP-712 digest `digest`
    /// (see {anchorRequestDigest}): it will never anchor. Cancelling a request that already anchored changes nothing.
    function cancelAnchorRequest(bytes32 digest) external;

    /// @notice Whether `issuer` cancelled its signed request with digest `digest`.
    function isRequestCancelled(address issuer, bytes32 digest) external view returns (bool);

    /// @notice The EIP-712 digest an issuer signs for `request`.
    function anchorRequestDigest(AnchorRequest calldata request) external view returns (bytes32);

    // ---------------------------------------------------------------- status

    /// @notice Revokes `issuer`'s single credential for good.
    function revokeCredential(address issuer, bytes32 credential, uint8 reason) external;

    /// @notice Suspends `issuer`'s single credential (reversible); the economy's authority's suspension is a hold.
    function suspendCredential(address issuer, bytes32 credential, uint8 reason) external;

    /// @notice Reinstates `issuer`'s suspended single credential (a hold: only by the economy's authority).
    function reinstateCredential(address issuer, bytes32 credential) external;

    /// @notice Revokes `issuer`'s whole batch for good.
    function revokeBatch(address issuer, bytes32 root, uint8 reason) external;

    /// @notice Suspends `issuer`'s whole batch; the economy's authority's suspension is a hold.
    function suspendBatch(address issuer, bytes32 root, uint8 reason) external;

    /// @notice Reinstates `issuer`'s suspended batch (a hold: only by the economy's authority).
    function reinstateBatch(address issuer, bytes32 root) external;

    /// @notice Revokes batch members for good, 256 per word of `members`; each must not be revoked yet.
    function revokeMembers(address issuer, bytes32 root, MemberSet[] calldata members, uint8 reason) external;

    /// @notice Suspends batch members; each must be neither revoked nor suspended (the economy's authority may also
    /// hold members the issuer suspended).
    function suspendMembers(address issuer, bytes32 root, MemberSet[] calldata members, uint8 reason) external;

    /// @notice Reinstates suspended batch members; each must be suspended and not revoked, and held members only by
    /// the economy's authority.
    function reinstateMembers(address issuer, bytes32 root, MemberSet[] calldata members) external;

    // ---------------------------------------------------------------- records

    /// @notice The stored record of `issuer`'s single credential.
    function getCredential(address issuer, bytes32 credential) external view returns (AnchorRecord memory);

    /// @notice The stored record of `issuer`'s batch.
    function getBatch(address issuer, bytes32 root) external view returns (AnchorRecord memory);

    /// @notice The revoked, suspended and held bits of members `word * 256 ... word * 256 + 255` of `issuer`'s batch
    /// `root` (a held member is also suspended).
    function memberBits(
        address issuer,
        bytes32 root,
        uint256 word
    ) external view returns (uint256 revoked, uint256 suspended, uint256 held);

    /// @notice What verdicts are computed from, as raw storage words, in one call (the {VerdictReader}'s source).
    /// `keys` holds three words per credential: the issuer's address (bit 255 set for a batch), the credential hash or
    /// batch root, and the batch member's word (index / 256). Five words come back per credential: its record (or its
    /// batch's), its issuer's record, the record's accreditation (`IssuerMeta`), and for a batch member the revoked and
    /// suspended bits of its member word. Records are laid out as the structs in CCRTypes.sol (pinned by
    /// test/contracts/Packing.t.sol).
    function verdictFacts(uint256[] calldata keys) external view returns (uint256[] memory words);

    /// @notice The version of the registry's interface, for tools that refuse a contract that is not a CCR registry.
    function ccrVersion() external pure returns (string memory);

    /// @notice The read-only contract that computes verdicts; the registry forwards {IVerdicts} calls to it.
    function verdictReader() external view returns (address);
}
