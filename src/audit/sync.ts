import { AbiCoder, type ParamType } from "ethers";
import { ICCRNames__factory, ICCR__factory } from "../../types/ethers-contracts/index.js";
import { checksummed } from "../bytes.ts";
import { decodeAnchorTerms, economyIso } from "../codes.ts";
import { RPC_TIMEOUT_MS, rpcRetried, type RegistryConnection } from "../registry.ts";
import { indexFailure, openIndex, type IndexedEvent, type IndexStore } from "./db.ts";

export interface SyncOptions {
  /** Blocks below the head that are not indexed yet (reorg safety). */
  confirmations?: number;
  /** First block range to ask for; halves when the node refuses a range, doubles when it answers. */
  blockRange?: number;
  /** The most blocks one `eth_getLogs` request may span (some providers set a limit). */
  maxBlockRange?: number;
  /** Attempts per request before the node is declared unreachable. */
  retries?: number;
  /** How long one `eth_getLogs` request may take before it is retried. */
  timeoutMs?: number;
  onProgress?: (progress: { block: number; head: number; events: number }) => void;
}

export interface SyncResult {
  fromBlock: number;
  toBlock: number;
  blocks: number;
  events: number;
  rolledBack: number;
  seconds: number;
}

export interface RawLog {
  blockNumber: string;
  blockHash: string;
  blockTimestamp?: string;
  transactionHash: string;
  logIndex: string;
  topics: string[];
  data: string;
}

const registryInterface = ICCR__factory.createInterface();
/** The names contract's events (economy, authority and issuer names) are indexed with the registry's. */
const namesInterface = ICCRNames__factory.createInterface();
const LOGS_PER_REQUEST = 10_000;
/**
 * The first range asked for, small: it then doubles while answers are small. A node without a limit of its own
 * (Hardhat's) answers any range, and one of a million logs is more than its JSON encoder can write: it dies.
 */
const FIRST_RANGE = 100;

/** One of an event's inputs read from its 32-byte word (64 hex digits, no 0x) as the index stores it. */
type WordReader = (word: string) => string;

/**
 * The reader of an input of a static type the registry's events use (address, bytesN, uintN, bool; enums are uint8),
 * or undefined for another type (strings, arrays, signed integers: those events are decoded by ethers). Each gives
 * exactly what `stored` gives for the value ethers decodes; test/audit.ts checks that over a whole history.
 */
function wordReader(type: ParamType): WordReader | undefined {
  if (type.type === "address") return (word) => checksummed(`0x${word.slice(24)}`);
  if (type.type === "bytes2") return (word) => economyIso(`0x${word.slice(0, 4)}`);
  const bytes = /^bytes([0-9]+)$/.exec(type.type);
  if (bytes !== null) {
    const digits = 2 * Number(bytes[1]);
    return (word) => `0x${word.slice(0, digits).toLowerCase()}`;
  }
  if (/^uint[0-9]*$/.test(type.type)) return (word) => BigInt(`0x${word}`).toString();
  if (type.type === "bool") return (word) => String(BigInt(`0x${word}`) !== 0n);
  return undefined;
}

interface EventDecoder {
  name: string;
  indexed: ParamType[];
  plain: ParamType[];
  order: string[];
  /** Where each input (in the event's order) is: topic `i + 1` or data word `i`; undefined if one is not static. */
  words?: { name: string; topic: boolean; at: number; read: WordReader }[];
}

/** The registry's events by topic hash, with their inputs split as the log carries them (topics, then data). */
const eventsByTopic = new Map<string, EventDecoder>();
for (const contract of [registryInterface, namesInterface]) {
  contract.forEachEvent((event) => {
    const indexed = event.inputs.filter((input) => input.indexed === true);
    const plain = event.inputs.filter((input) => input.indexed !== true);
    const words = event.inputs.map((input) => {
      const topic = input.indexed === true;
      return { name: input.name, topic, at: (topic ? indexed : plain).indexOf(input), read: wordReader(input) };
    });
    const allStatic = words.every((w) => w.read !== undefined);
    eventsByTopic.set(event.topicHash, {
      name: event.name,
      indexed,
      plain,
      order: event.inputs.map((input) => input.name),
      ...(allStatic ? { words: words as Required<EventDecoder>["words"] } : {}),
    });
  });
}
const coder = AbiCoder.defaultAbiCoder();

/** Whether the event named `name` is read from its log's words (rather than through the ABI decoder). */
export const readFromWords = (name: string): boolean =>
  [...eventsByTopic.values()].some((event) => event.name === name && event.words !== undefined);

/** A value as the index stores it: decimal numbers, ISO economy codes, checksummed addresses, hex bytes. */
function stored(type: ParamType, value: unknown): string {
  if (type.type === "bytes2") return economyIso(String(value));
  if (type.type === "address") return checksummed(String(value));
  return String(value);
}

/** A log's arguments by name in the event's order, read through ethers' ABI decoder. */
function abiArgs(event: EventDecoder, log: RawLog): Record<string, string> {
  const byName = new Map<string, string>();
  // An indexed string, bytes, array or struct is only its hash in the topic (the registry indexes none).
  event.indexed.forEach((input, i) => {
    const topic = log.topics[i + 1] ?? "0x";
    const hashed = input.isArray() || input.isTuple() || input.baseType === "string" || input.baseType === "bytes";
    byName.set(input.name, hashed ? topic : stored(input, coder.decode([input], topic)[0]));
  });
  const values = coder.decode(event.plain, log.data);
  event.plain.forEach((input, i) => byName.set(input.name, stored(input, values[i])));
  return Object.fromEntries(event.order.map((name) => [name, byName.get(name) ?? ""]));
}

/**
 * A log's event name and arguments (in the event's order), or undefined for a log of no registry event. An event of
 * static inputs only (nearly all of them, and every one a long history is made of) is read straight from the log's
 * hex words, unless `viaAbi` (the reference the tests compare with); the others through ethers' ABI decoder.
 */
export function decodeLog(log: RawLog, viaAbi = false): { name: string; args: Record<string, string> } | undefined {
  const event = eventsByTopic.get(log.topics[0] ?? "");
  if (event === undefined) return undefined;
  const { words } = event;
  let args: Record<string, string>;
  if (!viaAbi && words !== undefined && log.data.length === 2 + 64 * event.plain.length) {
    args = {};
    for (const { name, topic, at, read } of words) {
      args[name] = read(topic ? (log.topics[at + 1] ?? "").slice(2) : log.data.slice(2 + 64 * at, 66 + 64 * at));
    }
  } else {
    args = abiArgs(event, log);
  }
  // The anchoring events pack their terms in one word: stored unpacked too, so that the index reads like the others.
  if (args.terms !== undefined) {
    const terms = decodeAnchorTerms(BigInt(args.terms));
    Object.assign(args, {
      actor: terms.actor,
      schema: String(terms.schema),
      validFrom: String(terms.validFrom),
      validUntil: String(terms.validUntil),
      mode: terms.mode,
    });
  }
  return { name: event.name, args };
}

/**
 * `eth_getLogs` straight over HTTP with the platform's fetch: a range's logs can be many megabytes, and ethers joins
 * and decodes response bodies in ways that grow much faster than their size.
 */
async function getLogs(url: string, filter: Record<string, string | string[]>, timeoutMs: number): Promise<RawLog[]> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getLogs", params: [filter] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const reply = (await response.json()) as { result?: RawLog[]; error?: { code: number; message: string } };
  if (reply.error !== undefined) throw new Error(`${reply.error.message} (JSON-RPC error ${reply.error.code})`);
  return reply.result ?? [];
}

/** What an event is about, for timelines. */
function keysOf(args: Record<string, string>): string[] {
  const keys = new Set<string>();
  for (const [name, value] of Object.entries(args)) {
    if (name === "issuer") keys.add(`issuer:${value}`);
    else if (name === "operator" || name === "actor" || /authority$/i.test(name)) keys.add(`account:${value}`);
    else if (name === "economy" || name === "recognised") keys.add(`economy:${value}`);
    else if (name === "credential") keys.add(`credential:${value}`);
    else if (name === "root") keys.add(`batch:${value}`);
    else if (name === "schema") keys.add(`schema:${value}`);
  }
  return [...keys];
}

/** A range's logs, or why the node gave none: a refusal (`limit`: it said the range is too large) or a timeout. */
type RangeAnswer = RawLog[] | { refused: unknown; limit: boolean };

/** A request the node did not answer in time (fetch's AbortSignal.timeout). */
const isTimeout = (error: unknown): boolean => error instanceof Error && error.name === "TimeoutError";

/** A JSON-RPC error that says the range or result was too large (the node answered; a smaller range will do). */
function isRangeRefusal(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /range|too many|limit|exceed|10000|response size|query returned more/i.test(text);
}

type Call = <T>(doing: string, request: () => Promise<T>, tooLarge?: (error: unknown) => boolean) => Promise<T>;

/** The logs of blocks `from`-`to` of the registry (and its names contract), or the node's refusal of so large a range. */
function rangeReader(
  connection: RegistryConnection,
  call: Call,
  timeoutMs: number,
): (from: number, to: number) => Promise<RangeAnswer> {
  const { deployment, rpcUrl } = connection;
  const address =
    deployment.names === undefined
      ? deployment.registry.address
      : [deployment.registry.address, deployment.names.address];
  return (from, to) =>
    call(
      `reading events of blocks ${from}-${to}`,
      () =>
        getLogs(rpcUrl, { address, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }, timeoutMs),
      (error) => isRangeRefusal(error) || (to > from && isTimeout(error)),
    ).catch((error: unknown) => {
      if (to === from || !(isRangeRefusal(error) || isTimeout(error))) throw error;
      return { refused: error, limit: isRangeRefusal(error) };
    });
}

/** The hash and time of each block that has logs (from the logs when the node gives the time, else read). */
async function blockTimes(
  logs: readonly RawLog[],
  call: Call,
  provider: RegistryConnection["provider"],
): Promise<Map<number, { hash: string; timestamp: number }>> {
  const times = new Map<number, { hash: string; timestamp: number }>();
  for (const log of logs) {
    const number = Number(log.blockNumber);
    if (times.has(number)) continue;
    if (log.blockTimestamp !== undefined) {
      times.set(number, { hash: log.blockHash, timestamp: Number(log.blockTimestamp) });
    } else {
      const block = await call(`reading block ${number}`, () => provider.getBlock(number));
      times.set(number, { hash: log.blockHash, timestamp: block?.timestamp ?? 0 });
    }
  }
  return times;
}

/** The registry's events among `logs`, as the index stores them. */
function indexedEvents(logs: readonly RawLog[]): IndexedEvent[] {
  const indexed: IndexedEvent[] = [];
  for (const log of logs) {
    const decoded = decodeLog(log);
    if (decoded === undefined) continue;
    indexed.push({
      block: Number(log.blockNumber),
      logIndex: Number(log.logIndex),
      txHash: log.transactionHash,
      name: decoded.name,
      args: JSON.stringify(decoded.args),
      keys: keysOf(decoded.args),
    });
  }
  return indexed;
}

/** The next range's size: aiming at a few thousand logs per request (big responses cost memory, small ones trips). */
function nextRange(range: number, logs: number, maxRange: number): number {
  if (logs > LOGS_PER_REQUEST) return Math.max(1, Math.floor(range / 2));
  if (logs < LOGS_PER_REQUEST / 4) return Math.min(range * 2, maxRange);
  return range;
}

/**
 * Brings the index at `location` (an SQLite file or a `postgres://` URL) up to the chain's head minus
 * `confirmations`: reads every registry event from the deployment block (or the checkpoint) with `eth_getLogs` in
 * block ranges that adapt to what the node accepts, and stores each range in one transaction with the new checkpoint,
 * so that a kill at any point leaves a consistent index that the next run continues; a range another sync stored
 * first is skipped. Blocks whose hash changed (a reorganisation) are rolled back first. Refuses
 * an index built for another chain or deployment, and a chain that is not the deployment's (new genesis).
 */
export async function syncIndex(
  connection: RegistryConnection,
  location: string,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const started = performance.now();
  const { deployment, rpcUrl, provider } = connection;
  const retries = options.retries ?? 5;
  const store = await openIndex(location, deployment, "sync");
  try {
    const call: Call = (doing, request, tooLarge) =>
      rpcRetried(rpcUrl, doing, request, { attempts: retries, isAnswer: (error) => tooLarge?.(error) === true });
    const blockHash = async (n: number): Promise<string | undefined> =>
      (await call(`reading block ${n}`, () => provider.getBlock(n)))?.hash ?? undefined;

    const rolledBack = await rollBackReorganisation(store, blockHash);
    const head = (await call("reading the head", () => provider.getBlockNumber())) - (options.confirmations ?? 0);
    let point = await store.checkpoint();
    const fromBlock = (point?.block ?? deployment.registry.blockNumber - 1) + 1;
    let maxRange = options.maxBlockRange ?? 50_000;
    let range = Math.min(options.blockRange ?? FIRST_RANGE, maxRange);
    let next = fromBlock;
    let events = 0;
    const fetchRange = rangeReader(connection, call, options.timeoutMs ?? RPC_TIMEOUT_MS);
    // The next range's logs are asked for while this one is stored: the node reads while this process writes.
    let ahead: { from: number; to: number; logs: Promise<RangeAnswer> } | undefined;
    while (next <= head) {
      const to = Math.min(next + range - 1, head);
      const fetched = ahead !== undefined && ahead.from === next && ahead.to === to ? ahead.logs : fetchRange(next, to);
      ahead = undefined;
      const logs = await fetched;
      if (!Array.isArray(logs)) {
        // The node's limit is below this range: never ask for as much again. A range it took too long over (blocks
        // much denser than the last ones) is halved too, and may grow again where blocks thin out.
        range = Math.max(1, Math.floor((to - next + 1) / 2));
        if (logs.limit) maxRange = range;
        continue;
      }
      range = nextRange(range, logs.length, maxRange);
      if (to + 1 <= head) {
        const aheadTo = Math.min(to + range, head);
        ahead = { from: to + 1, to: aheadTo, logs: fetchRange(to + 1, aheadTo) };
        // A refusal or failure is met when that range's turn comes, not as an unhandled rejection now.
        ahead.logs.catch(() => undefined);
      }
      const times = await blockTimes(logs, call, provider);
      const toHash = times.get(to)?.hash ?? (await blockHash(to)) ?? "";
      const indexed = indexedEvents(logs);
      const outcome = await store.store(
        { blocks: times, events: indexed, checkpoint: { block: to, hash: toHash } },
        point,
      );
      if (!outcome.stored) {
        // Another sync stored this range (or more) first: go on from where it left the index.
        point = outcome.now;
        next = (point?.block ?? deployment.registry.blockNumber - 1) + 1;
        continue;
      }
      point = { block: to, hash: toHash };
      events += indexed.length;
      options.onProgress?.({ block: to, head, events });
      next = to + 1;
    }
    const toBlock = Math.max(head, fromBlock - 1);
    const seconds = (performance.now() - started) / 1000;
    return { fromBlock, toBlock, blocks: Math.max(0, head - fromBlock + 1), events, rolledBack, seconds };
  } catch (error) {
    throw indexFailure(store.location, error) ?? error;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * If the checkpoint's block hash is no longer the chain's, finds the newest indexed block the chain still has and
 * deletes everything after it. Returns how many indexed blocks were dropped.
 */
async function rollBackReorganisation(
  store: IndexStore,
  blockHash: (n: number) => Promise<string | undefined>,
): Promise<number> {
  const point = await store.checkpoint();
  if (point === undefined || (await blockHash(point.block)) === point.hash) return 0;
  let keep = -1;
  let dropped = 0;
  let below = point.block;
  search: for (;;) {
    const page = await store.blocks(below, 1_000);
    for (const { number, hash } of page) {
      if ((await blockHash(number)) === hash) {
        keep = number;
        break search;
      }
      dropped++;
    }
    const last = page.at(-1);
    if (last === undefined || page.length < 1_000) break;
    below = last.number - 1;
  }
  await store.rollBack(keep);
  return dropped;
}
