/**
 * What the stages of an issuing run share: the request and its result, the run's record in the journal, its signed
 * groups, and the context every stage works in. The stages, in order: `run.ts` (check the request against the
 * journal and the registry, and journal the run), `build.ts` (the credential of each row), `sign.ts`, `groups.ts`
 * (journal each signed group before anything of it is sent), `anchor.ts` (anchor and confirm), `deliver.ts` (the
 * credential files and the manifest). `../issue.ts` runs them; another way of issuing (a wallet's request) reuses them.
 */
import type { Resolvable } from "did-resolver";
import type { Signer } from "ethers";
import type { Batch } from "../../batch.ts";
import type { RegistryConnection, Sent } from "../../registry.ts";
import type { CredentialTypeRef } from "../credential.ts";
import type { CredentialType } from "../credentialType.ts";
import type { RowProblem, SubjectInput } from "../input.ts";
import type { ChainIdentity, RunOptions } from "../journal.ts";
import type { SigningAlg } from "../jwsAlg.ts";
import type { StatusRegisterRef } from "../statusList.ts";

/** Default number of credentials per Merkle batch (and per journal group with `single`). */
export const DEFAULT_BATCH_SIZE = 1000;
/**
 * Anchoring transactions in flight at once for a signer that manages its own nonces (`ManagedSigner`); a plain
 * ethers signer sends one at a time (the `inFlight` default), since it would give concurrent transactions one nonce.
 */
export const DEFAULT_IN_FLIGHT = 8;

export interface IssueRequest {
  /** A registry connection whose `registry` is connected to `anchorer`. */
  connection: RegistryConnection;
  /** Sends the anchoring transactions: the issuer itself, or one of its operators. */
  anchorer: Signer;
  /** The accredited issuer the credentials are from. */
  issuer: string;
  /** The key that signs the JWS: the issuer's, or a `veriKey` delegate of its DID (a P-256 key for ES256). */
  signingKey: string;
  /** The JWS algorithm (default ES256K); ES256 needs a P-256 signing key bound to the issuer's DID. */
  signingAlg?: SigningAlg | undefined;
  /** The credential type (a registered schema with its document): see `credentialType`. */
  schema: CredentialType;
  input: SubjectInput;
  outDir: string;
  validFrom?: Date | undefined;
  validUntil?: Date | undefined;
  /** Credentials per batch (default `DEFAULT_BATCH_SIZE`; a resumed run keeps its own). */
  batchSize?: number | undefined;
  /** Anchor each credential on its own instead of in Merkle batches. */
  single?: boolean | undefined;
  /**
   * Anchoring transactions in flight at once (default 1); more needs a signer that manages nonces, such as
   * `ManagedSigner`. Each is confirmed before it counts.
   */
  inFlight?: number | undefined;
  /** Issue the valid rows and report the bad ones, instead of refusing the whole input. */
  skipInvalid?: boolean;
  onProgress?: (progress: IssueProgress) => void;
  /** When given, the signing key is checked against the issuer's DID document before anything is signed. */
  resolver?: Resolvable | undefined;
  /**
   * The issuer's status register: when given, every credential gets Bitstring Status List entries (revocation and
   * suspension) at indices allocated to the run before signing.
   */
  statusRegister?: StatusRegisterRef | undefined;
  /** `vc+jwt` (default): a JWS of the W3C credential; `sd-jwt`: an SD-JWT VC whose subject fields are disclosures. */
  format?: CredentialFormat | undefined;
}

export const CREDENTIAL_FORMATS = ["vc+jwt", "sd-jwt"] as const;
export type CredentialFormat = (typeof CREDENTIAL_FORMATS)[number];

export interface IssueProgress {
  phase: "sign" | "anchor" | "write";
  done: number;
  total: number;
}

export interface IssuedBatch {
  group: number;
  root?: string | undefined;
  size: number;
  transactions: Sent[];
}

export interface IssueResult {
  outDir: string;
  manifest: string;
  issued: number;
  skipped: RowProblem[];
  batches: IssuedBatch[];
  /** True when this call continued an interrupted run from its journal. */
  resumed: boolean;
  /** Anchoring transactions sent by this call (0 when a finished run is repeated). */
  sentNow: number;
}

/** The run's fixed parameters: the chain it anchors on and the options that shape its credentials. */
export interface RunRecord extends ChainIdentity, RunOptions {
  format: typeof JOURNAL_FORMAT;
  runId: string;
  input: { file: string; digest: string };
  schemaId: number;
  /** The type the run's credentials name (the schema's as it was when the run began). */
  type: CredentialTypeRef & { name: string };
  rows: number[];
  /** Digests of the rows' subjects (see `subjectDigest`). */
  subjects: string[];
  skipped: RowProblem[];
  /** Absent for `vc+jwt` (journals of earlier versions have none). */
  credentialFormat?: "sd-jwt";
  /** Absent for ES256K (journals of earlier versions have none). */
  signingAlg?: "ES256";
  /** The run's indices in the issuer's status lists: from `start`, one per row in run order. */
  statusLists?: { register: string; start: number; baseUrl: string };
}

export const JOURNAL_FORMAT = "ccr-journal/3";

/** The run's journal folder inside its output folder. */
export const JOURNAL_DIR = ".ccr-journal";

/** A group of signed credentials, written before anything of it is anchored. */
export interface SignedGroup {
  group: number;
  rows: number[];
  jws: string[];
  root?: string;
}

/**
 * A signed group as the run keeps it in memory: its credentials' hashes, its batch root and the first member's proof
 * (for the final check). The credentials stay in the journal until their files are written, and the Merkle tree is
 * built again then (a few milliseconds a group), so that what a run holds per credential is its hash.
 */
export interface LoadedGroup {
  group: number;
  rows: number[];
  hashes: string[];
  root?: string;
  firstProof?: string[];
}

export const loaded = (record: SignedGroup, hashes: string[], batch: Batch | undefined): LoadedGroup => ({
  group: record.group,
  rows: record.rows,
  hashes,
  ...(batch === undefined ? {} : { root: batch.root, firstProof: batch.proof(0) }),
});

/** What every stage of one run works with. */
export interface RunContext {
  request: IssueRequest;
  connection: RegistryConnection;
  /** The run as journalled: a resumed run's own record, whatever the request says now. */
  run: RunRecord;
  outDir: string;
  /** The journal folder, `<outDir>/.ccr-journal`. */
  journal: string;
  /** The issuer and the account that sends the anchors, checksummed. */
  issuer: string;
  anchorer: string;
  /** Reports a phase's progress over the run's rows. */
  progress: (phase: IssueProgress["phase"], done: number) => void;
}
