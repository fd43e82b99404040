import { mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { CCRError } from "../errors.ts";
import { fileProblem } from "./file.ts";

/**
 * The guard rails of an issuance run's output folder: one run at a time (a lock), a journal that belongs to one chain
 * and one set of options, and no run over files whose journal is gone.
 */

/** How long a lock outlives a run that was killed (the lock's time is refreshed while the run lives). */
export const LOCK_STALE_MS = 10_000;
const LOCK_FILE = ".ccr-lock";
/** Who holds the lock: the process id, next to the lock, so that a lock of a killed run is told from a live one. */
const OWNER_FILE = ".ccr-lock.owner";

/** What identifies the chain a journal's anchors are on. */
export interface ChainIdentity {
  chainId: number;
  genesisHash: string;
  registry: string;
  deploymentBlock: number;
}

/** The options that shape the credentials of a run, as recorded in its journal. */
export interface RunOptions {
  schema: string;
  issuer: string;
  validFrom: number;
  validUntil: number;
  batchSize: number;
  single: boolean;
}

/** What the caller asked for explicitly (undefined: not given, so the journal's value stands). */
export type RequestedOptions = { [K in keyof RunOptions]?: RunOptions[K] | undefined };

/** Whether the process that wrote `outDir`'s owner file still runs on this machine (unknown counts as running). */
async function ownerRuns(outDir: string): Promise<boolean> {
  const pid = Number(await readFile(join(outDir, OWNER_FILE), "utf8").catch(() => ""));
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the output folder for this run: creates it, and refuses at once when another running `ccr issue` holds it.
 * The lock is refreshed while the run lives; the lock of a run that was killed expires `LOCK_STALE_MS` after it
 * stopped, and a run started meanwhile waits for that instead of failing. Returns the release.
 */
export async function lockOutput(outDir: string): Promise<() => Promise<void>> {
  try {
    await mkdir(outDir, { recursive: true });
    if (!(await stat(outDir)).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" });
  } catch (cause) {
    throw fileProblem(outDir, cause, "cannot be the output folder");
  }
  const options = {
    lockfilePath: join(outDir, LOCK_FILE),
    realpath: false,
    stale: LOCK_STALE_MS,
    update: LOCK_STALE_MS / 4,
    // A lock lost to a long pause (the machine slept past its staleness) stops the run before its next anchor.
    onCompromised: (error: Error) => {
      compromised.add(outDir);
      console.error(`ccr: lost the lock on ${outDir} (${error.message}); stopping before the next anchor`);
    },
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(outDir, options);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "ELOCKED") throw fileProblem(outDir, cause, "cannot be locked");
    if (await ownerRuns(outDir)) {
      throw new CCRError(
        "OUTPUT_IN_USE",
        `${outDir} is in use by another "ccr issue" run; nothing was done. Wait for it to end and run this command ` +
          `again, or use another --out`,
        { cause },
      );
    }
    // The run that held it was killed: its lock expires shortly; proper-lockfile takes it over once stale.
    console.error(
      `ccr: ${outDir} was locked by a run that stopped; waiting up to ${LOCK_STALE_MS / 1000} s for its lock`,
    );
    release = await lockfile
      .lock(outDir, { ...options, retries: { retries: LOCK_STALE_MS / 500 + 4, minTimeout: 500, maxTimeout: 500 } })
      .catch((again: unknown) => {
        throw new CCRError("OUTPUT_IN_USE", `${outDir} is in use by another "ccr issue" run; nothing was done`, {
          cause: again,
        });
      });
  }
  await writeFile(join(outDir, OWNER_FILE), String(process.pid)).catch(() => undefined);
  return async () => {
    await rm(join(outDir, OWNER_FILE), { force: true });
    await release();
  };
}

const compromised = new Set<string>();

/** Refuses to go on when the run's lock on `outDir` was lost. */
export function checkLock(outDir: string): void {
  if (compromised.has(outDir)) {
    throw new CCRError(
      "OUTPUT_IN_USE",
      `the lock on ${outDir} was lost (another run may have taken the folder); this run stopped before anchoring ` +
        `more. Run the command again when no other run uses the folder`,
    );
  }
}

/** Refuses to start a run in a folder that holds credentials but no journal: they may be anchored already. */
export async function checkNoOrphans(outDir: string): Promise<void> {
  const names = await readdir(outDir).catch(() => [] as string[]);
  const credentials = names.filter((n) => /^credential-\d+\.json$/.test(n)).length;
  if (credentials === 0 && !names.includes("manifest.json")) return;
  throw new CCRError(
    "JOURNAL_MISMATCH",
    `${outDir} already holds ${credentials} credential file(s)${names.includes("manifest.json") ? " and a manifest" : ""} ` +
      `but no journal (.ccr-journal): they may be anchored already, and a new run would sign new credentials over ` +
      `them. Nothing was done; use another --out (or move these files away first)`,
  );
}

/** Refuses a journal made on another chain, registry or deployment (a restarted devnet keeps its chain id). */
export function checkChain(outDir: string, recorded: ChainIdentity, now: ChainIdentity): void {
  const fields = ["chainId", "genesisHash", "registry", "deploymentBlock"] as const;
  const differ = fields.find((f) => String(recorded[f]).toLowerCase() !== String(now[f]).toLowerCase());
  if (differ === undefined) return;
  throw new CCRError(
    "JOURNAL_MISMATCH",
    `${outDir} holds a run on another chain (its ${differ} was ${recorded[differ]}, the node now serves ` +
      `${now[differ]}${differ === "genesisHash" ? ": the devnet was restarted since" : ""}). Its credentials are ` +
      `anchored on that chain only; nothing was done. Issue them on this chain with another --out`,
  );
}

/** Refuses options given now that differ from the run's, naming them and what to do. */
export function checkOptions(outDir: string, recorded: RunOptions, requested: RequestedOptions): void {
  const show = (key: keyof RunOptions, value: RunOptions[keyof RunOptions]): string =>
    (key === "validFrom" || key === "validUntil") && typeof value === "number"
      ? value === 0
        ? "none"
        : new Date(value * 1000).toISOString()
      : String(value);
  const differences = (Object.keys(recorded) as (keyof RunOptions)[])
    .filter((key) => requested[key] !== undefined && requested[key] !== recorded[key])
    .map((key) => `${key} ${show(key, requested[key] ?? recorded[key])} (the run's: ${show(key, recorded[key])})`);
  if (differences.length === 0) return;
  throw new CCRError(
    "JOURNAL_MISMATCH",
    `${outDir} holds a run with other options: ${differences.join(", ")}; nothing was done. To continue that run, ` +
      `repeat the command without these options (the run keeps its own); for credentials with the new options, use ` +
      `another --out`,
  );
}

/** Refuses a changed input file, saying how many of its rows this run issued already and what to do. */
export function inputChanged(
  outDir: string,
  recordedFile: string,
  issued: readonly string[],
  rows: readonly string[],
): CCRError {
  const done = new Set(issued);
  const already = rows.filter((digest) => done.has(digest)).length;
  return new CCRError(
    "JOURNAL_MISMATCH",
    `the input differs from the one ${outDir} was issued from (${recordedFile}): ${already} of its ${rows.length} ` +
      `row(s) are issued there already, ${rows.length - already} are not; nothing was done. To finish that run, ` +
      `use its own input again; to issue the other rows, put only them in a file and use another --out`,
  );
}
