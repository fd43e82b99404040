// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ICredentialRegistry} from "../interfaces/ICredentialRegistry.sol";
import {AnchorMode, AnchorRequest} from "../types/CCRTypes.sol";
import {CredentialRegistry} from "./CredentialRegistry.sol";

/// @title Anchoring by an issuer's EIP-712 signature, relayed by anyone.
/// @dev No nonce: a request anchors one hash, and an issuer anchors a hash at most once, so a request is single-use
/// without an extra storage write. The domain binds it to this chain and contract; the deadline bounds its life, and
/// the issuer can cancel it by its digest before it is relayed. Contract wallets sign (and cancel) through ERC-1271.
abstract contract DelegatedAnchoring is CredentialRegistry, EIP712 {
    /// @dev keccak256 of the EIP-712 type of {AnchorRequest}.
    bytes32 private constant ANCHOR_REQUEST_TYPEHASH = keccak256(
        "AnchorRequest(address issuer,bytes32 hash,uint32 size,uint8 schema,uint40 validFrom,uint40 validUntil,uint40 deadline)"
    );

    mapping(address issuer => mapping(bytes32 digest => bool)) private _cancelledRequests;

    /// @inheritdoc ICredentialRegistry
    function anchorSigned(AnchorRequest calldata request, bytes calldata signature) external {
        if (block.timestamp > request.deadline) revert RequestExpired(request.deadline, block.timestamp);
        bytes32 digest = _requestDigest(request);
        if (_cancelledRequests[request.issuer][digest]) revert RequestCancelled(request.issuer, digest);
        if (!SignatureChecker.isValidSignatureNow(request.issuer, digest, signature)) {
            revert InvalidSignature(request.issuer);
        }
        _anchor(
            request.issuer,
            request.hash,
            request.size,
            request.schema,
            request.validFrom,
            request.validUntil,
            AnchorMode.SIGNED
        );
    }

    /// @inheritdoc ICredentialRegistry
    function cancelAnchorRequest(bytes32 digest) external {
        if (_cancelledRequests[msg.sender][digest]) revert RequestCancelled(msg.sender, digest);
        _cancelledRequests[msg.sender][digest] = true;
        emit AnchorRequestCancelled(msg.sender, digest);
    }

    /// @inheritdoc ICredentialRegistry
    function isRequestCancelled(address issuer, bytes32 digest) external view returns (bool) {
        return _cancelledRequests[issuer][digest];
    }

    /// @inheritdoc ICredentialRegistry
    function anchorRequestDigest(AnchorRequest calldata request) external view returns (bytes32) {
        return _requestDigest(request);
    }

    function _requestDigest(AnchorRequest calldata request) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        ANCHOR_REQUEST_TYPEHASH,
                        request.issuer,
                        request.hash,
                        request.size,
                        request.schema,
                        request.validFrom,
                        request.validUntil,
                        request.deadline
                    )
                )
            );
    }
}
