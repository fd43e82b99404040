/** The credential data model CCR issues (W3C VC 2.0 with CCR's status entry): its contexts, types and shape. */

/** The W3C VC 2.0 base context; it must come first. */
export const VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2";
/**
 * CCR's own JSON-LD context: its status type, batch and anchor terms (the document is `contexts/ccr-v1.jsonld`). It
 * follows the VC 2.0 context in every credential CCR issues.
 */
export const CCR_CONTEXT_V1 = "https://w3id.org/ccr/v1";
/** The `typ` header of a VC secured as a JWS (VC-JOSE-COSE). */
export const VC_JWT_TYP = "vc+jwt";
/** The `credentialStatus` type naming a CCR registry. */
export const CCR_STATUS_TYPE = "CCRRegistryStatus";

/** Where a verifier checks the credential's status: the registry, and for batch members the batch and index. */
export interface CCRCredentialStatus {
  id: string;
  type: typeof CCR_STATUS_TYPE;
  chainId: number;
  registry: string;
  /** For batch members: an id chosen before signing (the Merkle root depends on the signed credentials) and the index. */
  batch?: { id: string; index: number } | undefined;
}

/** A credential's place in its issuer's W3C Bitstring Status Lists (see `statusList.ts`). */
export interface BitstringStatusListEntry {
  id: string;
  type: "BitstringStatusListEntry";
  statusPurpose: "revocation" | "suspension";
  /** The bit's position in the list, as a decimal string (the specification's form). */
  statusListIndex: string;
  statusListCredential: string;
}

export type CredentialStatusEntry = CCRCredentialStatus | BitstringStatusListEntry;

/** A W3C VC 2.0 credential as CCR issues it. */
export interface Credential {
  "@context": string[];
  type: string[];
  id?: string;
  issuer: string;
  validFrom: string;
  validUntil?: string;
  credentialSubject: Record<string, unknown>;
  /** The subject's JSON Schema document: where it is published and (VC 2.0 related-resource integrity) its digest. */
  credentialSchema: { id: string; type: "JsonSchema"; digestSRI?: string };
  /** The CCR registry entry, alone or first beside the Bitstring Status List entries. */
  credentialStatus: CCRCredentialStatus | CredentialStatusEntry[];
}

/** Seconds since the epoch, as the registry stores times. */
export const toSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
