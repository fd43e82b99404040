import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { Readable, pipeline } from "node:stream";
import { CsvError, parse } from "csv-parse";
import { parser } from "stream-json";
import { streamArray } from "stream-json/streamers/stream-array.js";
import { verifier } from "stream-json/utils/verifier.js";
import { CCRError } from "../errors.ts";
import { holderDidProblem } from "../holder.ts";
import type { CredentialType } from "./credentialType.ts";
import { checkSubject } from "./subjects.ts";

/** One credential subject read from an input file; `row` counts data rows from 1, `line` is the CSV line. */
export interface InputRow {
  row: number;
  line?: number;
  subject: Record<string, unknown>;
}

/** A data row as the check leaves it: where it is and its subject's digest (see `subjectDigest`), not the subject. */
export interface CheckedRow {
  row: number;
  line?: number;
  digest: string;
}

/** Why one input row cannot be issued. */
export interface RowProblem {
  row: number;
  line?: number | undefined;
  field: string;
  message: string;
}

/**
 * An input file, checked: every row's place and digest, and every problem. The subjects are not kept: `subjects()`
 * reads the file again, row by row, when they are signed, so that a run's memory does not grow with its input.
 */
export interface SubjectInput {
  file: string;
  /** sha256 of the file's bytes: a journal only resumes the run of the same input. */
  digest: string;
  rows: CheckedRow[];
  problems: RowProblem[];
  /** The rows with their subjects, in order, read from the file again (stop early with `return()`). */
  subjects(): AsyncGenerator<InputRow>;
}

/** "row 3 (line 4), field /awardedOn: must match format "date"" */
export function formatProblem(problem: RowProblem): string {
  const where = problem.line === undefined ? `row ${problem.row}` : `row ${problem.row} (line ${problem.line})`;
  return problem.field === "" ? `${where}: ${problem.message}` : `${where}, field ${problem.field}: ${problem.message}`;
}

/** A short digest of a subject, to notice a row that changed between the check and its signing, or between runs. */
export function subjectDigest(subject: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(subject)).digest("hex").slice(0, 16);
}

/** The rows of a CSV text (a header line of field names, then one subject per line), parsed as the text arrives. */
async function* csvRows(file: string, texts: AsyncIterable<string>, type: CredentialType): AsyncGenerator<InputRow> {
  const parser = parse({ bom: true, skip_empty_lines: true, trim: true });
  // A failure to read or decode the file destroys the parser with that error, which the loop below then throws; a
  // loop left early destroys the parser, which stops the reading.
  pipeline(Readable.from(texts), parser, () => undefined);
  let header: string[] | undefined;
  let i = 0;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      if (header === undefined) {
        header = checkHeader(file, cells, type);
        continue;
      }
      // csv-parse rejects rows whose column count differs from the header's, so every record has header.length cells.
      const subject: Record<string, unknown> = {};
      header.forEach((column, c) => {
        if (cells[c] !== "") subject[column] = cells[c];
      });
      i++;
      yield { row: i, line: i + 1, subject };
    }
  } catch (cause) {
    if (!(cause instanceof CsvError)) throw cause;
    const line = (cause as CsvError & { lines?: number }).lines;
    throw new CCRError(
      "INVALID_INPUT",
      `${file}${line === undefined ? "" : ` line ${line}`}: malformed CSV: ${cause.message}`,
      { cause },
    );
  }
  if (header === undefined) throw new CCRError("INVALID_INPUT", `${file} is empty: it needs a header line and rows`);
}

/** The header's columns, each a field of `type` and none twice. */
function checkHeader(file: string, header: string[], type: CredentialType): string[] {
  const fields = type.fields;
  const seen = new Set<string>();
  for (const column of header) {
    if (!fields.includes(column)) {
      throw new CCRError(
        "INVALID_INPUT",
        `${file} line 1: column "${column}" is not a field of "${type.name}" credentials (fields: ${fields.join(", ")})`,
      );
    }
    if (seen.has(column)) throw new CCRError("INVALID_INPUT", `${file} line 1: column "${column}" appears twice`);
    seen.add(column);
  }
  return header;
}

/**
 * The subjects of a JSON array, each given out as soon as it is parsed (stream-json): a file of any size is never
 * held whole. A malformed text is read again by stream-json's verifier, which names the line and column.
 */
async function* jsonRows(
  file: string,
  texts: AsyncIterable<string>,
  again: () => AsyncIterable<string>,
): AsyncGenerator<InputRow> {
  const elements = streamArray.asStream();
  pipeline(Readable.from(texts), parser.asStream(), elements, () => undefined);
  try {
    for await (const { key, value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
      yield {
        row: key + 1,
        subject: typeof value === "object" && value !== null && !Array.isArray(value) ? { ...value } : {},
      };
    }
  } catch (cause) {
    if (cause instanceof CCRError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    if (/Top-level object should be an array/.test(reason)) {
      throw new CCRError("INVALID_INPUT", `${file}: expected a JSON array of credential subjects`, { cause });
    }
    const at = await new Promise<{ line?: number; pos?: number } | undefined>((resolve) =>
      pipeline(Readable.from(again()), verifier.asStream(), (error) =>
        resolve((error ?? undefined) as { line?: number; pos?: number } | undefined),
      ),
    );
    const where = at?.line === undefined ? "" : ` line ${at.line}${at.pos === undefined ? "" : ` column ${at.pos}`}`;
    throw new CCRError("INVALID_INPUT", `${file}${where}: malformed JSON: ${reason}`, { cause });
  }
}

/** The encodings `--encoding` converts from; anything else must be UTF-8. */
export const INPUT_ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1252", "latin1"] as const;
export type InputEncoding = (typeof INPUT_ENCODINGS)[number];

/** The longest value a subject field may have, in characters (ids included): a bound on what gets signed. */
export const MAX_FIELD_LENGTH = 1024;

/** How many line breaks `text` has before character `end`. */
function breaks(text: string, end = text.length): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * The text of an input file's bytes, chunk by chunk: UTF-8 (a byte order mark is dropped), or the encoding the user
 * named. Anything else is refused with the file, the line and what to do, never guessed: a Windows-1252 name read as
 * UTF-8 would be signed with U+FFFD in place of its letters. Text with U+FFFD (damaged by an earlier conversion) is
 * refused too.
 */
export async function* decodeInput(
  file: string,
  chunks: AsyncIterable<Uint8Array>,
  encoding?: InputEncoding,
): AsyncGenerator<string> {
  const label = encoding ?? "utf-8";
  const decoder = new TextDecoder(label, { fatal: true });
  let line = 1; // the line of the next character
  let first = true;
  const notDecodable = (at: number, cause: unknown): CCRError =>
    new CCRError(
      "INVALID_INPUT",
      encoding === undefined
        ? `${file} line ${at} is not UTF-8 (nothing was signed). Save the file as UTF-8, or name its encoding, ` +
            `e.g. --encoding windows-1252 (Excel on Windows) or --encoding latin1`
        : `${file} line ${at} is not ${encoding} (nothing was signed)`,
      { cause },
    );
  /** The line of the first byte of `bytes` that cannot be decoded (a sequence begun in the chunk before is not one). */
  const badLine = (bytes: Uint8Array): number => {
    let from = 0;
    while (label === "utf-8" && from < Math.min(3, bytes.length) && ((bytes[from] ?? 0) & 0xc0) === 0x80) from++;
    const loose = new TextDecoder(label).decode(bytes.subarray(from));
    return line + breaks(loose, loose.indexOf("\uFFFD"));
  };
  const checked = (text: string): string => {
    const damaged = text.indexOf("\uFFFD");
    if (damaged !== -1) {
      throw new CCRError(
        "INVALID_INPUT",
        `${file} line ${line + breaks(text, damaged)} contains U+FFFD, the character that replaces letters lost in a ` +
          `wrong conversion: the file was damaged before ccr read it (nothing was signed). Export it again as UTF-8`,
      );
    }
    line += breaks(text);
    return text;
  };
  for await (const bytes of chunks) {
    if (first) {
      first = false;
      const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
      const bomless = encoding === undefined && !utf16 ? utf16WithoutMark(bytes) : undefined;
      if (bomless !== undefined) {
        throw new CCRError(
          "INVALID_INPUT",
          `${file} is not UTF-8: it looks like UTF-16 ${bomless === "utf-16le" ? "little" : "big"}-endian without a ` +
            `byte order mark (every other byte is zero). Save it as UTF-8, or name its encoding: --encoding ${bomless}`,
        );
      }
      if (encoding === undefined && utf16) {
        throw new CCRError(
          "INVALID_INPUT",
          `${file} is not UTF-8: it is UTF-16 (byte order mark ${bytes[0] === 0xff ? "FF FE" : "FE FF"}). Save it ` +
            `as UTF-8, or name its encoding: --encoding ${bytes[0] === 0xff ? "utf-16le" : "utf-16be"}`,
        );
      }
    }
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch (cause) {
      throw notDecodable(badLine(bytes), cause);
    }
    yield checked(text);
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch (cause) {
    throw notDecodable(line, cause); // the file ends in the middle of a character
  }
  if (rest !== "") yield checked(rest);
}

/**
 * "utf-16le" or "utf-16be" when `bytes` (a file's first chunk) look like UTF-16 text without a byte order mark: most
 * of its odd (little-endian) or even (big-endian) bytes are zero and none of the others. UTF-8 text has no zero byte.
 */
function utf16WithoutMark(bytes: Uint8Array): "utf-16le" | "utf-16be" | undefined {
  const pairs = Math.min(bytes.length >> 1, 4096);
  if (pairs < 2) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < pairs; i++) {
    if (bytes[2 * i] === 0) evenZero++;
    if (bytes[2 * i + 1] === 0) oddZero++;
  }
  if (oddZero >= pairs * 0.5 && evenZero === 0) return "utf-16le";
  if (evenZero >= pairs * 0.5 && oddZero === 0) return "utf-16be";
  return undefined;
}

/** Why `file` cannot be read, in words. */
function unreadable(file: string, cause: unknown): CCRError {
  const code = (cause as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "it does not exist"
      : code === "EISDIR"
        ? "it is a folder"
        : code === "EACCES"
          ? "permission denied"
          : cause instanceof Error
            ? cause.message
            : String(cause);
  return new CCRError("INVALID_INPUT", `cannot read input file ${file}: ${reason}`, { cause });
}

/** The bytes of `file` in chunks of 1 MiB (an even size: a UTF-16 character never straddles two), each to `seen`. */
async function* fileChunks(file: string, seen?: (bytes: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const bytes of stream as AsyncIterable<Buffer>) {
      seen?.(bytes);
      yield bytes;
    }
  } catch (cause) {
    throw cause instanceof CCRError ? cause : unreadable(file, cause);
  } finally {
    stream.destroy();
  }
}

/** The rows of `file` as they are read: each chunk of its bytes is decoded, parsed and given out at once. */
function readRows(
  file: string,
  type: CredentialType,
  encoding: InputEncoding | undefined,
  hash?: Hash,
): AsyncGenerator<InputRow> {
  const texts = decodeInput(
    file,
    fileChunks(file, hash === undefined ? undefined : (bytes) => hash.update(bytes)),
    encoding,
  );
  return extname(file).toLowerCase() === ".csv"
    ? csvRows(file, texts, type)
    : jsonRows(file, texts, () => decodeInput(file, fileChunks(file), encoding));
}

/** A field whose value is longer than `MAX_FIELD_LENGTH` characters, as a problem. */
function tooLong(subject: Record<string, unknown>): { field: string; message: string }[] {
  return Object.entries(subject)
    .filter(([, value]) => typeof value === "string" && value.length > MAX_FIELD_LENGTH)
    .map(([field, value]) => ({
      field: `/${field}`,
      message: `is ${String(value).length} characters long; at most ${MAX_FIELD_LENGTH} are allowed`,
    }));
}

/** Control characters other than tab, line feed and carriage return: never part of a credential's text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Fields (at any depth of a JSON subject) that hold a control character, each named with the character's code. */
function controlCharacters(value: unknown, path = ""): { field: string; message: string }[] {
  if (typeof value === "string") {
    const found = CONTROL.exec(value);
    if (found === null) return [];
    const code = `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
    return [{ field: path, message: `holds the control character ${code} at character ${found.index + 1}: remove it` }];
  }
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => controlCharacters(inner, `${path}/${key}`));
}

/** The subject's id, when it has one that cannot be a holder's DID, as a problem. */
function badHolder(subject: Record<string, unknown>): { field: string; message: string }[] {
  const id = subject.id;
  if (typeof id !== "string") return [];
  const problem = holderDidProblem(id);
  return problem === undefined ? [] : [{ field: "id", message: problem }];
}

/** What an offer's row is checked with in place of its holder, who is known only once a wallet proves its key. */
const WALLET_HOLDER = "did:jwk:the-wallet-key";

/** An offer's row that names its holder, as a problem: the holder is the key the wallet proves. */
function walletHolder(subject: Record<string, unknown>): { field: string; message: string }[] {
  return "id" in subject
    ? [{ field: "id", message: "is the key the holder's wallet proves when it takes the offer: leave it out" }]
    : [];
}

/**
 * Reads the credential subjects of `file` (CSV with a header line of field names, or a JSON array) and checks every
 * row against the subject schema of `type`, collecting every problem, duplicates included, without keeping the
 * subjects (see `SubjectInput.subjects`). Throws CCRError("INVALID_INPUT") only when the file itself cannot be read as
 * a whole. With `holder` "wallet" (the rows of credential offers) a row names no holder: it is checked as it will be
 * once the wallet's key is its `id`.
 */
export async function readSubjects(
  file: string,
  type: CredentialType,
  encoding?: InputEncoding,
  holder: "in-row" | "wallet" = "in-row",
): Promise<SubjectInput> {
  const extension = extname(file).toLowerCase();
  if (extension !== ".csv" && extension !== ".json") {
    throw new CCRError("INVALID_INPUT", `${file}: the input must be a .csv or a .json file`);
  }
  const hash = createHash("sha256");
  const rows: CheckedRow[] = [];
  const problems: RowProblem[] = [];
  // Duplicates are told by a digest of the subject with its fields in order (128 bits: no two subjects share one).
  const firstRowOf = new Map<string, number>();
  for await (const { row, line, subject } of readRows(file, type, encoding, hash)) {
    for (const { field, message } of [
      ...controlCharacters(subject),
      ...tooLong(subject),
      ...(holder === "wallet" ? walletHolder(subject) : badHolder(subject)),
      ...checkSubject(type.validate, holder === "wallet" ? { id: WALLET_HOLDER, ...subject } : subject),
    ]) {
      problems.push({ row, line, field, message });
    }
    const canonical = JSON.stringify(Object.entries(subject).sort(([a], [b]) => (a < b ? -1 : 1)));
    const key = createHash("sha256").update(canonical).digest("base64").slice(0, 22);
    const first = firstRowOf.get(key);
    if (first === undefined) firstRowOf.set(key, row);
    else problems.push({ row, line, field: "", message: `duplicates row ${first}` });
    rows.push({ row, ...(line === undefined ? {} : { line }), digest: subjectDigest(subject) });
  }
  if (rows.length === 0) throw new CCRError("INVALID_INPUT", `${file} has no rows to issue`);
  return {
    file,
    digest: hash.digest("hex"),
    rows,
    problems,
    subjects: () => readRows(file, type, encoding),
  };
}
