/**
 * Issuing credentials from an input file: the stages of `issuance/` run in order (see `issuance/model.ts`).
 */
import { CCRError } from "../errors.ts";
import { mapPooledInOrder } from "../pool.ts";
import { formatProblem, type CheckedRow } from "./input.ts";
import { lockOutput } from "./journal.ts";
import { confirmAnchors, groupAnchorer } from "./issuance/anchor.ts";
import { groupWriter, writeManifest } from "./issuance/deliver.ts";
import { signedGroups } from "./issuance/groups.ts";
import { DEFAULT_BATCH_SIZE, type IssueRequest, type IssueResult, type LoadedGroup } from "./issuance/model.ts";
import { admitRun, openRun } from "./issuance/run.ts";
import { groupSigner } from "./issuance/sign.ts";

export { CREDENTIAL_FORMATS, DEFAULT_BATCH_SIZE, DEFAULT_IN_FLIGHT } from "./issuance/model.ts";
export type { CredentialFormat, IssueProgress, IssueRequest, IssueResult, IssuedBatch } from "./issuance/model.ts";

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

/**
 * The run in a locked output folder: opened and admitted, then its groups signed and journalled in order, each
 * anchored as soon as it is journalled (up to `inFlight` transactions at once) and its files written as soon as its
 * anchors are mined; every anchor confirmed with the registry; the manifest last.
 */
async function issueLocked(request: IssueRequest, rows: CheckedRow[], outDir: string): Promise<IssueResult> {
  const { context, resumed } = await openRun(request, rows, outDir);
  const kid = await admitRun(context, resumed);
  const { run } = context;
  const signed: LoadedGroup[] = [];
  const anchorer = groupAnchorer(context);
  const writeGroup = groupWriter(context);
  const groups = signedGroups(context, groupSigner(context, kid), signed);
  const batches = await mapPooledInOrder(groups, run.single ? 1 : (request.inFlight ?? 1), async (group) =>
    writeGroup(group, await anchorer.anchorGroup(group)),
  );
  await confirmAnchors(context.connection, run, signed);
  const manifest = await writeManifest(context, signed, batches);
  return {
    outDir,
    manifest,
    issued: run.rows.length,
    skipped: run.skipped,
    batches,
    resumed,
    sentNow: anchorer.sentNow,
  };
}
