import type { DatabaseSync } from "node:sqlite";
import { getAddress, type JsonRpcProvider, type LogDescription } from "ethers";
import { CCRRegistry__factory } from "../../types/ethers-contracts/index.js";
import { economyIso } from "../codes.ts";
import { CCRError } from "../errors.ts";
import type { RegistryConnection } from "../registry.ts";
import { checkpoint, identityOf, openIndex, transaction } from "./db.ts";

export interface SyncOptions {
  /** Blocks below the head that are not indexed yet (reorg safety). */
  confirmations?: number;
  /** First block range to ask for; halves when the node refuses a range, grows back when it answers. */
  blockRange?: number;
  /** Attempts per request before the node is declared unreachable. */
  retries?: number;
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

interface RawLog {
  blockNumber: string;
  blockHash: string;
  blockTimestamp?: string;
  transactionHash: string;
  logIndex: string;
  topics: string[];
  data: string;
}

const registryInterface = CCRRegistry__factory.createInterface();

/** Event arguments as JSON text: numbers in decimal, economies as ISO codes, addresses checksummed. */
function argumentsOf(event: LogDescription): Record<string, string> {
  const args: Record<string, string> = {};
  event.fragment.inputs.forEach((input, i) => {
    const value: unknown = event.args[i];
    if (input.type === "bytes2") args[input.name] = economyIso(String(value));
    else if (input.type === "address") args[input.name] = getAddress(String(value));
    else args[input.name] = String(value);
  });
  return args;
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A JSON-RPC error that says the range or result was too large (the node answered; a smaller range will do). */
function isRangeRefusal(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /range|too many|limit|exceed|10000|response size|query returned more/i.test(text);
}

/**
 * Brings the index at `file` up to the chain's head minus `confirmations`: reads every registry event from the
 * deployment block (or the checkpoint) with `eth_getLogs` in block ranges that adapt to what the node accepts,
 * and stores each range in one transaction with the new checkpoint, so that a kill at any point leaves a consistent
 * index that the next run continues. Blocks whose hash changed (a reorganisation) are rolled back first. Refuses
 * an index built for another chain or deployment, and a chain that is not the deployment's (new genesis).
 */
export async function syncIndex(
  connection: RegistryConnection,
  provider: JsonRpcProvider,
  file: string,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const started = performance.now();
  const { deployment, rpcUrl } = connection;
  const retries = options.retries ?? 5;
  const confirmations = options.confirmations ?? 0;
  const db = openIndex(file, identityOf(deployment));
  try {
    /** Calls the node, retrying with backoff; a node that stays down is CCRError("RPC_UNAVAILABLE"). */
    const call = async <T>(doing: string, request: () => Promise<T>, rangeRefusals = false): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await request();
        } catch (error) {
          if (rangeRefusals && isRangeRefusal(error)) throw error;
          if (attempt >= retries) {
            const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
            throw new CCRError("RPC_UNAVAILABLE", `could not reach the RPC at ${rpcUrl} while ${doing}: ${reason}`, {
              cause: error,
            });
          }
          await sleep(Math.min(200 * 2 ** attempt, 5_000));
        }
      }
    };
    const blockHash = async (n: number): Promise<string | undefined> =>
      (await call(`reading block ${n}`, () => provider.getBlock(n)))?.hash ?? undefined;

    const rolledBack = await rollBackReorganisation(db, blockHash);
    const head = (await call("reading the head", () => provider.getBlockNumber())) - confirmations;
    const fromBlock = (checkpoint(db)?.block ?? deployment.registry.blockNumber - 1) + 1;
    let range = options.blockRange ?? 2_000;
    let next = fromBlock;
    let events = 0;
    const insertBlock = db.prepare("INSERT OR REPLACE INTO blocks (number, hash, timestamp) VALUES (?, ?, ?)");
    const insertEvent = db.prepare(
      "INSERT OR REPLACE INTO events (block, log_index, tx_hash, name, args) VALUES (?, ?, ?, ?, ?)",
    );
    const insertKey = db.prepare("INSERT OR REPLACE INTO event_keys (block, log_index, key) VALUES (?, ?, ?)");
    const setCheckpoint = db.prepare("INSERT OR REPLACE INTO checkpoint (id, block, hash) VALUES (1, ?, ?)");

    while (next <= head) {
      const to = Math.min(next + range - 1, head);
      let logs: RawLog[];
      try {
        logs = await call(
          `reading events of blocks ${next}-${to}`,
          () =>
            provider.send("eth_getLogs", [
              {
                address: deployment.registry.address,
                fromBlock: `0x${next.toString(16)}`,
                toBlock: `0x${to.toString(16)}`,
              },
            ]) as Promise<RawLog[]>,
          true,
        );
      } catch (error) {
        if (range === 1 || !isRangeRefusal(error)) throw error;
        range = Math.max(1, Math.floor(range / 2));
        continue;
      }
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
      const toHash = (await blockHash(to)) ?? "";
      transaction(db, () => {
        for (const [number, { hash, timestamp }] of times) insertBlock.run(number, hash, timestamp);
        for (const log of logs) {
          const parsed = registryInterface.parseLog({ topics: log.topics, data: log.data });
          if (parsed === null) continue;
          const args = argumentsOf(parsed);
          const block = Number(log.blockNumber);
          const index = Number(log.logIndex);
          insertEvent.run(block, index, log.transactionHash, parsed.name, JSON.stringify(args));
          for (const key of keysOf(args)) insertKey.run(block, index, key);
          events++;
        }
        setCheckpoint.run(to, toHash);
      });
      options.onProgress?.({ block: to, head, events });
      next = to + 1;
      range = Math.min(range * 2, 50_000);
    }
    return {
      fromBlock,
      toBlock: Math.max(head, fromBlock - 1),
      blocks: Math.max(0, head - fromBlock + 1),
      events,
      rolledBack,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    db.close();
  }
}

/**
 * If the checkpoint's block hash is no longer the chain's, finds the newest indexed block the chain still has and
 * deletes everything after it. Returns how many indexed blocks were dropped.
 */
async function rollBackReorganisation(
  db: DatabaseSync,
  blockHash: (n: number) => Promise<string | undefined>,
): Promise<number> {
  const point = checkpoint(db);
  if (point === undefined || (await blockHash(point.block)) === point.hash) return 0;
  const stored = db.prepare("SELECT number, hash FROM blocks ORDER BY number DESC").all() as {
    number: number;
    hash: string;
  }[];
  let keep = -1;
  let dropped = 0;
  for (const { number, hash } of stored) {
    if ((await blockHash(Number(number))) === hash) {
      keep = Number(number);
      break;
    }
    dropped++;
  }
  transaction(db, () => {
    db.prepare("DELETE FROM event_keys WHERE block > ?").run(keep);
    db.prepare("DELETE FROM events WHERE block > ?").run(keep);
    db.prepare("DELETE FROM blocks WHERE number > ?").run(keep);
    if (keep < 0) db.prepare("DELETE FROM checkpoint").run();
    else
      db.prepare("UPDATE checkpoint SET block = ?, hash = (SELECT hash FROM blocks WHERE number = ?)").run(keep, keep);
  });
  return dropped;
}
