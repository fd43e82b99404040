/**
 * Verifiable Presentations (W3C VC 2.0 secured as a JWT, `typ: vp+jwt`): a holder presents credentials bound to its
 * DID to one verifier (`aud`) for one request (`nonce`), for a short time (`iat`, `exp`). Each credential travels as
 * an `EnvelopedVerifiableCredential` (`data:application/vc+jwt,<JWS>`) with, for batch members, the anchor it needs
 * (the Merkle proof), a CCR term.
 */
import { ES256KSigner, createJWT, decodeJWT, verifyJWT } from "did-jwt";
import type { Resolvable } from "did-resolver";
import { getBytes } from "ethers";
import { ethrDidAddress } from "../did.ts";
import { CCRError } from "../errors.ts";
import { holderKeyId } from "../holder.ts";
import { CCR_CONTEXT_V1, VC_CONTEXT_V2, decodeCredential } from "./credential.ts";
import type { AnchorInfo, ReadCredential } from "./file.ts";
import { checkKeyBinding, isSdJwt, presentSdJwt } from "./sdJwt.ts";
import { verifyReads, type VerificationResult, type VerifyOptions } from "./verify.ts";

/** The `typ` header of a presentation secured as a JWT (VC-JOSE-COSE). */
export const VP_JWT_TYP = "vp+jwt";
/** How long a presentation is valid by default, and the oldest a verifier accepts by default (seconds). */
export const PRESENTATION_LIFETIME = 300;
/** Clock difference tolerated between holder and verifier (seconds). */
export const CLOCK_SKEW = 60;

const ENVELOPE_PREFIX = "data:application/vc+jwt,";

interface EnvelopedCredential {
  "@context": string[];
  id: string;
  type: "EnvelopedVerifiableCredential";
  anchor?: AnchorInfo;
}

interface PresentationPayload {
  "@context": string[];
  type: string[];
  holder: string;
  verifiableCredential: EnvelopedCredential[];
  iss?: string;
  aud?: string | string[];
  nonce?: string;
  iat?: number;
  exp?: number;
}

export interface PresentationRequest {
  credentials: readonly ReadCredential[];
  /** The holder's secp256k1 private key: the key of the credentials' subject DID. */
  holderKey: string;
  /** The verifier the presentation is for. */
  audience: string;
  /** The verifier's challenge. */
  nonce: string;
  /** Seconds the presentation stays valid (default 300). */
  lifetime?: number;
  now?: Date;
}

/** The one holder of `credentials` (their subject's id), or a CCRError naming the file that has none or another. */
export function holderOf(credentials: readonly ReadCredential[]): string {
  let holder: { did: string; file: string } | undefined;
  for (const read of credentials) {
    const subject = decodeCredential(read.jws).credential.credentialSubject.id;
    if (typeof subject !== "string") {
      throw new CCRError(
        "INVALID_PRESENTATION",
        `${read.file} names no holder (credentialSubject.id): it is bound to nobody and cannot be presented`,
      );
    }
    if (holder === undefined) holder = { did: subject, file: read.file };
    else if (holder.did !== subject) {
      throw new CCRError(
        "INVALID_PRESENTATION",
        `${read.file} is bound to ${subject}, ${holder.file} to ${holder.did}: one presentation has one holder`,
      );
    }
  }
  if (holder === undefined) throw new CCRError("INVALID_PRESENTATION", "a presentation needs at least one credential");
  return holder.did;
}

/** Signs a presentation of `credentials` by their holder (`vp+jwt`, ES256K, `kid` the holder's key). */
export async function createPresentation(request: PresentationRequest): Promise<string> {
  const holder = holderOf(request.credentials);
  const kid = holderKeyId(holder, request.holderKey);
  const now = Math.floor((request.now ?? new Date()).getTime() / 1000);
  const payload: PresentationPayload = {
    "@context": [VC_CONTEXT_V2, CCR_CONTEXT_V1],
    type: ["VerifiablePresentation"],
    holder,
    verifiableCredential: request.credentials.map((read) => ({
      "@context": [VC_CONTEXT_V2, CCR_CONTEXT_V1],
      id: `${ENVELOPE_PREFIX}${read.jws}`,
      type: "EnvelopedVerifiableCredential",
      ...(read.anchor === undefined ? {} : { anchor: read.anchor }),
    })),
    aud: request.audience,
    nonce: request.nonce,
    iat: now,
    exp: now + (request.lifetime ?? PRESENTATION_LIFETIME),
  };
  // did-jwt types `typ` as "JWT" only; any value is accepted at run time.
  const header: Record<string, string> = { alg: "ES256K", typ: VP_JWT_TYP, kid };
  return createJWT({ ...payload }, { issuer: holder, signer: ES256KSigner(getBytes(request.holderKey)) }, header);
}

export interface PresentationExpectation {
  /** A resolver for every holder DID method (see `holderResolver`). */
  resolver: Resolvable;
  audience: string;
  nonce: string;
  /** The oldest presentation accepted, in seconds since it was made (default 300). */
  maxAge?: number;
  now?: Date;
}

export interface CheckedPresentation {
  outcome: "valid" | "invalid" | "undecided";
  reason: string;
  holder?: string | undefined;
  issuedAt?: string | undefined;
  expiresAt?: string | undefined;
  /** The credentials presented, named `<file>#<position from 1>`, for `verifyReads`. */
  credentials: ReadCredential[];
}

const iso = (seconds: number | undefined): string | undefined =>
  seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/** Reads the presentation's payload and credentials, or throws MALFORMED_CREDENTIAL saying what is wrong. */
function readPresentation(file: string, jwt: string): { payload: PresentationPayload; credentials: ReadCredential[] } {
  let decoded;
  try {
    decoded = decodeJWT(jwt);
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", `${file}: not a compact JWS presentation`, { cause });
  }
  const payload = decoded.payload as Partial<PresentationPayload>;
  const typ: unknown = decoded.header.typ;
  if (typ !== VP_JWT_TYP) {
    throw new CCRError("MALFORMED_CREDENTIAL", `${file}: typ ${String(typ)} is not ${VP_JWT_TYP}`);
  }
  if (
    !Array.isArray(payload["@context"]) ||
    payload["@context"][0] !== VC_CONTEXT_V2 ||
    !Array.isArray(payload.type) ||
    !payload.type.includes("VerifiablePresentation") ||
    typeof payload.holder !== "string" ||
    !Array.isArray(payload.verifiableCredential)
  ) {
    throw new CCRError(
      "MALFORMED_CREDENTIAL",
      `${file}: not a VC 2.0 VerifiablePresentation with a holder and verifiableCredential`,
    );
  }
  const credentials = payload.verifiableCredential.map((entry, i): ReadCredential => {
    const name = `${file}#${i + 1}`;
    const id = (entry as Partial<EnvelopedCredential> | null)?.id;
    if (entry?.type !== "EnvelopedVerifiableCredential" || typeof id !== "string" || !id.startsWith(ENVELOPE_PREFIX)) {
      throw new CCRError(
        "MALFORMED_CREDENTIAL",
        `${name}: not an EnvelopedVerifiableCredential with a ${ENVELOPE_PREFIX}<JWS> id`,
      );
    }
    return { file: name, jws: id.slice(ENVELOPE_PREFIX.length), anchor: entry.anchor };
  });
  return { payload: payload as PresentationPayload, credentials };
}

/**
 * The credentials a presentation carries (a `vp+jwt`, or the SD-JWT presentation file `ccr present` writes), as read
 * credentials named `<file>#<n>`, without checking anything; throws MALFORMED_CREDENTIAL.
 */
export function presentedCredentials(file: string, text: string): ReadCredential[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return readPresentation(file, trimmed).credentials;
  let wrapped: Partial<SdJwtPresentationFile>;
  try {
    wrapped = JSON.parse(trimmed) as Partial<SdJwtPresentationFile>;
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", `${file} is not valid JSON`, { cause });
  }
  if (typeof wrapped.presentation !== "string") {
    throw new CCRError("MALFORMED_CREDENTIAL", `${file} is not a presentation (${SD_JWT_PRESENTATION_FORMAT})`);
  }
  return [sdJwtPresented(file, wrapped.presentation, wrapped.anchor)];
}

/** The credential of an SD-JWT presentation: the token without its key binding JWT. */
function sdJwtPresented(file: string, token: string, anchor: AnchorInfo | undefined): ReadCredential {
  const keyBinding = token.split("~").pop() ?? "";
  return { file: `${file}#1`, jws: token.slice(0, token.length - keyBinding.length), anchor };
}

/**
 * Checks a presentation's own claims: that it is for `audience` and `nonce` (a replay carries another request's),
 * fresh (made at most `maxAge` seconds ago and not expired), signed by its holder's key (an `authentication` method
 * of the holder's DID), and that the holder is the subject of every credential it presents. The credentials
 * themselves are checked by `verifyReads`.
 */
export async function checkPresentation(
  file: string,
  jwt: string,
  expected: PresentationExpectation,
): Promise<CheckedPresentation> {
  const { payload, credentials } = readPresentation(file, jwt.trim());
  const result: CheckedPresentation = {
    outcome: "valid",
    reason: "",
    holder: payload.holder,
    issuedAt: iso(payload.iat),
    expiresAt: iso(payload.exp),
    credentials,
  };
  const refuse = (reason: string): CheckedPresentation => ({ ...result, outcome: "invalid", reason });
  const audiences = payload.aud === undefined ? [] : [payload.aud].flat();
  if (!audiences.includes(expected.audience)) {
    return refuse(
      `made for ${audiences.length === 0 ? "no audience" : audiences.join(", ")}, not for ${expected.audience}`,
    );
  }
  if (payload.nonce !== expected.nonce) {
    return refuse(
      `its nonce ${JSON.stringify(payload.nonce ?? null)} is not this request's ${JSON.stringify(expected.nonce)}: ` +
        `a replayed presentation, or one made for another request`,
    );
  }
  const now = Math.floor((expected.now ?? new Date()).getTime() / 1000);
  const maxAge = expected.maxAge ?? PRESENTATION_LIFETIME;
  if (payload.iat === undefined || payload.exp === undefined) {
    return refuse("it has no issue time (iat) or expiry (exp): its freshness cannot be told");
  }
  if (now > payload.exp + CLOCK_SKEW) return refuse(`expired at ${iso(payload.exp)}`);
  if (now - payload.iat > maxAge + CLOCK_SKEW) {
    return refuse(`made at ${iso(payload.iat)}, more than ${maxAge} s ago: too old to be accepted`);
  }
  if (payload.iat > now + CLOCK_SKEW) return refuse(`made at ${iso(payload.iat)}, in the future`);
  if (payload.iss !== payload.holder) {
    return refuse(`signed as ${String(payload.iss)}, not as its holder ${payload.holder}`);
  }
  try {
    await verifyJWT(jwt.trim(), {
      resolver: expected.resolver,
      audience: expected.audience,
      proofPurpose: "authentication",
      policies: { now, exp: false, iat: false, nbf: false },
    });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    // ethr-did-resolver reports a node it cannot reach as "notFound": no answer is not a "no".
    if (ethrDidAddress(payload.holder) !== undefined && /notFound|resolver_error/.test(reason)) {
      return { ...result, outcome: "undecided", reason: `could not resolve the holder ${payload.holder}: ${reason}` };
    }
    return refuse(`not signed by its holder ${payload.holder}: ${reason}`);
  }
  for (const read of credentials) {
    let subject: unknown;
    try {
      subject = decodeCredential(read.jws).credential.credentialSubject.id;
    } catch {
      continue; // a malformed credential is reported by its own verification
    }
    if (subject !== payload.holder) {
      return refuse(
        `${read.file} is bound to ${typeof subject === "string" ? subject : "no holder"}, not to the presenter ` +
          `${payload.holder}: the presenter is not its holder`,
      );
    }
  }
  result.reason =
    `presented by its holder ${payload.holder} to ${expected.audience}, made ${iso(payload.iat)}, ` +
    `expires ${iso(payload.exp)}`;
  return result;
}

/** The file `ccr present` writes for an SD-JWT VC: the SD-JWT+KB (standard) and the anchor CCR needs beside it. */
export const SD_JWT_PRESENTATION_FORMAT = "ccr-sd-jwt-presentation/1";

interface SdJwtPresentationFile {
  format: typeof SD_JWT_PRESENTATION_FORMAT;
  /** The SD-JWT VC with the chosen disclosures and the holder's key binding JWT. */
  presentation: string;
  anchor?: AnchorInfo | undefined;
}

/**
 * What `ccr present` writes: a `vp+jwt` of `credentials`, or, for one SD-JWT VC, its presentation with only the
 * `disclose` fields (all when undefined) and a key binding JWT, in a `ccr-sd-jwt-presentation/1` file.
 */
export async function presentCredentials(
  request: PresentationRequest & { disclose?: readonly string[] | undefined },
): Promise<{ text: string; holder: string }> {
  const sdJwts = request.credentials.filter((c) => isSdJwt(c.jws));
  if (sdJwts.length === 0) {
    if (request.disclose !== undefined) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `--disclose chooses the fields of SD-JWT credentials; ${request.credentials[0]?.file ?? "this"} is a ` +
          `vc+jwt credential, which discloses every field`,
      );
    }
    return { text: await createPresentation(request), holder: holderOf(request.credentials) };
  }
  const [only] = sdJwts;
  if (only === undefined || request.credentials.length !== 1) {
    throw new CCRError("INVALID_ARGUMENT", "SD-JWT credentials are presented one at a time: give one file");
  }
  const presentation = await presentSdJwt(only.file, only.jws, {
    holderKey: request.holderKey,
    audience: request.audience,
    nonce: request.nonce,
    disclose: request.disclose,
    ...(request.now === undefined ? {} : { now: request.now }),
  });
  const file: SdJwtPresentationFile = {
    format: SD_JWT_PRESENTATION_FORMAT,
    presentation,
    ...(only.anchor === undefined ? {} : { anchor: only.anchor }),
  };
  return { text: JSON.stringify(file, null, 2), holder: holderOf([only]) };
}

/** A presentation verified: its own checks (holder, audience, nonce, freshness), then each credential in it. */
export interface VerifiedPresentation {
  presentation: Omit<CheckedPresentation, "credentials"> & { file: string; disclosed?: string[] };
  credentials: VerificationResult[];
}

/**
 * Verifies a presentation file `ccr present` wrote (`vp+jwt`, or an SD-JWT VC with key binding), its credentials with
 * `verify` (`verifyReads` with `options`, unless a caller verifies many presentations' credentials together).
 */
export async function verifyPresentation(
  file: string,
  text: string,
  expected: PresentationExpectation,
  options: VerifyOptions,
  verify: (reads: ReadCredential[]) => Promise<VerificationResult[]> = (reads) => verifyReads(reads, options),
): Promise<VerifiedPresentation> {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) {
    const { credentials, ...presentation } = await checkPresentation(file, trimmed, expected);
    return { presentation: { file, ...presentation }, credentials: await verify(credentials) };
  }
  let wrapped: Partial<SdJwtPresentationFile>;
  try {
    wrapped = JSON.parse(trimmed) as Partial<SdJwtPresentationFile>;
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", `${file} is not valid JSON`, { cause });
  }
  if (wrapped.format !== SD_JWT_PRESENTATION_FORMAT || typeof wrapped.presentation !== "string") {
    throw new CCRError(
      "MALFORMED_CREDENTIAL",
      `${file} is not a presentation (${SD_JWT_PRESENTATION_FORMAT} or vp+jwt)`,
    );
  }
  return verifySdJwtPresentation(file, wrapped.presentation, wrapped.anchor, expected, options, verify);
}

/**
 * Verifies an SD-JWT VC presented with key binding (`token`, as a wallet sends it in a `vp_token`; `anchor` when the
 * holder has its batch proof): the key binding for `expected`, then the credential, with `verify` (`verifyReads`
 * with `options`, unless a caller verifies many presentations' credentials together).
 */
export async function verifySdJwtPresentation(
  file: string,
  token: string,
  anchor: AnchorInfo | undefined,
  expected: PresentationExpectation,
  options: VerifyOptions,
  verify: (reads: ReadCredential[]) => Promise<VerificationResult[]> = (reads) => verifyReads(reads, options),
): Promise<VerifiedPresentation> {
  let bound;
  try {
    bound = await checkKeyBinding(token, {
      resolver: expected.resolver,
      audience: expected.audience,
      nonce: expected.nonce,
      maxAge: expected.maxAge ?? PRESENTATION_LIFETIME,
      skew: CLOCK_SKEW,
      ...(expected.now === undefined ? {} : { now: expected.now }),
    });
  } catch (error) {
    if (!(error instanceof CCRError) || error.code !== "INVALID_SIGNATURE") throw error;
    bound = { outcome: "invalid" as const, reason: error.message, disclosed: [] };
  }
  const { outcome, reason, holder, issuedAt, disclosed } = bound;
  return {
    presentation: { file, outcome, reason, holder, issuedAt, disclosed },
    credentials: await verify([sdJwtPresented(file, token, anchor)]),
  };
}
