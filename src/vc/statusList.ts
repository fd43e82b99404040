/**
 * W3C Bitstring Status Lists for standard verifiers. Every credential CCR issues with a status register carries two
 * `BitstringStatusListEntry` entries (revocation, suspension) whose index is allocated before signing from the
 * issuer's status register, a file that records which run holds which indices and, once signed, which anchors
 * (batch roots or credential hashes) they are. `publishStatusLists` then builds each list from the chain: a bit is
 * set when the registry has the credential revoked (or suspended or held), itself, as a batch member or through its
 * whole batch.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { createJWT, ES256KSigner } from "did-jwt";
import { getAddress, getBytes } from "ethers";
import lockfile from "proper-lockfile";
import { AnchorState } from "../codes.ts";
import { ethrDid } from "../did.ts";
import { CCRError } from "../errors.ts";
import { rpc, type RegistryConnection } from "../registry.ts";
import { CCR_CONTEXT_V1, VC_CONTEXT_V2, VC_JWT_TYP, type BitstringStatusListEntry } from "./credential.ts";
import { fileProblem, writeFileAtomic, writeJsonAtomic } from "./file.ts";

/** The W3C Bitstring Status List's minimum length (16 KiB of bits), which keeps a credential's place private. */
export const MIN_STATUS_LIST_BITS = 131_072;
/** Entries per status list credential: the minimum, so that each list is as private as the specification asks. */
export const STATUS_LIST_SIZE = MIN_STATUS_LIST_BITS;

export type StatusPurpose = "revocation" | "suspension";
export const STATUS_PURPOSES: readonly StatusPurpose[] = ["revocation", "suspension"];

/** GZIP then multibase base64url (`u` prefix); bit 0 is the most significant bit of the first byte. */
export function encodeBitstring(bits: readonly boolean[]): string {
  const bytes = new Uint8Array(Math.ceil(Math.max(bits.length, MIN_STATUS_LIST_BITS) / 8));
  bits.forEach((set, i) => {
    if (set) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (0x80 >> (i & 7));
  });
  return `u${gzipSync(bytes).toString("base64url")}`;
}

/** The URL of list `list` (from 1) of `purpose` under `baseUrl`. */
export const statusListUrl = (baseUrl: string, purpose: StatusPurpose, list: number): string =>
  `${baseUrl.replace(/\/+$/, "")}/${purpose}/${list}`;

/** The two entries (revocation, suspension) of the credential at `index` of the issuer's register. */
export function statusListEntries(baseUrl: string, index: number): BitstringStatusListEntry[] {
  const list = Math.floor(index / STATUS_LIST_SIZE) + 1;
  const position = String(index % STATUS_LIST_SIZE);
  return STATUS_PURPOSES.map((purpose) => {
    const url = statusListUrl(baseUrl, purpose, list);
    return {
      id: `${url}#${position}`,
      type: "BitstringStatusListEntry",
      statusPurpose: purpose,
      statusListIndex: position,
      statusListCredential: url,
    };
  });
}

/** What a run's indices are on the chain, in index order: Merkle batches (a member per index) or single anchors. */
export type RegisterAnchor = { root: string; size: number } | { credential: string };

interface RegisterRun {
  runId: string;
  start: number;
  count: number;
  /** The anchors of the run's first indices, written as its groups are signed (before they are anchored). */
  anchors?: RegisterAnchor[];
}

/** An issuer's status register: the indices of its status lists, run by run. */
export interface StatusRegister {
  format: typeof REGISTER_FORMAT;
  chainId: number;
  /** The chain's block 0 hash: a restarted devnet (same id, same registry address) is another chain. */
  genesisHash?: string | undefined;
  registry: string;
  issuer: string;
  /** Where the issuer publishes its lists (`<baseUrl>/<purpose>/<list number>`). */
  baseUrl: string;
  /** The next index to allocate: indices are never reused. */
  next: number;
  runs: RegisterRun[];
}

const REGISTER_FORMAT = "ccr-status-register/1";

/** Where an issuing run finds the issuer's status register. */
export interface StatusRegisterRef {
  file: string;
  /** The base URL of the issuer's lists: fixed by the register's first run; later runs must name the same or none. */
  baseUrl?: string | undefined;
}

async function readRegister(file: string): Promise<StatusRegister | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fileProblem(file, cause, "cannot be read");
  }
  let register: StatusRegister;
  try {
    register = JSON.parse(text) as StatusRegister;
  } catch (cause) {
    throw new CCRError("JOURNAL_MISMATCH", `the status register ${file} is damaged (not JSON)`, { cause });
  }
  if (register.format !== REGISTER_FORMAT || !Number.isSafeInteger(register.next) || !Array.isArray(register.runs)) {
    throw new CCRError("JOURNAL_MISMATCH", `${file} is not a status register (format ${REGISTER_FORMAT})`);
  }
  return register;
}

/** Runs `change` on the register under a lock shared by every run of the issuer, and writes what it returns. */
async function updateRegister<T>(
  file: string,
  change: (register: StatusRegister | undefined) => { register: StatusRegister; result: T; unchanged?: boolean },
): Promise<T> {
  await mkdir(dirname(file), { recursive: true }).catch((cause: unknown) => {
    throw fileProblem(dirname(file), cause, "cannot be created");
  });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 100, minTimeout: 50, maxTimeout: 200 },
    });
  } catch (cause) {
    throw new CCRError("OUTPUT_IN_USE", `the status register ${file} stayed locked by another run; nothing was done`, {
      cause,
    });
  }
  try {
    const { register, result, unchanged } = change(await readRegister(file));
    if (unchanged !== true) await writeJsonAtomic(file, register);
    return result;
  } finally {
    await release().catch(() => undefined);
  }
}

/** Refuses a register written for another chain with the same id and registry address (a restarted devnet). */
function refuseOtherGenesis(file: string, register: StatusRegister, genesisHash: string): void {
  if (register.genesisHash === undefined || register.genesisHash.toLowerCase() === genesisHash.toLowerCase()) return;
  throw new CCRError(
    "WRONG_CHAIN",
    `${file} is the status register of ${register.issuer} on another chain with the id ${register.chainId} (genesis ` +
      `${register.genesisHash}; this chain's is ${genesisHash}: a restarted devnet is a new chain). Its indices and ` +
      `anchors are not this chain's: move it away, or name another register`,
  );
}

/**
 * Allocates `count` indices to run `runId` (again the same ones when the run already has them: a resumed run gets
 * no new indices, and no index is ever given twice). Returns the first index and the lists' base URL.
 */
export async function allocateStatusIndices(
  ref: StatusRegisterRef,
  owner: { chainId: number; genesisHash: string; registry: string; issuer: string },
  runId: string,
  count: number,
): Promise<{ start: number; baseUrl: string }> {
  return updateRegister(ref.file, (found) => {
    const issuer = getAddress(owner.issuer);
    const register: StatusRegister = found ?? {
      format: REGISTER_FORMAT,
      chainId: owner.chainId,
      genesisHash: owner.genesisHash,
      registry: getAddress(owner.registry),
      issuer,
      baseUrl: ref.baseUrl ?? `https://status.ccr.example/${owner.chainId}/${issuer}`,
      next: 0,
      runs: [],
    };
    if (
      register.chainId !== owner.chainId ||
      getAddress(register.registry) !== getAddress(owner.registry) ||
      getAddress(register.issuer) !== issuer
    ) {
      throw new CCRError(
        "JOURNAL_MISMATCH",
        `${ref.file} is the status register of ${register.issuer} on chain ${register.chainId} (registry ` +
          `${register.registry}), not of ${issuer} on chain ${owner.chainId}: name the issuer's own register`,
      );
    }
    refuseOtherGenesis(ref.file, register, owner.genesisHash);
    // A register from before registers named their chain's genesis: this chain's (same id and registry).
    register.genesisHash ??= owner.genesisHash;
    if (ref.baseUrl !== undefined && ref.baseUrl !== register.baseUrl) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `${issuer}'s status lists are published at ${register.baseUrl} (${ref.file}); --status-url ${ref.baseUrl} ` +
          `would point credentials elsewhere. Leave it out, or use another register`,
      );
    }
    const held = register.runs.find((r) => r.runId === runId);
    if (held !== undefined) return { register, result: { start: held.start, baseUrl: register.baseUrl } };
    const start = register.next;
    register.runs.push({ runId, start, count });
    register.next = start + count;
    return { register, result: { start, baseUrl: register.baseUrl } };
  });
}

/** How many indices `anchors` cover: a batch one per member, a single anchor one. */
const coverage = (anchors: readonly RegisterAnchor[]): number =>
  anchors.reduce((n, a) => n + ("root" in a ? a.size : 1), 0);

/**
 * Records the anchors of run `runId`'s first indices, in index order, before they are sent: each call gives every
 * anchor the run has signed so far, which must agree with what is recorded already. A shorter list than the one
 * recorded (a resumed run's first groups) changes nothing; lists are published for the indices recorded.
 */
export async function recordStatusAnchors(ref: StatusRegisterRef, runId: string, anchors: RegisterAnchor[]) {
  await updateRegister(ref.file, (register) => {
    const run = register?.runs.find((r) => r.runId === runId);
    if (register === undefined || run === undefined) {
      throw new CCRError("JOURNAL_MISMATCH", `the status register ${ref.file} has no indices of run ${runId}`);
    }
    const covered = coverage(anchors);
    if (covered > run.count) {
      throw new CCRError(
        "JOURNAL_MISMATCH",
        `run ${runId} holds ${run.count} indices in ${ref.file}, but its anchors cover ${covered}`,
      );
    }
    const known = run.anchors ?? [];
    const differs = known.findIndex(
      (anchor, i) => i < anchors.length && JSON.stringify(anchor) !== JSON.stringify(anchors[i]),
    );
    if (differs !== -1) {
      throw new CCRError(
        "JOURNAL_MISMATCH",
        `the status register ${ref.file} records another anchor of run ${runId} at its anchor ${differs + 1}: the ` +
          `register and this output folder's journal do not belong together; nothing was sent`,
      );
    }
    // A resumed run's groups are recorded again as it goes: the register is written only when it learns something.
    if (anchors.length <= known.length) return { register, result: undefined, unchanged: true };
    run.anchors = anchors;
    return { register, result: undefined };
  });
}

/** A published list: which list, where it goes, and what it says. */
export interface PublishedList {
  purpose: StatusPurpose;
  list: number;
  url: string;
  file: string;
  jws: string;
  /** Credentials with a place in the list, and how many of them have their bit set. */
  entries: number;
  set: number;
}

/** What a status list is built from: the stored state of an issuer's credentials and batches, and member bits. */
export interface StatusReader {
  credentialState(hash: string): Promise<number>;
  batchState(root: string): Promise<number>;
  /** A batch's revoked and suspended member bits, word `word` (members 256·word to 256·word + 255). */
  memberBits(root: string, word: number): Promise<[bigint, bigint]>;
}

/** `issuer`'s records as the registry holds them now. */
export function registryStatusReader(connection: RegistryConnection, issuer: string): StatusReader {
  const { registry, rpcUrl } = connection;
  return {
    credentialState: async (hash) =>
      Number((await rpc(rpcUrl, `reading credential ${hash}`, () => registry.getCredential(issuer, hash))).state),
    batchState: async (root) =>
      Number((await rpc(rpcUrl, `reading batch ${root}`, () => registry.getBatch(issuer, root))).state),
    memberBits: async (root, word) => {
      const [revoked, suspended] = await rpc(rpcUrl, `reading batch ${root}`, () =>
        registry.memberBits(issuer, root, word),
      );
      return [revoked, suspended];
    },
  };
}

const isSuspended = (state: number): boolean => state === AnchorState.SUSPENDED || state === AnchorState.HELD;

/**
 * The revocation and suspension bits of every index a run holds, in the run's order: a credential's from its record;
 * a batch member's from the batch's record (revoking or suspending a batch covers all its members) or its own bit.
 */
export async function runBits(
  reader: StatusReader,
  anchors: readonly RegisterAnchor[],
): Promise<{ revoked: boolean[]; suspended: boolean[] }> {
  const revoked: boolean[] = [];
  const suspended: boolean[] = [];
  for (const anchor of anchors) {
    if ("credential" in anchor) {
      const state = await reader.credentialState(anchor.credential);
      revoked.push(state === AnchorState.REVOKED);
      suspended.push(isSuspended(state));
      continue;
    }
    const { root, size } = anchor;
    const state = await reader.batchState(root);
    for (let word = 0; word * 256 < size; word++) {
      // Not anchored (yet): no member bits to read.
      const [revokedBits, suspendedBits] = state === AnchorState.NONE ? [0n, 0n] : await reader.memberBits(root, word);
      for (let b = 0; b < 256 && word * 256 + b < size; b++) {
        revoked.push(state === AnchorState.REVOKED || ((revokedBits >> BigInt(b)) & 1n) === 1n);
        suspended.push(isSuspended(state) || ((suspendedBits >> BigInt(b)) & 1n) === 1n);
      }
    }
  }
  return { revoked, suspended };
}

/**
 * Builds every status list of the issuer's register from the chain and writes each, signed by `signingKey` (the
 * issuer's key or a signing key of its DID, named by `kid`), as `<outDir>/<purpose>/<list number>`: the files to
 * publish at `<baseUrl>/<purpose>/<list number>`, where the credentials' entries point.
 */
export async function publishStatusLists(
  connection: RegistryConnection,
  registerFile: string,
  signingKey: string,
  outDir: string,
  kid?: string,
): Promise<PublishedList[]> {
  const register = await readRegister(registerFile);
  if (register === undefined) {
    throw new CCRError("INVALID_ARGUMENT", `no status register ${registerFile}: the issuer has issued nothing with it`);
  }
  if (register.chainId !== connection.chainId) {
    throw new CCRError(
      "WRONG_CHAIN",
      `${registerFile} is a status register of chain ${register.chainId}, not of this chain ${connection.chainId}`,
    );
  }
  refuseOtherGenesis(registerFile, register, connection.genesisHash);
  const lists = Math.max(1, Math.ceil(register.next / STATUS_LIST_SIZE));
  const bits: Record<StatusPurpose, boolean[]> = { revocation: [], suspension: [] };
  const signed: RegisterRun[] = [];
  const reader = registryStatusReader(connection, register.issuer);
  for (const run of register.runs) {
    // A run that has not signed yet (or never will) holds its indices with no credential behind them: bits clear.
    if (run.anchors === undefined) continue;
    const { revoked, suspended } = await runBits(reader, run.anchors);
    revoked.forEach((set, i) => (bits.revocation[run.start + i] = set));
    suspended.forEach((set, i) => (bits.suspension[run.start + i] = set));
    signed.push(run);
  }
  /** Signed credentials with a place in [from, from + STATUS_LIST_SIZE). */
  const entriesFrom = (from: number): number =>
    signed.reduce(
      (n, run) =>
        n +
        Math.max(
          0,
          Math.min(run.start + coverage(run.anchors ?? []), from + STATUS_LIST_SIZE) - Math.max(run.start, from),
        ),
      0,
    );
  const did = ethrDid(register.chainId, register.issuer);
  const published: PublishedList[] = [];
  for (const purpose of STATUS_PURPOSES) {
    for (let list = 1; list <= lists; list++) {
      const from = (list - 1) * STATUS_LIST_SIZE;
      const slice = Array.from({ length: STATUS_LIST_SIZE }, (_, i) => bits[purpose][from + i] === true);
      const url = statusListUrl(register.baseUrl, purpose, list);
      const credential = {
        "@context": [VC_CONTEXT_V2, CCR_CONTEXT_V1],
        id: url,
        type: ["VerifiableCredential", "BitstringStatusListCredential"],
        issuer: did,
        validFrom: new Date().toISOString(),
        credentialSubject: {
          id: `${url}#list`,
          type: "BitstringStatusList",
          statusPurpose: purpose,
          encodedList: encodeBitstring(slice),
        },
      };
      // did-jwt types `typ` as "JWT" only; any value is accepted at run time.
      const header: Record<string, string> = { alg: "ES256K", typ: VC_JWT_TYP, ...(kid === undefined ? {} : { kid }) };
      const jws = await createJWT(
        { ...credential },
        { issuer: did, signer: ES256KSigner(getBytes(signingKey)) },
        header,
      );
      const file = join(outDir, purpose, String(list));
      await mkdir(dirname(file), { recursive: true }).catch((cause: unknown) => {
        throw fileProblem(dirname(file), cause, "cannot be created");
      });
      await writeFileAtomic(file, jws);
      published.push({ purpose, list, url, file, jws, entries: entriesFrom(from), set: slice.filter(Boolean).length });
    }
  }
  return published;
}
