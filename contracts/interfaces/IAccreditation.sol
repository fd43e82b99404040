// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EconomyRecord, IssuerRecord, IssuerMeta, Offer, SchemaRecord} from "../types/CCRTypes.sol";

/// @title The framework: council, member economies, schemas, issuer accreditation and mutual recognition.
/// @notice The council (the default admin, transferable in two steps with a delay) admits and removes economies,
/// appoints their authorities and registers schemas. Each economy's authority accredits its issuers and decides
/// which other economies' accreditations it recognises. An address becomes an issuer only with its consent: the
/// authority offers an accreditation, the address accepts it. Issuers name the operator keys that act for them.
interface IAccreditation {
    // ---------------------------------------------------------------- errors

    /// @notice Thrown when the constructor's lists of first economies and their authorities differ in length.
    error EconomyListMismatch(uint256 economies, uint256 authorities);
    /// @notice Thrown when `code` is not two upper-case ASCII letters (ISO 3166-1 alpha-2).
    error InvalidEconomyCode(bytes2 code);
    /// @notice Thrown when admitting an economy that is already a member.
    error EconomyAlreadyMember(bytes2 economy);
    /// @notice Thrown when acting on an economy that is not a member.
    error EconomyNotMember(bytes2 economy);
    /// @notice Thrown when removing an economy that still has issuers that are not revoked.
    error EconomyHasLiveIssuers(bytes2 economy, uint32 liveIssuers);
    /// @notice Thrown when an authority address is zero or already serves an economy.
    error InvalidAuthority(address authority);
    /// @notice Thrown when `account` is not the authority of any member economy.
    error NotAnAuthority(address account);
    /// @notice Thrown when registering a schema without a name, a URI or a digest.
    error InvalidSchema(string name, string uri, bytes32 digest);
    /// @notice Thrown when registering a schema beyond the framework's limit of `max` schemas.
    error SchemaLimitReached(uint256 max);
    /// @notice Thrown when `schema` is not registered.
    error UnknownSchema(uint256 schema);
    /// @notice Thrown when deprecating a schema twice, or granting a deprecated schema to an issuer.
    error SchemaIsDeprecated(uint8 schema);
    /// @notice Thrown when an accreditation names no schema.
    error EmptySchemaSet(address issuer);
    /// @notice Thrown when a validity window ends before it starts.
    error InvalidWindow(uint40 validFrom, uint40 validUntil);
    /// @notice Thrown when accrediting the zero address.
    error InvalidIssuer(address issuer);
    /// @notice Thrown when offering accreditation to, or accepting it for, an address that already is an issuer (of
    /// `economy`; an address's economy is fixed until the council releases it).
    error IssuerAlreadyRegistered(address issuer, bytes2 economy);
    /// @notice Thrown when an address accepts terms that `economy`'s authority has not offered it (no offer, other
    /// terms, or the offer lapsed because the economy's authority changed).
    error NoMatchingOffer(address issuer, bytes2 economy, uint128 schemas, uint40 validFrom, uint40 validUntil);
    /// @notice Thrown when `issuer` has never been accredited.
    error UnknownIssuer(address issuer);
    /// @notice Thrown when an authority acts on an issuer of another economy.
    error IssuerOfOtherEconomy(address issuer, bytes2 issuerEconomy, bytes2 authorityEconomy);
    /// @notice Thrown when an issuer action is not allowed in the issuer's current standing.
    error InvalidIssuerTransition(address issuer, uint8 standing);
    /// @notice Thrown when a compromise time is in the future.
    error InvalidCompromiseTime(uint40 compromisedAt, uint256 now_);
    /// @notice Thrown when adding an operator that is zero, the issuer itself, or already an operator; or removing one
    /// that is not.
    error InvalidOperator(address issuer, address operator);
    /// @notice Thrown when an economy tries to recognise itself.
    error SelfRecognition(bytes2 economy);
    /// @notice Thrown when granting a recognition that exists or withdrawing one that does not.
    error RecognitionUnchanged(bytes2 economy, bytes2 recognised, uint8 schema);

    // ---------------------------------------------------------------- events

    /// @notice Emitted when the council admits `economy` with `authority`.
    event EconomyAdmitted(bytes2 indexed economy, address indexed authority);
    /// @notice Emitted when the council removes `economy`; its authority is cleared, and every recognition it gave or
    /// received ends (they do not return if it is admitted again).
    event EconomyRemoved(bytes2 indexed economy, address indexed authority);
    /// @notice Emitted when an economy's authority changes, by the council (`actor`) or by the outgoing authority.
    event AuthorityChanged(
        bytes2 indexed economy,
        address indexed previousAuthority,
        address indexed newAuthority,
        address actor
    );
    /// @notice Emitted when the council registers a schema.
    event SchemaRegistered(uint8 indexed schema, string name, string uri, bytes32 digest);
    /// @notice Emitted when the council deprecates a schema: no new accreditation may name it.
    event SchemaDeprecated(uint8 indexed schema);
    /// @notice Emitted when `economy`'s authority offers `issuer` an accreditation (replacing an earlier offer).
    event AccreditationOffered(
        address indexed issuer,
        bytes2 indexed economy,
        uint128 schemas,
        uint40 validFrom,
        uint40 validUntil,
        address actor
    );
    /// @notice Emitted when `economy`'s authority withdraws its offer to `issuer`.
    event AccreditationOfferWithdrawn(address indexed issuer, bytes2 indexed economy, address actor);
    /// @notice Emitted when an address accepts `economy`'s offer and becomes its issuer (`actor` is the issuer); `id`
    /// is what credential records point to.
    event IssuerAccredited(
        address indexed issuer,
        bytes2 indexed economy,
        uint24 id,
        uint128 schemas,
        uint40 validFrom,
        uint40 validUntil,
        address actor
    );
    /// @notice Emitted when an authority amends or renews an issuer's schemas and window.
    event AccreditationAmended(
        address indexed issuer,
        bytes2 indexed economy,
        uint128 schemas,
        uint40 validFrom,
        uint40 validUntil,
        address actor
    );
    /// @notice Emitted when an authority suspends an issuer.
    event IssuerSuspended(address indexed issuer, bytes2 indexed economy, address actor);
    /// @notice Emitted when an authority reinstates a suspended issuer.
    event IssuerReinstated(address indexed issuer, bytes2 indexed economy, address actor);
    /// @notice Emitted when an authority revokes an issuer; credentials anchored at or after `compromisedAt` (if not
    /// zero) are invalid from now on.
    event IssuerRevoked(address indexed issuer, bytes2 indexed economy, uint40 compromisedAt, address actor);
    /// @notice Emitted when the council releases `issuer`'s address from accreditation `id` of `economy`: the
    /// accreditation ends as a revocation without compromise and the address may accept a new offer.
    event IssuerReleased(address indexed issuer, bytes2 indexed economy, uint24 id, address actor);
    /// @notice Emitted when an issuer adds an operator key.
    event OperatorAdded(address indexed issuer, address indexed operator);
    /// @notice Emitted when an issuer removes an operator key.
    event OperatorRemoved(address indexed issuer, address indexed operator);
    /// @notice Emitted when `economy` recognises `recognised`'s accreditations for `schema`.
    event RecognitionGranted(bytes2 indexed economy, bytes2 indexed recognised, uint8 indexed schema, address actor);
    /// @notice Emitted when `economy` withdraws its recognition of `recognised`'s accreditations for `schema`.
    event RecognitionWithdrawn(bytes2 indexed economy, bytes2 indexed recognised, uint8 indexed schema, address actor);

    // ---------------------------------------------------------------- council

    /// @notice Admits `economy` (ISO 3166-1 alpha-2) with `authority`. Council only.
    function admitEconomy(bytes2 economy, address authority) external;

    /// @notice Removes `economy`. Council only; the economy must have no issuer left that is not revoked. Its authority
    /// is cleared, so its revoked issuers' credentials keep their last status and only their issuers' own past
    /// suspensions remain. While it is not a member it neither recognises nor is recognised: verdicts report
    /// `recognised` false for verifiers in it and for its issuers' credentials. The recognitions it granted and was
    /// granted stay stored and apply again if the council readmits it; its pending offers lapse (the authority changes).
    function removeEconomy(bytes2 economy) external;

    /// @notice Appoints a new authority for `economy`. Council only.
    function appointAuthority(bytes2 economy, address authority) external;

    /// @notice Registers a schema and returns its id (0, 1, 2, ...): `name`, the `uri` where its JSON Schema document
    /// is published and the SHA-256 `digest` of that document's bytes (all three required). Council only.
    function registerSchema(string calldata name, string calldata uri, bytes32 digest) external returns (uint8 schema);

    /// @notice Deprecates `schema`. Council only. Existing accreditations keep it until amended, so a schema can be
    /// phased out without invalidating anything; no new accreditation may add it.
    function deprecateSchema(uint8 schema) external;

    /// @notice Releases `issuer`'s address from its economy. Council only, for an address an authority claimed but
    /// that never used the accreditation (the council checks the event history: the chain keeps no count of anchors).
    /// The accreditation ends as a revocation without compromise, so anything it did anchor keeps its verdict, its
    /// economy and its authority; the address's operators are dropped and it may accept a new offer, under a new id.
    function releaseIssuer(address issuer) external;

    // ---------------------------------------------------------------- economy authority

    /// @notice Hands the caller's authority role to `newAuthority`.
    function transferAuthority(address newAuthority) external;

    /// @notice Offers `issuer` accreditation by the caller's economy, for the schemas in the bitmap `schemas` and the
    /// window [`validFrom`, `validUntil`] (`validUntil` 0 = open-ended). Nothing changes for `issuer` until it accepts
    /// ({acceptAccreditation}); several economies may make offers, the first accepted wins.
    function offerAccreditation(address issuer, uint128 schemas, uint40 validFrom, uint40 validUntil) external;

    /// @notice Withdraws the caller's economy's pending offer to `issuer`.
    function withdrawOffer(address issuer) external;

    /// @notice Amends or renews an issuer's schemas and window. Not allowed once the issuer is revoked.
    function amendAccreditation(address issuer, uint128 schemas, uint40 validFrom, uint40 validUntil) external;

    /// @notice Suspends an active issuer: it cannot anchor and its credentials verify ISSUER_SUSPENDED.
    function suspendIssuer(address issuer) external;

    /// @notice Reinstates a suspended issuer.
    function reinstateIssuer(address issuer) external;

    /// @notice Revokes an issuer for good. With `compromisedAt` not zero, the issuer's credentials anchored at or after
    /// that time verify ISSUER_REVOKED; earlier ones stay valid. Only the authority may then act on its credentials.
    function revokeIssuer(address issuer, uint40 compromisedAt) external;

    /// @notice The caller's economy recognises `other`'s accreditations for `schema`.
    function recognise(bytes2 other, uint8 schema) external;

    /// @notice The caller's economy withdraws its recognition of `other`'s accreditations for `schema`.
    function withdrawRecognition(bytes2 other, uint8 schema) external;

    // ---------------------------------------------------------------- issuer

    /// @notice The caller accepts `economy`'s offer and becomes its issuer, naming the terms it consents to (they must
    /// be the offer's). An address is an issuer of one economy until the council releases it.
    function acceptAccreditation(bytes2 economy, uint128 schemas, uint40 validFrom, uint40 validUntil) external;

    /// @notice The caller, an issuer that is not revoked, lets `operator` anchor and manage credentials for it.
    function addOperator(address operator) external;

    /// @notice The caller, an issuer, withdraws `operator`'s rights.
    function removeOperator(address operator) external;

    // ---------------------------------------------------------------- views

    /// @notice The record of `economy`.
    function getEconomy(bytes2 economy) external view returns (EconomyRecord memory);

    /// @notice The economy `account` is the authority of, or zero.
    function economyOf(address account) external view returns (bytes2);

    /// @notice The number of registered schemas.
    function schemaCount() external view returns (uint8);

    /// @notice The record of `schema`.
    function getSchema(uint8 schema) external view returns (SchemaRecord memory);

    /// @notice The accreditation record of `issuer` (all zero if never accredited).
    function getIssuer(address issuer) external view returns (IssuerRecord memory);

    /// @notice The accreditation with id `id`: its address, economy, last standing change and compromise time.
    function getIssuerMeta(uint24 id) external view returns (IssuerMeta memory);

    /// @notice `economy`'s pending offer to `issuer` (all zero if none).
    function getOffer(address issuer, bytes2 economy) external view returns (Offer memory);

    /// @notice The number of accreditations ever accepted (ids run from 1 to this).
    function issuerCount() external view returns (uint24);

    /// @notice Whether `operator` acts for `issuer`.
    function isOperator(address issuer, address operator) external view returns (bool);

    /// @notice The bitmap of schemas for which `economy` recognises `other`'s accreditations (0 once either was
    /// removed after recognising).
    function recognisedSchemas(bytes2 economy, bytes2 other) external view returns (uint128);
}
