// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Names and profiles of a CCR framework's economies, their authorities and issuers.
/// @notice The council names economies and their authorities; an economy's authority names its issuers; an issuer
/// may set its own website. Issuer names are unique (case as written), so that a name can stand for an address.
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
    /// @notice `name` already names `holder`.
    error NameTaken(string name, address holder);

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

    /// @notice `issuer`'s profile.
    function issuerProfile(address issuer) external view returns (Profile memory);

    /// @notice The issuer named `name`, or zero.
    function issuerNamed(string calldata name) external view returns (address);

    /// @notice The registry whose council, economies and issuers these names belong to.
    function registry() external view returns (address);
}
