/**
 * Parsers of option values: each refuses what is not what it names, with a sentence commander prints; and the files
 * options name, read.
 */
import { readFile } from "node:fs/promises";
import { InvalidArgumentError } from "commander";
import { CCRError } from "../src/errors.ts";

/** A date as 2026-12-31 or ISO 8601 (2026-12-31T10:00:00Z); nothing looser ("0" is not the year 2000). */
export function parseDate(value: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
  const date = new Date(value);
  // A day that does not exist (2026-02-30) would roll over to another: refused.
  const rolledOver = value.length === 10 && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) !== value;
  if (!iso.test(value) || Number.isNaN(date.getTime()) || rolledOver) {
    throw new InvalidArgumentError(`"${value}" is not a date (use 2026-12-31 or ISO 8601, e.g. 2026-12-31T10:00:00Z)`);
  }
  return date;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return n;
}

export function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

/** A duration as seconds: "90s", "30m", "12h", "7d" (a bare number is seconds). */
export function parseDuration(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match?.[2] ?? ""] ?? 1;
  const n = match === null ? NaN : Number(match[1]) * unit;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`"${value}" is not a duration (a whole number of s, m, h or d, e.g. 7d)`);
  }
  return n;
}

/** The text of a file an option names, or a sentence naming the file that cannot be read. */
export function readText(file: string): Promise<string> {
  return readFile(file, "utf8").catch((cause: unknown) => {
    throw new CCRError("INVALID_ARGUMENT", `cannot read ${file}: ${String(cause)}`, { cause });
  });
}
