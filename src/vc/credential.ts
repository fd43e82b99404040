import { createJWT, ES256KSigner, verifyJWT } from "did-jwt";
import type { Resolvable } from "did-resolver";
import { getBytes } from "ethers";
import { keccak } from "#keccak";
import { CCRError } from "../errors.ts";
import { digestSRI, fromBase64urlText, hex } from "../bytes.ts";
import {
  CCR_CONTEXT_V1,
  CCR_STATUS_TYPE,
  VC_CONTEXT_V2,
  VC_JWT_TYP,
  type BitstringStatusListEntry,
  type CCRCredentialStatus,
  type Credential,
  type CredentialStatusEntry,
} from "./model.ts";
import { decodeSdJwt } from "./sdJwt.ts";

export { CCR_CONTEXT_V1, CCR_STATUS_TYPE, VC_CONTEXT_V2, VC_JWT_TYP, toSeconds } from "./model.ts";
export type { BitstringStatusListEntry, CCRCredentialStatus, Credential, CredentialStatusEntry } from "./model.ts";

/** The credential's CCR registry entry (where CCR verifiers ask). */
export function registryStatus(credential: Pick<Credential, "credentialStatus">): CCRCredentialStatus {
  const entries = [credential.credentialStatus].flat();
  const found = entries.find((e): e is CCRCredentialStatus => e.type === CCR_STATUS_TYPE);
  if (found === undefined) throw new CCRError("MALFORMED_CREDENTIAL", "the credential has no CCR credentialStatus");
  return found;
}

/** The credential's Bitstring Status List entries (where standard verifiers look). */
export function statusListEntriesOf(credential: Pick<Credential, "credentialStatus">): BitstringStatusListEntry[] {
  return [credential.credentialStatus]
    .flat()
    .filter((e): e is BitstringStatusListEntry => e.type === "BitstringStatusListEntry");
}

/** What a credential says of its type: the name after `VerifiableCredential`, and its schema document. */
export interface CredentialTypeRef {
  vcType: string;
  uri: string;
  /** SHA-256 of the schema document, 0x-hex. */
  digest: string;
}

export interface CredentialInput {
  schema: CredentialTypeRef;
  issuer: string;
  subject: Record<string, unknown>;
  validFrom: Date;
  validUntil?: Date | undefined;
  id?: string;
  status: Omit<CCRCredentialStatus, "id" | "type">;
  /** The credential's Bitstring Status List entries, allocated before signing. */
  statusLists?: BitstringStatusListEntry[] | undefined;
}

/** Builds the credential document (not yet signed). */
export function buildCredential(input: CredentialInput): Credential {
  const { schema } = input;
  const { chainId, registry, batch } = input.status;
  const statusId = `eip155:${chainId}:${registry}${batch === undefined ? "" : `#${batch.id}/${batch.index}`}`;
  const ccrStatus: CCRCredentialStatus = {
    id: statusId,
    type: CCR_STATUS_TYPE,
    chainId,
    registry,
    ...(batch === undefined ? {} : { batch }),
  };
  const lists = input.statusLists;
  return {
    "@context": [VC_CONTEXT_V2, CCR_CONTEXT_V1],
    type: ["VerifiableCredential", schema.vcType],
    ...(input.id === undefined ? {} : { id: input.id }),
    issuer: input.issuer,
    validFrom: input.validFrom.toISOString(),
    ...(input.validUntil === undefined ? {} : { validUntil: input.validUntil.toISOString() }),
    credentialSubject: input.subject,
    credentialSchema: { id: schema.uri, type: "JsonSchema", digestSRI: digestSRI(schema.digest) },
    credentialStatus: lists === undefined || lists.length === 0 ? ccrStatus : [ccrStatus, ...lists],
  };
}

/**
 * Signs `credential` as a compact JWS with ES256K (`typ: vc+jwt`); the payload is the credential itself. `kid` names
 * the verification method of the issuer's DID that `privateKey` is (see `signingKeyId`).
 */
export async function signCredential(credential: Credential, privateKey: string, kid?: string): Promise<string> {
  // did-jwt types `typ` as "JWT" only; any value is accepted at run time.
  const header: Record<string, string> = { alg: "ES256K", typ: VC_JWT_TYP, ...(kid === undefined ? {} : { kid }) };
  return createJWT(
    { ...credential },
    { issuer: credential.issuer, signer: ES256KSigner(getBytes(privateKey)) },
    header,
  );
}

const UTF8 = new TextEncoder();

/**
 * The value anchored on-chain for a credential: keccak256 of its compact JWS; for an SD-JWT, of its issuer-signed
 * JWT alone (the part before the first `~`), so that the disclosures presented never change it.
 */
export function credentialHash(token: string): string {
  const tilde = token.indexOf("~");
  return hex(keccak(UTF8.encode(tilde === -1 ? token : token.slice(0, tilde))));
}

/**
 * Reads the credential in a JWS (or, in its VC shape, in an SD-JWT VC, whose disclosures are checked against the
 * digests the issuer signed) without checking the signature.
 */
/**
 * The header and payload of a compact JWS, as did-jwt's `decodeJWT` reads them (three base64url parts, the first two
 * JSON objects), with the platform's base64 and UTF-8 decoders: did-jwt's own cost more than the signature check.
 */
function decodeCompactJws(jws: string): { header: Record<string, unknown>; payload: Partial<Credential> } {
  const parts = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(jws);
  if (parts === null) throw new Error("a compact JWS is three base64url parts joined by dots");
  const object = (part: string | undefined, what: string): Record<string, unknown> => {
    const value = JSON.parse(fromBase64urlText(part ?? "")) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new Error(`its ${what} is not a JSON object`);
    return value as Record<string, unknown>;
  };
  return { header: object(parts[1], "header"), payload: object(parts[2], "payload") };
}

export function decodeCredential(jws: string): { header: Record<string, unknown>; credential: Credential } {
  if (jws.includes("~")) return decodeSdJwt(jws);
  let decoded: { header: Record<string, unknown>; payload: Partial<Credential> };
  try {
    decoded = decodeCompactJws(jws);
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", "not a compact JWS credential", { cause });
  }
  const payload = decoded.payload;
  if (!Array.isArray(payload["@context"]) || payload["@context"][0] !== VC_CONTEXT_V2) {
    throw new CCRError("MALFORMED_CREDENTIAL", `the credential's @context must start with ${VC_CONTEXT_V2}`);
  }
  const statuses = [payload.credentialStatus ?? []].flat() as Partial<CredentialStatusEntry>[];
  const registries = statuses.filter((s) => s?.type === CCR_STATUS_TYPE).length;
  if (typeof payload.issuer !== "string" || registries !== 1) {
    throw new CCRError(
      "MALFORMED_CREDENTIAL",
      registries > 1
        ? "the credential names more than one CCR credentialStatus"
        : "the credential has no issuer or no CCR credentialStatus",
    );
  }
  return { header: { ...decoded.header }, credential: payload as Credential };
}

/**
 * Checks the JWS signature against the issuer's DID document (resolved with `resolver`) and that the header and
 * issuer are those of a CCR credential. Throws a CCRError("INVALID_SIGNATURE") when they are not.
 */
export async function verifyCredentialSignature(jws: string, resolver: Resolvable): Promise<Credential> {
  const { header, credential } = decodeCredential(jws);
  if (header.typ !== VC_JWT_TYP || (header.alg !== "ES256K" && header.alg !== "ES256")) {
    const got = `typ ${String(header.typ)} and alg ${String(header.alg)}`;
    throw new CCRError("INVALID_SIGNATURE", `expected a ${VC_JWT_TYP} JWS with ES256K or ES256, got ${got}`);
  }
  try {
    const verified = await verifyJWT(jws, { resolver, policies: { nbf: false, exp: false, iat: false } });
    if (verified.issuer !== credential.issuer) {
      throw new CCRError(
        "INVALID_SIGNATURE",
        `the JWS issuer ${verified.issuer} is not the credential's ${credential.issuer}`,
      );
    }
  } catch (cause) {
    if (cause instanceof CCRError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CCRError("INVALID_SIGNATURE", `the signature is not the issuer's: ${reason}`, { cause });
  }
  return credential;
}
