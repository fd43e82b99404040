/**
 * ABI encoding and decoding for the hot paths of the audit and the verifier (thousands of `verdicts` and view calls),
 * written over hex strings.
 *
 * ethers' coder is general and careful, and slow at this volume: for `ccr audit check` it spent more time encoding
 * queries and decoding verdicts (and collecting the garbage it made) than the node spent computing them. These
 * functions give the same results as ethers for the types they accept (test/abiCodec.ts compares them), and refuse
 * the others; ethers remains the coder everywhere else.
 */
import { Result, getAddress, type Interface, type ParamType } from "ethers";

const WORD = 64; // hex digits
const ZEROS = "0".repeat(WORD);

/** Whether `type` is encoded in place (no offset): value types and tuples or fixed arrays of them. */
function isStatic(type: ParamType): boolean {
  if (type.isTuple()) return type.components.every(isStatic);
  if (type.isArray()) return type.arrayLength >= 0 && type.arrayChildren !== null && isStatic(type.arrayChildren);
  return type.baseType !== "string" && type.baseType !== "bytes";
}

/** Whether every output of `method` is static, so that {decodeStatic} can decode its answer. */
export function hasStaticOutputs(iface: Interface, method: string): boolean {
  return (iface.getFunction(method)?.outputs ?? []).every(isStatic);
}

function refuse(type: ParamType, value: unknown): never {
  throw new TypeError(`cannot ABI-encode ${String(value)} as ${type.format()}`);
}

function hexWord(value: bigint): string {
  const hex = value.toString(16);
  return hex.length >= WORD ? hex : ZEROS.slice(hex.length) + hex;
}

/** An integer given as ethers takes one (bigint, safe number, decimal or 0x-hex string), or undefined. */
function integer(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === "string" && /^(-?\d+|0x[0-9a-fA-F]+)$/.test(value)) return BigInt(value);
  return undefined;
}

/** The word of a value type. */
function encodeValue(type: ParamType, value: unknown): string {
  const base = type.baseType;
  if (base === "address") {
    if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) refuse(type, value);
    return ZEROS.slice(40) + value.slice(2).toLowerCase();
  }
  if (base === "bool") {
    if (typeof value !== "boolean") refuse(type, value);
    return value ? ZEROS.slice(1) + "1" : ZEROS;
  }
  const bytes = /^bytes(\d+)$/.exec(base);
  if (bytes !== null) {
    const digits = Number(bytes[1]) * 2;
    if (typeof value !== "string" || value.length !== digits + 2 || !/^0x[0-9a-fA-F]*$/.test(value)) {
      refuse(type, value);
    }
    return value.slice(2).toLowerCase() + ZEROS.slice(digits);
  }
  const int = /^(u?)int(\d+)$/.exec(base);
  if (int === null) return refuse(type, value);
  const n = integer(value) ?? refuse(type, value);
  const bits = BigInt(int[2] ?? 256);
  const signed = int[1] === "";
  const [min, max] = signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  if (n < min || n > max) refuse(type, value);
  return hexWord(n < 0n ? (1n << 256n) + n : n);
}

/** The encoding of one value: in place for a static type, the tail (what its head's offset points to) otherwise. */
function encodeOne(type: ParamType, value: unknown): string {
  if (type.isTuple()) {
    const items =
      value instanceof Array ? value : type.components.map((c) => (value as Record<string, unknown>)[c.name]);
    return encodeAll(type.components, items);
  }
  if (type.isArray()) {
    const child = type.arrayChildren;
    if (!(value instanceof Array) || child === null) return refuse(type, value);
    if (type.arrayLength >= 0 && value.length !== type.arrayLength) refuse(type, value);
    const items = encodeAll(
      value.map(() => child),
      value,
    );
    return type.arrayLength >= 0 ? items : hexWord(BigInt(value.length)) + items;
  }
  if (type.baseType === "bytes" || type.baseType === "string") return refuse(type, value);
  return encodeValue(type, value);
}

/** The head-and-tail encoding of `values` as `types` (a tuple's body, an array's items or a call's arguments). */
function encodeAll(types: readonly ParamType[], values: readonly unknown[]): string {
  if (types.length !== values.length) throw new TypeError(`expected ${types.length} values, got ${values.length}`);
  const heads: string[] = [];
  const tails: string[] = [];
  let headBytes = 0;
  for (const type of types) headBytes += isStatic(type) ? staticBytes(type) : 32;
  let tailBytes = 0;
  types.forEach((type, i) => {
    const encoded = encodeOne(type, values[i]);
    if (isStatic(type)) {
      heads.push(encoded);
    } else {
      heads.push(hexWord(BigInt(headBytes + tailBytes)));
      tails.push(encoded);
      tailBytes += encoded.length / 2;
    }
  });
  return heads.join("") + tails.join("");
}

function staticBytes(type: ParamType): number {
  if (type.isTuple()) return type.components.reduce((sum, c) => sum + staticBytes(c), 0);
  if (type.isArray() && type.arrayChildren !== null) return type.arrayLength * staticBytes(type.arrayChildren);
  return 32;
}

/**
 * `iface.encodeFunctionData(method, args)` for functions whose arguments are value types, tuples and arrays of them
 * (no `bytes` or `string`); other functions are refused.
 */
export function encodeCall(iface: Interface, method: string, args: readonly unknown[]): string {
  const fragment = iface.getFunction(method);
  if (fragment === null) throw new TypeError(`no function ${method}`);
  return fragment.selector + encodeAll(fragment.inputs, args);
}

/** Checksummed addresses already seen: an audit meets the same few issuers thousands of times. */
const checksummed = new Map<string, string>();

function decodeValue(type: ParamType, word: string): unknown {
  const base = type.baseType;
  if (base === "address") {
    const lower = `0x${word.slice(24)}`;
    let address = checksummed.get(lower);
    if (address === undefined) {
      address = getAddress(lower);
      if (checksummed.size < 10_000) checksummed.set(lower, address);
    }
    return address;
  }
  if (base === "bool") return word !== ZEROS;
  const bytes = /^bytes(\d+)$/.exec(base);
  if (bytes !== null) return `0x${word.slice(0, Number(bytes[1]) * 2)}`;
  const n = BigInt(`0x${word}`);
  if (base.startsWith("int") && n >> 255n === 1n) return n - (1n << 256n);
  return n;
}

/** The static `type` at hex digit `at` of `hex` (no 0x); the new position follows. */
function decodeOne(type: ParamType, hex: string, at: number): [unknown, number] {
  if (type.isTuple()) return decodeTuple(type.components, hex, at);
  if (type.isArray() && type.arrayChildren !== null) {
    return decodeTuple(Array<ParamType>(type.arrayLength).fill(type.arrayChildren), hex, at);
  }
  return [decodeValue(type, hex.slice(at, at + WORD)), at + WORD];
}

function decodeTuple(types: readonly ParamType[], hex: string, at: number): [Result, number] {
  const values: unknown[] = [];
  let next = at;
  for (const type of types) {
    const [value, after] = decodeOne(type, hex, next);
    values.push(value);
    next = after;
  }
  return [
    Result.fromItems(
      values,
      types.map((t) => t.name),
    ),
    next,
  ];
}

/**
 * Static values of `types` at byte `offset` of the ABI data `data` (0x-hex), as ethers' `decode` gives them (a
 * `Result` of bigints, checksummed addresses, hex bytes, booleans and nested `Result`s).
 */
export function decodeStatic(types: readonly ParamType[], data: string, offset = 0): Result {
  const end = 2 + offset * 2 + types.reduce((sum, t) => sum + staticBytes(t), 0) * 2;
  if (data.length < end) throw new RangeError(`ABI data too short: ${(data.length - 2) / 2} bytes`);
  for (const type of types) if (!isStatic(type)) throw new TypeError(`${type.format()} is not static`);
  return decodeTuple(types, data, 2 + offset * 2)[0];
}
