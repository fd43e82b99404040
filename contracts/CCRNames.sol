// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IAccreditation} from "./interfaces/IAccreditation.sol";
import {ICCRNames} from "./interfaces/ICCRNames.sol";
import {EconomyRecord, IssuerRecord} from "./types/CCRTypes.sol";

/// @title Names and profiles beside a CCR registry, whose council, authorities and issuers it asks who may name whom.
contract CCRNames is ICCRNames {
    /// @notice Longest display name, in bytes.
    uint256 public constant MAX_NAME = 64;
    /// @notice Longest legal name or website, in bytes.
    uint256 public constant MAX_TEXT = 200;

    address private immutable _REGISTRY;

    mapping(bytes2 economy => Profile) private _economies;
    mapping(bytes2 economy => string) private _authorityNames;
    mapping(address issuer => Profile) private _issuers;
    mapping(bytes32 nameHash => address issuer) private _issuerByName;

    constructor(address registry_) {
        _REGISTRY = registry_;
    }

    /// @inheritdoc ICCRNames
    function nameEconomy(
        bytes2 economy,
        string calldata name,
        string calldata legalName,
        string calldata website,
        string calldata authorityName
    ) external override {
        if (msg.sender != IAccessControlDefaultAdminRules(_REGISTRY).defaultAdmin()) revert NotCouncil(msg.sender);
        EconomyRecord memory record = IAccreditation(_REGISTRY).getEconomy(economy);
        if (!record.member) revert NotMemberEconomy(economy);
        _checkProfile(name, legalName, website);
        _checkName("authorityName", authorityName);
        _economies[economy] = Profile(name, legalName, website);
        _authorityNames[economy] = authorityName;
        emit EconomyNamed(economy, name, legalName, website, authorityName);
    }

    /// @inheritdoc ICCRNames
    function nameIssuer(
        address issuer,
        string calldata name,
        string calldata legalName,
        string calldata website
    ) external override {
        IssuerRecord memory record = IAccreditation(_REGISTRY).getIssuer(issuer);
        if (record.id == 0) revert NotAnIssuer(issuer);
        if (msg.sender != IAccreditation(_REGISTRY).getEconomy(record.economy).authority) {
            revert NotIssuersAuthority(msg.sender, issuer, record.economy);
        }
        _checkProfile(name, legalName, website);
        bytes32 key = keccak256(bytes(name));
        address holder = _issuerByName[key];
        if (holder != address(0) && holder != issuer) revert NameTaken(name, holder);
        delete _issuerByName[keccak256(bytes(_issuers[issuer].name))];
        _issuerByName[key] = issuer;
        _issuers[issuer] = Profile(name, legalName, website);
        emit IssuerNamed(issuer, name, legalName, website, msg.sender);
    }

    /// @inheritdoc ICCRNames
    function setWebsite(string calldata website) external override {
        if (IAccreditation(_REGISTRY).getIssuer(msg.sender).id == 0) revert NotAnIssuer(msg.sender);
        _checkText("website", website);
        _issuers[msg.sender].website = website;
        emit IssuerWebsiteSet(msg.sender, website);
    }

    /// @inheritdoc ICCRNames
    function economyProfile(
        bytes2 economy
    ) external view override returns (Profile memory profile, string memory authorityName) {
        return (_economies[economy], _authorityNames[economy]);
    }

    /// @inheritdoc ICCRNames
    function issuerProfile(address issuer) external view override returns (Profile memory) {
        return _issuers[issuer];
    }

    /// @inheritdoc ICCRNames
    function registry() external view override returns (address) {
        return _REGISTRY;
    }

    /// @inheritdoc ICCRNames
    function issuerNamed(string calldata name) external view override returns (address) {
        return _issuerByName[keccak256(bytes(name))];
    }

    function _checkProfile(string calldata name, string calldata legalName, string calldata website) private pure {
        _checkName("name", name);
        _checkText("legalName", legalName);
        _checkText("website", website);
    }

    function _checkName(string memory field, string calldata value) private pure {
        uint256 length = bytes(value).length;
        if (length == 0 || length > MAX_NAME) revert InvalidField(field, length, MAX_NAME);
    }

    function _checkText(string memory field, string calldata value) private pure {
        uint256 length = bytes(value).length;
        if (length > MAX_TEXT) revert InvalidField(field, length, MAX_TEXT);
    }
}
