// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CCRRegistry} from "../../contracts/CCRRegistry.sol";
import {
    AnchorRecord,
    AnchorState,
    IssuerMeta,
    IssuerRecord,
    IssuerStanding,
    Query,
    Status,
    Verdict
} from "../../contracts/types/CCRTypes.sol";
import {VM} from "./Vm.sol";

/// @dev Drives random lifecycles: anchoring (also by outsiders and for unaccredited schemas), credential revocation,
/// suspension and reinstatement, issuer suspension, reinstatement and revocation with compromise, and time.
contract LifecycleHandler {
    CCRRegistry public immutable registry;
    address private constant AUTHORITY = address(0xA11CE);
    address private constant OUTSIDER = address(0xBAD);
    address[3] private _issuers = [address(0x1001), address(0x1002), address(0x1003)];
    uint256 private _nonce;

    bytes32[] public anchored;
    bytes32[] public refused;
    mapping(bytes32 credential => bool) public everRevoked;

    constructor() {
        bytes2[] memory economies = new bytes2[](1);
        economies[0] = "SG";
        address[] memory authorities = new address[](1);
        authorities[0] = AUTHORITY;
        registry = new CCRRegistry(address(this), 0, economies, authorities);
        registry.registerSchema("accredited", "u");
        registry.registerSchema("not accredited", "u");
        for (uint256 i = 0; i < 3; ++i) {
            VM.prank(AUTHORITY);
            registry.accreditIssuer(_issuers[i], 1, 0, 0);
        }
    }

    function anchor(uint256 who, uint40 validFrom, uint40 validUntil) external {
        bytes32 hash = keccak256(abi.encode("credential", _nonce++));
        VM.prank(_issuers[who % 3]);
        try registry.anchor(hash, 0, validFrom, validUntil) {
            anchored.push(hash);
        } catch {}
    }

    function anchorWithoutAccreditation(uint256 seed) external {
        bytes32 hash = keccak256(abi.encode("refused", _nonce++));
        refused.push(hash);
        if (seed % 2 == 0) {
            VM.prank(OUTSIDER);
            try registry.anchor(hash, 0, 0, 0) {} catch {}
        } else {
            VM.prank(_issuers[seed % 3]);
            try registry.anchor(hash, 1, 0, 0) {} catch {}
        }
    }

    function revoke(uint256 pick, uint8 reason, bool asAuthority) external {
        if (anchored.length == 0) return;
        bytes32 hash = anchored[pick % anchored.length];
        VM.prank(asAuthority ? AUTHORITY : _issuerOf(hash));
        try registry.revokeCredential(hash, reason % 11) {
            everRevoked[hash] = true;
        } catch {}
    }

    function suspend(uint256 pick) external {
        if (anchored.length == 0) return;
        bytes32 hash = anchored[pick % anchored.length];
        VM.prank(_issuerOf(hash));
        try registry.suspendCredential(hash, 6) {} catch {}
    }

    function reinstate(uint256 pick) external {
        if (anchored.length == 0) return;
        bytes32 hash = anchored[pick % anchored.length];
        VM.prank(AUTHORITY);
        try registry.reinstateCredential(hash) {} catch {}
    }

    function suspendIssuer(uint256 who) external {
        VM.prank(AUTHORITY);
        try registry.suspendIssuer(_issuers[who % 3]) {} catch {}
    }

    function reinstateIssuer(uint256 who) external {
        VM.prank(AUTHORITY);
        try registry.reinstateIssuer(_issuers[who % 3]) {} catch {}
    }

    function revokeIssuer(uint256 who, uint40 ago) external {
        uint40 compromisedAt = ago % 2 == 0 ? 0 : uint40(block.timestamp - (ago % block.timestamp));
        VM.prank(AUTHORITY);
        try registry.revokeIssuer(_issuers[who % 3], compromisedAt) {} catch {}
    }

    function warp(uint32 seconds_) external {
        VM.warp(block.timestamp + (seconds_ % 30 days));
    }

    function anchoredCount() external view returns (uint256) {
        return anchored.length;
    }

    function refusedCount() external view returns (uint256) {
        return refused.length;
    }

    function _issuerOf(bytes32 hash) private view returns (address) {
        return registry.getIssuerMeta(registry.getCredential(hash).issuerId).account;
    }
}

/// @dev Lifecycle invariants over the handler's random histories.
contract LifecycleInvariantTest {
    LifecycleHandler private _handler;

    function setUp() public {
        _handler = new LifecycleHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(_handler);
    }

    /// A revoked credential never verifies VALID again, and stays revoked.
    function invariant_revokedNeverValidAgain() public view {
        CCRRegistry registry = _handler.registry();
        for (uint256 i = 0; i < _handler.anchoredCount(); ++i) {
            bytes32 hash = _handler.anchored(i);
            if (!_handler.everRevoked(hash)) continue;
            require(registry.getCredential(hash).state == AnchorState.REVOKED, "revocation undone");
            require(registry.verdict(_single(hash), "SG").status != Status.VALID, "revoked verifies VALID");
        }
    }

    /// Only accredited issuers' anchors exist.
    function invariant_onlyAccreditedAnchorsExist() public view {
        CCRRegistry registry = _handler.registry();
        for (uint256 i = 0; i < _handler.refusedCount(); ++i) {
            require(registry.getCredential(_handler.refused(i)).state == AnchorState.NONE, "unaccredited anchor");
        }
        for (uint256 i = 0; i < _handler.anchoredCount(); ++i) {
            AnchorRecord memory record = registry.getCredential(_handler.anchored(i));
            IssuerRecord memory issuer = registry.getIssuer(registry.getIssuerMeta(record.issuerId).account);
            require(issuer.standing != IssuerStanding.NONE && (issuer.schemas >> record.schema) & 1 == 1, "issuer");
        }
    }

    /// The verdict follows the documented precedence, and the point-in-time answer for now agrees with it.
    function invariant_verdictFollowsPrecedence() public view {
        CCRRegistry registry = _handler.registry();
        for (uint256 i = 0; i < _handler.anchoredCount(); ++i) {
            bytes32 hash = _handler.anchored(i);
            Verdict memory v = registry.verdict(_single(hash), "SG");
            require(
                v.status == registry.verdictAt(_single(hash), "SG", uint40(block.timestamp)).status,
                "verdictAt(now)"
            );
            require(v.status == _expected(registry, hash), "precedence");
        }
    }

    function _expected(CCRRegistry registry, bytes32 hash) private view returns (Status) {
        AnchorRecord memory r = registry.getCredential(hash);
        IssuerMeta memory meta = registry.getIssuerMeta(r.issuerId);
        IssuerStanding standing = registry.getIssuer(meta.account).standing;
        if (standing == IssuerStanding.REVOKED && meta.compromisedAt != 0 && r.anchoredAt >= meta.compromisedAt) {
            return Status.ISSUER_REVOKED;
        }
        if (r.state == AnchorState.REVOKED) return Status.REVOKED;
        if (r.validUntil != 0 && block.timestamp > r.validUntil) return Status.EXPIRED;
        if (r.state == AnchorState.SUSPENDED) return Status.SUSPENDED;
        if (standing == IssuerStanding.SUSPENDED) return Status.ISSUER_SUSPENDED;
        if (block.timestamp < r.validFrom) return Status.NOT_YET_VALID;
        return Status.VALID;
    }

    function _single(bytes32 hash) private pure returns (Query memory) {
        return Query(hash, bytes32(0), 0, new bytes32[](0));
    }
}
