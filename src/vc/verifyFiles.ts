/** Verifying credential files from the file system: read (a few at a time), then `verifyReads`. */
import { readCredentialFile } from "./file.ts";
import { verifyReads, type UnreadCredential, type VerificationResult, type VerifyOptions } from "./verify.ts";
import type { ReadCredential } from "./credentialFile.ts";

/** Files read at a time. */
const READING = 64;

/**
 * Verifies credential files as `verifyReads` verifies what was read; a file that cannot be read or is not a
 * credential file is "undecided", with why.
 */
export async function verifyCredentials(
  files: readonly string[],
  options: VerifyOptions,
): Promise<VerificationResult[]> {
  const reads: (ReadCredential | UnreadCredential)[] = [];
  for (let i = 0; i < files.length; i += READING) {
    const settled = await Promise.allSettled(files.slice(i, i + READING).map(readCredentialFile));
    settled.forEach((read, j) =>
      reads.push(
        read.status === "fulfilled"
          ? read.value
          : {
              file: files[i + j] ?? "",
              problem: read.reason instanceof Error ? read.reason.message : String(read.reason),
            },
      ),
    );
  }
  return verifyReads(reads, options);
}
