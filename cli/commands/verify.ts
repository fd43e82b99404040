/** `ccr verify`: credential files (or folders of them), or a holder's presentation. */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { ethrDidResolver } from "../../src/did.ts";
import { CCRError } from "../../src/errors.ts";
import { holderResolver } from "../../src/holder.ts";
import { NameBook } from "../../src/names.ts";
import { credentialFiles } from "../../src/vc/file.ts";
import { PRESENTATION_LIFETIME, verifyPresentation } from "../../src/vc/presentation.ts";
import type { Outcome, VerificationResult } from "../../src/vc/verify.ts";
import { verifyCredentials } from "../../src/vc/verifyFiles.ts";
import type { CommandModule, Cli } from "../context.ts";
import { parseDate, parsePositive } from "../parse.ts";

interface VerifyCommandOptions {
  economy?: string;
  at?: Date;
  json?: boolean;
  presentation?: string;
  audience?: string;
  nonce?: string;
  maxAge: number;
}

/** Credential files verified at a time. */
const VERIFY_SLICE = 2_000;

/** One credential's result for a person; an SD-JWT's disclosed fields (only those) below it. */
export function printResult(r: VerificationResult): void {
  console.log(`${r.outcome.toUpperCase().padEnd(9)} ${r.file}: ${r.reason}`);
  if (r.disclosed === undefined) return;
  const fields = Object.entries(r.disclosed).map(([f, v]) => `${f}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  console.log(`          disclosed ${fields.length === 0 ? "nothing" : fields.join("; ")}`);
}

/** `ccr verify --presentation`: the presentation's own checks, then each credential in it as `verify` checks files. */
async function verifyPresentationCommand(
  cli: Cli,
  paths: string[],
  file: string,
  options: VerifyCommandOptions,
): Promise<void> {
  if (paths.length > 0) {
    throw new CCRError("INVALID_ARGUMENT", "give either credential files or --presentation <file>, not both");
  }
  if (options.audience === undefined || options.nonce === undefined) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      "--presentation needs --audience (who you are) and --nonce (the challenge you gave the holder): without " +
        "them a presentation copied from someone else's request would pass",
    );
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", `cannot read the presentation ${file}`, { cause });
  }
  const { connection } = await cli.open(false);
  const resolver = holderResolver(
    ethrDidResolver(connection.chainId, connection.deployment.didRegistry.address, connection.provider),
  );
  const { presentation, credentials } = await verifyPresentation(
    file,
    text,
    { resolver, audience: options.audience, nonce: options.nonce, maxAge: options.maxAge },
    {
      connection,
      resolver,
      names: new NameBook(connection),
      ...(options.economy === undefined ? {} : { economy: options.economy }),
      ...(options.at === undefined ? {} : { at: options.at }),
    },
  );
  if (options.json === true) console.log(JSON.stringify({ presentation, credentials }, null, 2));
  else {
    console.log(`${presentation.outcome.toUpperCase().padEnd(9)} ${file}: ${presentation.reason}`);
    for (const r of credentials) printResult(r);
  }
  const outcomes = [presentation.outcome, ...credentials.map((r) => r.outcome)];
  process.exitCode = outcomes.includes("invalid") ? 1 : outcomes.includes("undecided") ? 2 : 0;
}

/** Verifies credential files in slices (memory stays bounded), printing each result as it comes; sets the exit status. */
async function verifyFiles(files: string[], options: VerifyCommandOptions, cli: Cli): Promise<void> {
  let connection;
  try {
    ({ connection } = await cli.open(false));
  } catch (error) {
    // A node that does not answer decides nothing: each credential is UNDECIDED, named, with the reason.
    if (!(error instanceof CCRError && error.code === "RPC_UNAVAILABLE")) throw error;
    const results = files.map((file): VerificationResult => ({
      file,
      outcome: "undecided",
      reason: `not checked: ${error.message}`,
    }));
    if (options.json === true) console.log(JSON.stringify(results, null, 2));
    else for (const r of results) printResult(r);
    if (options.json !== true && files.length > 1) console.log(`0 valid, 0 invalid, ${files.length} undecided`);
    process.exitCode = 2;
    return;
  }
  const resolver = ethrDidResolver(connection.chainId, connection.deployment.didRegistry.address, connection.provider);
  const names = new NameBook(connection);
  const counts: Record<Outcome, number> = { valid: 0, invalid: 0, undecided: 0 };
  // Verified in slices: memory stays bounded however many files a folder holds, and results come as they are made.
  if (options.json === true) process.stdout.write("[");
  for (let start = 0; start < files.length; start += VERIFY_SLICE) {
    const results = await verifyCredentials(files.slice(start, start + VERIFY_SLICE), {
      connection,
      resolver,
      names,
      ...(options.economy === undefined ? {} : { economy: options.economy }),
      ...(options.at === undefined ? {} : { at: options.at }),
    });
    for (const [i, r] of results.entries()) {
      counts[r.outcome]++;
      // The status so far, should the reader stop reading (| head): the worst outcome printed decides.
      process.exitCode = counts.invalid > 0 ? 1 : counts.undecided > 0 ? 2 : 0;
      if (options.json === true) {
        process.stdout.write(`${start + i === 0 ? "\n" : ",\n"}${JSON.stringify(r, null, 2)}`);
      } else printResult(r);
    }
  }
  if (options.json === true) process.stdout.write("\n]\n");
  if (options.json !== true && files.length > 1) {
    console.log(`${counts.valid} valid, ${counts.invalid} invalid, ${counts.undecided} undecided`);
  }
  // The worst outcome decides: an invalid credential (a forgery, a revocation) is never hidden behind one that
  // could not be decided.
  process.exitCode = counts.invalid > 0 ? 1 : counts.undecided > 0 ? 2 : 0;
}

function verifyCommand(verify: Command, cli: Cli): void {
  verify
    .option("--economy <iso>", "the verifier's economy: the issuer's must be it or one it recognises")
    .option("--at <date>", "verify as of this time", parseDate)
    .option(
      "--presentation <file>",
      "verify a presentation (a vp+jwt, or an SD-JWT presentation file from ccr present) and the credentials in it",
    )
    .option("--audience <verifier>", "with --presentation: who the presentation must be for (this verifier)")
    .option("--nonce <value>", "with --presentation: the challenge this verifier gave the holder")
    .option(
      "--max-age <seconds>",
      "with --presentation: the oldest presentation accepted",
      parsePositive,
      PRESENTATION_LIFETIME,
    )
    .option("--json", "print JSON")
    .action(async (paths: string[], options: VerifyCommandOptions) => {
      if (options.presentation !== undefined) {
        await verifyPresentationCommand(cli, paths, options.presentation, options);
        return;
      }
      if (paths.length === 0) {
        throw new CCRError(
          "INVALID_ARGUMENT",
          "name what to verify: credential files or folders of them (ccr verify out/diplomas), or a presentation " +
            "with --presentation <file> --audience <you> --nonce <challenge>",
        );
      }
      const files = await credentialFiles(paths);
      if (files.length === 0) {
        throw new CCRError(
          "INVALID_ARGUMENT",
          `no credential file in ${paths.join(", ")} (a folder's credentials are its *.json and *.jwt files but ` +
            `manifest.json): nothing was verified`,
        );
      }
      await verifyFiles(files, options, cli);
    });
}

export const commands: CommandModule = { verify: verifyCommand };
