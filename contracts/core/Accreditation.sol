// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IAccreditation} from "../interfaces/IAccreditation.sol";
import {
    EconomyRecord,
    IssuerMeta,
    IssuerRecord,
    IssuerStanding,
    MAX_SCHEMAS,
    Offer,
    SchemaRecord,
    StoredRecognition
} from "../types/CCRTypes.sol";

/// @title The framework: council, economies, schemas, issuers, operators and recognition.
/// @dev The council is OpenZeppelin's default admin: transferable in two steps with a delay.
abstract contract Accreditation is IAccreditation, AccessControlDefaultAdminRules {
    mapping(bytes2 economy => EconomyRecord) private _economies;
    mapping(address authority => bytes2 economy) private _authorityEconomy;
    SchemaRecord[] private _schemas;
    uint128 private _deprecatedSchemas;
    uint24 private _issuerCount;
    mapping(address issuer => IssuerRecord) internal _issuers;
    mapping(uint24 id => IssuerMeta) internal _issuerMeta;
    /// @dev Keyed by accreditation id, so that a released address does not take its operators into a new one.
    mapping(uint24 issuerId => mapping(address operator => bool)) internal _operators;
    mapping(address issuer => mapping(bytes2 economy => Offer)) private _offers;
    /// @dev A recognition holds only while both economies are in the membership it was given in: removing an
    /// economy bumps its epoch, which ends every recognition it gave or received (also if it is admitted again).
    mapping(bytes2 economy => mapping(bytes2 other => StoredRecognition)) private _recognitions;
    mapping(bytes2 economy => uint64 epoch) private _epochs;

    constructor(
        address council,
        uint48 councilTransferDelay,
        bytes2[] memory economies,
        address[] memory authorities
    ) AccessControlDefaultAdminRules(councilTransferDelay, council) {
        if (economies.length != authorities.length) revert EconomyListMismatch(economies.length, authorities.length);
        for (uint256 i = 0; i < economies.length; ++i) {
            _admitEconomy(economies[i], authorities[i]);
        }
    }

    // ---------------------------------------------------------------- council

    /// @inheritdoc IAccreditation
    function admitEconomy(bytes2 economy, address authority) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _admitEconomy(economy, authority);
    }

    function _admitEconomy(bytes2 economy, address authority) private {
        if (!_isEconomyCode(economy)) revert InvalidEconomyCode(economy);
        EconomyRecord storage record = _economies[economy];
        if (record.member) revert EconomyAlreadyMember(economy);
        record.member = true;
        _setAuthority(economy, record, authority);
        emit EconomyAdmitted(economy, authority);
    }

    /// @inheritdoc IAccreditation
    function removeEconomy(bytes2 economy) external onlyRole(DEFAULT_ADMIN_ROLE) {
        EconomyRecord storage record = _memberEconomy(economy);
        if (record.liveIssuers != 0) revert EconomyHasLiveIssuers(economy, record.liveIssuers);
        address authority = record.authority;
        delete _authorityEconomy[authority];
        delete _economies[economy];
        ++_epochs[economy];
        emit EconomyRemoved(economy, authority);
    }

    /// @inheritdoc IAccreditation
    function appointAuthority(bytes2 economy, address authority) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _replaceAuthority(economy, authority);
    }

    /// @inheritdoc IAccreditation
    function registerSchema(
        string calldata name,
        string calldata uri,
        bytes32 digest
    ) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint8 schema) {
        if (bytes(name).length == 0 || bytes(uri).length == 0 || digest == bytes32(0)) {
            revert InvalidSchema(name, uri, digest);
        }
        uint256 count = _schemas.length;
        if (count == MAX_SCHEMAS) revert SchemaLimitReached(MAX_SCHEMAS);
        schema = uint8(count); // count < MAX_SCHEMAS = 128
        _schemas.push(SchemaRecord({name: name, uri: uri, digest: digest, deprecated: false}));
        emit SchemaRegistered(schema, name, uri, digest);
    }

    /// @inheritdoc IAccreditation
    function releaseIssuer(address issuer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        IssuerRecord storage record = _issuers[issuer];
        if (record.standing == IssuerStanding.NONE) revert UnknownIssuer(issuer);
        (uint24 id, bytes2 economy) = (record.id, record.economy);
        if (record.standing != IssuerStanding.REVOKED) {
            _issuerMeta[id].changedAt = _now();
            --_economies[economy].liveIssuers;
        }
        // The accreditation's meta (account, economy, times) stays for the credentials anchored under `id`; the
        // verdict reads an id that is no longer its address's as revoked.
        delete _issuers[issuer];
        emit IssuerReleased(issuer, economy, id, msg.sender);
    }

    /// @inheritdoc IAccreditation
    function deprecateSchema(uint8 schema) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _checkSchema(schema);
        SchemaRecord storage record = _schemas[schema];
        if (record.deprecated) revert SchemaIsDeprecated(schema);
        record.deprecated = true;
        _deprecatedSchemas |= uint128(1) << schema;
        emit SchemaDeprecated(schema);
    }

    // ---------------------------------------------------------------- economy authority

    /// @inheritdoc IAccreditation
    function transferAuthority(address newAuthority) external {
        _replaceAuthority(_callerEconomy(), newAuthority);
    }

    /// @inheritdoc IAccreditation
    function offerAccreditation(address issuer, uint128 schemas, uint40 validFrom, uint40 validUntil) external {
        bytes2 economy = _callerEconomy();
        if (issuer == address(0)) revert InvalidIssuer(issuer);
        _checkUnregistered(issuer);
        _checkAccreditation(issuer, 0, schemas, validFrom, validUntil);
        _offers[issuer][economy] = Offer({
            authority: msg.sender,
            validFrom: validFrom,
            validUntil: validUntil,
            schemas: schemas
        });
        emit AccreditationOffered(issuer, economy, schemas, validFrom, validUntil, msg.sender);
    }

    /// @inheritdoc IAccreditation
    function withdrawOffer(address issuer) external {
        bytes2 economy = _callerEconomy();
        Offer storage offer = _offers[issuer][economy];
        if (offer.authority == address(0)) revert NoMatchingOffer(issuer, economy, 0, 0, 0);
        delete _offers[issuer][economy];
        emit AccreditationOfferWithdrawn(issuer, economy, msg.sender);
    }

    /// @inheritdoc IAccreditation
    function amendAccreditation(address issuer, uint128 schemas, uint40 validFrom, uint40 validUntil) external {
        IssuerRecord storage record = _ownIssuer(issuer);
        if (record.standing == IssuerStanding.REVOKED) revert InvalidIssuerTransition(issuer, uint8(record.standing));
        _checkAccreditation(issuer, record.schemas, schemas, validFrom, validUntil);
        (record.schemas, record.validFrom, record.validUntil) = (schemas, validFrom, validUntil);
        emit AccreditationAmended(issuer, record.economy, schemas, validFrom, validUntil, msg.sender);
    }

    /// @inheritdoc IAccreditation
    function suspendIssuer(address issuer) external {
        IssuerRecord storage record = _changeStanding(issuer, IssuerStanding.ACTIVE, IssuerStanding.SUSPENDED);
        emit IssuerSuspended(issuer, record.economy, msg.sender);
    }

    /// @inheritdoc IAccreditation
    function reinstateIssuer(address issuer) external {
        IssuerRecord storage record = _changeStanding(issuer, IssuerStanding.SUSPENDED, IssuerStanding.ACTIVE);
        emit IssuerReinstated(issuer, record.economy, msg.sender);
    }

    /// @inheritdoc IAccreditation
    function revokeIssuer(address issuer, uint40 compromisedAt) external {
        if (compromisedAt > block.timestamp) revert InvalidCompromiseTime(compromisedAt, block.timestamp);
        IssuerRecord storage record = _ownIssuer(issuer);
        if (record.standing == IssuerStanding.REVOKED) revert InvalidIssuerTransition(issuer, uint8(record.standing));
        record.standing = IssuerStanding.REVOKED;
        IssuerMeta storage meta = _issuerMeta[record.id];
        (meta.changedAt, meta.compromisedAt) = (_now(), compromisedAt);
        --_economies[record.economy].liveIssuers;
        emit IssuerRevoked(issuer, record.economy, compromisedAt, msg.sender);
    }

    /// @inheritdoc IAccreditation
    function recognise(bytes2 other, uint8 schema) external {
        bytes2 economy = _callerEconomy();
        if (other == economy) revert SelfRecognition(economy);
        _memberEconomy(other);
        _checkSchema(schema);
        uint128 bit = uint128(1) << schema;
        uint128 current = _recognised(economy, other);
        if (current & bit != 0) revert RecognitionUnchanged(economy, other, schema);
        _recognitions[economy][other] = StoredRecognition(current | bit, _epochs[economy], _epochs[other]);
        emit RecognitionGranted(economy, other, schema, msg.sender);
    }

    /// @inheritdoc IAccreditation
    function withdrawRecognition(bytes2 other, uint8 schema) external {
        bytes2 economy = _callerEconomy();
        uint128 bit = schema < MAX_SCHEMAS ? uint128(1) << schema : 0;
        uint128 current = _recognised(economy, other);
        if (current & bit == 0) revert RecognitionUnchanged(economy, other, schema);
        _recognitions[economy][other].schemas = current & ~bit;
        emit RecognitionWithdrawn(economy, other, schema, msg.sender);
    }

    // ---------------------------------------------------------------- issuer

    /// @inheritdoc IAccreditation
    function acceptAccreditation(bytes2 economy, uint128 schemas, uint40 validFrom, uint40 validUntil) external {
        address issuer = msg.sender;
        _checkUnregistered(issuer);
        Offer memory offer = _offers[issuer][economy];
        if (
            offer.authority == address(0) ||
            offer.authority != _authorityOf(economy) ||
            offer.schemas != schemas ||
            offer.validFrom != validFrom ||
            offer.validUntil != validUntil
        ) revert NoMatchingOffer(issuer, economy, schemas, validFrom, validUntil);
        // A schema deprecated since the offer is refused as it would be in a new offer.
        _checkAccreditation(issuer, 0, schemas, validFrom, validUntil);
        delete _offers[issuer][economy];
        uint24 id = ++_issuerCount;
        _issuers[issuer] = IssuerRecord({
            id: id,
            economy: economy,
            standing: IssuerStanding.ACTIVE,
            validFrom: validFrom,
            validUntil: validUntil,
            schemas: schemas
        });
        _issuerMeta[id] = IssuerMeta({account: issuer, changedAt: _now(), compromisedAt: 0, economy: economy});
        ++_economies[economy].liveIssuers;
        emit IssuerAccredited(issuer, economy, id, schemas, validFrom, validUntil, issuer);
    }

    /// @inheritdoc IAccreditation
    function addOperator(address operator) external {
        IssuerRecord storage record = _issuers[msg.sender];
        IssuerStanding standing = record.standing;
        if (standing == IssuerStanding.NONE) revert UnknownIssuer(msg.sender);
        if (standing == IssuerStanding.REVOKED) revert InvalidIssuerTransition(msg.sender, uint8(standing));
        mapping(address => bool) storage operators = _operators[record.id];
        if (operator == address(0) || operator == msg.sender || operators[operator]) {
            revert InvalidOperator(msg.sender, operator);
        }
        operators[operator] = true;
        emit OperatorAdded(msg.sender, operator);
    }

    /// @inheritdoc IAccreditation
    function removeOperator(address operator) external {
        mapping(address => bool) storage operators = _operators[_issuers[msg.sender].id];
        if (!operators[operator]) revert InvalidOperator(msg.sender, operator);
        delete operators[operator];
        emit OperatorRemoved(msg.sender, operator);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IAccreditation
    function getEconomy(bytes2 economy) external view returns (EconomyRecord memory) {
        return _economies[economy];
    }

    /// @inheritdoc IAccreditation
    function economyOf(address account) external view returns (bytes2) {
        return _authorityEconomy[account];
    }

    /// @inheritdoc IAccreditation
    function schemaCount() external view returns (uint8) {
        return uint8(_schemas.length);
    }

    /// @inheritdoc IAccreditation
    function getSchema(uint8 schema) external view returns (SchemaRecord memory) {
        _checkSchema(schema);
        return _schemas[schema];
    }

    /// @inheritdoc IAccreditation
    function getIssuer(address issuer) external view returns (IssuerRecord memory) {
        return _issuers[issuer];
    }

    /// @inheritdoc IAccreditation
    function getIssuerMeta(uint24 id) external view returns (IssuerMeta memory) {
        return _issuerMeta[id];
    }

    /// @inheritdoc IAccreditation
    function issuerCount() external view returns (uint24) {
        return _issuerCount;
    }

    /// @inheritdoc IAccreditation
    function getOffer(address issuer, bytes2 economy) external view returns (Offer memory) {
        return _offers[issuer][economy];
    }

    /// @inheritdoc IAccreditation
    function isOperator(address issuer, address operator) external view returns (bool) {
        uint24 id = _issuers[issuer].id;
        return id != 0 && _operators[id][operator];
    }

    /// @inheritdoc IAccreditation
    function recognisedSchemas(bytes2 economy, bytes2 other) external view returns (uint128) {
        return _recognised(economy, other);
    }

    /// @dev The schemas `economy` recognises of `other`, unless either was removed since they were recognised.
    function _recognised(bytes2 economy, bytes2 other) private view returns (uint128) {
        StoredRecognition storage stored = _recognitions[economy][other];
        return stored.economyEpoch == _epochs[economy] && stored.otherEpoch == _epochs[other] ? stored.schemas : 0;
    }

    // ---------------------------------------------------------------- internal

    /// @dev The authority of `economy` (zero if it is not a member).
    function _authorityOf(bytes2 economy) internal view returns (address) {
        return _economies[economy].authority;
    }

    /// @dev block.timestamp fits 40 bits until the year 36812.
    function _now() internal view returns (uint40) {
        return uint40(block.timestamp);
    }

    function _callerEconomy() private view returns (bytes2 economy) {
        economy = _authorityEconomy[msg.sender];
        if (economy == bytes2(0)) revert NotAnAuthority(msg.sender);
    }

    /// @dev The record of `issuer`, which must be an issuer of the caller's economy.
    function _ownIssuer(address issuer) private view returns (IssuerRecord storage record) {
        bytes2 economy = _callerEconomy();
        record = _issuers[issuer];
        if (record.standing == IssuerStanding.NONE) revert UnknownIssuer(issuer);
        if (record.economy != economy) revert IssuerOfOtherEconomy(issuer, record.economy, economy);
    }

    function _changeStanding(
        address issuer,
        IssuerStanding from,
        IssuerStanding to
    ) private returns (IssuerRecord storage record) {
        record = _ownIssuer(issuer);
        if (record.standing != from) revert InvalidIssuerTransition(issuer, uint8(record.standing));
        record.standing = to;
        _issuerMeta[record.id].changedAt = _now();
    }

    function _checkAccreditation(
        address issuer,
        uint128 held,
        uint128 schemas,
        uint40 validFrom,
        uint40 validUntil
    ) private view {
        if (schemas == 0) revert EmptySchemaSet(issuer);
        uint256 count = _schemas.length;
        if (schemas >> count != 0) revert UnknownSchema(Math.log2(schemas));
        uint128 newlyDeprecated = schemas & ~held & _deprecatedSchemas;
        if (newlyDeprecated != 0) revert SchemaIsDeprecated(uint8(Math.log2(newlyDeprecated)));
        if (validUntil != 0 && validUntil <= validFrom) revert InvalidWindow(validFrom, validUntil);
    }

    function _checkUnregistered(address issuer) private view {
        IssuerRecord storage record = _issuers[issuer];
        if (record.standing != IssuerStanding.NONE) revert IssuerAlreadyRegistered(issuer, record.economy);
    }

    function _checkSchema(uint256 schema) private view {
        if (schema >= _schemas.length) revert UnknownSchema(schema);
    }

    function _memberEconomy(bytes2 economy) private view returns (EconomyRecord storage record) {
        record = _economies[economy];
        if (!record.member) revert EconomyNotMember(economy);
    }

    function _replaceAuthority(bytes2 economy, address authority) private {
        EconomyRecord storage record = _memberEconomy(economy);
        address previous = record.authority;
        delete _authorityEconomy[previous];
        _setAuthority(economy, record, authority);
        emit AuthorityChanged(economy, previous, authority, msg.sender);
    }

    function _setAuthority(bytes2 economy, EconomyRecord storage record, address authority) private {
        if (authority == address(0) || _authorityEconomy[authority] != bytes2(0)) revert InvalidAuthority(authority);
        record.authority = authority;
        _authorityEconomy[authority] = economy;
    }

    function _isEconomyCode(bytes2 code) private pure returns (bool) {
        return _isUpper(code[0]) && _isUpper(code[1]);
    }

    function _isUpper(bytes1 char) private pure returns (bool) {
        return char >= "A" && char <= "Z";
    }
}
