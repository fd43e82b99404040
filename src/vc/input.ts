import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { CsvError, parse } from "csv-parse/sync";
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

/** Why one input row cannot be issued. */
export interface RowProblem {
  row: number;
  line?: number | undefined;
  field: string;
  message: string;
}

export interface SubjectInput {
  file: string;
  /** sha256 of the file's bytes: a journal only resumes the run of the same input. */
  digest: string;
  rows: InputRow[];
  problems: RowProblem[];
}

/** "row 3 (line 4), field /awardedOn: must match format "date"" */
export function formatProblem(problem: RowProblem): string {
  const where = problem.line === undefined ? `row ${problem.row}` : `row ${problem.row} (line ${problem.line})`;
  return problem.field === "" ? `${where}: ${problem.message}` : `${where}, field ${problem.field}: ${problem.message}`;
}

function parseCsv(file: string, text: string, type: CredentialType): InputRow[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true });
  } catch (cause) {
    const line = cause instanceof CsvError ? (cause as CsvError & { lines?: number }).lines : undefined;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CCRError(
      "INVALID_INPUT",
      `${file}${line === undefined ? "" : ` line ${line}`}: malformed CSV: ${reason}`,
      {
        cause,
      },
    );
  }
  const [header, ...data] = records;
  if (header === undefined) throw new CCRError("INVALID_INPUT", `${file} is empty: it needs a header line and rows`);
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
  // csv-parse rejects rows whose column count differs from the header's, so every record has header.length cells.
  return data.map((cells, i) => {
    const subject: Record<string, unknown> = {};
    header.forEach((column, c) => {
      if (cells[c] !== "") subject[column] = cells[c];
    });
    return { row: i + 1, line: i + 2, subject };
  });
}

function parseJson(file: string, text: string): InputRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CCRError("INVALID_INPUT", `${file}: malformed JSON: ${reason}`, { cause });
  }
  if (!Array.isArray(value)) {
    throw new CCRError("INVALID_INPUT", `${file}: expected a JSON array of credential subjects`);
  }
  return value.map((subject: unknown, i) => ({
    row: i + 1,
    subject: typeof subject === "object" && subject !== null && !Array.isArray(subject) ? { ...subject } : {},
  }));
}

/** The encodings `--encoding` converts from; anything else must be UTF-8. */
export const INPUT_ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1252", "latin1"] as const;
export type InputEncoding = (typeof INPUT_ENCODINGS)[number];

/** The longest value a subject field may have, in characters (ids included): a bound on what gets signed. */
export const MAX_FIELD_LENGTH = 1024;

/** The line (from 1) of `text` at character `index`. */
const lineAt = (text: string, index: number): number => text.slice(0, index).split("\n").length;

/**
 * The text of an input file: UTF-8 (a byte order mark is dropped), or the encoding the user named. Anything else is
 * refused with the file, the line and what to do, never guessed: a Windows-1252 name read as UTF-8 would be signed
 * with U+FFFD in place of its letters. Text with U+FFFD (damaged by an earlier conversion) is refused too.
 */
export function decodeInput(file: string, bytes: Uint8Array, encoding?: InputEncoding): string {
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (encoding === undefined && utf16) {
    throw new CCRError(
      "INVALID_INPUT",
      `${file} is not UTF-8: it is UTF-16 (byte order mark ${bytes[0] === 0xff ? "FF FE" : "FE FF"}). Save it as ` +
        `UTF-8, or name its encoding: --encoding ${bytes[0] === 0xff ? "utf-16le" : "utf-16be"}`,
    );
  }
  const label = encoding ?? "utf-8";
  let text: string;
  try {
    text = new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch (cause) {
    const loose = new TextDecoder(label).decode(bytes);
    const line = lineAt(loose, loose.indexOf("\uFFFD"));
    throw new CCRError(
      "INVALID_INPUT",
      encoding === undefined
        ? `${file} line ${line} is not UTF-8 (nothing was signed). Save the file as UTF-8, or name its encoding, ` +
            `e.g. --encoding windows-1252 (Excel on Windows) or --encoding latin1`
        : `${file} line ${line} is not ${encoding} (nothing was signed)`,
      { cause },
    );
  }
  const damaged = text.indexOf("\uFFFD");
  if (damaged !== -1) {
    throw new CCRError(
      "INVALID_INPUT",
      `${file} line ${lineAt(text, damaged)} contains U+FFFD, the character that replaces letters lost in a wrong ` +
        `conversion: the file was damaged before ccr read it (nothing was signed). Export it again as UTF-8`,
    );
  }
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
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

/** The subject's id, when it has one that cannot be a holder's DID, as a problem. */
function badHolder(subject: Record<string, unknown>): { field: string; message: string }[] {
  const id = subject.id;
  if (typeof id !== "string") return [];
  const problem = holderDidProblem(id);
  return problem === undefined ? [] : [{ field: "id", message: problem }];
}

/**
 * Reads the credential subjects of `file` (CSV with a header line of field names, or a JSON array) and checks every
 * row against the subject schema of `type`, collecting every problem, duplicates included. Throws CCRError("INVALID_INPUT")
 * only when the file itself cannot be read as a whole.
 */
export async function readSubjects(
  file: string,
  type: CredentialType,
  encoding?: InputEncoding,
): Promise<SubjectInput> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
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
    throw new CCRError("INVALID_INPUT", `cannot read input file ${file}: ${reason}`, { cause });
  }
  const text = decodeInput(file, bytes, encoding);
  const extension = extname(file).toLowerCase();
  if (extension !== ".csv" && extension !== ".json") {
    throw new CCRError("INVALID_INPUT", `${file}: the input must be a .csv or a .json file`);
  }
  const rows = extension === ".csv" ? parseCsv(file, text, type) : parseJson(file, text);
  if (rows.length === 0) throw new CCRError("INVALID_INPUT", `${file} has no rows to issue`);

  const problems: RowProblem[] = [];
  const firstRowOf = new Map<string, number>();
  for (const { row, line, subject } of rows) {
    for (const { field, message } of [
      ...tooLong(subject),
      ...badHolder(subject),
      ...checkSubject(type.validate, subject),
    ]) {
      problems.push({ row, line, field, message });
    }
    const canonical = JSON.stringify(Object.entries(subject).sort(([a], [b]) => (a < b ? -1 : 1)));
    const first = firstRowOf.get(canonical);
    if (first === undefined) firstRowOf.set(canonical, row);
    else problems.push({ row, line, field: "", message: `duplicates row ${first}` });
  }
  return { file, digest: createHash("sha256").update(bytes).digest("hex"), rows, problems };
}
