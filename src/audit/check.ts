import { ZeroAddress, ZeroHash } from "ethers";
import type { Deployment } from "../deployment.ts";
import { CCRError } from "../errors.ts";
import { chunked, mapPooled } from "../pool.ts";
import { readVerdicts, rpcRetried, type RegistryConnection } from "../registry.ts";
import { readViews } from "../viewBatch.ts";
import {
  collector,
  compareAnswers,
  compareVerdict,
  registryProbes,
  singleCredentials,
  type ChainVerdict,
  type Discrepancy,
} from "./compare.ts";
import { withIndex } from "./db.ts";
import { replayEvents, type ReplayedState } from "./replay.ts";

export type { Discrepancy } from "./compare.ts";

/** Rebuilds the state from the index's events. */
export function replay(location: string, connection: RegistryConnection): Promise<ReplayedState & { block?: number }> {
  return withIndex(location, connection.deployment, async (store) => {
    const point = await store.checkpoint();
    return { ...(await replayEvents(store.events())), ...(point === undefined ? {} : { block: point.block }) };
  });
}

const VERDICTS_PER_CALL = 200;
/** With CCR_PROFILE=1 (the auditor's bench sets it), the check's phases and their times go to stderr. */
const phase = (line: string): void => {
  if (process.env.CCR_PROFILE === "1") console.error(line);
};
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** The chain's verdicts of `singles` at `blockTag`, 200 per call, 4 calls at a time. */
async function chainVerdicts(
  connection: RegistryConnection,
  state: ReplayedState,
  singles: readonly string[],
  blockTag: number,
): Promise<ChainVerdict[]> {
  const queries = singles.map((key) => {
    const a = state.anchors.get(key);
    return {
      issuer: a?.issuer ?? ZeroAddress,
      credential: a?.hash ?? ZeroHash,
      batchRoot: ZeroHash,
      index: 0,
      proof: [],
    };
  });
  const chunks = await mapPooled(chunked(queries, VERDICTS_PER_CALL), 4, (chunk) =>
    rpcRetried(connection.rpcUrl, `reading the verdicts of ${chunk.length} credentials`, () =>
      readVerdicts(connection, chunk, "0x0000", blockTag),
    ),
  );
  return chunks.flat();
}

/**
 * Replays the index into the full state and compares every item with the registry's view calls: economies,
 * schemas, issuers (record and compromise time), operators, recognitions, credentials and batches (every field of
 * their records), batch member bits, and the verdict of every single credential, all as of the index's last block
 * (what happened since is not in the history yet). Returns that block and every discrepancy.
 */
export async function checkIndex(
  file: string,
  connection: RegistryConnection,
): Promise<{ block: number; discrepancies: Discrepancy[] }> {
  const state = await replay(file, connection);
  const { registry, rpcUrl, provider } = connection;
  if (state.block === undefined) {
    throw new CCRError("INDEX_FILE", `the index ${file} is empty: run ccr audit sync first`);
  }
  const blockTag = state.block;
  const block = await rpcRetried(rpcUrl, `reading block ${blockTag}`, () => provider.getBlock(blockTag));
  const found: Discrepancy[] = [];
  const compare = collector(found);

  const probes = registryProbes(state);
  const singles = singleCredentials(state);
  phase(`probes ${probes.length}, singles ${singles.length}`);
  const t0 = performance.now();
  const read = <T>(doing: string, request: () => Promise<T>): Promise<T> => rpcRetried(rpcUrl, doing, request);
  const calls = probes.map((p) => p.call);
  const answers = await readViews(provider, await registry.getAddress(), registry.interface, calls, { blockTag, read });
  compareAnswers(probes, answers, compare);
  phase(`views ${seconds(t0)}`);

  const t1 = performance.now();
  const verdicts = await chainVerdicts(connection, state, singles, blockTag);
  const now = block?.timestamp ?? 0;
  singles.forEach((key, i) => {
    const verdict = verdicts[i];
    if (verdict !== undefined) compareVerdict(state, key, verdict, now, compare);
  });
  phase(`verdicts ${seconds(t1)}`);
  return { block: blockTag, discrepancies: found };
}

/** What the last `audit check` of an index found, kept in the index for the dashboard. */
export interface CheckRecord {
  checkedAt: string;
  block: number;
  consistent: boolean;
  /** How many discrepancies there were (only the first 100 are kept). */
  count: number;
  discrepancies: Discrepancy[];
}

/** Keeps a check's result in the index (the first 100 discrepancies and their count are enough to show). */
export async function recordCheck(
  location: string,
  deployment: Deployment,
  result: { block: number; discrepancies: Discrepancy[] },
): Promise<CheckRecord> {
  const record: CheckRecord = {
    checkedAt: new Date().toISOString(),
    block: result.block,
    consistent: result.discrepancies.length === 0,
    count: result.discrepancies.length,
    discrepancies: result.discrepancies.slice(0, 100),
  };
  await withIndex(location, deployment, (store) => store.setMeta("lastCheck", JSON.stringify(record)));
  return record;
}

/** The last check kept in the index, or undefined if it was never checked. */
export async function lastCheck(location: string, deployment: Deployment): Promise<CheckRecord | undefined> {
  const value = await withIndex(location, deployment, (store) => store.meta("lastCheck"));
  return value === undefined ? undefined : (JSON.parse(value) as CheckRecord);
}
