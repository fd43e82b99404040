/**
 * What `npm run mutation` breaks, and which tests must notice. Each TypeScript target names a module's trust-checking
 * functions (Stryker mutates every line of them) and the test files of that module alone: a check caught only by an
 * end-to-end test elsewhere counts as a survivor. Each Solidity mutant is one deliberate break of one check, with the
 * test files that cover that contract.
 */

export interface TypeScriptTarget {
  file: string;
  /** Functions, `Class.method`s or `const` arrow functions of `file` whose every line is mutated. */
  checks: readonly string[];
  /** The module's own tests, run as plain mocha files (no chain: they must be quick to run hundreds of times). */
  tests: readonly string[];
  /** Only the tests whose titles match (mocha's grep), when some cannot run mutated code. */
  grep?: string;
  /** Mutants no test can kill because the program behaves the same: each with the reason (listed in the README). */
  equivalent?: readonly Equivalent[];
}

export interface Equivalent {
  /** The mutated source line, trimmed, as it reads in the file. */
  line: string;
  /** Stryker's mutator name, and the replacement when the line has several mutants of that mutator. */
  mutator: string;
  replacement?: string;
  why: string;
}

export const TYPESCRIPT_TARGETS: readonly TypeScriptTarget[] = [
  {
    file: "src/vc/sdJwt.ts",
    checks: ["decodeSdJwt", "readSdJwt", "copied", "sdHash", "selectDisclosures", "checkKeyBinding"],
    tests: ["test/sdJwt.ts"],
    equivalent: [
      ...[
        ["if (known !== undefined) return copied(known);", "ConditionalExpression"],
        [
          'if (recentlyRead.size >= RECENTLY_READ) recentlyRead.delete(recentlyRead.keys().next().value ?? "");',
          "ConditionalExpression",
        ],
        [
          'if (recentlyRead.size >= RECENTLY_READ) recentlyRead.delete(recentlyRead.keys().next().value ?? "");',
          "EqualityOperator",
        ],
        [
          'if (recentlyRead.size >= RECENTLY_READ) recentlyRead.delete(recentlyRead.keys().next().value ?? "");',
          "LogicalOperator",
        ],
        [
          'if (recentlyRead.size >= RECENTLY_READ) recentlyRead.delete(recentlyRead.keys().next().value ?? "");',
          "StringLiteral",
        ],
        ["recentlyRead.set(token, copied(read));", "CallExpression"],
      ].map(([line = "", mutator = ""]) => ({
        line,
        mutator,
        why: "the tokens read moments ago only save decoding again (a copy of the same reading); their bound only bounds memory",
      })),
      {
        line: "if (Array.isArray(value)) value.forEach(collect);",
        mutator: "ConditionalExpression",
        why: "an array walked as an object visits the same elements (Object.entries of an array)",
      },
      {
        line: 'const name = disclosure.key ?? "an array element";',
        mutator: "StringLiteral",
        why: "only names the disclosure in the refusal's text",
      },
      {
        line: "if (!digests.has(disclosure.digestSync({ hasher: digest, alg: hasher.alg }))) {",
        mutator: "ObjectLiteral",
        why: "@sd-jwt/decode computed and kept each disclosure's digest while decoding; digestSync returns it",
      },
      {
        line: '...(last === undefined || last === "" ? {} : { keyBinding: last }),',
        mutator: "ConditionalExpression",
        why: "split always gives a last part: `last === undefined` is never true",
      },
      {
        line: 'const jwt = parts[0] ?? "";',
        mutator: "StringLiteral",
        why: "split always gives a first part",
      },
      {
        line: "const kept = named.filter((n) => n.key !== undefined && fields.includes(n.key));",
        mutator: "ConditionalExpression",
        why: "fields are strings: fields.includes(undefined) is already false",
      },
      {
        line: "} catch {",
        mutator: "BlockStatement",
        why: "@sd-jwt/decode has already parsed the key binding JWT's header and payload: a token they do not parse is refused as malformed before this point",
      },
      {
        line: 'result.issuedAt = new Date(iat * 1000).toISOString().replace(/\\.000Z$/, "Z");',
        mutator: "Regex",
        why: "an ISO time has .000Z only at its end",
      },
      {
        line: 'const authentication = new Set((document.authentication ?? []).map((m) => (typeof m === "string" ? m : m.id)));',
        mutator: "ArrayDeclaration",
        why: "a placeholder id in an empty list matches no verification method",
      },
      {
        line: "const keys: VerificationMethod[] = (document.verificationMethod ?? []).filter((m) => authentication.has(m.id));",
        mutator: "ArrayDeclaration",
        why: "a placeholder in an empty list has no id in the authentication set",
      },
    ],
  },
  {
    file: "src/verifier/answers.ts",
    checks: ["decrypted", "offersVcJwt", "presentedToken", "presented", "checkAsked"],
    tests: ["test/verifierRequests.ts"],
    equivalent: [
      ...["ArrayDeclaration", "OptionalChaining"].map((mutator) => ({
        line: "return (dcql_query?.credentials ?? []).some((query) => query.id === VC_QUERY_ID);",
        mutator,
        why: "the request payload is the verifier's own, made by newRequest: it always has a DCQL query with credentials",
      })),
      ...["CallExpression", "ConditionalExpression"].map((mutator) => ({
        line: 'if (parsed.type !== "dcql") throw new Error("the answer is not to a DCQL query");',
        mutator,
        why: "the verifier's requests always carry a DCQL query, so the library always parses the answer as one",
      })),
      ...["ArrayDeclaration", "ConditionalExpression"].map((mutator) => ({
        line: "const entries = id === undefined ? [] : (presentations[id] ?? []);",
        mutator,
        why: "id is one of the vp_token's own keys (so it has entries), and with no key at all the answer is refused for holding no presentation either way",
      })),
      {
        line: 'if (id === VC_QUERY_ID && !isSdJwt(token)) return { format: "jwt_vc_json", token };',
        mutator: "StringLiteral",
        why: "the format only tells an SD-JWT VC from the rest: any other name takes the vp+jwt path too",
      },
      {
        line: "const decryptionJwk = { ...privateJwk };",
        mutator: "ObjectLiteral",
        why: "the library only hands decryptionJwk back in its result's jarm part, which checkAnswer does not read",
      },
      {
        line: 'if (read === undefined || reads.length !== 1) throw new Error("it must carry one credential");',
        mutator: "ConditionalExpression",
        replacement: "false",
        why: "no first credential means no credential at all, which reads.length !== 1 refuses too",
      },
    ],
  },
  {
    file: "src/vc/presentation.ts",
    checks: ["holderOf", "readPresentation", "checkPresentation"],
    tests: ["test/presentation.ts"],
    equivalent: [
      {
        line: "policies: { now, exp: false, iat: false, nbf: false },",
        mutator: "BooleanLiteral",
        why: "did-jwt's own time checks allow 300 s of skew, more than CCR's 60 s, which run first: turned on, they refuse nothing more",
      },
    ],
  },
  {
    file: "src/vc/signature.ts",
    checks: [
      "methodAddress",
      "addressSigned",
      "p256Signed",
      "p256Key",
      "jobOf",
      "fallsBack",
      "SignatureChecker.check",
      "SignatureChecker.fallback",
    ],
    tests: ["test/signing.ts"],
    // The worker threads run addressSigned as text, without Stryker's mutant switch; this thread runs the same code.
    grep: "^(?!.*on worker threads)",
    equivalent: [
      ...[
        "function methodAddress(method: VerificationMethod): string | undefined {",
        "const account = method.blockchainAccountId ?? (method as { ethereumAddress?: string }).ethereumAddress;",
        'return /(0x[0-9a-fA-F]{40})$/.exec(account ?? "")?.[1]?.toLowerCase();',
      ].flatMap((line) =>
        ["BlockStatement", "LogicalOperator", "Regex", "OptionalChaining", "StringLiteral"].map((mutator) => ({
          line,
          mutator,
          why: "methodAddress only chooses the fast path: a method it no longer reads goes to did-jwt's verifyJWS, which gives the same answer",
        })),
      ),
      {
        line: "if (raw.length !== 64) return false;",
        mutator: "ConditionalExpression",
        why: "libsecp256k1 refuses a signature of another length, and that refusal returns false",
      },
      {
        line: "} catch {",
        mutator: "BlockStatement",
        why: "an unparsable signature then fails both key recoveries, which also returns false",
      },
      ...[
        "for (const address of addresses) {",
        "if (key !== undefined && tools.secp256k1.ecdsaVerify(normalized, digest, key)) return true;",
        "keys.set(address, recovered);",
      ].map((line) => ({
        line,
        mutator: line.startsWith("for")
          ? "BlockStatement"
          : line.startsWith("if")
            ? "ConditionalExpression"
            : "CallExpression",
        why: "the cache of recovered keys only saves work: without it every check recovers the key again",
      })),
      ...["ConditionalExpression", "LogicalOperator"].map((mutator) => ({
        line: "if (header === undefined || payload === undefined || signature === undefined) return undefined;",
        mutator,
        why: "split gives parts in order: when the header or payload is missing, so is the signature, still tested",
      })),
      ...["MethodExpression", "ConditionalExpression"].map((mutator) => ({
        line: 'return ["ES256K", input, signature, [...new Set(methods.map(methodAddress).filter((a) => a !== undefined))]];',
        mutator,
        why: "an undefined address is never a recovered key's address",
      })),
      // The ES256 fast path (P-256 keys read here, checked with Node's crypto) stands beside did-jwt as the ES256K
      // one does: a break that only sends a key to did-jwt, or skips the cache of key objects, changes the time taken.
      ...["if (key === undefined) {", "keys.set(hex, key);"].map((line) => ({
        line,
        mutator: line.startsWith("if") ? "ConditionalExpression" : "CallExpression",
        why: "the cache of P-256 key objects only saves work: without it every check makes the key object again",
      })),
      ...[
        "function p256Key(method: VerificationMethod): string | undefined {",
        "if (publicKeyHex !== undefined) {",
        'const key = publicKeyHex.replace(/^0x/, "").toLowerCase();',
        "return /^04[0-9a-f]{128}$/.test(key) ? key : undefined;",
        'if (alg === "ES256")',
        'return ["ES256", input, signature, [...new Set(methods.map(p256Key).filter((k) => k !== undefined))]];',
      ].flatMap((line) =>
        [
          "BlockStatement",
          "ConditionalExpression",
          "MethodExpression",
          "Regex",
          "StringLiteral",
          "EqualityOperator",
          "ArrayDeclaration",
          "ArrowFunction",
        ].map((mutator) => ({
          line,
          mutator,
          why:
            "p256Key and the ES256 test only choose the fast path: a key it no longer reads (or reads as no point: " +
            "an upper-case or prefixed hex, a longer string, which makes no key object) goes to did-jwt's verifyJWS, " +
            "which gives the same answer",
        })),
      ),
      ...["ConditionalExpression", "StringLiteral"].map((mutator) => ({
        line: 'if (jwk?.crv !== "P-256" || jwk.x === undefined || jwk.y === undefined) return undefined;',
        mutator,
        replacement: mutator === "ConditionalExpression" ? "true" : '""',
        why: "a JWK this no longer reads goes to did-jwt's verifyJWS, which gives the same answer",
      })),
      {
        line: 'return alg === "ES256K" || keys.length === 0;',
        mutator: "ConditionalExpression",
        why: "asking did-jwt whenever the fast check says no (true) gives the same answers, more slowly",
      },
      ...["MethodExpression", "ConditionalExpression"].map((mutator) => ({
        line: "const others = methods.filter((m) => methodAddress(m) === undefined);",
        mutator,
        why: "did-jwt's verifyJWS also checks address methods, with the same answer as the fast path gave",
      })),
      {
        line: "if (others.length === 0) return false;",
        mutator: "ConditionalExpression",
        why: "did-jwt's verifyJWS with no methods throws, which returns false",
      },
    ],
  },
  {
    file: "src/vc/credential.ts",
    checks: ["credentialHash", "decodeCompactJws", "decodeCredential"],
    tests: ["test/credential.ts"],
    equivalent: [
      ...["ConditionalExpression", "CallExpression"].map((mutator) => ({
        line: 'if (parts === null) throw new Error("a compact JWS is three base64url parts joined by dots");',
        mutator,
        why: "reading parts of null then throws too, and the caller refuses either throw as MALFORMED_CREDENTIAL",
      })),
      {
        line: 'return { header: object(parts[1], "header"), payload: object(parts[2], "payload") };',
        mutator: "StringLiteral",
        why: "names the part in the error's cause, which the caller replaces with its own message",
      },
    ],
  },
  {
    file: "src/vc/statusList.ts",
    checks: [
      "encodeBitstring",
      "statusListEntries",
      "refuseOtherGenesis",
      "allocateStatusIndices",
      "isSuspended",
      "runBits",
    ],
    tests: ["test/statusList.ts"],
  },
  {
    file: "src/holder.ts",
    checks: ["onCurve", "didKeyProblem", "didJwk", "holderDidProblem", "resolveJwk", "holderKeyId"],
    tests: ["test/holder.ts"],
    equivalent: [
      {
        line: "} catch {",
        mutator: "BlockStatement",
        why: "onCurve then returns undefined, which its caller takes as false",
      },
      {
        line: 'const curves = key.kty === "EC" ? ["secp256k1", "P-256"] : key.kty === "OKP" ? ["Ed25519"] : [];',
        mutator: "ArrayDeclaration",
        why: "a placeholder curve name is no JWK's crv that passes the checks after it",
      },
      ...["ConditionalExpression", "CallExpression"].map((mutator) => ({
        line: 'if (x.length !== 32) throw new Error("not a key");',
        mutator,
        why: "noble's Ed25519 point decoding refuses any other length",
      })),
      ...["ConditionalExpression", "LogicalOperator"].map((mutator) => ({
        line: 'if (x.length !== 32 || y.length !== 32) throw new Error("not a key");',
        mutator,
        why: "with one coordinate of 32 bytes, 64 bytes in all needs the other of 32 too; any other total noble refuses (33 + 31, which it would take, is refused by the whole condition and by each half)",
      })),
      {
        line: "const method = /^did:([a-z0-9]+):/.exec(did)?.[1];",
        mutator: "Regex",
        why: "text before did: still fails the method's own check (its prefix is sliced off by position): only the message differs",
      },
      {
        line: "return /^did:ethr:(?:(?:0x[0-9a-fA-F]+|[a-z0-9]+):)?0x(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{66})$/.test(did)",
        mutator: "Regex",
        why: "the method was read with ^did:, so nothing can come before did:ethr here",
      },
    ],
  },
  {
    file: "src/vc/journal.ts",
    // lockOutput is left out: its proper-lockfile settings are timings (staleness, refresh, retries) that only a
    // timed test could tell apart; its refusals are tested in test/journal.ts and test/cli.ts.
    checks: ["ownerRuns", "checkNoOrphans", "checkChain", "checkOptions"],
    tests: ["test/journal.ts"],
    equivalent: [
      ...["StringLiteral", "ArrowFunction"].map((mutator) => ({
        line: 'const pid = Number(await readFile(join(outDir, OWNER_FILE), "utf8").catch(() => ""));',
        mutator,
        why: "an unreadable owner file reads as no pid either way, which counts as running",
      })),
      {
        line: "if (!Number.isSafeInteger(pid) || pid <= 0) return true;",
        mutator: "EqualityOperator",
        why: "pid 0 then signals this process's own group, which runs: the same answer",
      },
      {
        line: '(key === "validFrom" || key === "validUntil") && typeof value === "number"',
        mutator: "ConditionalExpression",
        replacement: "true",
        why: "run options are typed: validFrom and validUntil are always numbers",
      },
    ],
  },
  {
    file: "src/vc/checks.ts",
    checks: [
      "stateOf",
      "documentLines",
      "statusLine",
      "validityLine",
      "accreditationLine",
      "recognitionLine",
      "checkLines",
    ],
    tests: ["test/checks.ts"],
    equivalent: [
      ...["ConditionalExpression"].map((mutator) => ({
        line: "const from = verdict.validFrom === undefined ? undefined : new Date(verdict.validFrom);",
        mutator,
        why: "an invalid date compares false both ways, as no date does",
      })),
      {
        line: 'const early = verdict.status === "NOT_YET_VALID" || (from !== undefined && now < from);',
        mutator: "ConditionalExpression",
        replacement: "true",
        why: "now < undefined is false, as the guard makes it",
      },
      {
        line: 'const late = verdict.status === "EXPIRED" || (until !== undefined && now > until);',
        mutator: "ConditionalExpression",
        replacement: "true",
        why: "now > undefined is false, as the guard makes it",
      },
    ],
  },
  {
    file: "src/audit/replay.ts",
    checks: [
      "ReplayStep.arg",
      "ReplayStep.num",
      "ReplayStep.economy",
      "ReplayStep.issuer",
      "ReplayStep.anchor",
      "ReplayStep.hash",
      "ReplayStep.pair",
      "economyAdmitted",
      "economyRemoved",
      "schemaRegistered",
      "schemaDeprecated",
      "accreditationOffered",
      "issuerAccredited",
      "accreditationAmended",
      "issuerReleased",
      "issuerStanding",
      "issuerRevoked",
      "recognitionChanged",
      "anchored",
      "statusChanged",
      "membersChanged",
      "replayStep",
      "replayEvents",
      "accreditationOf",
      "expectedVerdict",
    ],
    tests: ["test/auditVerdict.ts", "test/auditCompare.ts"],
    equivalent: [
      {
        line: "if (anchor.validFrom !== 0 && now < anchor.validFrom) {",
        mutator: "ConditionalExpression",
        replacement: "true",
        why: "with validFrom 0, now < 0 never holds: the guard only says so",
      },
    ],
  },
  {
    file: "src/audit/compare.ts",
    checks: [
      "collector",
      "economyProbes",
      "issuerProbes",
      "permissionProbes",
      "anchorProbes",
      "registryProbes",
      "compareAnswers",
      "singleCredentials",
      "compareVerdict",
    ],
    tests: ["test/auditCompare.ts"],
    equivalent: [
      {
        line: 'compare(item, "changedAt", i?.changedAt ?? 0, chain.changedAt);',
        mutator: "OptionalChaining",
        why: "every accreditation the history names is its address's current one or a released one: the replay refuses any other history",
      },
      {
        line: 'compare(item, "compromisedAt", i?.compromisedAt ?? 0, chain.compromisedAt);',
        mutator: "OptionalChaining",
        why: "as for changedAt: the accreditation is always found",
      },
    ],
  },
  {
    file: "src/council.ts",
    checks: [
      "safeTxHash",
      "safeTransaction",
      "newProposal",
      "signProposal",
      "malformed",
      "checkProposalWith",
      "checkChain",
      "checkSchemaDocument",
      "proposalSafe",
      "proposalSigners",
      "notExecutable",
    ],
    tests: ["test/councilProposal.ts"],
    equivalent: [
      {
        line: 'const registered = call.args.find((a) => a.name === "digest")?.value;',
        mutator: "OptionalChaining",
        why: "checked only for registerSchema, whose arguments always include the digest",
      },
      {
        line: "if (registered?.toLowerCase() !== digest) {",
        mutator: "OptionalChaining",
        why: "as above: the registered digest is always there",
      },
      {
        line: "} catch {",
        mutator: "BlockStatement",
        why: "a signature that recovers no address is refused whatever stands in for the recovered one (nothing, or text that is no address)",
      },
      {
        line: 'recovered = "";',
        mutator: "StringLiteral",
        why: "as above: any text that is not the signer's address is refused alike",
      },
    ],
  },
  {
    file: "src/councilCalls.ts",
    checks: ["isZero", "fieldRisks", "sameAddress", "parse", "decodeCouncilCall"],
    tests: ["test/councilProposal.ts"],
    equivalent: [
      {
        line: "} catch {",
        mutator: "BlockStatement",
        why: "an emptied catch answers undefined, which reads as false (isZero) or as no call (parse), as the catch's own answer does",
      },
      {
        line: "const words = call === undefined || match === undefined ? undefined : match[3][call.name];",
        mutator: "ConditionalExpression",
        replacement: "false",
        why: "there is a call only where there is a match: `match === undefined` adds nothing to `call === undefined`",
      },
      {
        line: "} else if (call === undefined || words === undefined) {",
        mutator: "ConditionalExpression",
        replacement: "false",
        why: "without a call there are no words either: `call === undefined` adds nothing to `words === undefined`",
      },
    ],
  },
  {
    file: "src/server/trqp.ts",
    checks: ["checkRequest", "accountOf", "authorizationDecision", "recognitionDecision"],
    tests: ["test/trqp.ts"],
    equivalent: [
      {
        line: 'return getAddress(ethrDidAddress(id) ?? "");',
        mutator: "StringLiteral",
        why: "the DID already matched a pattern narrower than ethrDidAddress's: the fallback is never taken",
      },
    ],
  },
  {
    file: "src/sqlite.ts",
    checks: ["GroupCommit.write", "GroupCommit.settled", "GroupCommit.#flush"],
    tests: ["test/groupCommit.ts"],
    equivalent: [
      {
        line: "if (group.length === 0) return;",
        mutator: "ConditionalExpression",
        replacement: "false",
        why: "an empty group (taken by a commit at once before its turn ended) would begin and commit an empty transaction",
      },
      {
        line: "s.release.run();",
        mutator: "CallExpression",
        why: "unreleased savepoints nest: ROLLBACK TO rolls back to the newest (the write's own), and the group's COMMIT releases them all",
      },
    ],
  },
  {
    file: "src/wallet/anchorer.ts",
    checks: [
      "anchoringForecast",
      "ServiceAnchorer.pace",
      "ServiceAnchorer.keepingUp",
      "ServiceAnchorer.#mayBeAnchored",
      "ServiceAnchorer.#anchorClosed",
    ],
    tests: ["test/walletAnchorer.ts"],
    equivalent: [
      ...[
        ["MethodExpression", "[...this.#anchored]"],
        ["ArrowFunction", undefined],
        ["MethodExpression", "unanchored.every(b => b.id === id)"],
        ["ConditionalExpression", "true"],
        ["ConditionalExpression", "false"],
        ["EqualityOperator", undefined],
        ["ArrayDeclaration", undefined],
      ].map(([mutator = "", replacement]) => ({
        line: "this.#anchored = new Set([...this.#anchored].filter((id) => unanchored.some((b) => b.id === id)));",
        mutator,
        replacement,
        why:
          "the pruning only bounds the set's memory: a batch anchored is in no read begun after its record, and the " +
          "read begun before it, the one the set guards against, comes back before the next read",
      })),
      {
        line: "const unanchored = (await store.unanchored()).filter((b) => b.owner === owner || this.#gone(b, seen, false));",
        mutator: "BooleanLiteral",
        why: "`starting` speaks only of this process's own batches, which the first operand takes already",
      },
      {
        line: "const started: Promise<void>[] = [];",
        mutator: "ArrayDeclaration",
        why: "a string among the anchorings awaited is awaited as already done",
      },
      {
        line: "if (this.#behind.some((b) => b.closedAt !== undefined && now - b.closedAt > anchorWithin - window)) return false;",
        mutator: "ConditionalExpression",
        replacement: "true",
        why: "the batches behind are read as closed and not anchored: each has its closing time",
      },
    ],
  },
];

export interface SolidityMutant {
  /** What the mutant breaks, as the README lists it. */
  check: string;
  file: string;
  /** Text that occurs exactly once in `file`, and what it becomes. */
  from: string;
  to: string;
  /** Solidity test files (`hardhat test solidity`) and mocha files (`hardhat test mocha`) of that contract. */
  tests: readonly string[];
}

const PACKING = ["test/contracts/Packing.t.sol", "test/CredentialRegistry.ts"];
const VERDICT = ["test/contracts/VerdictLib.t.sol", "test/contracts/Lifecycle.t.sol", "test/Verdict.ts"];
const REGISTRY = ["test/contracts/Lifecycle.t.sol", "test/CredentialRegistry.ts"];
const ACCREDITATION = ["test/Accreditation.ts"];
const DELEGATED = ["test/DelegatedAnchoring.ts"];
const STATUS = ["test/contracts/Lifecycle.t.sol", "test/CredentialRegistry.ts"];

const packing = "contracts/libraries/Packing.sol";
const verdictLib = "contracts/libraries/VerdictLib.sol";
const reader = "contracts/core/VerdictReader.sol";
const registry = "contracts/core/CredentialRegistry.sol";
const accreditation = "contracts/core/Accreditation.sol";
const delegated = "contracts/core/DelegatedAnchoring.sol";
const rules = "contracts/libraries/StatusRules.sol";
const leaf = "contracts/libraries/BatchLeaf.sol";

export const SOLIDITY_MUTANTS: readonly SolidityMutant[] = [
  // Accreditation windows and schema bits on the anchoring path.
  {
    check: "window: anchoring refused exactly at validUntil",
    file: packing,
    from: "or(iszero(until), iszero(gt(now_, until))), // open-ended",
    to: "or(iszero(until), lt(now_, until)), // open-ended",
    tests: PACKING,
  },
  {
    check: "window: anchoring allowed before validFrom",
    file: packing,
    from: "iszero(lt(now_, and(shr(ISSUER_FROM, word), MASK_40))) // now_ >= validFrom",
    to: "1 // now_ >= validFrom",
    tests: PACKING,
  },
  {
    check: "window: an open-ended window closed",
    file: packing,
    from: "or(iszero(until), iszero(gt(now_, until))), // open-ended",
    to: "iszero(gt(now_, until)), // open-ended",
    tests: PACKING,
  },
  {
    check: "standing: anchoring without ACTIVE standing",
    file: packing,
    from: "eq(and(shr(ISSUER_STANDING, word), 0xff), ACTIVE), // standing == ACTIVE",
    to: "1, // standing == ACTIVE",
    tests: PACKING,
  },
  {
    check: "schema bits: any accredited schema counts for every schema",
    file: packing,
    from: "and(shr(schema, shr(ISSUER_SCHEMAS, word)), 1) // schema bit set",
    to: "iszero(iszero(shr(ISSUER_SCHEMAS, word))) // schema bit set",
    tests: PACKING,
  },
  {
    check: "validity: a credential's validFrom outside the accreditation window",
    file: packing,
    from: "iszero(lt(time, and(shr(ISSUER_FROM, word), MASK_40))),",
    to: "1,",
    tests: PACKING,
  },
  {
    check: "validity: validUntil not after validFrom accepted",
    file: registry,
    from: "if (validUntil <= validFrom) revert InvalidValidity",
    to: "if (validUntil < validFrom) revert InvalidValidity",
    tests: REGISTRY,
  },
  // Issuer scoping and operators.
  {
    check: "issuer scoping: any address anchors as an issuer's operator",
    file: registry,
    from: "if (mode == AnchorMode.OPERATOR && !_operators[Packing.issuerId(issuerWord)][msg.sender]) {",
    to: "if (mode == AnchorMode.OPERATOR && false) {",
    tests: REGISTRY,
  },
  {
    check: "issuer scoping: an issuer manages another issuer's records",
    file: registry,
    from: "(msg.sender == issuer || _operators[issuerId][msg.sender])",
    to: "(true || _operators[issuerId][msg.sender])",
    tests: REGISTRY,
  },
  {
    check: "issuer scoping: a revoked issuer manages its records",
    file: registry,
    from: "current.standing != IssuerStanding.REVOKED &&",
    to: "true &&",
    tests: REGISTRY,
  },
  {
    check: "issuer scoping: an authority manages another economy's issuers",
    file: accreditation,
    from: "if (record.economy != economy) revert IssuerOfOtherEconomy",
    to: "if (false) revert IssuerOfOtherEconomy",
    tests: ACCREDITATION,
  },
  {
    check: "accreditation: an offer accepted with other terms",
    file: accreditation,
    from: "offer.schemas != schemas ||",
    to: "false ||",
    tests: ACCREDITATION,
  },
  {
    check: "anchoring: the same hash anchored twice",
    file: registry,
    from: "if (Packing.isAnchored(stored)) revert AlreadyAnchored(issuer, hash);",
    to: "",
    tests: REGISTRY,
  },
  // Holds, reasons and transitions.
  {
    check: "holds: an issuer lifts its authority's hold",
    file: rules,
    from: "(current == AnchorState.HELD && byAuthority)",
    to: "(current == AnchorState.HELD)",
    tests: STATUS,
  },
  {
    check: "holds: an authority's suspension is not a hold",
    file: rules,
    from: "return byAuthority ? AnchorState.HELD : AnchorState.SUSPENDED;",
    to: "return AnchorState.SUSPENDED;",
    tests: STATUS,
  },
  {
    check: "transitions: a revoked credential reinstated",
    file: rules,
    from: "if (current == AnchorState.NONE || current == AnchorState.REVOKED) return AnchorState.NONE;",
    to: "if (current == AnchorState.NONE) return AnchorState.NONE;",
    tests: STATUS,
  },
  {
    check: "reasons: an unassigned reason code accepted",
    file: rules,
    from: "if (reason == 7 || reason == 8 || reason > 10) return false;",
    to: "if (reason == 7 || reason > 10) return false;",
    tests: STATUS,
  },
  {
    check: "reasons: certificateHold used to revoke",
    file: rules,
    from: "return reason != CERTIFICATE_HOLD || requested == AnchorState.SUSPENDED;",
    to: "return true;",
    tests: STATUS,
  },
  {
    check: "batch members: a member outside the batch changed",
    file: registry,
    from: "if (inWord < 256 && bits >> inWord != 0) revert MemberOutOfRange",
    to: "if (false) revert MemberOutOfRange",
    tests: REGISTRY,
  },
  // Verdicts: compromise time, recognition, Merkle index and proof.
  {
    check: "compromise time: a credential anchored at the compromise second not caught",
    file: verdictLib,
    from: "f.anchoredAt >= f.compromisedAt &&",
    to: "f.anchoredAt > f.compromisedAt &&",
    tests: VERDICT,
  },
  {
    check: "compromise time: every credential of a revoked issuer caught",
    file: verdictLib,
    from: "f.anchoredAt >= f.compromisedAt &&",
    to: "true &&",
    tests: VERDICT,
  },
  {
    check: "verdict: a revocation applied before it happened",
    file: verdictLib,
    from: "bool stateApplies = f.changedAt <= at;",
    to: "bool stateApplies = true;",
    tests: VERDICT,
  },
  {
    check: "verdict: expiry at the last valid second",
    file: verdictLib,
    from: "if (f.validUntil != 0 && at > f.validUntil) return (Status.EXPIRED",
    to: "if (f.validUntil != 0 && at >= f.validUntil) return (Status.EXPIRED",
    tests: VERDICT,
  },
  {
    check: "recognition: one schema recognised counts for all",
    file: reader,
    from: "return (recognition.schemas >> schema) & 1 == 1;",
    to: "return recognition.schemas != 0;",
    tests: VERDICT,
  },
  {
    check: "recognition: a verifier that is not a member recognises",
    file: reader,
    from: "if (verifierEconomy != bytes2(0) && REGISTRY.getEconomy(verifierEconomy).member) {",
    to: "if (verifierEconomy != bytes2(0)) {",
    tests: VERDICT,
  },
  {
    check: "Merkle: an index past the batch's size accepted",
    file: reader,
    from: "if (index >= record.size || !BatchLeaf.verify",
    to: "if (!BatchLeaf.verify",
    tests: VERDICT,
  },
  {
    check: "Merkle: the leaf does not bind the index",
    file: leaf,
    from: "keccak256(abi.encode(credential, index))",
    to: "keccak256(abi.encode(credential, uint256(0)))",
    tests: ["test/contracts/BatchLeaf.t.sol", "test/Verdict.ts"],
  },
  {
    check: "Merkle: a member's revocation bit read from the suspension word",
    file: reader,
    from: "facts.memberRevoked = (words[at + 3] >> bit) & 1 == 1;",
    to: "facts.memberRevoked = (words[at + 4] >> bit) & 1 == 1;",
    tests: VERDICT,
  },
  // Delegated signatures and cancellations.
  {
    check: "delegated: a request past its deadline anchored",
    file: delegated,
    from: "if (block.timestamp > request.deadline) revert RequestExpired",
    to: "if (false) revert RequestExpired",
    tests: DELEGATED,
  },
  {
    check: "delegated: a cancelled request anchored",
    file: delegated,
    from: "if (_cancelledRequests[request.issuer][digest]) revert RequestCancelled(request.issuer, digest);",
    to: "",
    tests: DELEGATED,
  },
  {
    check: "delegated: a request signed by someone else anchored",
    file: delegated,
    from: "if (!SignatureChecker.isValidSignatureNow(request.issuer, digest, signature)) {",
    to: "if (false) {",
    tests: DELEGATED,
  },
];
