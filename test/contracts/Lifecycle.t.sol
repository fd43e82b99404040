// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CCRRegistry} from "../../contracts/CCRRegistry.sol";
import {ICCR} from "../../contracts/interfaces/ICCR.sol";
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
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {FuzzSelector, VM} from "./Vm.sol";

/// @dev Drives random histories over two economies (SG with two issuers, JP with one), all anchoring from one small
/// pool of hashes so that issuers keep trying each other's hashes (front-running), and every actor (each issuer,
/// each authority, an outsider) tries every status change on every record. Keeps a copy of every record, updated
/// only from the record acted on after a successful call, and notes any success by a party that had no right to it.
contract LifecycleHandler {
    CCRRegistry public immutable registry;
    address private constant AUTHORITY_SG = address(0xA11CE);
    address private constant AUTHORITY_JP = address(0xB0B);
    address private constant OUTSIDER = address(0xBAD);
    uint256 private constant ISSUERS = 3;
    uint256 private constant HASHES = 3;
    address[ISSUERS] private _issuers = [address(0x1001), address(0x1002), address(0x1003)];
    address[ISSUERS] private _authorityOf = [AUTHORITY_SG, AUTHORITY_SG, AUTHORITY_JP];

    /// @dev The expected record of issuer i's credential j.
    mapping(uint256 issuer => mapping(uint256 hash => AnchorRecord)) private _expected;
    mapping(uint256 issuer => mapping(uint256 hash => bool)) public everRevoked;
    bytes32[] public refused;
    bool public crossPartyChange;
    bool public holdLiftedByIssuer;
    bool public anchoredTwice;
    /// @dev Anchored records as issuer * HASHES + hash, what the status changes pick from.
    uint256[] private _anchored;

    constructor() {
        bytes2[] memory economies = new bytes2[](2);
        (economies[0], economies[1]) = ("SG", "JP");
        address[] memory authorities = new address[](2);
        (authorities[0], authorities[1]) = (AUTHORITY_SG, AUTHORITY_JP);
        registry = new CCRRegistry(address(this), 0, economies, authorities);
        registry.registerSchema("accredited", "u", keccak256("accredited"));
        registry.registerSchema("not accredited", "u", keccak256("not accredited"));
        for (uint256 i = 0; i < ISSUERS; ++i) {
            bytes2 economy = i < 2 ? bytes2("SG") : bytes2("JP");
            VM.prank(_authorityOf[i]);
            registry.offerAccreditation(_issuers[i], 1, 0, 0);
            VM.prank(_issuers[i]);
            registry.acceptAccreditation(economy, 1, 0, 0);
        }
    }

    function issuer(uint256 i) external view returns (address) {
        return _issuers[i];
    }

    function hashOf(uint256 j) public pure returns (bytes32) {
        return keccak256(abi.encode("credential", j));
    }

    function expected(uint256 i, uint256 j) external view returns (AnchorRecord memory) {
        return _expected[i][j];
    }

    /// @dev Windows are mostly valid (from up to 60 days back or ahead, until up to 90 days later or open-ended), so
    /// that runs reach the status changes; refusals are exercised by {anchorWithoutAccreditation}.
    function anchor(uint256 who, uint256 pick, uint40 from, uint40 length) external {
        (uint256 i, uint256 j) = (who % ISSUERS, pick % HASHES);
        uint40 validFrom = uint40(block.timestamp + (from % 120 days)) - 60 days;
        uint40 validUntil = length % 4 == 0 ? 0 : uint40(Math.max(validFrom, block.timestamp)) + 1 + (length % 90 days);
        bool existed = _expected[i][j].state != AnchorState.NONE;
        VM.prank(_issuers[i]);
        try registry.anchor(hashOf(j), 0, validFrom, validUntil) {
            if (existed) anchoredTwice = true;
            _anchored.push(i * HASHES + j);
            _expected[i][j] = registry.getCredential(_issuers[i], hashOf(j));
        } catch {}
    }

    function anchorWithoutAccreditation(uint256 seed) external {
        bytes32 hash = keccak256(abi.encode("refused", refused.length));
        refused.push(hash);
        if (seed % 2 == 0) {
            VM.prank(OUTSIDER);
            try registry.anchor(hash, 0, 0, 0) {} catch {}
        } else {
            VM.prank(_issuers[seed % ISSUERS]);
            try registry.anchor(hash, 1, 0, 0) {} catch {}
        }
    }

    /// @dev `actor` 0-2 an issuer, 3 SG's authority, 4 JP's authority, 5 an outsider; `op` 0 revoke, 1 suspend,
    /// 2 reinstate; the target is the anchored record `pick`.
    function change(uint256 actor, uint256 pick, uint256 op, uint8 reason) external {
        _change(_actor(actor % 6), pick, op, reason, false, false);
    }

    /// @dev A change by the target's own issuer (the common case, made likelier than in {change}).
    function changeAsIssuer(uint256 pick, uint256 op, uint8 reason) external {
        _change(address(0), pick, op, reason, true, false);
    }

    /// @dev A change by the target's own economy authority.
    function changeAsAuthority(uint256 pick, uint256 op, uint8 reason) external {
        _change(address(0), pick, op, reason, false, true);
    }

    function _change(address caller, uint256 pick, uint256 op, uint8 reason, bool asIssuer, bool asAuthority) private {
        if (_anchored.length == 0) return;
        uint256 record = _anchored[pick % _anchored.length];
        (uint256 i, uint256 j) = (record / HASHES, record % HASHES);
        if (asIssuer) caller = _issuers[i];
        if (asAuthority) caller = _authorityOf[i];
        AnchorState before = _expected[i][j].state;
        VM.prank(caller);
        bool ok;
        if (op % 3 == 0) {
            try registry.revokeCredential(_issuers[i], hashOf(j), reason % 11) {
                ok = true;
                everRevoked[i][j] = true;
            } catch {}
        } else if (op % 3 == 1) {
            try registry.suspendCredential(_issuers[i], hashOf(j), 6) {
                ok = true;
            } catch {}
        } else {
            try registry.reinstateCredential(_issuers[i], hashOf(j)) {
                ok = true;
                if (before == AnchorState.HELD && caller != _authorityOf[i]) holdLiftedByIssuer = true;
            } catch {}
        }
        if (!ok) return;
        if (caller != _issuers[i] && caller != _authorityOf[i]) crossPartyChange = true;
        _expected[i][j] = registry.getCredential(_issuers[i], hashOf(j));
    }

    function suspendIssuer(uint256 who) external {
        VM.prank(_authorityOf[who % ISSUERS]);
        try registry.suspendIssuer(_issuers[who % ISSUERS]) {} catch {}
    }

    function reinstateIssuer(uint256 who) external {
        VM.prank(_authorityOf[who % ISSUERS]);
        try registry.reinstateIssuer(_issuers[who % ISSUERS]) {} catch {}
    }

    function revokeIssuer(uint256 who, uint40 ago) external {
        uint40 compromisedAt = ago % 2 == 0 ? 0 : uint40(block.timestamp - (ago % block.timestamp));
        VM.prank(_authorityOf[who % ISSUERS]);
        try registry.revokeIssuer(_issuers[who % ISSUERS], compromisedAt) {} catch {}
    }

    function warp(uint32 seconds_) external {
        VM.warp(block.timestamp + (seconds_ % 30 days));
    }

    function refusedCount() external view returns (uint256) {
        return refused.length;
    }

    function _actor(uint256 k) private view returns (address) {
        if (k < ISSUERS) return _issuers[k];
        if (k == 3) return AUTHORITY_SG;
        if (k == 4) return AUTHORITY_JP;
        return OUTSIDER;
    }
}

/// @dev Lifecycle invariants over the handler's random histories.
contract LifecycleInvariantTest {
    LifecycleHandler private _handler;
    uint256 private constant ISSUERS = 3;
    uint256 private constant HASHES = 3;

    function setUp() public {
        VM.warp(1_700_000_000); // a realistic clock, so that windows can begin in the past
        _handler = new LifecycleHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(_handler);
    }

    /// @dev Only the handler's actions, not its views: every call of a run changes something.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = LifecycleHandler.anchor.selector;
        selectors[1] = LifecycleHandler.anchorWithoutAccreditation.selector;
        selectors[2] = LifecycleHandler.change.selector;
        selectors[3] = LifecycleHandler.suspendIssuer.selector;
        selectors[4] = LifecycleHandler.reinstateIssuer.selector;
        selectors[5] = LifecycleHandler.revokeIssuer.selector;
        selectors[6] = LifecycleHandler.warp.selector;
        selectors[7] = LifecycleHandler.changeAsIssuer.selector;
        selectors[8] = LifecycleHandler.changeAsAuthority.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(_handler), selectors);
    }

    /// No action by issuer A changes a record of issuer B, and no action by authority X changes what authority Y's
    /// issuers anchored: every record is exactly what its own parties' successful actions left, and nobody else ever
    /// succeeded in changing one. An issuer anchors a hash at most once, whoever else anchored it.
    function invariant_noCrossPartyChange() public view {
        require(!_handler.crossPartyChange(), "a party changed a record it has no right to");
        require(!_handler.anchoredTwice(), "a hash anchored twice by one issuer");
        CCRRegistry registry = _handler.registry();
        for (uint256 i = 0; i < ISSUERS; ++i) {
            for (uint256 j = 0; j < HASHES; ++j) {
                AnchorRecord memory actual = registry.getCredential(_handler.issuer(i), _handler.hashOf(j));
                require(keccak256(abi.encode(actual)) == keccak256(abi.encode(_handler.expected(i, j))), "record");
            }
        }
    }

    /// A hold imposed by the economy's authority is lifted only by that authority.
    function invariant_holdsLiftedOnlyByAuthority() public view {
        require(!_handler.holdLiftedByIssuer(), "an issuer lifted its authority's hold");
    }

    /// A revoked credential never verifies VALID again, and stays revoked.
    function invariant_revokedNeverValidAgain() public view {
        CCRRegistry registry = _handler.registry();
        for (uint256 i = 0; i < ISSUERS; ++i) {
            for (uint256 j = 0; j < HASHES; ++j) {
                if (!_handler.everRevoked(i, j)) continue;
                (address issuer, bytes32 hash) = (_handler.issuer(i), _handler.hashOf(j));
                require(registry.getCredential(issuer, hash).state == AnchorState.REVOKED, "revocation undone");
                require(
                    ICCR(address(registry)).verdict(_single(issuer, hash), "SG").status != Status.VALID,
                    "revoked is VALID"
                );
            }
        }
    }

    /// Only accredited issuers' anchors exist.
    function invariant_onlyAccreditedAnchorsExist() public view {
        CCRRegistry registry = _handler.registry();
        for (uint256 k = 0; k < _handler.refusedCount(); ++k) {
            for (uint256 i = 0; i < ISSUERS; ++i) {
                AnchorRecord memory refused = registry.getCredential(_handler.issuer(i), _handler.refused(k));
                require(refused.state == AnchorState.NONE, "unaccredited anchor");
            }
        }
        for (uint256 i = 0; i < ISSUERS; ++i) {
            for (uint256 j = 0; j < HASHES; ++j) {
                AnchorRecord memory record = registry.getCredential(_handler.issuer(i), _handler.hashOf(j));
                if (record.state == AnchorState.NONE) continue;
                IssuerMeta memory meta = registry.getIssuerMeta(record.issuerId);
                IssuerRecord memory issuerRecord = registry.getIssuer(meta.account);
                require(meta.account == _handler.issuer(i), "record of another issuer");
                require((issuerRecord.schemas >> record.schema) & 1 == 1, "schema");
            }
        }
    }

    /// The verdict follows the documented precedence, names the issuer asked about, and the point-in-time answer for
    /// now agrees with it.
    function invariant_verdictFollowsPrecedence() public view {
        CCRRegistry registry = _handler.registry();
        for (uint256 i = 0; i < ISSUERS; ++i) {
            for (uint256 j = 0; j < HASHES; ++j) {
                Query memory query = _single(_handler.issuer(i), _handler.hashOf(j));
                Verdict memory v = ICCR(address(registry)).verdict(query, "SG");
                require(
                    v.status == ICCR(address(registry)).verdictAt(query, "SG", uint40(block.timestamp)).status,
                    "verdictAt"
                );
                require(v.status == _expected(registry, query), "precedence");
                if (v.status != Status.UNKNOWN) require(v.issuer == query.issuer, "issuer");
            }
        }
    }

    function _expected(CCRRegistry registry, Query memory query) private view returns (Status) {
        AnchorRecord memory r = registry.getCredential(query.issuer, query.credential);
        if (r.state == AnchorState.NONE) return Status.UNKNOWN;
        IssuerMeta memory meta = registry.getIssuerMeta(r.issuerId);
        IssuerStanding standing = registry.getIssuer(meta.account).standing;
        if (standing == IssuerStanding.REVOKED && meta.compromisedAt != 0 && r.anchoredAt >= meta.compromisedAt) {
            return Status.ISSUER_REVOKED;
        }
        if (r.state == AnchorState.REVOKED) return Status.REVOKED;
        if (r.validUntil != 0 && block.timestamp > r.validUntil) return Status.EXPIRED;
        if (r.state == AnchorState.SUSPENDED || r.state == AnchorState.HELD) return Status.SUSPENDED;
        if (standing == IssuerStanding.SUSPENDED) return Status.ISSUER_SUSPENDED;
        if (block.timestamp < r.validFrom) return Status.NOT_YET_VALID;
        return Status.VALID;
    }

    function _single(address issuer, bytes32 hash) private pure returns (Query memory) {
        return Query(issuer, hash, bytes32(0), 0, new bytes32[](0));
    }
}
