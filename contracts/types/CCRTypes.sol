// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev Schemas are numbered 0..MAX_SCHEMAS-1 so that an issuer's accredited schemas fit one bitmap inside its
/// single-slot record: anchoring then checks accreditation with one storage read.
uint256 constant MAX_SCHEMAS = 128;

/// @notice The answer a verifier gets. The numeric values are stable; the precedence when several apply is
/// documented on {ICredentialRegistry-verdict}.
enum Status {
    UNKNOWN,
    VALID,
    NOT_YET_VALID,
    EXPIRED,
    SUSPENDED,
    REVOKED,
    ISSUER_SUSPENDED,
    ISSUER_REVOKED
}

/// @notice An issuer's standing. ACTIVE, SUSPENDED and REVOKED are stored; PENDING (window not begun) and LAPSED
/// (window ended) are derived from an ACTIVE issuer's accreditation window when reported.
enum IssuerStanding {
    NONE,
    ACTIVE,
    SUSPENDED,
    REVOKED,
    PENDING,
    LAPSED
}

/// @notice The stored state of a single credential, a whole batch or a batch member. HELD is a suspension imposed by
/// the issuer's economy authority (a regulatory hold): only that economy's authority can lift it. SUSPENDED is the
/// issuer's own suspension, which the issuer, its operators or the authority can lift.
enum AnchorState {
    NONE,
    ACTIVE,
    SUSPENDED,
    REVOKED,
    HELD
}

/// @notice How an anchor was made, as carried in the anchoring events' `terms`.
enum AnchorMode {
    ISSUER, // by the issuer's own key (`actor` is the issuer)
    OPERATOR, // by one of the issuer's operators (`actor` is the operator)
    SIGNED // by the issuer's signed request (`actor` is the relayer that sent it)
}

/// @notice Which entry decided a verdict's status (its `decidedAt` and `reason` are that entry's).
enum Decider {
    NONE, // VALID or UNKNOWN: nothing applies
    CREDENTIAL, // the single credential's record
    BATCH, // the whole batch's record
    MEMBER, // the batch member's entry: members keep no time or reason on-chain, see {MembersStatusChanged}
    ISSUER, // the issuer's revocation (with compromise) or suspension
    VALIDITY // the credential's validity window (EXPIRED, NOT_YET_VALID)
}

/// @notice An issuer's accreditation, in one storage slot (24 + 16 + 8 + 40 + 40 + 128 = 256 bits).
struct IssuerRecord {
    uint24 id; // position in the issuer list, 1-based; what credential records point to
    bytes2 economy; // ISO 3166-1 alpha-2 code, fixed for the issuer's life
    IssuerStanding standing; // ACTIVE, SUSPENDED or REVOKED
    uint40 validFrom; // accreditation window, inclusive
    uint40 validUntil; // inclusive; 0 = open-ended
    uint128 schemas; // bit i set = accredited for schema i
}

/// @notice One accreditation of an address (an issuer id), in one slot (160 + 40 + 40 + 16 bits). It outlives the
/// address's record when the council releases the address, so that credentials anchored under it keep their economy
/// and standing.
struct IssuerMeta {
    address account;
    uint40 changedAt; // time of the last suspension, reinstatement or revocation
    uint40 compromisedAt; // 0 = revoked without compromise (or not revoked)
    bytes2 economy;
}

/// @notice An economy authority's offer of accreditation to an address, which the address accepts to become an
/// issuer (two slots). The offer lapses when the economy's authority changes.
struct Offer {
    address authority;
    uint40 validFrom;
    uint40 validUntil;
    uint128 schemas;
}

/// @notice A single credential or a whole Merkle batch, in one storage slot (24 + 8 + 8 + 8 + 32 + 4 x 40 = 240 bits).
struct AnchorRecord {
    uint24 issuerId;
    uint8 schema;
    AnchorState state;
    uint8 reason; // RFC 5280 reason code of the last revocation or suspension
    uint32 size; // number of batch members; 0 for a single credential
    uint40 anchoredAt;
    uint40 validFrom; // 0 = valid from anchoring
    uint40 validUntil; // inclusive; 0 = no expiry
    uint40 changedAt; // time of the last revocation, suspension or reinstatement
}

/// @notice A member economy of the framework.
struct EconomyRecord {
    address authority;
    bool member;
    uint32 liveIssuers; // accredited and not revoked; an economy can only be removed when this is 0
}

/// @notice A credential schema registered by the council: the JSON Schema document of its credential subject, named
/// by where it is published and by the SHA-256 digest of its bytes, so that whoever fetches it can check it.
struct SchemaRecord {
    string name;
    string uri; // where the JSON Schema document is published
    bytes32 digest; // SHA-256 of the document's bytes
    bool deprecated;
}

/// @notice A set of batch members: bit b of `bits` is member `word * 256 + b`.
struct MemberSet {
    uint256 word;
    uint256 bits;
}

/// @notice What a verifier asks about: a single credential (`batchRoot` zero) or a batch member with its proof,
/// anchored by `issuer` (records are kept per issuer: the issuer a credential names is part of the question).
struct Query {
    address issuer;
    bytes32 credential;
    bytes32 batchRoot;
    uint256 index;
    bytes32[] proof;
}

/// @notice The complete answer for one credential.
struct Verdict {
    Status status;
    Decider decidedBy; // which entry decided `status`
    uint40 decidedAt; // when that entry took its state (0 for MEMBER: see {Decider}; validFrom/validUntil for VALIDITY)
    uint8 reason; // RFC 5280 reason of the deciding revocation or suspension (CREDENTIAL, BATCH)
    IssuerStanding issuerStanding; // the issuer's standing now, whatever time was asked about
    bool recognised; // issued in the verifier's economy, or in one whose accreditations it recognises for the schema
    bool batchMember;
    address issuer;
    bytes2 economy;
    uint8 schema;
    uint40 anchoredAt;
    uint40 validFrom;
    uint40 validUntil;
    uint40 compromisedAt;
}

/// @notice An issuer's signed request to anchor a credential (`size` 0) or a batch root (`size` > 0).
struct AnchorRequest {
    address issuer;
    bytes32 hash;
    uint32 size;
    uint8 schema;
    uint40 validFrom;
    uint40 validUntil;
    uint40 deadline;
}

/// @notice The schemas one economy recognises of another, with both economies' epochs (membership counts) when they
/// were recognised: a removal of either ends the recognition. One slot.
struct StoredRecognition {
    uint128 schemas;
    uint64 economyEpoch;
    uint64 otherEpoch;
}
