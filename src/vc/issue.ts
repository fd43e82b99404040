import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Resolvable } from "did-resolver";
import { ZeroHash, computeAddress, getAddress, hexlify, randomBytes, type Signer } from "ethers";
import { buildBatch, type Batch } from "../batch.ts";
import { mapPooled, mapPooledInOrder } from "../pool.ts";
import { ethrDid, signingMethodId } from "../did.ts";
import { CCRError } from "../errors.ts";
import { ManagedSigner } from "../transactions.ts";
import { Status } from "../codes.ts";
import { describeRevert, readVerdicts, rpc, send, type RegistryConnection, type Sent } from "../registry.ts";
import {
  VC_JWT_TYP,
  buildCredential,
  credentialHash,
  toSeconds,
  type Credential,
  type CredentialTypeRef,
} from "./credential.ts";
import { SigningPool, es256kSigner, signingInput } from "./signingPool.ts";
import type { CredentialType } from "./credentialType.ts";
import { issueSdJwt } from "./sdJwt.ts";
import {
  CREDENTIAL_FILE_FORMAT,
  fileProblem,
  removeStaleTemporaries,
  writeJsonAtomic,
  writeJsonListAtomic,
  type AnchorInfo,
  type CredentialFile,
} from "./file.ts";
import { formatProblem, subjectDigest, type CheckedRow, type RowProblem, type SubjectInput } from "./input.ts";
import {
  allocateStatusIndices,
  recordStatusAnchors,
  statusListEntries,
  type RegisterAnchor,
  type StatusRegisterRef,
} from "./statusList.ts";
import {
  checkChain,
  checkLock,
  checkNoOrphans,
  checkOptions,
  inputChanged,
  lockOutput,
  type ChainIdentity,
  type RunOptions,
} from "./journal.ts";

/** Default number of credentials per Merkle batch (and per journal group with `single`). */
export const DEFAULT_BATCH_SIZE = 1000;
/**
 * Anchoring transactions in flight at once for a signer that manages its own nonces (`ManagedSigner`); a plain
 * ethers signer sends one at a time (the `inFlight` default), since it would give concurrent transactions one nonce.
 */
export const DEFAULT_IN_FLIGHT = 8;

export interface IssueRequest {
  /** A registry connection whose `registry` is connected to `anchorer`. */
  connection: RegistryConnection;
  /** Sends the anchoring transactions: the issuer itself, or one of its operators. */
  anchorer: Signer;
  /** The accredited issuer the credentials are from. */
  issuer: string;
  /** The key that signs the JWS: the issuer's, or a `veriKey` delegate of its DID. */
  signingKey: string;
  /** The credential type (a registered schema with its document): see `credentialType`. */
  schema: CredentialType;
  input: SubjectInput;
  outDir: string;
  validFrom?: Date | undefined;
  validUntil?: Date | undefined;
  /** Credentials per batch (default `DEFAULT_BATCH_SIZE`; a resumed run keeps its own). */
  batchSize?: number | undefined;
  /** Anchor each credential on its own instead of in Merkle batches. */
  single?: boolean | undefined;
  /**
   * Anchoring transactions in flight at once (default 1); more needs a signer that manages nonces, such as
   * `ManagedSigner`. Each is confirmed before it counts.
   */
  inFlight?: number | undefined;
  /** Issue the valid rows and report the bad ones, instead of refusing the whole input. */
  skipInvalid?: boolean;
  onProgress?: (progress: IssueProgress) => void;
  /** When given, the signing key is checked against the issuer's DID document before anything is signed. */
  resolver?: Resolvable | undefined;
  /**
   * The issuer's status register: when given, every credential gets Bitstring Status List entries (revocation and
   * suspension) at indices allocated to the run before signing.
   */
  statusRegister?: StatusRegisterRef | undefined;
  /** `vc+jwt` (default): a JWS of the W3C credential; `sd-jwt`: an SD-JWT VC whose subject fields are disclosures. */
  format?: CredentialFormat | undefined;
}

export const CREDENTIAL_FORMATS = ["vc+jwt", "sd-jwt"] as const;
export type CredentialFormat = (typeof CREDENTIAL_FORMATS)[number];

export interface IssueProgress {
  phase: "sign" | "anchor" | "write";
  done: number;
  total: number;
}

export interface IssuedBatch {
  group: number;
  root?: string | undefined;
  size: number;
  transactions: Sent[];
}

export interface IssueResult {
  outDir: string;
  manifest: string;
  issued: number;
  skipped: RowProblem[];
  batches: IssuedBatch[];
  /** True when this call continued an interrupted run from its journal. */
  resumed: boolean;
  /** Anchoring transactions sent by this call (0 when a finished run is repeated). */
  sentNow: number;
}

/** The run's fixed parameters: the chain it anchors on and the options that shape its credentials. */
interface RunRecord extends ChainIdentity, RunOptions {
  format: typeof JOURNAL_FORMAT;
  runId: string;
  input: { file: string; digest: string };
  schemaId: number;
  /** The type the run's credentials name (the schema's as it was when the run began). */
  type: CredentialTypeRef & { name: string };
  rows: number[];
  /** Digests of the rows' subjects (see `subjectDigest`). */
  subjects: string[];
  skipped: RowProblem[];
  /** Absent for `vc+jwt` (journals of earlier versions have none). */
  credentialFormat?: "sd-jwt";
  /** The run's indices in the issuer's status lists: from `start`, one per row in run order. */
  statusLists?: { register: string; start: number; baseUrl: string };
}

const JOURNAL_FORMAT = "ccr-journal/3";

/** A group of signed credentials, written before anything of it is anchored. */
interface SignedGroup {
  group: number;
  rows: number[];
  jws: string[];
  root?: string;
}

/**
 * A signed group as the run keeps it in memory: its credentials' hashes, its batch root and the first member's proof
 * (for the final check). The credentials stay in the journal until their files are written, and the Merkle tree is
 * built again then (a few milliseconds a group), so that what a run holds per credential is its hash.
 */
interface LoadedGroup {
  group: number;
  rows: number[];
  hashes: string[];
  root?: string;
  firstProof?: string[];
}

const loaded = (record: SignedGroup, hashes: string[], batch: Batch | undefined): LoadedGroup => ({
  group: record.group,
  rows: record.rows,
  hashes,
  ...(batch === undefined ? {} : { root: batch.root, firstProof: batch.proof(0) }),
});

const JOURNAL_DIR = ".ccr-journal";

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CCRError("JOURNAL_MISMATCH", `cannot read journal file ${file}; it is damaged`, { cause });
  }
}

function fileName(row: number, rows: number): string {
  return `credential-${String(row).padStart(Math.max(5, String(rows).length), "0")}.json`;
}

/**
 * "Valid from now": the earlier of the wall clock and the chain's latest block time. A node's block times can lag the
 * wall clock by a second (seen on Hardhat's in-process chain), and a credential valid from a second after its
 * anchoring block reads NOT_YET_VALID there; a chain ahead of the wall clock (a devnet moved forward) must not make
 * the credential not yet valid for verifiers that use the wall clock.
 */
async function defaultValidFrom(connection: RegistryConnection): Promise<number> {
  const latest = await rpc(connection.rpcUrl, "reading the chain's time", () => connection.provider.getBlock("latest"));
  const wall = toSeconds(new Date());
  return latest === null ? wall : Math.min(wall, latest.timestamp);
}

/**
 * The subjects of a run's groups, read from its input as each group is signed (in order, never all at once). A row
 * that is gone or whose subject is not the one checked when the run began is refused before it is signed.
 */
function groupSubjects(
  input: SubjectInput,
  run: RunRecord,
): { take(group: number): Promise<Record<string, unknown>[]>; close(): Promise<void> } {
  const reader = input.subjects();
  const changed = (what: string): CCRError =>
    new CCRError(
      "JOURNAL_MISMATCH",
      `${input.file} changed after it was checked: ${what}; nothing more was signed. Put the file back as it was ` +
        `and run the same command again to finish the run`,
    );
  return {
    async take(group) {
      const first = group * run.batchSize;
      const taken: Record<string, unknown>[] = [];
      for (const [k, row] of run.rows.slice(first, first + run.batchSize).entries()) {
        let next = await reader.next();
        while (!next.done && next.value.row < row) next = await reader.next();
        if (next.done || next.value.row !== row) throw changed(`row ${row} is gone`);
        if (subjectDigest(next.value.subject) !== run.subjects[first + k]) throw changed(`row ${row} is not the same`);
        taken.push(next.value.subject);
      }
      return taken;
    },
    close: async () => {
      await reader.return(undefined);
    },
  };
}

/** Refuses to resume `previous` as the run asked for now, naming what differs and what to do. */
function checkResume(outDir: string, previous: RunRecord, fresh: RunRecord, request: IssueRequest) {
  if (previous.format !== JOURNAL_FORMAT) {
    throw new CCRError(
      "JOURNAL_MISMATCH",
      `${outDir} holds a journal of an earlier ccr (${String(previous.format)}); nothing was done. Use another --out`,
    );
  }
  checkChain(outDir, previous, fresh);
  const before = previous.credentialFormat ?? "vc+jwt";
  if (before !== (request.format ?? "vc+jwt")) {
    throw new CCRError(
      "JOURNAL_MISMATCH",
      `${outDir} holds a run of ${before} credentials; --format ${request.format ?? "vc+jwt"} would mix formats. ` +
        `Resume it with --format ${before}, or use another --out`,
    );
  }
  if (previous.input.digest !== fresh.input.digest)
    throw inputChanged(outDir, previous.input.file, previous.subjects, fresh.subjects);
  checkOptions(outDir, previous, {
    schema: fresh.schema,
    issuer: fresh.issuer,
    validFrom: request.validFrom === undefined ? undefined : toSeconds(request.validFrom),
    validUntil: request.validUntil === undefined ? undefined : toSeconds(request.validUntil),
    batchSize: request.batchSize,
    single: request.single === true ? true : undefined,
  });
}

/**
 * Issues one credential per input row: checks the rows, signs, anchors (Merkle batches, or one by one with `single`)
 * and writes one credential file per row plus `manifest.json` in `outDir`.
 *
 * The journal in `outDir/.ccr-journal` makes the run resumable: signed credentials are written before their anchor is
 * sent, the chain is asked before every anchor, and calling again with the same input continues where a run stopped,
 * never anchoring anything twice and never signing a credential again.
 */
export async function issueCredentials(request: IssueRequest): Promise<IssueResult> {
  const { input, outDir } = request;
  const valid = input.problems.length === 0 || request.skipInvalid === true;
  if (!valid) {
    throw new CCRError(
      "INVALID_INPUT",
      `${input.file}: ${input.problems.length} problem(s); nothing was signed or anchored (fix them, or pass --skip-invalid)`,
      { details: input.problems.map(formatProblem) },
    );
  }
  const badRows = new Set(input.problems.map((p) => p.row));
  const rows = input.rows.filter((r) => !badRows.has(r.row));
  if (rows.length === 0) throw new CCRError("INVALID_INPUT", `${input.file}: no valid row to issue`);
  const batchSize = request.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new CCRError("INVALID_ARGUMENT", `batch size ${batchSize} must be a positive integer`);
  }

  // One run per output folder: a second one is refused at once.
  const release = await lockOutput(outDir);
  try {
    return await issueLocked(request, rows, outDir);
  } finally {
    await release().catch(() => undefined);
  }
}

async function issueLocked(request: IssueRequest, rows: CheckedRow[], outDir: string): Promise<IssueResult> {
  const { connection, input } = request;
  const { registry } = connection;
  const issuer = getAddress(request.issuer);
  const anchorer = getAddress(await request.anchorer.getAddress());
  const batchSize = request.batchSize ?? DEFAULT_BATCH_SIZE;
  const journal = join(outDir, JOURNAL_DIR);
  await mkdir(journal, { recursive: true }).catch((cause: unknown) => {
    throw fileProblem(journal, cause, "cannot be created");
  });
  // A run killed between writing a file and renaming it into place left its temporary file: not a credential.
  await removeStaleTemporaries(outDir);
  await removeStaleTemporaries(journal);
  const runFile = join(journal, "run.json");
  const schemaId = request.schema.id;
  const { deployment } = connection;
  const fresh: RunRecord = {
    format: JOURNAL_FORMAT,
    runId: randomUUID(),
    genesisHash: deployment.genesisHash,
    deploymentBlock: deployment.registry.blockNumber,
    input: { file: input.file, digest: input.digest },
    schema: String(schemaId),
    schemaId,
    type: {
      name: request.schema.name,
      vcType: request.schema.vcType,
      uri: request.schema.uri,
      digest: request.schema.digest,
    },
    issuer,
    chainId: connection.chainId,
    registry: getAddress(connection.deployment.registry.address),
    validFrom: request.validFrom === undefined ? await defaultValidFrom(connection) : toSeconds(request.validFrom),
    validUntil: request.validUntil === undefined ? 0 : toSeconds(request.validUntil),
    batchSize,
    single: request.single === true,
    rows: rows.map((r) => r.row),
    subjects: rows.map((r) => r.digest),
    skipped: input.problems,
    ...(request.format === "sd-jwt" ? { credentialFormat: "sd-jwt" as const } : {}),
  };
  const previous = await readJson<RunRecord>(runFile);
  if (previous === undefined) await checkNoOrphans(outDir);
  else checkResume(outDir, previous, fresh, request);
  const run = previous ?? fresh;
  if (run.validUntil !== 0 && run.validUntil <= run.validFrom) {
    throw new CCRError("INVALID_ARGUMENT", "the credentials' validUntil must be after their validFrom");
  }
  // The JWS `kid`: the issuer DID's verification method the signing key is (found once, when something is signed).
  let kid: string | undefined;
  const keyId = async (): Promise<string | undefined> => {
    if (kid !== undefined || request.resolver === undefined) return kid ?? controllerKeyId(run, issuer, request);
    kid = await signingKeyId(request.resolver, run, issuer, request.signingKey);
    return kid;
  };
  if (previous === undefined) {
    // Ask the registry before signing anything: an issuer that may not anchor gets the reason now.
    const probe = hexlify(randomBytes(32));
    await rpc(connection.rpcUrl, "checking the issuer's accreditation", async () => {
      try {
        await (anchorer === issuer
          ? registry.anchorBatch.staticCall(probe, 1, schemaId, run.validFrom, run.validUntil)
          : registry.anchorBatchFor.staticCall(issuer, probe, 1, schemaId, run.validFrom, run.validUntil));
      } catch (cause) {
        const refusal = describeRevert(cause);
        if (refusal === undefined) throw cause;
        throw new CCRError("REFUSED_BY_REGISTRY", `${anchorer} cannot anchor for ${issuer}: ${refusal}`, { cause });
      }
    });
    if (request.resolver !== undefined) kid = await signingKeyId(request.resolver, run, issuer, request.signingKey);
    await writeJsonAtomic(runFile, run);
  }
  // Status list indices, allocated once the run is journalled: a run killed in between gets the same ones again.
  const register = request.statusRegister;
  if (register !== undefined && run.statusLists === undefined && !existsSync(join(journal, "group-0.json"))) {
    const owner = { ...run, genesisHash: connection.genesisHash };
    const { start, baseUrl } = await allocateStatusIndices(register, owner, run.runId, run.rows.length);
    run.statusLists = { register: register.file, start, baseUrl };
    await writeJsonAtomic(runFile, run);
  }
  const lists = run.statusLists;

  const groups: number[][] = [];
  for (let i = 0; i < run.rows.length; i += run.batchSize) groups.push(run.rows.slice(i, i + run.batchSize));
  const did = ethrDid(run.chainId, issuer);
  const total = run.rows.length;
  const progress = (phase: IssueProgress["phase"], done: number): void => request.onProgress?.({ phase, done, total });

  /** The credential of one subject (its place in the run: `group`, `index`), unsigned. */
  const credentialOf = (subject: Record<string, unknown>, group: number, index: number): Credential =>
    buildCredential({
      schema: run.type,
      issuer: did,
      subject,
      id: `urn:uuid:${randomUUID()}`,
      validFrom: new Date(run.validFrom * 1000),
      validUntil: run.validUntil === 0 ? undefined : new Date(run.validUntil * 1000),
      status: {
        chainId: run.chainId,
        registry: run.registry,
        batch: run.single ? undefined : { id: `urn:ccr:batch:${run.runId}:${group}`, index },
      },
      statusLists:
        lists === undefined ? undefined : statusListEntries(lists.baseUrl, lists.start + group * run.batchSize + index),
    });
  // The subjects are read from the input again, group by group as they are signed.
  const subjects = groupSubjects(input, run);
  // vc+jwt credentials are signed on worker threads (one per core); SD-JWT VCs on this one, with libsecp256k1 too.
  const pool = run.credentialFormat === "sd-jwt" ? undefined : new SigningPool(request.signingKey);
  const sdJwtSigner = es256kSigner(request.signingKey);
  const signGroup = async (group: number): Promise<{ jws: string[]; hashes: string[] }> => {
    const credentials = (await subjects.take(group)).map((subject, index) => credentialOf(subject, group, index));
    if (pool !== undefined) {
      const header: Record<string, string> = { alg: "ES256K", typ: VC_JWT_TYP };
      const id = await keyId();
      if (id !== undefined) header.kid = id;
      const iat = toSeconds(new Date());
      const signedNow = await pool.sign(credentials.map((credential) => signingInput(header, credential, iat)));
      return { jws: signedNow.map((s) => s.jws), hashes: signedNow.map((s) => s.hash) };
    }
    const jws: string[] = [];
    for (const credential of credentials) {
      jws.push(
        await issueSdJwt(
          credential,
          request.signingKey,
          await keyId(),
          request.schema.document.alwaysDisclosed,
          sdJwtSigner,
        ),
      );
    }
    return { jws, hashes: jws.map(credentialHash) };
  };

  // Groups are signed (or loaded from the journal) in order, one signed ahead on the workers while the last is
  // journalled, and each is handed on to be anchored once its credentials are in the journal: nothing signed is
  // ever lost or signed twice, and nothing is sent that the journal cannot name. Only the hashes stay in memory;
  // the credentials are read back from the journal when their files are written.
  const signed: LoadedGroup[] = [];
  /** What the run's first indices are on the chain, for `publishStatusLists`: recorded before they are anchored. */
  const registerAnchors: RegisterAnchor[] = [];
  let done = 0;
  async function* signedGroups(): AsyncGenerator<LoadedGroup> {
    try {
      let pending: Promise<{ jws: string[]; hashes: string[] }> | undefined;
      // Which groups an earlier run signed (read below, in order, once each).
      const journalled = groups.map((_, group) => existsSync(join(journal, `group-${group}.json`)));
      const nextToSign = (after: number): number => journalled.findIndex((known, g) => g > after && !known);
      let ahead = nextToSign(-1);
      /** Signs a group ahead; if the run fails before it is awaited, its own failure is not reported twice. */
      const signAhead = (group: number): Promise<{ jws: string[]; hashes: string[] }> => {
        const signing = signGroup(group);
        signing.catch(() => undefined);
        return signing;
      };
      if (ahead !== -1) pending = signAhead(ahead);
      for (const [group, groupRows] of groups.entries()) {
        const groupFile = join(journal, `group-${group}.json`);
        let made: LoadedGroup;
        if (group === ahead && pending !== undefined) {
          const { jws, hashes } = await pending;
          ahead = nextToSign(group);
          pending = ahead === -1 ? undefined : signAhead(ahead);
          const batch = run.single ? undefined : buildBatch(hashes);
          const record = { group, rows: [...groupRows], jws, ...(batch === undefined ? {} : { root: batch.root }) };
          await writeJsonAtomic(groupFile, record);
          made = loaded(record, hashes, batch);
        } else {
          const record = await readJson<SignedGroup>(groupFile);
          if (record === undefined) throw new CCRError("JOURNAL_MISMATCH", `journal group ${group} disappeared`);
          const hashes = record.jws.map(credentialHash);
          const batch = record.root === undefined ? undefined : buildBatch(hashes);
          if (batch !== undefined && batch.root !== record.root) {
            throw new CCRError("JOURNAL_MISMATCH", `journal group ${record.group} does not rebuild its batch root`);
          }
          made = loaded(record, hashes, batch);
        }
        signed.push(made);
        done += made.hashes.length;
        progress("sign", done);
        if (lists !== undefined) {
          const { hashes, root } = made;
          registerAnchors.push(
            ...(root === undefined ? hashes.map((credential) => ({ credential })) : [{ root, size: hashes.length }]),
          );
          await recordStatusAnchors({ file: lists.register }, run.runId, registerAnchors);
        }
        yield made;
      }
    } finally {
      await pool?.close();
      await subjects.close();
    }
  }

  let sentNow = 0;
  let anchoredCount = 0;
  // An anchor counts as done only under as many blocks as the signer's policy asks of its own transactions.
  const confirmations = request.anchorer instanceof ManagedSigner ? request.anchorer.policy.confirmations : 1;
  const anchorOne = async (journalled: SentJournal, hash: string, size: number): Promise<Sent> => {
    const known = journalled.sent.get(hash);
    if (known !== undefined) return known;
    checkLock(outDir);
    const found = await findAnchor(connection, run, hash, size, confirmations);
    let tx = found;
    if (tx === undefined) {
      const doing = size > 0 ? `anchoring batch ${hash}` : `anchoring credential ${hash}`;
      try {
        tx = await send(connection, doing, () => {
          if (size > 0) {
            return anchorer === issuer
              ? registry.anchorBatch(hash, size, run.schemaId, run.validFrom, run.validUntil)
              : registry.anchorBatchFor(issuer, hash, size, run.schemaId, run.validFrom, run.validUntil);
          }
          return anchorer === issuer
            ? registry.anchor(hash, run.schemaId, run.validFrom, run.validUntil)
            : registry.anchorFor(issuer, hash, run.schemaId, run.validFrom, run.validUntil);
        });
        sentNow++;
      } catch (error) {
        // A transaction of an interrupted run may have been mined meanwhile: then it is anchored, not failed.
        tx = await findAnchor(connection, run, hash, size, confirmations);
        if (tx === undefined) throw error;
      }
    }
    const torn = journalled.torn;
    journalled.torn = false;
    await appendSent(journalled.file, hash, tx, torn);
    journalled.sent.set(hash, tx);
    anchoredCount += Math.max(size, 1);
    progress("anchor", anchoredCount);
    return tx;
  };

  let written = 0;
  /** Writes a group's credential files, each with its anchor (and, in a batch, its Merkle proof). */
  const writeGroup = async (loadedGroup: LoadedGroup, mined: Sent[]): Promise<IssuedBatch> => {
    const { group, hashes, root } = loadedGroup;
    const record = await readJson<SignedGroup>(join(journal, `group-${group}.json`));
    if (record === undefined) throw new CCRError("JOURNAL_MISMATCH", `journal group ${group} disappeared`);
    const batch = root === undefined ? undefined : buildBatch(hashes);
    const anchorOf = (i: number): AnchorInfo => {
      const tx = mined[batch === undefined ? i : 0];
      if (tx === undefined) throw new Error(`no anchor for member ${i} of group ${group}`);
      return batch === undefined
        ? { chainId: run.chainId, registry: run.registry, transaction: tx.transaction }
        : {
            chainId: run.chainId,
            registry: run.registry,
            transaction: tx.transaction,
            batch: { root: batch.root, index: i, size: hashes.length, proof: batch.proof(i) },
          };
    };
    // Many small files: written concurrently, each atomically.
    const concurrency = 64;
    for (let start = 0; start < record.rows.length; start += concurrency) {
      const slice = record.rows.slice(start, start + concurrency);
      await Promise.all(
        slice.map((row, k) => {
          const i = start + k;
          const file: CredentialFile = {
            format: CREDENTIAL_FILE_FORMAT,
            jws: record.jws[i] ?? "",
            hash: hashes[i] ?? "",
            anchor: anchorOf(i),
          };
          return writeJsonAtomic(join(outDir, fileName(row, input.rows.length)), file);
        }),
      );
      written += slice.length;
      progress("write", written);
    }
    return { group, root, size: hashes.length, transactions: mined };
  };
  // Anchor what the chain does not have yet, group by group as they are signed: every batch root (or single
  // credential), up to `inFlight` transactions at once; a group's files are written as soon as its anchors are mined.
  const batches = await mapPooledInOrder(
    signedGroups(),
    run.single ? 1 : (request.inFlight ?? 1),
    async (loadedGroup) => {
      const file = join(journal, `group-${loadedGroup.group}.sent.jsonl`);
      const journalled: SentJournal = { file, ...(await readSent(file)) };
      // A journalled anchor counts only while the chain has it: one reorganised out of the chain is anchored again.
      await forgetDropped(connection, run, loadedGroup.root !== undefined, journalled.sent);
      const jobs =
        loadedGroup.root === undefined
          ? loadedGroup.hashes.map((hash) => ({ hash, size: 0 }))
          : [{ hash: loadedGroup.root, size: loadedGroup.hashes.length }];
      const mined = await mapPooled(jobs, run.single ? (request.inFlight ?? 1) : 1, ({ hash, size }) =>
        anchorOne(journalled, hash, size),
      );
      return writeGroup(loadedGroup, mined);
    },
  );

  await confirmAnchors(connection, run, signed);

  const manifest = join(outDir, "manifest.json");
  /** One manifest entry per credential, in run order, made as the file is written. */
  function* entries(): Generator<unknown> {
    for (const { rows: groupRows, hashes, root } of signed) {
      for (const [i, row] of groupRows.entries()) {
        yield {
          row,
          file: fileName(row, input.rows.length),
          hash: hashes[i],
          ...(root === undefined ? {} : { batch: root, index: i }),
        };
      }
    }
  }
  await writeJsonListAtomic(
    manifest,
    {
      format: "ccr-manifest/1",
      runId: run.runId,
      type: run.type.vcType,
      schemaId: run.schemaId,
      schema: { name: run.type.name, uri: run.type.uri, sha256: run.type.digest },
      issuer: did,
      chainId: run.chainId,
      registry: run.registry,
      validFrom: new Date(run.validFrom * 1000).toISOString(),
      validUntil: run.validUntil === 0 ? null : new Date(run.validUntil * 1000).toISOString(),
      input: { file: relative(outDir, input.file), sha256: run.input.digest, rows: input.rows.length },
      skipped: run.skipped.map(formatProblem),
      batches: batches.map(({ root, size, transactions }) => ({ root: root ?? null, size, transactions })),
    },
    "credentials",
    entries(),
  );
  return {
    outDir,
    manifest,
    issued: total,
    skipped: run.skipped,
    batches,
    resumed: previous !== undefined,
    sentNow,
  };
}

/**
 * The journal's record of sent anchors, one JSON line each. It is append-only and a kill can tear its last line: a
 * line that does not parse is skipped (whatever it named is looked up on the chain again before it is anchored).
 */
async function readSent(file: string): Promise<{ sent: Map<string, Sent>; torn: boolean }> {
  const sent = new Map<string, Sent>();
  const text = await readFile(file, "utf8").catch((cause: unknown) => {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw fileProblem(file, cause, "cannot be read");
  });
  for (const line of text.split("\n")) {
    try {
      const { hash, transaction, blockNumber } = JSON.parse(line) as Sent & { hash: string };
      if (typeof hash === "string" && typeof transaction === "string") sent.set(hash, { transaction, blockNumber });
    } catch {
      // an empty line, or the torn tail of a killed run
    }
  }
  return { sent, torn: text.length > 0 && !text.endsWith("\n") };
}

/**
 * Forgets the journalled anchors the chain no longer has (a reorganisation dropped their transaction), so that they
 * are anchored again instead of being reported issued.
 */
async function forgetDropped(
  connection: RegistryConnection,
  run: RunRecord,
  batch: boolean,
  sent: Map<string, Sent>,
): Promise<void> {
  const { registry, rpcUrl } = connection;
  await mapPooled([...sent.keys()], 16, async (hash) => {
    const record = await rpc(rpcUrl, `looking up ${hash}`, () =>
      batch ? registry.getBatch(run.issuer, hash) : registry.getCredential(run.issuer, hash),
    );
    if (record.anchoredAt === 0n) sent.delete(hash);
  });
}

/** A group's journal of sent anchors: its file, what it names, and whether its last line was torn. */
interface SentJournal {
  file: string;
  sent: Map<string, Sent>;
  torn: boolean;
}

/** Appends one sent anchor, on a line of its own even after a torn tail (`torn`). */
async function appendSent(file: string, hash: string, tx: Sent, torn: boolean): Promise<void> {
  await appendFile(file, `${torn ? "\n" : ""}${JSON.stringify({ hash, ...tx })}\n`).catch((cause: unknown) => {
    throw fileProblem(file, cause, "cannot be written");
  });
}

/**
 * The transaction in which the run's issuer anchored `hash` (a credential, or a batch root of `size` members), when
 * the registry has it. Records are the issuer's own, so another issuer's anchor of the same hash is never found; an
 * anchor of the issuer's with other terms than the run's is refused rather than counted.
 */
async function findAnchor(
  connection: RegistryConnection,
  run: RunRecord,
  hash: string,
  size: number,
  confirmations: number,
): Promise<Sent | undefined> {
  const { registry, rpcUrl, deployment } = connection;
  const batch = size > 0;
  const record = await rpc(rpcUrl, `looking up ${hash}`, () =>
    batch ? registry.getBatch(run.issuer, hash) : registry.getCredential(run.issuer, hash),
  );
  if (record.anchoredAt === 0n) return undefined;
  const terms = [record.schema, record.validFrom, record.validUntil, record.size].map(Number);
  const expected = [run.schemaId, run.validFrom, run.validUntil, size];
  if (terms.some((value, i) => value !== expected[i])) {
    throw new CCRError(
      "ANCHOR_MISMATCH",
      `${run.issuer} already anchored ${hash} with other terms (schema ${terms[0]}, valid ${terms[1]} to ${terms[2]}, ` +
        `size ${terms[3]}) than this run's (schema ${run.schemaId}, valid ${run.validFrom} to ${run.validUntil}, ` +
        `size ${size}); nothing was counted as issued`,
    );
  }
  const filter = batch
    ? registry.filters.BatchAnchored(hash, run.issuer)
    : registry.filters.CredentialAnchored(hash, run.issuer);
  const [event, head] = await rpc(rpcUrl, `looking up the anchoring of ${hash}`, () =>
    Promise.all([registry.queryFilter(filter, deployment.registry.blockNumber), connection.provider.getBlockNumber()]),
  ).then(([events, block]) => [events[0], block] as const);
  if (event === undefined) return { transaction: ZeroHash, blockNumber: 0 };
  const depth = head - event.blockNumber + 1;
  if (depth < confirmations) {
    throw new CCRError(
      "TRANSACTION_PENDING",
      `${hash} is anchored in block ${event.blockNumber} (transaction ${event.transactionHash}) but has ${depth} of ` +
        `the ${confirmations} confirmations asked for: run the command again to wait for the rest`,
    );
  }
  return { transaction: event.transactionHash, blockNumber: event.blockNumber };
}

/**
 * Asks the registry, with its many-credentials call (`verdicts`), whether every credential of the run is anchored by
 * the run's issuer with the run's schema and window (one query per single credential, and per batch its first
 * member with its proof: a batch root is anchored or not as a whole). Anything else ends the run with an error naming
 * the credentials, instead of a report of success.
 */
async function confirmAnchors(
  connection: RegistryConnection,
  run: RunRecord,
  signed: readonly LoadedGroup[],
): Promise<void> {
  const queries = signed.flatMap(({ hashes, root, firstProof }) =>
    root === undefined
      ? hashes.map((credential) => ({ issuer: run.issuer, credential, batchRoot: ZeroHash, index: 0, proof: [] }))
      : [{ issuer: run.issuer, credential: hashes[0] ?? ZeroHash, batchRoot: root, index: 0, proof: firstProof ?? [] }],
  );
  const missing: string[] = [];
  const chunk = 100;
  for (let i = 0; i < queries.length; i += chunk) {
    const part = queries.slice(i, i + chunk);
    const verdicts = await rpc(connection.rpcUrl, "confirming the anchors", () =>
      readVerdicts(connection, part, "0x0000", "latest"),
    );
    part.forEach((query, j) => {
      const v = verdicts[j];
      const ok =
        v !== undefined &&
        Number(v.status) !== Status.UNKNOWN &&
        getAddress(v.issuer) === getAddress(run.issuer) &&
        Number(v.schema) === run.schemaId &&
        Number(v.validFrom) === run.validFrom &&
        Number(v.validUntil) === run.validUntil;
      if (!ok)
        missing.push(query.batchRoot === ZeroHash ? `credential ${query.credential}` : `batch ${query.batchRoot}`);
    });
  }
  if (missing.length > 0) {
    throw new CCRError(
      "ANCHOR_MISMATCH",
      `the registry does not hold ${missing.length} anchor(s) of this run by ${run.issuer}: ${missing.slice(0, 5).join(", ")}` +
        `${missing.length > 5 ? ", …" : ""}: the journal of this output folder names transactions the chain does not ` +
        `have (another chain, or a dropped transaction); nothing is reported issued`,
    );
  }
}

/** Without a resolver: the DID's own key (`#controller`) when the issuer signs, else no `kid`. */
function controllerKeyId(run: RunRecord, issuer: string, request: { signingKey: string }): string | undefined {
  const own = computeAddress(request.signingKey).toLowerCase() === issuer.toLowerCase();
  return own ? `${ethrDid(run.chainId, issuer)}#controller` : undefined;
}

/** The JWS `kid` of the run's credentials (see `signingMethodId`). */
async function signingKeyId(resolver: Resolvable, run: RunRecord, issuer: string, signingKey: string): Promise<string> {
  return signingMethodId(resolver, ethrDid(run.chainId, issuer), signingKey);
}
