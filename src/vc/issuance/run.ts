/**
 * The first stage of an issuing run: the request checked against the output folder's journal (a new run, or the one
 * it resumes) and against the registry (may this account anchor for this issuer now?), then journalled, with its
 * status list indices, before anything is signed.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Resolvable } from "did-resolver";
import { computeAddress, getAddress, hexlify, randomBytes } from "ethers";
import { ethrDid } from "../../did.ts";
import { signingMethodId } from "../../didKeys.ts";
import { DEFAULT_SIGNING_ALG, type SigningAlg } from "../jwsAlg.ts";
import { CCRError } from "../../errors.ts";
import { describeRevert, rpc, type RegistryConnection } from "../../registry.ts";
import { toSeconds } from "../credential.ts";
import { fileProblem, removeStaleTemporaries, writeJsonAtomic } from "../file.ts";
import type { CheckedRow } from "../input.ts";
import { checkChain, checkNoOrphans, checkOptions, inputChanged } from "../journal.ts";
import { allocateStatusIndices } from "../statusList.ts";
import {
  DEFAULT_BATCH_SIZE,
  JOURNAL_DIR,
  JOURNAL_FORMAT,
  type IssueRequest,
  type RunContext,
  type RunRecord,
} from "./model.ts";

/** A journal file's content, or undefined when there is none; a damaged one is refused. */
export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CCRError("JOURNAL_MISMATCH", `cannot read journal file ${file}; it is damaged`, { cause });
  }
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
  const alg = request.signingAlg ?? DEFAULT_SIGNING_ALG;
  if ((previous.signingAlg ?? DEFAULT_SIGNING_ALG) !== alg) {
    const was = previous.signingAlg ?? DEFAULT_SIGNING_ALG;
    throw new CCRError(
      "JOURNAL_MISMATCH",
      `${outDir} holds a run signed with ${was}; --alg ${alg} would mix algorithms. Resume it with --alg ${was} ` +
        "(and its signing key), or use another --out",
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

/** The record of a new run of `request` over `rows`: what it would journal if no run is there yet. */
async function freshRecord(request: IssueRequest, rows: CheckedRow[], issuer: string): Promise<RunRecord> {
  const { connection, input } = request;
  const schemaId = request.schema.id;
  const { deployment } = connection;
  return {
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
    batchSize: request.batchSize ?? DEFAULT_BATCH_SIZE,
    single: request.single === true,
    rows: rows.map((r) => r.row),
    subjects: rows.map((r) => r.digest),
    skipped: request.input.problems,
    ...(request.format === "sd-jwt" ? { credentialFormat: "sd-jwt" as const } : {}),
    ...(request.signingAlg === "ES256" ? { signingAlg: "ES256" as const } : {}),
  };
}

/**
 * Opens the run of `request` in `outDir` (locked by the caller): a new one, or the journalled one it continues,
 * refused when the folder, its chain, its input or its options do not match.
 */
export async function openRun(
  request: IssueRequest,
  rows: CheckedRow[],
  outDir: string,
): Promise<{ context: RunContext; resumed: boolean }> {
  const issuer = getAddress(request.issuer);
  const anchorer = getAddress(await request.anchorer.getAddress());
  const journal = join(outDir, JOURNAL_DIR);
  await mkdir(journal, { recursive: true }).catch((cause: unknown) => {
    throw fileProblem(journal, cause, "cannot be created");
  });
  // A run killed between writing a file and renaming it into place left its temporary file: not a credential.
  await removeStaleTemporaries(outDir);
  await removeStaleTemporaries(journal);
  const fresh = await freshRecord(request, rows, issuer);
  const previous = await readJson<RunRecord>(join(journal, "run.json"));
  if (previous === undefined) await checkNoOrphans(outDir);
  else checkResume(outDir, previous, fresh, request);
  const run = previous ?? fresh;
  if (run.validUntil !== 0 && run.validUntil <= run.validFrom) {
    throw new CCRError("INVALID_ARGUMENT", "the credentials' validUntil must be after their validFrom");
  }
  const total = run.rows.length;
  const progress: RunContext["progress"] = (phase, done) => request.onProgress?.({ phase, done, total });
  return {
    context: { request, connection: request.connection, run, outDir, journal, issuer, anchorer, progress },
    resumed: previous !== undefined,
  };
}

/** Asks the registry, before anything is signed, whether the anchorer may anchor for the issuer with the run's terms. */
async function checkAnchoring({ connection, run, issuer, anchorer }: RunContext): Promise<void> {
  const { registry } = connection;
  const probe = hexlify(randomBytes(32));
  await rpc(connection.rpcUrl, "checking the issuer's accreditation", async () => {
    try {
      await (anchorer === issuer
        ? registry.anchorBatch.staticCall(probe, 1, run.schemaId, run.validFrom, run.validUntil)
        : registry.anchorBatchFor.staticCall(issuer, probe, 1, run.schemaId, run.validFrom, run.validUntil));
    } catch (cause) {
      const refusal = describeRevert(cause);
      if (refusal === undefined) throw cause;
      throw new CCRError("REFUSED_BY_REGISTRY", `${anchorer} cannot anchor for ${issuer}: ${refusal}`, { cause });
    }
  });
}

/**
 * Admits a new run (the registry asked, the signing key found in the issuer's DID document when a resolver is given)
 * and journals it; then gives the run its status list indices, once (a run killed in between gets the same ones
 * again). Returns the JWS `kid` when it was looked up here (a resumed run looks it up when it signs).
 */
export async function admitRun(context: RunContext, resumed: boolean): Promise<string | undefined> {
  const { request, run, journal, connection } = context;
  const runFile = join(journal, "run.json");
  let kid: string | undefined;
  if (!resumed) {
    await checkAnchoring(context);
    if (request.resolver !== undefined) {
      kid = await signingKeyId(request.resolver, run, context.issuer, request.signingKey, request.signingAlg);
    }
    await writeJsonAtomic(runFile, run);
  }
  const register = request.statusRegister;
  if (register !== undefined && run.statusLists === undefined && !existsSync(join(journal, "group-0.json"))) {
    const owner = { ...run, genesisHash: connection.genesisHash };
    const { start, baseUrl } = await allocateStatusIndices(register, owner, run.runId, run.rows.length);
    run.statusLists = { register: register.file, start, baseUrl };
    await writeJsonAtomic(runFile, run);
  }
  return kid;
}

/** Without a resolver: the DID's own key (`#controller`) when the issuer signs, else no `kid`. */
export function controllerKeyId(
  run: RunRecord,
  issuer: string,
  request: { signingKey: string; signingAlg?: SigningAlg | undefined },
): string | undefined {
  if ((request.signingAlg ?? DEFAULT_SIGNING_ALG) !== "ES256K") return undefined;
  const own = computeAddress(request.signingKey).toLowerCase() === issuer.toLowerCase();
  return own ? `${ethrDid(run.chainId, issuer)}#controller` : undefined;
}

/** The JWS `kid` of the run's credentials (see `signingMethodId`). */
export async function signingKeyId(
  resolver: Resolvable,
  run: RunRecord,
  issuer: string,
  signingKey: string,
  alg: SigningAlg = DEFAULT_SIGNING_ALG,
): Promise<string> {
  return signingMethodId(resolver, ethrDid(run.chainId, issuer), signingKey, alg);
}
