/**
 * Journalling a run's signed groups: each group is signed (or, when an earlier run signed it, read back from the
 * journal) in order and written to the journal before it is handed on to be anchored, so that nothing signed is ever
 * lost or signed twice, and nothing is sent that the journal cannot name.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildBatch } from "../../batch.ts";
import { CCRError } from "../../errors.ts";
import { credentialHash } from "../credential.ts";
import { writeJsonAtomic } from "../file.ts";
import { recordStatusAnchors, type RegisterAnchor } from "../statusList.ts";
import { loaded, type LoadedGroup, type RunContext, type SignedGroup } from "./model.ts";
import { readJson } from "./run.ts";
import type { GroupSigner, SignedCredentials } from "./sign.ts";

/** The journal file of group `group`. */
export const groupFile = (journal: string, group: number): string => join(journal, `group-${group}.json`);

/** A group an earlier run signed, read back from the journal; refused when it does not rebuild its batch root. */
async function journalledGroup(journal: string, group: number): Promise<LoadedGroup> {
  const record = await readJson<SignedGroup>(groupFile(journal, group));
  if (record === undefined) throw new CCRError("JOURNAL_MISMATCH", `journal group ${group} disappeared`);
  const hashes = record.jws.map(credentialHash);
  const batch = record.root === undefined ? undefined : buildBatch(hashes);
  if (batch !== undefined && batch.root !== record.root) {
    throw new CCRError("JOURNAL_MISMATCH", `journal group ${record.group} does not rebuild its batch root`);
  }
  return loaded(record, hashes, batch);
}

/** Journals a group signed now: its credentials and, in a batch, its Merkle root. */
async function journalGroup(
  context: RunContext,
  group: number,
  rows: number[],
  { jws, hashes }: SignedCredentials,
): Promise<LoadedGroup> {
  const batch = context.run.single ? undefined : buildBatch(hashes);
  const record = { group, rows: [...rows], jws, ...(batch === undefined ? {} : { root: batch.root }) };
  await writeJsonAtomic(groupFile(context.journal, group), record);
  return loaded(record, hashes, batch);
}

/** The run's status register learns what its first indices are on the chain, before they are anchored. */
function statusRecorder(context: RunContext): (group: LoadedGroup) => Promise<void> {
  const lists = context.run.statusLists;
  const anchors: RegisterAnchor[] = [];
  return async ({ hashes, root }) => {
    if (lists === undefined) return;
    anchors.push(
      ...(root === undefined ? hashes.map((credential) => ({ credential })) : [{ root, size: hashes.length }]),
    );
    await recordStatusAnchors({ file: lists.register }, context.run.runId, anchors);
  };
}

/**
 * The run's groups in order, each journalled before it is yielded (and added to `signed`), one signed ahead on the
 * workers while the last is journalled. Only the hashes stay in memory: the credentials are read back from the
 * journal when their files are written. The signer is closed when the groups end, or the run fails.
 */
export async function* signedGroups(
  context: RunContext,
  signer: GroupSigner,
  signed: LoadedGroup[],
): AsyncGenerator<LoadedGroup> {
  const { run, journal } = context;
  const groups: number[][] = [];
  for (let i = 0; i < run.rows.length; i += run.batchSize) groups.push(run.rows.slice(i, i + run.batchSize));
  const recordStatus = statusRecorder(context);
  let done = 0;
  try {
    // Which groups an earlier run signed (read below, in order, once each).
    const journalled = groups.map((_, group) => existsSync(groupFile(journal, group)));
    const nextToSign = (after: number): number => journalled.findIndex((known, g) => g > after && !known);
    /** Signs a group ahead; if the run fails before it is awaited, its own failure is not reported twice. */
    const signAhead = (group: number): Promise<SignedCredentials> => {
      const signing = signer.sign(group);
      signing.catch(() => undefined);
      return signing;
    };
    let ahead = nextToSign(-1);
    let pending = ahead === -1 ? undefined : signAhead(ahead);
    for (const [group, rows] of groups.entries()) {
      let made: LoadedGroup;
      if (group === ahead && pending !== undefined) {
        const signedNow = await pending;
        ahead = nextToSign(group);
        pending = ahead === -1 ? undefined : signAhead(ahead);
        made = await journalGroup(context, group, rows, signedNow);
      } else {
        made = await journalledGroup(journal, group);
      }
      signed.push(made);
      done += made.hashes.length;
      context.progress("sign", done);
      await recordStatus(made);
      yield made;
    }
  } finally {
    await signer.close();
  }
}
