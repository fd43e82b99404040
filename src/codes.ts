import { getAddress } from "ethers";
import { fromHex, hex, utf8Bytes, utf8Text } from "./bytes.ts";
import { CCRError } from "./errors.ts";

/** Mirrors `MAX_SCHEMAS` in contracts/types/CCRTypes.sol. */
export const MAX_SCHEMAS = 128;

/** Verdict codes, in the order of the Solidity enum `Status`. */
export const STATUS = [
  "UNKNOWN",
  "VALID",
  "NOT_YET_VALID",
  "EXPIRED",
  "SUSPENDED",
  "REVOKED",
  "ISSUER_SUSPENDED",
  "ISSUER_REVOKED",
] as const;
export type StatusName = (typeof STATUS)[number];

/** Issuer standings, in the order of the Solidity enum `IssuerStanding`. */
export const ISSUER_STANDING = ["NONE", "ACTIVE", "SUSPENDED", "REVOKED", "PENDING", "LAPSED"] as const;
export type IssuerStandingName = (typeof ISSUER_STANDING)[number];

/** Stored states of credentials, batches and members, in the order of the Solidity enum `AnchorState`. */
export const ANCHOR_STATE = ["NONE", "ACTIVE", "SUSPENDED", "REVOKED", "HELD"] as const;
export type AnchorStateName = (typeof ANCHOR_STATE)[number];

/** How an anchor was made (the Solidity enum `AnchorMode`, carried in the anchoring events' terms). */
export const ANCHOR_MODE = ["ISSUER", "OPERATOR", "SIGNED"] as const;
export type AnchorModeName = (typeof ANCHOR_MODE)[number];

/** Which entry decided a verdict (the Solidity enum `Decider`). */
export const DECIDER = ["NONE", "CREDENTIAL", "BATCH", "MEMBER", "ISSUER", "VALIDITY"] as const;
export type DeciderName = (typeof DECIDER)[number];

/** The `terms` word of CredentialAnchored and BatchAnchored, unpacked (layout in ICredentialRegistry.sol). */
export interface AnchorTerms {
  /** The key that sent the anchor: the issuer's, the operator's, or the relayer of a signed request. */
  actor: string;
  schema: number;
  validFrom: number;
  validUntil: number;
  mode: AnchorModeName;
}

/** Packs anchoring terms as the registry's events carry them (the inverse of `decodeAnchorTerms`). */
export function encodeAnchorTerms({ actor, schema, validFrom, validUntil, mode }: AnchorTerms): bigint {
  return (
    BigInt(actor) |
    (BigInt(schema) << 160n) |
    (BigInt(validFrom) << 168n) |
    (BigInt(validUntil) << 208n) |
    (BigInt(ANCHOR_MODE.indexOf(mode)) << 248n)
  );
}

export function decodeAnchorTerms(terms: bigint): AnchorTerms {
  const bits = (from: number, width: number): bigint => (terms >> BigInt(from)) & ((1n << BigInt(width)) - 1n);
  return {
    actor: getAddress(`0x${bits(0, 160).toString(16).padStart(40, "0")}`),
    schema: Number(bits(160, 8)),
    validFrom: Number(bits(168, 40)),
    validUntil: Number(bits(208, 40)),
    mode: ANCHOR_MODE[Number(bits(248, 8))] ?? "ISSUER",
  };
}

/** Numeric values of the Solidity enums, for calls and event assertions. */
export const Status = Object.fromEntries(STATUS.map((n, i) => [n, i])) as Record<StatusName, number>;
export const IssuerStanding = Object.fromEntries(ISSUER_STANDING.map((n, i) => [n, i])) as Record<
  IssuerStandingName,
  number
>;
export const AnchorState = Object.fromEntries(ANCHOR_STATE.map((n, i) => [n, i])) as Record<AnchorStateName, number>;
export const AnchorMode = Object.fromEntries(ANCHOR_MODE.map((n, i) => [n, i])) as Record<AnchorModeName, number>;
export const Decider = Object.fromEntries(DECIDER.map((n, i) => [n, i])) as Record<DeciderName, number>;

/** RFC 5280 CRLReason codes accepted by the registry (7 is unused, 8 removeFromCRL is a reinstatement). */
export const REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type ReasonName = keyof typeof REASONS;

/** Reason codes back to their names. */
export const REASON_NAMES = new Map<number, string>(Object.entries(REASONS).map(([name, code]) => [code, name]));

/** A reason code's name, or "reason <code>" for a code without one. */
export function reasonName(code: number | string | undefined): string {
  return REASON_NAMES.get(Number(code)) ?? `reason ${code}`;
}

/** "SG" -> "0x5347", the bytes2 the registry stores; refuses anything but two upper-case letters. */
export function economyCode(iso: string): string {
  if (!/^[A-Z]{2}$/.test(iso)) {
    throw new CCRError("INVALID_ECONOMY_CODE", `"${iso}" is not an ISO 3166-1 alpha-2 code (two upper-case letters)`);
  }
  return hex(utf8Bytes(iso));
}

/** "0x5347" -> "SG"; the zero code gives "". */
export function economyIso(code: string): string {
  if (/^0x0{4}$/.test(code)) return "";
  return utf8Text(fromHex(code));
}

/** Schema ids -> the bitmap an accreditation takes. */
export function schemaBitmap(schemas: readonly number[]): bigint {
  let bitmap = 0n;
  for (const id of schemas) {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_SCHEMAS) {
      throw new CCRError("INVALID_SCHEMA_ID", `schema id ${id} is not an integer from 0 to ${MAX_SCHEMAS - 1}`);
    }
    bitmap |= 1n << BigInt(id);
  }
  return bitmap;
}

/** A schema bitmap -> the ids it holds, ascending. */
export function schemaIds(bitmap: bigint): number[] {
  const ids: number[] = [];
  for (let id = 0; id < MAX_SCHEMAS; id++) if ((bitmap >> BigInt(id)) & 1n) ids.push(id);
  return ids;
}
