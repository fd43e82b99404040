import { withBatchProofs } from "./batchProofs.ts";
import type { DIDResolutionResult, Resolvable, VerificationMethod } from "did-resolver";
import { ZeroAddress, ZeroHash } from "ethers";
import { provesMember } from "../batch.ts";
import {
  AnchorState,
  DECIDER,
  ISSUER_STANDING,
  REASON_NAMES,
  STATUS,
  economyCode,
  economyIso,
  type DeciderName,
  type StatusName,
} from "../codes.ts";
import { ethrDidAddress } from "../did.ts";
import { CCRError } from "../errors.ts";
import { mapPooled } from "../pool.ts";
import { rpc, type RegistryConnection } from "../registry.ts";
import { readVerdictsByClass } from "./memberVerdicts.ts";
import type { NameBook } from "../names.ts";
import { checksummed, digestSRI } from "../bytes.ts";
import { credentialHash, decodeCredential, registryStatus, toSeconds, type Credential } from "./credential.ts";
import type { ReadCredential, UnreadCredential } from "./credentialFile.ts";
import { issuerSigned } from "./sdJwt.ts";
import { SignatureChecker } from "#signature";

/**
 * The checks `verifyReads` makes, in order: the file or token is a credential of this framework's registry
 * (`format`, `registry`), signed by its issuer's DID (`signature`), anchored by that issuer with the document's schema
 * and window (`anchor`), not revoked, suspended or out of its window by the registry's verdict (`status`), and
 * accepted by the verifier's economy (`recognition`).
 */
export type CheckName = "format" | "registry" | "signature" | "anchor" | "status" | "recognition";

/** valid: every check passed; invalid: some check failed; undecided: a check could not be made (RPC, malformed file). */
export type Outcome = "valid" | "invalid" | "undecided";

/** The registry's answer for one credential, in readable form. */
/** A schema as the registry records it (its URI is the key it is found by). */
interface RegisteredSchema {
  id: number;
  name: string;
  digest: string;
}

export interface VerdictSummary {
  status: StatusName;
  issuerStanding: string;
  recognised: boolean;
  issuer: string;
  economy: string;
  schema: number;
  anchoredAt?: string | undefined;
  validFrom?: string | undefined;
  validUntil?: string | undefined;
  /** Which entry decided the status: the credential, its batch, its member entry, its issuer or its window. */
  decidedBy: DeciderName;
  /** When the deciding revocation or suspension took effect (for a member, from the event history). */
  since?: string | undefined;
  reason?: string | undefined;
  compromisedAt?: string | undefined;
}

export interface VerificationResult {
  file: string;
  outcome: Outcome;
  /** Why, in words. */
  reason: string;
  /** For an invalid or undecided credential: the check that decided it. */
  check?: CheckName;
  /** The checks it passed (the others failed, or were not made because one failed first). */
  passed?: CheckName[];
  hash?: string;
  issuer?: string;
  type?: string;
  subject?: string;
  /** For an SD-JWT VC: the subject fields it discloses (and nothing else). */
  disclosed?: Record<string, unknown>;
  verdict?: VerdictSummary;
}

export interface VerifyOptions {
  connection: RegistryConnection;
  /** A DID resolver for `did:ethr` on the registry's chain (see `ethrDidResolver`). */
  resolver: Resolvable;
  /** The verifier's economy (ISO code): the issuer's economy must be it or one it recognises for the schema. */
  economy?: string;
  /** Ask about this time instead of now. */
  at?: Date;
  /** Names the issuer and its economy in the reasons, when given. */
  names?: NameBook | undefined;
  /**
   * What many verifications at one block share (a server verifying many answers): the issuers' keys, the registry's
   * schemas and the names, read once per block instead of once per call.
   */
  cache?: VerifyCache | undefined;
}

interface SharedReads {
  block: number;
  keys: IssuerKeys;
  schemas?: Promise<Map<string, RegisteredSchema[]>> | undefined;
  names?: NameBook | undefined;
}

/**
 * Reads shared by verifications at the same latest block: issuers' DID keys, the registry's schemas, and (when
 * `names` makes them) the names in reasons. A new block starts afresh, so nothing read at an earlier one is used; a
 * failed read is not kept.
 */
export class VerifyCache {
  #at: SharedReads | undefined;

  constructor(private readonly names?: () => NameBook) {}

  /** The shared reads at `block`. */
  at(
    block: number,
    options: VerifyOptions,
  ): { keys: IssuerKeys; schemas: () => Promise<Map<string, RegisteredSchema[]>>; names?: NameBook } {
    let at = this.#at;
    if (at?.block !== block) {
      at = { block, keys: new IssuerKeys(options.resolver, options.connection.rpcUrl), names: this.names?.() };
      this.#at = at;
    }
    const reads = at;
    return {
      keys: reads.keys,
      schemas: () => {
        const schemas = (reads.schemas ??= schemasByUri(options.connection));
        schemas.catch(() => {
          if (reads.schemas === schemas) reads.schemas = undefined;
        });
        return schemas;
      },
      ...(reads.names === undefined ? {} : { names: reads.names }),
    };
  }
}

const time = (seconds: bigint): string | undefined =>
  seconds === 0n ? undefined : new Date(Number(seconds) * 1000).toISOString();
const day = (iso: string | undefined): string => (iso === undefined ? "" : iso.replace(/\.000Z$/, "Z"));

/** A credential on its way through the checks. */
interface Candidate {
  result: VerificationResult;
  credential?: Credential;
  jws?: string;
  query?: { issuer: string; credential: string; batchRoot: string; index: bigint; proof: string[] };
  /** The anchoring transaction the file names, if any. */
  transaction?: string;
  /** The verification method the JWS header names (`kid`), if any: only that key may have signed. */
  kid?: string;
}

/** The methods a JWS naming `kid` may be signed with: that one (every assertion method when it names none). */
function named(methods: VerificationMethod[], kid: string | undefined): VerificationMethod[] {
  return kid === undefined ? methods : methods.filter((m) => m.id === kid);
}

function settle(candidate: Candidate, outcome: Outcome, reason: string, check: CheckName): void {
  if (candidate.result.outcome !== "valid") return;
  candidate.result.outcome = outcome;
  candidate.result.reason = reason;
  candidate.result.check = check;
}

/** Records a check the credential passed. */
function pass(candidate: Candidate, check: CheckName): void {
  (candidate.result.passed ??= []).push(check);
}

/** Offline checks: file format, hash, registry named in the credential, Merkle proof. */
function checkLocally(read: ReadCredential, connection: RegistryConnection): Candidate {
  const candidate: Candidate = { result: { file: read.file, outcome: "valid", reason: "" } };
  let decoded;
  try {
    decoded = decodeCredential(read.jws);
  } catch (error) {
    // An SD-JWT disclosure the issuer did not sign is an alteration (a "no"), not a file that cannot be read.
    if (error instanceof CCRError && error.code === "INVALID_SIGNATURE")
      settle(candidate, "invalid", error.message, "format");
    else settle(candidate, "undecided", `malformed credential: ${(error as Error).message}`, "format");
    return candidate;
  }
  const { credential, header } = decoded;
  if ("disclosed" in decoded) {
    candidate.result.disclosed = Object.fromEntries(
      Object.entries(credential.credentialSubject).filter(([field]) => field !== "id"),
    );
  }
  if (typeof header.kid === "string") candidate.kid = header.kid;
  const hash = credentialHash(read.jws);
  Object.assign(candidate.result, {
    hash,
    issuer: credential.issuer,
    type: credential.type.find((t) => t !== "VerifiableCredential"),
    subject: typeof credential.credentialSubject.id === "string" ? credential.credentialSubject.id : undefined,
  });
  candidate.credential = credential;
  // The signed part: a JWS, or an SD-JWT's issuer-signed JWT (its disclosures were checked against its digests).
  candidate.jws = issuerSigned(read.jws);
  if (read.anchor?.transaction !== undefined) candidate.transaction = read.anchor.transaction;
  if (read.hash !== undefined && read.hash !== hash) {
    settle(candidate, "invalid", "the file's hash is not the hash of its JWS: the file was altered", "format");
    return candidate;
  }
  pass(candidate, "format");
  return anchoredWhere(candidate, credential, read, hash, connection);
}

/**
 * The offline checks of where a credential says it is anchored: this framework's registry, an issuer with a did:ethr,
 * and for a batch member the member the file names and a Merkle proof that leads to its root; then the query that
 * asks the registry for its verdict.
 */
function anchoredWhere(
  candidate: Candidate,
  credential: Credential,
  read: ReadCredential,
  hash: string,
  connection: RegistryConnection,
): Candidate {
  const status = registryStatus(credential);
  const registry = connection.deployment.registry.address;
  if (status.chainId !== connection.chainId || checksummed(status.registry) !== checksummed(registry)) {
    const theirs = `the registry ${status.registry} on chain ${status.chainId}`;
    const ours = `this framework's registry ${registry} on chain ${connection.chainId}`;
    settle(candidate, "invalid", `issued for ${theirs}, not for ${ours}`, "registry");
    return candidate;
  }
  pass(candidate, "registry");
  const issuer = ethrDidAddress(credential.issuer);
  if (issuer === undefined) {
    settle(candidate, "invalid", `the issuer ${credential.issuer} is not a did:ethr identifier`, "signature");
    return candidate;
  }
  if (status.batch === undefined) {
    candidate.query = { issuer, credential: hash, batchRoot: ZeroHash, index: 0n, proof: [] };
    return candidate;
  }
  const batch = read.anchor?.batch;
  if (batch === undefined) {
    const needs = "malformed credential file: a batch member needs its batch root and Merkle proof";
    settle(candidate, "undecided", needs, "format");
  } else if (batch.index !== status.batch.index) {
    const names = `the file names member ${batch.index}, the signed credential member ${status.batch.index}`;
    settle(candidate, "invalid", names, "anchor");
  } else if (!provesMember(batch.root, hash, batch.index, batch.proof)) {
    const wrong = `the Merkle proof does not lead from this credential to batch ${batch.root}`;
    settle(candidate, "invalid", wrong, "anchor");
  } else {
    const index = BigInt(batch.index);
    candidate.query = { issuer, credential: hash, batchRoot: batch.root, index, proof: batch.proof };
  }
  return candidate;
}

/** Resolves DIDs once per (DID, version), telling an unreachable node from a DID that does not resolve. */
class IssuerKeys {
  private readonly cache = new Map<string, Promise<VerificationMethod[]>>();
  constructor(
    private readonly resolver: Resolvable,
    private readonly rpcUrl: string,
  ) {}

  keys(did: string, versionId: number): Promise<VerificationMethod[]> {
    const url = `${did}?versionId=${versionId}`;
    let keys = this.cache.get(url);
    if (keys === undefined) {
      keys = this.resolve(did, url);
      this.cache.set(url, keys);
    }
    return keys;
  }

  private async resolve(did: string, url: string): Promise<VerificationMethod[]> {
    const result: DIDResolutionResult = await this.resolver.resolve(url);
    const { error, message } = result.didResolutionMetadata as { error?: string; message?: string };
    if (error !== undefined) {
      // ethr-did-resolver reports a node that cannot be reached as "notFound" with the transport's message.
      if (error === "notFound" && ethrDidAddress(did) !== undefined) {
        throw new CCRError("RPC_UNAVAILABLE", `could not resolve ${did} through ${this.rpcUrl}: ${message ?? error}`);
      }
      throw new CCRError("INVALID_SIGNATURE", `the issuer ${did} does not resolve: ${message ?? error}`);
    }
    // The keys allowed to make assertions (sign credentials): the controller and its `veriKey` delegates.
    const document = result.didDocument;
    const assertion = new Set((document?.assertionMethod ?? []).map((m) => (typeof m === "string" ? m : m.id)));
    return (document?.verificationMethod ?? []).filter((method) => assertion.has(method.id));
  }
}

/** What was revoked or suspended, when not the credential itself (or, for a batch member, its own entry). */
function whose(summary: VerdictSummary): string {
  return summary.decidedBy === "BATCH" ? " with its whole batch" : "";
}

/** Words for a verdict that is not VALID. */
function explain(summary: VerdictSummary): string {
  const reason = summary.reason === undefined ? "" : ` (reason: ${summary.reason})`;
  switch (summary.status) {
    case "UNKNOWN":
      return "not anchored in the registry";
    case "NOT_YET_VALID":
      return `not yet valid: valid from ${day(summary.validFrom)}`;
    case "EXPIRED":
      return `expired on ${day(summary.validUntil)}`;
    case "SUSPENDED":
      return `suspended${whose(summary)}${summary.since === undefined ? "" : ` since ${day(summary.since)}`}${reason}`;
    case "REVOKED":
      return `revoked${whose(summary)}${summary.since === undefined ? "" : ` on ${day(summary.since)}`}${reason}`;
    case "ISSUER_SUSPENDED":
      return `the issuer's accreditation is suspended (${summary.issuer}, ${summary.economy})`;
    case "ISSUER_REVOKED":
      return summary.compromisedAt === undefined
        ? `the issuer's accreditation was revoked (${summary.issuer}, ${summary.economy})`
        : `the issuer's key was compromised on ${day(summary.compromisedAt)}; its accreditation is revoked`;
    case "VALID":
      return "valid";
  }
}

/** A credential file that could not be read: it is "undecided", with why. */
export type { UnreadCredential } from "./credentialFile.ts";

/**
 * Verifies credentials already read (files, the credentials of a presentation, files dropped on a web page): format,
 * hash and Merkle proof offline; the JWS signature against the issuer's DID document; the registry's verdict
 * (status, validity, issuer standing) with one `verdicts` call per chunk; that the anchor's issuer, schema and
 * validity are the document's; and recognition by `economy`. An unread one is "undecided", with its problem. A batch
 * member that travels without its Merkle proof (a wallet's credential) has it fetched from its issuer service first.
 *
 * An unreachable node makes the affected credentials "undecided", never "invalid".
 */
export async function verifyReads(
  reads: readonly (ReadCredential | UnreadCredential)[],
  options: VerifyOptions,
): Promise<VerificationResult[]> {
  const complete = await withBatchProofs(reads);
  return verifyCandidates(
    complete.map((read) => {
      if ("jws" in read) return checkLocally(read, options.connection);
      const candidate: Candidate = { result: { file: read.file, outcome: "valid", reason: "" } };
      settle(candidate, "undecided", read.problem, "format");
      return candidate;
    }),
    options,
  );
}

type RegistryVerdict = Awaited<ReturnType<RegistryConnection["registry"]["verdict"]>>;

/**
 * Asks the registry for the verdicts of `pending` at `block` (at `at`, when given), many per call, into `verdicts`;
 * the promise gives the failure, if any, so that signatures are checked meanwhile.
 */
function askVerdicts(
  connection: RegistryConnection,
  pending: readonly Candidate[],
  options: VerifyOptions,
  block: number,
  verdicts: Map<Candidate, RegistryVerdict>,
): Promise<Error | undefined> {
  const { registry, rpcUrl } = connection;
  const economy = options.economy === undefined ? "0x0000" : economyCode(options.economy);
  const at = options.at;
  // Batch members the registry cannot tell apart are asked about once (see `readVerdictsByClass`).
  const queries = pending.map((c) => c.query).filter((q) => q !== undefined);
  return rpc(rpcUrl, "reading verdicts", async () => {
    const answers =
      at === undefined
        ? await readVerdictsByClass(connection, queries, economy, block)
        : await mapPooled(queries, 8, (q) => registry.verdictAt(q, economy, toSeconds(at), { blockTag: block }));
    pending.forEach((c, j) => verdicts.set(c, answers[j]));
  }).then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
}

/** Each signature checked against its issuer's keys at `block`, many at once on worker threads. */
async function signaturesNow(
  pending: readonly Candidate[],
  keys: IssuerKeys,
  checker: SignatureChecker,
  block: number,
): Promise<Map<Candidate, boolean | CCRError>> {
  const signedNow = new Map<Candidate, boolean | CCRError>();
  const toCheck: { candidate: Candidate; jws: string; methods: VerificationMethod[] }[] = [];
  for (const candidate of pending) {
    const { credential, jws } = candidate;
    if (credential === undefined || jws === undefined || ethrDidAddress(credential.issuer) === undefined) continue;
    try {
      toCheck.push({ candidate, jws, methods: named(await keys.keys(credential.issuer, block), candidate.kid) });
    } catch (error) {
      if (!(error instanceof CCRError)) throw error;
      signedNow.set(candidate, error);
    }
  }
  // Many signatures are checked on worker threads, one per core (see `SignatureChecker.checkMany`).
  const signed = await checker.checkMany(toCheck);
  toCheck.forEach(({ candidate }, i) => signedNow.set(candidate, signed[i] === true));
  return signedNow;
}

/** The registry's schemas by URI (a later registration of a URI does not hide an earlier one's digest). */
async function schemasByUri(connection: RegistryConnection): Promise<Map<string, RegisteredSchema[]>> {
  const { registry, rpcUrl } = connection;
  const schemas = new Map<string, RegisteredSchema[]>();
  const schemaCount = Number(await rpc(rpcUrl, "reading the schemas", () => registry.schemaCount()));
  for (let id = 0; id < schemaCount; id++) {
    const { name, uri, digest } = await rpc(rpcUrl, "reading the schemas", () => registry.getSchema(id));
    schemas.set(uri, [...(schemas.get(uri) ?? []), { id, name, digest }]);
  }
  return schemas;
}

const summaryOf = (verdict: RegistryVerdict): VerdictSummary => ({
  status: STATUS[Number(verdict.status)],
  issuerStanding: ISSUER_STANDING[Number(verdict.issuerStanding)],
  recognised: verdict.recognised,
  issuer: verdict.issuer,
  economy: economyIso(verdict.economy),
  schema: Number(verdict.schema),
  anchoredAt: time(verdict.anchoredAt),
  validFrom: time(verdict.validFrom),
  validUntil: time(verdict.validUntil),
  decidedBy: DECIDER[Number(verdict.decidedBy)] ?? "NONE",
  ...recordDecision(verdict),
  compromisedAt: time(verdict.compromisedAt),
});

/** What a whole run shares while it judges each candidate. */
interface Judging {
  connection: RegistryConnection;
  options: VerifyOptions;
  keys: IssuerKeys;
  checker: SignatureChecker;
  signedNow: Map<Candidate, boolean | CCRError>;
  schemas: Map<string, RegisteredSchema[]>;
  memberEvents: Map<string, Promise<MemberChange[]>>;
  /** Whether each address is an issuer of the framework. */
  issuers: Map<string, boolean>;
}

/** Why a credential the registry does not know is invalid: anchored elsewhere, an issuer's, or no issuer's. */
async function notAnchored(judging: Judging, candidate: Candidate, summary: VerdictSummary): Promise<string> {
  const { connection, issuers } = judging;
  const issuer = candidate.credential?.issuer ?? "";
  const address = ethrDidAddress(issuer) ?? ZeroAddress;
  let known = issuers.get(address);
  if (known === undefined) {
    known =
      (await rpc(connection.rpcUrl, "reading the issuer", () => connection.registry.getIssuer(address))).id !== 0n;
    issuers.set(address, known);
  }
  const elsewhere = await anchoredElsewhere(connection, candidate);
  const unknown = `not anchored in the registry, and ${issuer} is not an issuer of this framework`;
  return elsewhere ?? (known ? explain(summary) : unknown);
}

/** One candidate's verdict: its signature then, its anchor, its names. */
async function judge(judging: Judging, candidate: Candidate, verdict: RegistryVerdict): Promise<void> {
  const { connection, options } = judging;
  const { credential, jws } = candidate;
  if (credential === undefined || jws === undefined) return;
  const summary = summaryOf(verdict);
  candidate.result.verdict = summary;
  try {
    await memberChangeTime(candidate, summary, connection, judging.memberEvents);
    const state = { keys: judging.keys, checker: judging.checker, signed: judging.signedNow.get(candidate) };
    await checkSignature(candidate, credential, jws, summary, state, connection);
  } catch (error) {
    if (!(error instanceof CCRError)) throw error;
    settle(candidate, error.code === "RPC_UNAVAILABLE" ? "undecided" : "invalid", error.message, "signature");
    return;
  }
  if (candidate.result.outcome !== "valid") return;
  if (summary.status === "UNKNOWN") {
    settle(candidate, "invalid", await notAnchored(judging, candidate, summary), "anchor");
    return;
  }
  checkAnchor(candidate, credential, summary, judging.schemas, options.economy);
  if (candidate.result.outcome === "valid" && options.names !== undefined) {
    const issuer = await options.names.labelIssuer(summary.issuer, credential.issuer);
    const economyName = await options.names.labelEconomy(summary.economy);
    candidate.result.reason = candidate.result.reason.replace(
      `issued by ${credential.issuer} (${summary.economy})`,
      `issued by ${issuer}, ${economyName}`,
    );
  }
}

async function verifyCandidates(candidates: Candidate[], options: VerifyOptions): Promise<VerificationResult[]> {
  const { connection, resolver } = options;
  const pending = candidates.filter((c) => c.query !== undefined);
  const undecided = (error: CCRError): VerificationResult[] => {
    for (const c of pending) settle(c, "undecided", error.message, "status");
    return candidates.map((c) => c.result);
  };
  let latestBlock: number;
  try {
    latestBlock = await rpc(connection.rpcUrl, "reading the latest block", () => connection.provider.getBlockNumber());
  } catch (error) {
    if (!(error instanceof CCRError)) throw error;
    return undecided(error);
  }
  // The registry's verdicts, many per call, are computed by the node while this process checks the signatures.
  const verdicts = new Map<Candidate, RegistryVerdict>();
  const answered = askVerdicts(connection, pending, options, latestBlock, verdicts);
  const shared = options.cache?.at(latestBlock, options);
  const keys = shared?.keys ?? new IssuerKeys(resolver, connection.rpcUrl);
  const checker = new SignatureChecker();
  const signedNow = await signaturesNow(pending, keys, checker, latestBlock);
  const failure = await answered;
  if (failure !== undefined) {
    if (!(failure instanceof CCRError)) throw failure;
    return undecided(failure);
  }
  const judging: Judging = {
    connection,
    options: shared?.names === undefined ? options : { ...options, names: shared.names },
    keys,
    checker,
    signedNow,
    schemas: await (shared?.schemas() ?? schemasByUri(connection)),
    memberEvents: new Map(),
    issuers: new Map(),
  };
  for (const candidate of pending) {
    const verdict = verdicts.get(candidate);
    if (verdict !== undefined) await judge(judging, candidate, verdict);
  }
  return candidates.map((c) => c.result);
}

interface SignatureState {
  keys: IssuerKeys;
  checker: SignatureChecker;
  /** The result of checking against the issuer's current keys. */
  signed: boolean | CCRError | undefined;
}

async function checkSignature(
  candidate: Candidate,
  credential: Credential,
  jws: string,
  summary: VerdictSummary,
  { keys, checker, signed }: SignatureState,
  connection: RegistryConnection,
): Promise<void> {
  if (ethrDidAddress(credential.issuer) === undefined) {
    settle(candidate, "invalid", `the issuer ${credential.issuer} is not a did:ethr identifier`, "signature");
    return;
  }
  if (signed instanceof CCRError) throw signed;
  if (signed === true) {
    pass(candidate, "signature");
    return;
  }
  // A key rotated out since: the signature counts if the key was the issuer's when the credential was anchored.
  if (summary.status !== "UNKNOWN") {
    const block = await anchoringBlock(connection, candidate);
    if (block !== undefined && checker.check(jws, named(await keys.keys(credential.issuer, block), candidate.kid))) {
      pass(candidate, "signature");
      return;
    }
  }
  const key = candidate.kid === undefined ? `one of ${credential.issuer}'s keys` : `${candidate.kid}, which it names`;
  settle(candidate, "invalid", `the signature is not ${key}: the JWS was altered or forged`, "signature");
}

/** The time and reason of a revocation or suspension the registry decided by a record (credential or batch). */
function recordDecision(verdict: {
  decidedBy: bigint;
  decidedAt: bigint;
  reason: bigint;
}): Pick<VerdictSummary, "since" | "reason"> {
  const by = DECIDER[Number(verdict.decidedBy)];
  if (by !== "CREDENTIAL" && by !== "BATCH") return {};
  return { since: time(verdict.decidedAt), reason: REASON_NAMES.get(Number(verdict.reason)) };
}

interface MemberChange {
  word: bigint;
  bits: bigint;
  state: bigint;
  reason: bigint;
  blockNumber: number;
}

/**
 * The registry stores no time or reason for member-level changes (they are in the event history): for a batch member
 * whose own entry decided its REVOKED or SUSPENDED status, finds the latest MembersStatusChanged event of its issuer
 * that put it in that state, and reports its time and reason.
 */
async function memberChangeTime(
  candidate: Candidate,
  summary: VerdictSummary,
  connection: RegistryConnection,
  cache: Map<string, Promise<MemberChange[]>>,
): Promise<void> {
  const query = candidate.query;
  if (query === undefined || summary.decidedBy !== "MEMBER") return;
  const { registry, rpcUrl, deployment, provider } = connection;
  const key = `${query.issuer}:${query.batchRoot}`;
  let events = cache.get(key);
  if (events === undefined) {
    events = rpc(rpcUrl, "reading the batch's member changes", async () =>
      (
        await registry.queryFilter(
          registry.filters.MembersStatusChanged(query.batchRoot, query.issuer),
          deployment.registry.blockNumber,
        )
      ).map(({ args, blockNumber }) => ({
        word: args.word,
        bits: args.bits,
        state: args.state,
        reason: args.reason,
        blockNumber,
      })),
    );
    cache.set(key, events);
  }
  const word = query.index >> 8n;
  const bit = 1n << (query.index & 255n);
  const states = summary.status === "REVOKED" ? [AnchorState.REVOKED] : [AnchorState.SUSPENDED, AnchorState.HELD];
  const last = (await events)
    .filter((e) => e.word === word && (e.bits & bit) !== 0n && states.includes(Number(e.state)))
    .pop();
  if (last === undefined) return;
  const block = await rpc(rpcUrl, "reading a block time", () => provider.getBlock(last.blockNumber));
  summary.since = block === null ? undefined : time(BigInt(block.timestamp));
  summary.reason = REASON_NAMES.get(Number(last.reason));
}

/**
 * For a credential the registry does not know: when its file names an anchoring transaction that this chain does not
 * have, it was issued on another chain with the same chain id and registry address (a restarted devnet, say).
 */
async function anchoredElsewhere(connection: RegistryConnection, candidate: Candidate): Promise<string | undefined> {
  const tx = candidate.transaction;
  if (tx === undefined || !/^0x[0-9a-fA-F]{64}$/.test(tx) || /^0x0{64}$/.test(tx)) return undefined;
  const receipt = await rpc(connection.rpcUrl, "looking up the anchoring transaction", () =>
    connection.provider.getTransactionReceipt(tx),
  );
  if (receipt !== null) return undefined;
  return (
    `issued on another chain: its anchoring transaction ${tx} is not on this chain (chain ${connection.chainId}, ` +
    `genesis ${connection.deployment.genesisHash || "unknown"}); a restarted devnet, or another network with this ` +
    `chain id`
  );
}

async function anchoringBlock(connection: RegistryConnection, candidate: Candidate): Promise<number | undefined> {
  const { registry, rpcUrl, deployment } = connection;
  const query = candidate.query;
  if (query === undefined) return undefined;
  const filter =
    query.batchRoot === ZeroHash
      ? registry.filters.CredentialAnchored(query.credential, query.issuer)
      : registry.filters.BatchAnchored(query.batchRoot, query.issuer);
  const [event] = await rpc(rpcUrl, "finding the anchoring block", () =>
    registry.queryFilter(filter, deployment.registry.blockNumber),
  );
  return event?.blockNumber;
}

/** The anchor must be the document's: same issuer, same schema, same validity; then the verdict and recognition. */
function checkAnchor(
  candidate: Candidate,
  credential: Credential,
  summary: VerdictSummary,
  schemas: Map<string, RegisteredSchema[]>,
  economy: string | undefined,
): void {
  const issuer = ethrDidAddress(credential.issuer);
  if (issuer === undefined || checksummed(issuer) !== checksummed(summary.issuer)) {
    settle(
      candidate,
      "invalid",
      `anchored by ${summary.issuer}, not by the credential's issuer ${credential.issuer}`,
      "anchor",
    );
    return;
  }
  const { id: uri, digestSRI: named } = credential.credentialSchema;
  const schema = schemas.get(uri)?.find((s) => s.id === summary.schema);
  if (schema === undefined) {
    const known = schemas
      .get(uri)
      ?.map((s) => `${s.id} "${s.name}"`)
      .join(" or ");
    settle(
      candidate,
      "invalid",
      `anchored for schema ${summary.schema}, not for the credential's schema ${known ?? uri}`,
      "anchor",
    );
    return;
  }
  if (named !== undefined && named !== digestSRI(schema.digest)) {
    settle(
      candidate,
      "invalid",
      `its schema document's digest ${named} is not the one the registry records for schema ${schema.id} ` +
        `"${schema.name}" (${digestSRI(schema.digest)})`,
      "anchor",
    );
    return;
  }
  const documentFrom = toSeconds(new Date(credential.validFrom));
  const documentUntil = credential.validUntil === undefined ? 0 : toSeconds(new Date(credential.validUntil));
  const anchoredFrom = summary.validFrom === undefined ? 0 : toSeconds(new Date(summary.validFrom));
  const anchoredUntil = summary.validUntil === undefined ? 0 : toSeconds(new Date(summary.validUntil));
  if ((anchoredFrom !== 0 && anchoredFrom !== documentFrom) || anchoredUntil !== documentUntil) {
    settle(candidate, "invalid", "the document's validity period is not the one anchored in the registry", "anchor");
    return;
  }
  pass(candidate, "anchor");
  if (summary.status !== "VALID") {
    settle(candidate, "invalid", explain(summary), "status");
    return;
  }
  pass(candidate, "status");
  if (economy !== undefined && !summary.recognised) {
    settle(
      candidate,
      "invalid",
      `issued in ${summary.economy}, whose accreditations ${economy} does not recognise for this credential type`,
      "recognition",
    );
    return;
  }
  if (economy !== undefined) pass(candidate, "recognition");
  candidate.result.reason =
    `valid: issued by ${credential.issuer} (${summary.economy}), anchored ${day(summary.anchoredAt)}` +
    (economy === undefined ? "" : `, recognised in ${economy}`);
}
