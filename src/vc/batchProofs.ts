/**
 * The Merkle proofs of credentials that travel without them: a wallet holds only the credential, whose status names
 * its batch by the URL of the issuer service that made it. The proof is fetched from `<batch URL>/<index>`; nothing
 * fetched is trusted, since the proof must still lead from the signed credential to a root its issuer anchored.
 */
import type { AnchorInfo, ReadCredential, UnreadCredential } from "./credentialFile.ts";
import { decodeCredential, registryStatus } from "./credential.ts";

/** How long a batch proof may take to arrive. */
const FETCH_TIMEOUT_MS = 10_000;

/** The URL of a read credential's batch proof, when it has no proof and its batch is named by an http(s) URL. */
export function batchProofUrl(read: ReadCredential): string | undefined {
  if (read.anchor?.batch !== undefined) return undefined;
  try {
    const batch = registryStatus(decodeCredential(read.jws).credential).batch;
    if (batch === undefined || !/^https?:\/\//.test(batch.id)) return undefined;
    return `${batch.id}/${batch.index}`;
  } catch {
    return undefined; // the verification says what is wrong with it
  }
}

/** The anchor of a batch member as an issuer service answers for it. */
function anchorOf(body: unknown): AnchorInfo {
  const b = body as Partial<{ chainId: number; registry: string; transaction: string; root: string }> & {
    index?: number;
    size?: number;
    proof?: string[];
  };
  if (
    typeof b.root !== "string" ||
    !Number.isSafeInteger(b.index) ||
    !Number.isSafeInteger(b.size) ||
    !Array.isArray(b.proof) ||
    !b.proof.every((p) => typeof p === "string")
  ) {
    throw new Error("the answer is not a batch member's proof (root, index, size, proof)");
  }
  return {
    chainId: Number(b.chainId),
    registry: String(b.registry),
    ...(typeof b.transaction === "string" ? { transaction: b.transaction } : {}),
    batch: { root: b.root, index: Number(b.index), size: Number(b.size), proof: b.proof },
  };
}

/**
 * `reads` with the proofs of their batch members fetched where they have none (see `batchProofUrl`); one whose proof
 * cannot be fetched becomes unread, with why (its verdict is "undecided").
 */
export async function withBatchProofs(
  reads: readonly (ReadCredential | UnreadCredential)[],
  fetcher: typeof fetch = fetch,
): Promise<(ReadCredential | UnreadCredential)[]> {
  return Promise.all(
    reads.map(async (read) => {
      if (!("jws" in read)) return read;
      const url = batchProofUrl(read);
      if (url === undefined) return read;
      try {
        const response = await fetcher(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        const body: unknown = await response.json().catch(() => undefined);
        if (!response.ok) {
          const said = (body as { error_description?: unknown } | undefined)?.error_description;
          throw new Error(`HTTP ${response.status}${typeof said === "string" ? `: ${said}` : ""}`);
        }
        return { ...read, anchor: anchorOf(body) };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return {
          file: read.file,
          problem: `the Merkle proof of this batch member could not be fetched from ${url}: ${reason}`,
        };
      }
    }),
  );
}
