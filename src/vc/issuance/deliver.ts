/**
 * Delivering a run: each group's credential files, written as soon as its anchors are mined (each with its anchor and,
 * in a batch, its Merkle proof), and the run's manifest once every anchor is confirmed.
 */
import { join, relative } from "node:path";
import { buildBatch } from "../../batch.ts";
import { ethrDid } from "../../did.ts";
import { CCRError } from "../../errors.ts";
import type { Sent } from "../../registry.ts";
import {
  CREDENTIAL_FILE_FORMAT,
  writeJsonAtomic,
  writeJsonListAtomic,
  type AnchorInfo,
  type CredentialFile,
} from "../file.ts";
import { formatProblem } from "../input.ts";
import { fileName } from "./build.ts";
import { groupFile } from "./groups.ts";
import type { IssuedBatch, LoadedGroup, RunContext, SignedGroup } from "./model.ts";
import { readJson } from "./run.ts";

/** Many small files: written this many at once, each atomically. */
const WRITE_CONCURRENCY = 64;

/** Writes a group's credential files, each with its anchor (and, in a batch, its Merkle proof). */
export function groupWriter(context: RunContext): (group: LoadedGroup, mined: Sent[]) => Promise<IssuedBatch> {
  const { run, outDir, request } = context;
  let written = 0;
  return async ({ group, hashes, root }, mined) => {
    const record = await readJson<SignedGroup>(groupFile(context.journal, group));
    if (record === undefined) throw new CCRError("JOURNAL_MISMATCH", `journal group ${group} disappeared`);
    const batch = root === undefined ? undefined : buildBatch(hashes);
    const anchorOf = (i: number): AnchorInfo => {
      const tx = mined[batch === undefined ? i : 0];
      if (tx === undefined) throw new Error(`no anchor for member ${i} of group ${group}`);
      const anchor = { chainId: run.chainId, registry: run.registry, transaction: tx.transaction };
      return batch === undefined
        ? anchor
        : { ...anchor, batch: { root: batch.root, index: i, size: hashes.length, proof: batch.proof(i) } };
    };
    for (let start = 0; start < record.rows.length; start += WRITE_CONCURRENCY) {
      const slice = record.rows.slice(start, start + WRITE_CONCURRENCY);
      await Promise.all(
        slice.map((row, k) => {
          const i = start + k;
          const file: CredentialFile = {
            format: CREDENTIAL_FILE_FORMAT,
            jws: record.jws[i] ?? "",
            hash: hashes[i] ?? "",
            anchor: anchorOf(i),
          };
          return writeJsonAtomic(join(outDir, fileName(row, request.input.rows.length)), file);
        }),
      );
      written += slice.length;
      context.progress("write", written);
    }
    return { group, root, size: hashes.length, transactions: mined };
  };
}

/** Writes the run's `manifest.json`: its terms, its batches and one entry per credential in run order; its path. */
export async function writeManifest(
  { run, outDir, request, issuer }: RunContext,
  signed: readonly LoadedGroup[],
  batches: readonly IssuedBatch[],
): Promise<string> {
  const { input } = request;
  const manifest = join(outDir, "manifest.json");
  function* entries(): Generator<unknown> {
    for (const { rows, hashes, root } of signed) {
      for (const [i, row] of rows.entries()) {
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
      issuer: ethrDid(run.chainId, issuer),
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
  return manifest;
}
