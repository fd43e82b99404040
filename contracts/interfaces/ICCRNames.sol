// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Names and profiles of a CCR framework's economies, their authorities and issuers.
/// @notice The council names economies and their authorities; an economy's authority names its issuers; an issuer
/// may set its own website. An issuer's name is unique within its economy (ASCII letters' case aside), so that a name
/// with its economy stands for an address; it ends with the accreditation it was given to (a released address's name
/// is free again).
interface ICCRNames {
    /// @notice A display name with the legal name and website behind it.
    struct Profile {
        string name;
        string legalName;
        string website;
    }

    /// @notice Emitted when the council sets `economy`'s profile and its authority's display name.
    event EconomyNamed(bytes2 indexed economy, string name, string legalName, string website, string authorityName);
    /// @notice Emitted when `issuer`'s authority (`by`) sets its profile.
    event IssuerNamed(address indexed issuer, string name, string legalName, string website, address by);
    /// @notice Emitted when an issuer sets its own website.
    event IssuerWebsiteSet(address indexed issuer, string website);

    /// @notice `caller` is not the framework's council.
    error NotCouncil(address caller);
    /// @notice `economy` is not a member of the framework.
    error NotMemberEconomy(bytes2 economy);
    /// @notice `account` has no accreditation in the framework.
    error NotAnIssuer(address account);
    /// @notice `caller` is not the authority of `issuer`'s economy `economy`.
    error NotIssuersAuthority(address caller, address issuer, bytes2 economy);
    /// @notice `field` is `length` bytes long; it must be 1 to `limit` (display names) or at most `limit` bytes.
    error InvalidField(string field, uint256 length, uint256 limit);
    /// @notice `name` already names `holder`, an issuer of `economy`.
    error NameTaken(string name, address holder, bytes2 economy);
    /// @notice The name `value` given for `field` begins or ends with a space or a control character.
    error UntrimmedName(string field, string value);

    /// @notice Sets `economy`'s profile and its authority's display name (the council).
    function nameEconomy(
        bytes2 economy,
        string calldata name,
        string calldata legalName,
        string calldata website,
        string calldata authorityName
    ) external;

    /// @notice Sets `issuer`'s profile (the authority of its economy).
    function nameIssuer(
        address issuer,
        string calldata name,
        string calldata legalName,
        string calldata website
    ) external;

    /// @notice Sets the calling issuer's own website.
    function setWebsite(string calldata website) external;

    /// @notice `economy`'s profile and its authority's display name.
    function economyProfile(bytes2 economy) external view returns (Profile memory profile, string memory authorityName);

    /// @notice `issuer`'s profile, empty unless it was given to the accreditation the address has now.
    function issuerProfile(address issuer) external view returns (Profile memory);

    /// @notice The issuer of `economy` named `name` (ASCII letters' case aside), or zero.
    function issuerNamed(bytes2 economy, string calldata name) external view returns (address);

    /// @notice The registry whose council, economies and issuers these names belong to.
    function registry() external view returns (address);
}
