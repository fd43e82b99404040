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

    /// @dev An issuer's profile, for the accreditation (issuer id) it was given to: a released address's profile and
    /// name end with its accreditation.
    struct IssuerEntry {
        Profile profile;
        uint24 id;
    }

    /// @dev Who holds a name: the address and the accreditation it was given to.
    struct NameHolder {
        address issuer;
        uint24 id;
    }

    mapping(bytes2 economy => Profile) private _economies;
    mapping(bytes2 economy => string) private _authorityNames;
    mapping(address issuer => IssuerEntry) private _issuers;
    /// @dev Keyed by {_nameKey}: the economy and the name with ASCII letters folded to lower case.
    mapping(bytes32 nameKey => NameHolder) private _issuerByName;

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
        bytes32 key = _nameKey(record.economy, bytes(name));
        NameHolder memory holder = _issuerByName[key];
        if (holder.issuer != issuer && _holds(holder)) revert NameTaken(name, holder.issuer, record.economy);
        IssuerEntry storage entry = _issuers[issuer];
        bytes32 previous = _nameKey(record.economy, bytes(entry.profile.name));
        if (_issuerByName[previous].issuer == issuer) delete _issuerByName[previous];
        _issuerByName[key] = NameHolder(issuer, record.id);
        (entry.profile, entry.id) = (Profile(name, legalName, website), record.id);
        emit IssuerNamed(issuer, name, legalName, website, msg.sender);
    }

    /// @inheritdoc ICCRNames
    function setWebsite(string calldata website) external override {
        uint24 id = IAccreditation(_REGISTRY).getIssuer(msg.sender).id;
        if (id == 0) revert NotAnIssuer(msg.sender);
        _checkText("website", website);
        IssuerEntry storage entry = _issuers[msg.sender];
        // A profile of an earlier, released accreditation of this address is not this one's.
        if (entry.id != id) (entry.profile, entry.id) = (Profile("", "", ""), id);
        entry.profile.website = website;
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
        IssuerEntry storage entry = _issuers[issuer];
        uint24 id = IAccreditation(_REGISTRY).getIssuer(issuer).id;
        return id != 0 && entry.id == id ? entry.profile : Profile("", "", "");
    }

    /// @inheritdoc ICCRNames
    function registry() external view override returns (address) {
        return _REGISTRY;
    }

    /// @inheritdoc ICCRNames
    function issuerNamed(bytes2 economy, string calldata name) external view override returns (address) {
        NameHolder memory holder = _issuerByName[_nameKey(economy, bytes(name))];
        return _holds(holder) ? holder.issuer : address(0);
    }

    /// @dev Whether `holder` still holds its name: its address still has the accreditation it was named for.
    function _holds(NameHolder memory holder) private view returns (bool) {
        return holder.issuer != address(0) && IAccreditation(_REGISTRY).getIssuer(holder.issuer).id == holder.id;
    }

    /// @dev The key of `name` in `economy`: names differ by more than the case of ASCII letters. (Unicode
    /// normalisation and case folding beyond ASCII are the SDK's, before it sends a name.)
    function _nameKey(bytes2 economy, bytes memory name) private pure returns (bytes32) {
        bytes memory folded = new bytes(name.length);
        for (uint256 i = 0; i < name.length; ++i) {
            bytes1 c = name[i];
            folded[i] = c >= 0x41 && c <= 0x5a ? bytes1(uint8(c) + 32) : c;
        }
        return keccak256(abi.encodePacked(economy, folded));
    }

    function _checkProfile(string calldata name, string calldata legalName, string calldata website) private pure {
        _checkName("name", name);
        _checkText("legalName", legalName);
        _checkText("website", website);
    }

    function _checkName(string memory field, string calldata value) private pure {
        bytes calldata raw = bytes(value);
        uint256 length = raw.length;
        if (length == 0 || length > MAX_NAME) revert InvalidField(field, length, MAX_NAME);
        if (raw[0] <= 0x20 || raw[length - 1] <= 0x20) revert UntrimmedName(field, value);
    }

    function _checkText(string memory field, string calldata value) private pure {
        uint256 length = bytes(value).length;
        if (length > MAX_TEXT) revert InvalidField(field, length, MAX_TEXT);
    }
}
