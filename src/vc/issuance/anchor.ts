/**
 * Anchoring a run's groups: every batch root (or single credential) the chain does not hold yet, each looked up first
 * (an earlier run's transaction may have been mined) and recorded in the group's journal of sent anchors once it has
 * the confirmations asked for; then every anchor of the run confirmed with the registry's own verdicts.
 */
import { appendFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ZeroHash, getAddress } from "ethers";
import { Status } from "../../codes.ts";
import { CCRError } from "../../errors.ts";
import { mapPooled } from "../../pool.ts";
import { readVerdicts, rpc, send, type RegistryConnection, type Sent } from "../../registry.ts";
import { ManagedSigner } from "../../transactions.ts";
import { fileProblem } from "../file.ts";
import { checkLock } from "../journal.ts";
import type { LoadedGroup, RunContext, RunRecord } from "./model.ts";

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

/** What an anchor commits to besides its hash: whose it is, its schema and its window (a run's, or a batch's). */
export type AnchorTerms = Pick<RunRecord, "issuer" | "schemaId" | "validFrom" | "validUntil">;

/**
 * The transaction in which `run`'s issuer anchored `hash` (a credential, or a batch root of `size` members), when
 * the registry has it. Records are the issuer's own, so another issuer's anchor of the same hash is never found; an
 * anchor of the issuer's with other terms than the run's is refused rather than counted.
 */
export async function findAnchor(
  connection: RegistryConnection,
  run: AnchorTerms,
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
 * Sends the anchoring transaction of `hash` (a batch root of `size` members, or a credential when `size` is 0) on
 * `run`'s terms; `anchorer` sends it, for `issuer` when it is another account (an operator).
 */
export function sendAnchor(
  { connection, issuer, anchorer }: Pick<RunContext, "connection" | "issuer" | "anchorer">,
  run: AnchorTerms,
  hash: string,
  size: number,
): Promise<Sent> {
  const { registry } = connection;
  const doing = size > 0 ? `anchoring batch ${hash}` : `anchoring credential ${hash}`;
  return send(connection, doing, () => {
    if (size > 0) {
      return anchorer === issuer
        ? registry.anchorBatch(hash, size, run.schemaId, run.validFrom, run.validUntil)
        : registry.anchorBatchFor(issuer, hash, size, run.schemaId, run.validFrom, run.validUntil);
    }
    return anchorer === issuer
      ? registry.anchor(hash, run.schemaId, run.validFrom, run.validUntil)
      : registry.anchorFor(issuer, hash, run.schemaId, run.validFrom, run.validUntil);
  });
}

/** Anchors the run's groups; `sentNow` counts the transactions sent by this call. */
export interface GroupAnchorer {
  anchorGroup(group: LoadedGroup): Promise<Sent[]>;
  readonly sentNow: number;
}

/**
 * The anchorer of `context`'s groups: a batch's root, or each single credential (up to `inFlight` at once). An anchor
 * counts as done only under as many blocks as the signer's policy asks of its own transactions.
 */
export function groupAnchorer(context: RunContext): GroupAnchorer {
  const { connection, run, request, outDir } = context;
  const confirmations = request.anchorer instanceof ManagedSigner ? request.anchorer.policy.confirmations : 1;
  let sentNow = 0;
  let anchoredCount = 0;
  const anchorOne = async (journalled: SentJournal, hash: string, size: number): Promise<Sent> => {
    const known = journalled.sent.get(hash);
    if (known !== undefined) return known;
    checkLock(outDir);
    let tx = await findAnchor(connection, run, hash, size, confirmations);
    if (tx === undefined) {
      try {
        tx = await sendAnchor(context, run, hash, size);
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
    context.progress("anchor", anchoredCount);
    return tx;
  };
  return {
    get sentNow() {
      return sentNow;
    },
    async anchorGroup(group) {
      const file = join(context.journal, `group-${group.group}.sent.jsonl`);
      const journalled: SentJournal = { file, ...(await readSent(file)) };
      // A journalled anchor counts only while the chain has it: one reorganised out of the chain is anchored again.
      await forgetDropped(connection, run, group.root !== undefined, journalled.sent);
      const jobs =
        group.root === undefined
          ? group.hashes.map((hash) => ({ hash, size: 0 }))
          : [{ hash: group.root, size: group.hashes.length }];
      return mapPooled(jobs, run.single ? (request.inFlight ?? 1) : 1, ({ hash, size }) =>
        anchorOne(journalled, hash, size),
      );
    },
  };
}

/**
 * Asks the registry, with its many-credentials call (`verdicts`), whether every credential of the run is anchored by
 * the run's issuer with the run's schema and window (one query per single credential, and per batch its first
 * member with its proof: a batch root is anchored or not as a whole). Anything else ends the run with an error naming
 * the credentials, instead of a report of success.
 */
export async function confirmAnchors(
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
