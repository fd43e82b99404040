import { readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CCRError } from "../errors.ts";
import { parseCredentialFile, type ReadCredential } from "./credentialFile.ts";

export { CREDENTIAL_FILE_FORMAT, parseCredentialFile } from "./credentialFile.ts";
export type { AnchorInfo, CredentialFile, ReadCredential } from "./credentialFile.ts";

/** A file system failure on `path` in words: what it is and what to do, never a stack trace. */
export function fileProblem(path: string, cause: unknown, doing: string): CCRError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOSPC: "the disk is full: free some space and run the command again; nothing written so far is lost",
    EDQUOT: "the disk quota is exhausted: free some space and run the command again; nothing written so far is lost",
    ENOTDIR: "it (or a folder above it) is a file, not a folder: choose another path",
    EEXIST: "a file of that name is in the way: choose another path",
    EISDIR: "it is a folder where a file was expected",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "the file system is read-only",
    ENOENT: "it does not exist",
  };
  const reason =
    (code !== undefined ? why[code] : undefined) ?? (cause instanceof Error ? cause.message : String(cause));
  return new CCRError("OUTPUT_PROBLEM", `${path} ${doing}: ${reason}`, { cause });
}

/**
 * Writes `data` to `file` through a temporary file and a rename, so that a kill never leaves half a file; a failure
 * (a full disk, say) removes the temporary file and says what happened.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array | Iterable<string>): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, file);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw fileProblem(file, cause, "cannot be written");
  }
}

/** Whether a process with this id is running (a kill signal 0 only asks). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary files that `writeFileAtomic` left in `dir` when its process was killed between writing and
 * renaming (their names carry the writer's process id; files of a process still running are left alone). Returns
 * how many were removed.
 */
export async function removeStaleTemporaries(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = /\.(\d+)\.tmp$/.exec(name)?.[1];
    if (pid === undefined || isRunning(Number(pid))) continue;
    await rm(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes `{ ...value, [key]: items }` byte for byte as `writeJsonAtomic` does, the list given out item by item in
 * chunks of about 64 KiB, never as one string: a manifest of 100,000 credentials is not held whole.
 */
export async function writeJsonListAtomic(
  file: string,
  value: Record<string, unknown>,
  key: string,
  items: Iterable<unknown>,
): Promise<void> {
  function* chunks(): Generator<string> {
    const head = JSON.stringify({ ...value, [key]: [] }, null, 2);
    let chunk = head.slice(0, -"[]\n}".length);
    let count = 0;
    for (const item of items) {
      chunk += `${count++ === 0 ? "[\n" : ",\n"}${JSON.stringify(item, null, 2).replace(/^/gm, "    ")}`;
      if (chunk.length >= 1 << 16) {
        yield chunk;
        chunk = "";
      }
    }
    yield `${chunk}${count === 0 ? "[]" : "\n  ]"}\n}\n`;
  }
  await writeFileAtomic(file, chunks());
}

/** Reads a credential file (`ccr-credential/1` JSON or a bare compact JWS); throws MALFORMED_CREDENTIAL naming it. */
export async function readCredentialFile(file: string): Promise<ReadCredential> {
  let text: string;
  try {
    text = (await readFile(file, "utf8")).trim();
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", `cannot read ${file}`, { cause });
  }
  return parseCredentialFile(file, text);
}

/** Files and folders -> credential files: a folder stands for its `*.json` and `*.jwt` files but the manifest. */
export async function credentialFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const isFolder = await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isFolder) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path)).filter((n) => /\.(json|jwt)$/.test(n) && n !== "manifest.json").sort();
    files.push(...names.map((n) => join(path, n)));
  }
  return files;
}
