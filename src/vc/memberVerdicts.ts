/**
 * The registry's verdicts for many credentials, asking the chain for as few verdicts as it can tell apart.
 *
 * The registry decides a batch member from its batch's record, its issuer, the accreditation and the member's own
 * revoked and suspended bits, once the member's proof leads to the root and its index is below the batch's size
 * (`VerdictReader._verdict`). So members of one batch with the same two bits, each proven a member, get the same
 * verdict: the chain is asked for the bits of every member word (`verdictFacts`, the reader's own source, many words
 * per call), then for one verdict per class (batch, index within the size, bits), with that class's first member and
 * its proof. A single credential is asked on its own. Every answer is read at one block.
 *
 * The caller must have checked each member's proof (`provesMember`): a member with a wrong proof is UNKNOWN on-chain,
 * whatever its class.
 */
import { ZeroHash, type BlockTag } from "ethers";
import type { QueryStruct, VerdictStructOutput } from "../../types/ethers-contracts/interfaces/ICCR.js";
import { readVerdicts, type RegistryConnection } from "../registry.ts";
import { chunked, mapPooled } from "../pool.ts";

/** A credential the registry is asked about, its member index as a bigint. */
export type VerdictQuery = QueryStruct & { issuer: string; batchRoot: string; index: bigint };

/** Queries per `verdicts` call, keys per `verdictFacts` call, and calls in flight at once. */
const VERDICTS_PER_CALL = 100;
const WORDS_PER_CALL = 300;
const IN_FLIGHT = 4;
/** Bit 255 of a `verdictFacts` issuer key: the record is a batch's. */
const BATCH_FLAG = 1n << 255n;

/**
 * The verdicts of `queries` (in their order) at `blockTag`, for `verifierEconomy`, as `readVerdicts` would give them
 * one by one.
 */
export async function readVerdictsByClass(
  connection: Pick<RegistryConnection, "registry" | "provider" | "reader">,
  queries: readonly VerdictQuery[],
  verifierEconomy: string,
  blockTag: BlockTag,
): Promise<VerdictStructOutput[]> {
  const { registry } = connection;
  const batchKey = (q: VerdictQuery): string => `${q.issuer.toLowerCase()} ${q.batchRoot.toLowerCase()}`;
  // Only batches with several members asked about are worth reading first: a lone member is asked on its own.
  const counts = new Map<string, number>();
  for (const q of queries) if (q.batchRoot !== ZeroHash) counts.set(batchKey(q), (counts.get(batchKey(q)) ?? 0) + 1);
  const members = queries.filter((q) => q.batchRoot !== ZeroHash && (counts.get(batchKey(q)) ?? 0) > 1);

  // Each batch's size, and the revoked and suspended bits of every member word asked about.
  const sizes = new Map<string, bigint>();
  await mapPooled([...new Set(members.map(batchKey))], IN_FLIGHT, async (key) => {
    const [issuer = "", root = ""] = key.split(" ");
    sizes.set(key, (await registry.getBatch(issuer, root, { blockTag })).size);
  });
  const words = [...new Set(members.map((q) => `${batchKey(q)} ${q.index >> 8n}`))];
  const bits = new Map<string, { revoked: bigint; suspended: bigint }>();
  await mapPooled(chunked(words, WORDS_PER_CALL), IN_FLIGHT, async (slice) => {
    const keys = slice.flatMap((word) => {
      const [issuer = "", root = "", index = ""] = word.split(" ");
      return [BigInt(issuer) | BATCH_FLAG, BigInt(root), BigInt(index)];
    });
    const facts = await registry.verdictFacts(keys, { blockTag });
    slice.forEach((word, i) => bits.set(word, { revoked: facts[5 * i + 3] ?? 0n, suspended: facts[5 * i + 4] ?? 0n }));
  });

  // One class per credential that the registry could tell apart from the others; its first query stands for it.
  const classOf = (q: VerdictQuery, i: number): string => {
    if (q.batchRoot === ZeroHash) return `single ${q.issuer.toLowerCase()} ${q.credential.toString().toLowerCase()}`;
    const key = batchKey(q);
    if ((counts.get(key) ?? 0) < 2) return `alone ${i}`;
    if (q.index >= (sizes.get(key) ?? 0n)) return `beyond ${key} ${q.index}`;
    const word = bits.get(`${key} ${q.index >> 8n}`);
    const bit = q.index & 0xffn;
    return `member ${key} ${((word?.revoked ?? 0n) >> bit) & 1n} ${((word?.suspended ?? 0n) >> bit) & 1n}`;
  };
  const classes = queries.map(classOf);
  const asked = new Map<string, number>();
  const representatives: VerdictQuery[] = [];
  classes.forEach((cls, i) => {
    if (asked.has(cls)) return;
    asked.set(cls, representatives.length);
    representatives.push(queries[i]);
  });
  const answers = (
    await mapPooled(chunked(representatives, VERDICTS_PER_CALL), IN_FLIGHT, (part) =>
      readVerdicts(connection, part, verifierEconomy, blockTag),
    )
  ).flat();
  return classes.map((cls) => answers[asked.get(cls) ?? -1]);
}
