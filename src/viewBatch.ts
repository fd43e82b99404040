import {
  AbiCoder,
  concat,
  dataLength,
  isError,
  type BlockTag,
  type Interface,
  type ParamType,
  type Provider,
  type Result,
} from "ethers";
import { ViewBatch__factory } from "../types/ethers-contracts/index.js";
import { decodeStatic, encodeCall, hasStaticOutputs } from "./abiCodec.ts";
import { CCRError } from "./errors.ts";
import { mapPooled } from "./pool.ts";

/** One view call: a function of the target's interface and its arguments. */
export interface ViewCall {
  method: string;
  args: readonly unknown[];
}

/** A view call's outcome: its decoded result, or why it reverted (the error's name and arguments). */
export type ViewOutcome = { ok: true; result: Result } | { ok: false; reason: string };

export interface ViewBatchOptions {
  /** The block to read at; the same for every call. */
  blockTag?: BlockTag;
  /** Calls per `eth_call` (each costs the node gas; 250 stays far below common `eth_call` gas caps). */
  size?: number;
  /** `eth_call`s in flight at once. */
  parallel?: number;
  /** Wraps each `eth_call`, for retries and error messages; `doing` says which calls it carries. */
  read?: <T>(doing: string, request: () => Promise<T>) => Promise<T>;
}

const coder = AbiCoder.defaultAbiCoder();

/**
 * Runs many view calls to `target` in few requests: `size` calls go into one `eth_call` of the never-deployed
 * ViewBatch contract (contracts/tools/ViewBatch.sol), `parallel` such requests run at once. Every call reads the same
 * block. Returns each call's outcome, in order.
 */
export async function readViews(
  provider: Provider,
  target: string,
  iface: Interface,
  calls: readonly ViewCall[],
  options: ViewBatchOptions = {},
): Promise<ViewOutcome[]> {
  // Nodes run the creation code under the limits of a real deployment: init code (code and arguments) of at most
  // 49,152 bytes (EIP-3860), returned "code" of at most 24,576 bytes (EIP-170). A chunk stays below both, and below
  // a number of calls.
  const size = options.size ?? 250;
  const argumentBudget = 45_000 - dataLength(ViewBatch__factory.bytecode);
  const returnBudget = 24_000;
  const read = options.read ?? (<T>(_doing: string, request: () => Promise<T>) => request());
  const chunks: { first: number; calls: ViewCall[]; data: string[] }[] = [];
  const resultSizes: Record<string, number> = {};
  let sent = Infinity;
  let returned = Infinity;
  calls.forEach((call, i) => {
    const data = encodeCall(iface, call.method, call.args);
    // Each entry of a bytes[] costs its bytes, padded, plus an offset and a length word; a result also a bool.
    const callBytes = dataLength(data) + 96;
    const resultBytes = (resultSizes[call.method] ??= returnSize(iface, call.method)) + 128;
    const last = chunks.at(-1);
    if (
      last === undefined ||
      last.calls.length >= size ||
      sent + callBytes > argumentBudget ||
      returned + resultBytes > returnBudget
    ) {
      chunks.push({ first: i, calls: [call], data: [data] });
      sent = callBytes;
      returned = resultBytes;
    } else {
      last.calls.push(call);
      last.data.push(data);
      sent += callBytes;
      returned += resultBytes;
    }
  });
  const readChunk = async ({ first, calls: chunk, data }: (typeof chunks)[number]): Promise<ViewOutcome[]> => {
    const request = concat([ViewBatch__factory.bytecode, coder.encode(["address", "bytes[]"], [target, data])]);
    const doing = `reading ${chunk[0]?.method ?? "views"} and more (calls ${first + 1}-${first + chunk.length})`;
    const answer = await read(doing, async () => {
      try {
        return await provider.call({ data: request, ...blockTagOf(options.blockTag) });
      } catch (error) {
        if (!isError(error, "CALL_EXCEPTION")) throw error;
        throw new CCRError(
          "RPC_UNAVAILABLE",
          `the node refused the eth_call ${doing}: ${error.shortMessage} (are its eth_call gas or code size limits lower than usual?)`,
          { cause: error },
        );
      }
    });
    const [ok, returns] = decodeOutcomes(answer);
    return returns.map((bytes, i): ViewOutcome =>
      ok[i] === true
        ? { ok: true, result: decodeResult(iface, chunk[i]?.method ?? "", bytes) }
        : { ok: false, reason: revertReason(iface, bytes) },
    );
  };

  return (await mapPooled(chunks, options.parallel ?? 4, readChunk)).flat();
}

/** A view's answer, decoded by hand when its outputs are static (see abiCodec.ts), else by ethers. */
function decodeResult(iface: Interface, method: string, data: string): Result {
  const outputs = iface.getFunction(method)?.outputs;
  if (outputs === undefined || !hasStaticOutputs(iface, method)) return iface.decodeFunctionResult(method, data);
  return decodeStatic(outputs, data);
}

function blockTagOf(blockTag: BlockTag | undefined): { blockTag?: BlockTag } {
  return blockTag === undefined ? {} : { blockTag };
}

/*
 * ethers' ABI decoder slows down with the length of what it decodes (it copies the rest of the data for every value it
 * reads), so the large answers here are cut into words by hand.
 */

/** Word `i` (32 bytes) of ABI data at byte offset `at`, as a number. */
function word(hex: string, at: number): number {
  return Number.parseInt(hex.slice(2 + at * 2, 2 + (at + 32) * 2), 16);
}

/** Bytes `from` to `to` of ABI data, as 0x-hex. */
function bytesOf(hex: string, from: number, to: number): string {
  return `0x${hex.slice(2 + from * 2, 2 + to * 2)}`;
}

/** ViewBatch's answer, `abi.encode(bool[] ok, bytes[] data)`. */
function decodeOutcomes(hex: string): [boolean[], string[]] {
  const okAt = word(hex, 0);
  const dataAt = word(hex, 32);
  const count = word(hex, okAt);
  const ok = Array.from({ length: count }, (_, i) => word(hex, okAt + 32 + i * 32) === 1);
  const data = Array.from({ length: count }, (_, i) => {
    const at = dataAt + 32 + word(hex, dataAt + 32 + i * 32);
    return bytesOf(hex, at + 32, at + 32 + word(hex, at));
  });
  return [ok, data];
}

/** A function's answer that is one array of fixed-size values (structs of value types, say), decoded item by item. */
export function decodeStaticArray(iface: Interface, method: string, hex: string): Result[] {
  const item = iface.getFunction(method)?.outputs[0]?.arrayChildren;
  if (item === undefined || item === null) throw new Error(`${method} does not return an array`);
  const size = staticSize(item);
  const at = word(hex, 0);
  return Array.from({ length: word(hex, at) }, (_, i) => decodeStatic([item], hex, at + 32 + i * size));
}

/** The ABI size of a value type or a struct of value types. */
function staticSize(type: ParamType): number {
  if (type.isTuple()) return type.components.reduce((sum, c) => sum + staticSize(c), 0);
  if (type.isArray() || type.baseType === "string" || type.baseType === "bytes") {
    throw new Error(`${type.format()} has no fixed size`);
  }
  return 32;
}

/** The bytes a function's ABI-encoded result takes: a word per value, 1 KiB per dynamic one. */
function returnSize(iface: Interface, method: string): number {
  const size = (type: ParamType): number => {
    if (type.isTuple()) return type.components.reduce((sum, c) => sum + size(c), 32);
    if (type.isArray() || type.baseType === "string" || type.baseType === "bytes") return 1024;
    return 32;
  };
  return (iface.getFunction(method)?.outputs ?? []).reduce((sum, output) => sum + size(output), 0);
}

/** A revert's error name and arguments, by the target's ABI, or its raw data. */
function revertReason(iface: Interface, data: string): string {
  try {
    const error = iface.parseError(data);
    if (error !== null) return `${error.name}(${error.args.map(String).join(", ")})`;
  } catch {
    // Not an error of the target's ABI.
  }
  return data === "0x" ? "reverted without data" : `reverted with ${data}`;
}
