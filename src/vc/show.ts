/** `ccr show`: what a credential file says, read without the chain (the signature and status are `verify`'s). */
import { CCRError } from "../errors.ts";
import {
  credentialHash,
  decodeCredential,
  registryStatus,
  statusListEntriesOf,
  type BitstringStatusListEntry,
  type CCRCredentialStatus,
} from "./credential.ts";
import { readCredentialFile, type AnchorInfo } from "./file.ts";

export interface CredentialSummary {
  file: string;
  /** The issuer's DID. */
  issuer: string;
  /**
   * The issuer's display name as the framework's names contract records it, or why it is not shown (no names
   * contract, no name, a registry other than the deployment's, the chain unreachable, or `--offline`).
   */
  issuerName: { name: string } | { unknown: string };
  /** The subject's id (the holder, when it is a DID), if the credential names one. */
  holder?: string | undefined;
  /** The credential's types after `VerifiableCredential`. */
  types: string[];
  schema: { id: string; digestSRI?: string | undefined };
  validFrom: string;
  validUntil?: string | undefined;
  /** The subject's fields but its id. */
  subject: Record<string, unknown>;
  status: CCRCredentialStatus;
  /** Where standard verifiers find its revocation and suspension bits. */
  statusLists: BitstringStatusListEntry[];
  /** keccak256 of the JWS: the anchored value. */
  hash: string;
  anchor?: AnchorInfo | undefined;
}

/** Finds the issuer's display name for a credential of `status` (the registry it names and its chain). */
export type IssuerNameLookup = (
  issuer: string,
  status: CCRCredentialStatus,
) => Promise<CredentialSummary["issuerName"]>;

/** Reads a credential file (or a bare JWS) and what its credential says; the issuer's name from `lookup`. */
export async function describeCredential(
  file: string,
  lookup: IssuerNameLookup = () => Promise.resolve({ unknown: "not looked up: offline" }),
): Promise<CredentialSummary> {
  const read = await readCredentialFile(file);
  let credential;
  try {
    ({ credential } = decodeCredential(read.jws));
  } catch (cause) {
    // The file's name with the reason: a bare file read as a JWS that is none.
    if (!(cause instanceof CCRError)) throw cause;
    throw new CCRError(cause.code, `${file}: ${cause.message}`, { cause });
  }
  const { id, ...subject } = credential.credentialSubject;
  const status = registryStatus(credential);
  return {
    file,
    issuer: credential.issuer,
    issuerName: await lookup(credential.issuer, status),
    holder: typeof id === "string" ? id : undefined,
    types: credential.type.filter((t) => t !== "VerifiableCredential"),
    schema: { id: credential.credentialSchema.id, digestSRI: credential.credentialSchema.digestSRI },
    validFrom: credential.validFrom,
    validUntil: credential.validUntil,
    subject,
    status,
    statusLists: statusListEntriesOf(credential),
    hash: credentialHash(read.jws),
    anchor: read.anchor,
  };
}

/** The summary as lines for a person. */
export function formatCredential(s: CredentialSummary): string[] {
  const value = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
  const anchor = s.anchor;
  return [
    `${s.file}`,
    `  type        ${s.types.join(", ")}`,
    "name" in s.issuerName
      ? `  issuer      ${s.issuerName.name} (${s.issuer})`
      : `  issuer      ${s.issuer} (name ${s.issuerName.unknown})`,
    `  holder      ${s.holder ?? "none named"}`,
    `  valid       from ${s.validFrom} ${s.validUntil === undefined ? "with no expiry" : `until ${s.validUntil}`}`,
    `  schema      ${s.schema.id}${s.schema.digestSRI === undefined ? "" : ` (${s.schema.digestSRI})`}`,
    ...Object.entries(s.subject).map(([field, v]) => `  subject     ${field}: ${value(v)}`),
    `  status      registry ${s.status.registry} on chain ${s.status.chainId}` +
      (s.status.batch === undefined ? "" : `, batch ${s.status.batch.id} member ${s.status.batch.index}`),
    ...s.statusLists.map(
      (e) => `  status list ${e.statusPurpose.padEnd(10)} ${e.statusListCredential} bit ${e.statusListIndex}`,
    ),
    `  hash        ${s.hash}`,
    anchor === undefined
      ? "  anchor      not recorded in the file (a bare JWS): verify asks the registry"
      : `  anchor      ${anchor.transaction === undefined ? "" : `transaction ${anchor.transaction}`}` +
        (anchor.batch === undefined
          ? ""
          : `${anchor.transaction === undefined ? "" : ", "}batch root ${anchor.batch.root}, member ` +
            `${anchor.batch.index} of ${anchor.batch.size}`),
  ];
}
