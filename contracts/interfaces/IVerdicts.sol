// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Query, Verdict} from "../types/CCRTypes.sol";

/// @title Verdicts: everything a verifier needs about a credential, in one view call.
/// @notice The registry answers these calls itself (it forwards them to its read-only {VerdictReader}, whose address
/// it reports), so a verifier needs only the registry's address.
interface IVerdicts {
    /// @notice Thrown when a {VerdictReader}'s registry answers {ICCR-verdictFacts} with `size` bytes instead of
    /// `expected` (never, for the registry that created the reader).
    error UnexpectedFacts(address registry, uint256 size, uint256 expected);

    /// @notice The complete verdict on a credential now, for a verifier in `verifierEconomy` (zero for none).
    /// @dev Precedence, first match wins (`decidedBy` names the entry that decided, `decidedAt` and `reason` are its):
    ///  1. UNKNOWN: `query.issuer` anchored no such credential (or the batch proof does not hold).
    ///  2. ISSUER_REVOKED: the issuer was revoked with a compromise time at or before the anchoring (ISSUER).
    ///  3. REVOKED: the credential or its batch is revoked (CREDENTIAL, BATCH), else its member entry (MEMBER).
    ///  4. EXPIRED: past `validUntil` (VALIDITY).
    ///  5. SUSPENDED: the credential or its batch is suspended or held (CREDENTIAL, BATCH), else its member entry.
    ///  6. ISSUER_SUSPENDED: the issuer is suspended (ISSUER).
    ///  7. NOT_YET_VALID: before `validFrom` (VALIDITY).
    ///  8. VALID.
    /// Final states come before reversible ones, the credential's own state before its issuer's. An issuer revoked
    /// without compromise, or whose accreditation lapsed, leaves its credentials valid (see `issuerStanding`).
    /// `recognised` is true when the verifier's economy is the issuer's or recognises the issuer's economy for the
    /// schema, and both economies are members now: a removed economy neither recognises nor is recognised.
    function verdict(Query calldata query, bytes2 verifierEconomy) external view returns (Verdict memory);

    /// @notice The verdict as the registry would have given it at time `at`, with the same precedence: anchoring,
    /// revocation, expiry and compromise exactly; suspensions count from their start if still in force (suspensions
    /// that ended before now are not stored and are left to the event history). A state that began after `at` is not
    /// reported, nor its reason.
    /// @dev Batch members keep no time per member (that would defeat the cost of a bitmap): a member revoked or
    /// suspended now is reported so at any `at` after anchoring, which errs on the safe side. The exact time and
    /// reason of a member change are in the {ICredentialRegistry-MembersStatusChanged} event history.
    function verdictAt(Query calldata query, bytes2 verifierEconomy, uint40 at) external view returns (Verdict memory);

    /// @notice The verdicts on many credentials in one call.
    function verdicts(Query[] calldata queries, bytes2 verifierEconomy) external view returns (Verdict[] memory);
}
