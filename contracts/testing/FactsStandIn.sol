// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {VerdictReader} from "../core/VerdictReader.sol";

/// @title A registry stand-in that answers {ICredentialRegistry-verdictFacts} wrongly, for the tests: the reader it
/// creates must pass its revert on, and refuse an answer of the wrong size.
contract FactsStandIn {
    /// @notice The reader this stand-in created (its registry, as far as the reader knows).
    VerdictReader public immutable READER;
    /// @dev Words to answer with; zero: revert.
    uint256 private immutable WORDS;

    /// @notice Thrown by {verdictFacts} when told to refuse.
    error FactsRefused(uint256 keys);

    constructor(uint256 words) {
        WORDS = words;
        READER = new VerdictReader();
    }

    function verdictFacts(uint256[] calldata keys) external view returns (uint256[] memory) {
        if (WORDS == 0) revert FactsRefused(keys.length);
        return new uint256[](WORDS);
    }
}
