/**
 * IETF SD-JWT VC credentials (`typ: dc+sd-jwt`, issued with the `@sd-jwt` packages): the subject's fields are
 * selectively disclosable (a schema may keep some always disclosed with `alwaysDisclosed`), the issuer signs the
 * digests, and the value CCR anchors is the hash of the issuer-signed JWT alone, so that which disclosures travel
 * never changes it. A holder presents a subset with a key binding JWT (`kb+jwt`) for one verifier and one request.
 */
import { decodeSdJwtSync, getClaimsSync } from "@sd-jwt/decode";
import { SignatureChecker } from "#signature";
import { ES256KSigner } from "did-jwt";
import type { Resolvable, VerificationMethod } from "did-resolver";
import { getBytes, hexlify, randomBytes } from "ethers";
import { base64url, fromBase64urlText, sha256Bytes } from "../bytes.ts";
import { CCRError } from "../errors.ts";
import { holderKeyId } from "../holder.ts";
import { CCR_CONTEXT_V1, VC_CONTEXT_V2, toSeconds, type Credential } from "./model.ts";

/** The `typ` header of an SD-JWT VC (draft-ietf-oauth-sd-jwt-vc). */
export const SD_JWT_VC_TYP = "dc+sd-jwt";
/** The `typ` of a key binding JWT. */
export const KB_JWT_TYP = "kb+jwt";

/** Whether a compact token is an SD-JWT (issuer JWT, then `~`-separated disclosures). */
export const isSdJwt = (token: string): boolean => token.includes("~");

/** The issuer-signed JWT of an SD-JWT (the token itself for a plain JWS). */
export const issuerSigned = (token: string): string => token.split("~")[0] ?? token;

/** The `_sd_alg` CCR issues with, and the only one it accepts. */
const SD_ALG = "sha-256";

/** The SD-JWT hasher (SHA-256; Node's or the browser's through ethers). */
function digest(data: string | ArrayBuffer, alg: string = SD_ALG): Uint8Array {
  if (alg.toLowerCase() !== SD_ALG) {
    throw new CCRError("MALFORMED_CREDENTIAL", `the SD-JWT's digests use ${alg}; CCR checks ${SD_ALG} only`);
  }
  return sha256Bytes(typeof data === "string" ? data : new Uint8Array(data));
}

/** A disclosure's salt: `length` hex digits of fresh randomness (128 bits for the library's default 16 bytes). */
const generateSalt = (length: number): string => hexlify(randomBytes(length)).slice(2, 2 + 2 * length);

const hasher = { hasher: digest, alg: SD_ALG } as const;

/** What the issuer signs beside the disclosable fields. */
interface SdJwtVcClaims {
  iss: string;
  /** The credential type: the URI of its registered schema document. */
  vct: string;
  iat: number;
  nbf: number;
  exp?: number;
  jti?: string;
  /** The holder's DID, and the key a key binding JWT must be signed with. */
  sub?: string;
  cnf?: { kid?: string; jwk?: Record<string, unknown> };
  credentialSchema: Credential["credentialSchema"];
  credentialStatus: Credential["credentialStatus"];
  /** The credential type's name (after `VerifiableCredential` in the VC form). */
  ccr_type: string;
  [field: string]: unknown;
}

/** The SD-JWT VC library, loaded when an SD-JWT VC is first issued, not by every verifier (it brings ajv with it). */
let library: Promise<typeof import("@sd-jwt/sd-jwt-vc")> | undefined;
const sdJwtVc = (): Promise<typeof import("@sd-jwt/sd-jwt-vc")> => (library ??= import("@sd-jwt/sd-jwt-vc"));

/**
 * Issues `credential` (as `buildCredential` makes it) as an SD-JWT VC signed by `privateKey` (`kid`) with `alg`
 * (default ES256K): every subject field but the holder's id and the `alwaysDisclosed` ones is a disclosure.
 * `signer`, when given, makes the signature (base64url) of a signing input with that key instead of did-jwt's
 * ES256K signer (Node's issuer passes its own, see `jwsSigner`; ES256 needs one). The holder's key is bound by
 * `cnf.kid` (its DID's key), or by `cnf.jwk` when `holderJwk` is given (the key a wallet proved: its `did:jwk` is
 * the subject).
 */
export async function issueSdJwt(
  credential: Credential,
  privateKey: string,
  kid: string | undefined,
  alwaysDisclosed: readonly string[] = [],
  signer?: (data: string) => string,
  holderJwk?: Record<string, unknown>,
  alg: "ES256K" | "ES256" = "ES256K",
): Promise<string> {
  const { id: holder, ...fields } = credential.credentialSubject;
  const claims: SdJwtVcClaims = {
    ...fields,
    iss: credential.issuer,
    vct: credential.credentialSchema.id,
    ccr_type: credential.type.find((t) => t !== "VerifiableCredential") ?? "",
    iat: toSeconds(new Date()),
    nbf: toSeconds(new Date(credential.validFrom)),
    ...(credential.validUntil === undefined ? {} : { exp: toSeconds(new Date(credential.validUntil)) }),
    ...(credential.id === undefined ? {} : { jti: credential.id }),
    ...(typeof holder === "string"
      ? { sub: holder, cnf: holderJwk === undefined ? { kid: holderMethodId(holder) } : { jwk: holderJwk } }
      : {}),
    credentialSchema: credential.credentialSchema,
    credentialStatus: credential.credentialStatus,
  };
  if (alg !== "ES256K" && signer === undefined) throw new Error(`issueSdJwt needs a signer for ${alg}`);
  const sign = signer ?? ES256KSigner(getBytes(privateKey));
  const { SDJwtVcInstance } = await sdJwtVc();
  const instance = new SDJwtVcInstance({
    // ES256KSigner (not the recoverable variant) gives the base64url signature as a string.
    signer: async (data) => (await sign(data)) as string,
    signAlg: alg,
    hasher: digest,
    hashAlg: "sha-256",
    saltGenerator: generateSalt,
  });
  const disclosable = Object.keys(fields).filter((field) => !alwaysDisclosed.includes(field));
  return instance.issue(claims, { _sd: disclosable } as never, {
    header: { typ: SD_JWT_VC_TYP, alg, ...(kid === undefined ? {} : { kid }) },
  });
}

/** The verification method a holder's key binding names (`cnf.kid`): its DID's key, found without resolving. */
function holderMethodId(did: string): string {
  if (did.startsWith("did:key:")) return `${did}#${did.slice("did:key:".length)}`;
  if (did.startsWith("did:jwk:")) return `${did}#0`;
  return `${did}#controller`;
}

/** An SD-JWT read as a credential: its claims in the VC form, what was disclosed, and the issuer-signed part. */
export interface DecodedSdJwt {
  header: Record<string, unknown>;
  credential: Credential;
  /** The disclosed subject fields, by name, in the order they travel. */
  disclosed: string[];
  /** The key binding JWT, when the token ends with one. */
  keyBinding?: string;
  /** The key a key binding JWT must be signed with (`cnf.kid`), when the credential has a holder. */
  boundKey?: string;
}

/** The last tokens read, newest last: one answer's token is read by several checks (see `decodeSdJwt`). */
const recentlyRead = new Map<string, DecodedSdJwt>();
const RECENTLY_READ = 256;

/**
 * Reads an SD-JWT VC: every disclosure must be one whose digest the issuer signed (CCRError INVALID_SIGNATURE
 * otherwise: the token was altered), and its claims are returned in the shape of a CCR credential. A token read
 * moments ago (by another check of the same presentation) is not decoded and hashed again: its reading is copied.
 */
export function decodeSdJwt(token: string): DecodedSdJwt {
  const known = recentlyRead.get(token);
  if (known !== undefined) return copied(known);
  const read = readSdJwt(token);
  if (recentlyRead.size >= RECENTLY_READ) recentlyRead.delete(recentlyRead.keys().next().value ?? "");
  recentlyRead.set(token, copied(read));
  return read;
}

/** A reading's own copy, all the way down (it is plain JSON: objects, arrays and scalars). */
function copied<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copied) as T;
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) copy[key] = copied(inner);
  return copy as T;
}

function readSdJwt(token: string): DecodedSdJwt {
  let decoded;
  try {
    decoded = decodeSdJwtSync(token, digest);
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", "not an SD-JWT credential", { cause });
  }
  const { header, payload } = decoded.jwt;
  if (header.typ !== SD_JWT_VC_TYP) {
    throw new CCRError("MALFORMED_CREDENTIAL", `an SD-JWT VC has typ ${SD_JWT_VC_TYP}, not ${String(header.typ)}`);
  }
  const digests = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "_sd" && Array.isArray(inner)) inner.forEach((d) => digests.add(String(d)));
        else collect(inner);
      }
    }
  };
  collect(payload);
  const disclosed: string[] = [];
  for (const [i, disclosure] of decoded.disclosures.entries()) {
    const name = disclosure.key ?? "an array element";
    if (!digests.has(disclosure.digestSync({ hasher: digest, alg: hasher.alg }))) {
      throw new CCRError(
        "INVALID_SIGNATURE",
        `disclosure ${i + 1} (${name}) is not one the issuer signed: the credential was altered`,
      );
    }
    if (disclosure.key !== undefined) disclosed.push(disclosure.key);
  }
  const claims = getClaimsSync<SdJwtVcClaims>(payload, decoded.disclosures, digest);
  const { iss, vct, nbf, exp, jti, sub, cnf, credentialSchema, credentialStatus, ccr_type } = claims;
  const reserved = new Set([
    "iss",
    "vct",
    "iat",
    "nbf",
    "exp",
    "jti",
    "sub",
    "cnf",
    "credentialSchema",
    "credentialStatus",
    "ccr_type",
  ]);
  // Subject fields in a stable order: the always-disclosed ones as signed, then the disclosed ones in the order they
  // travel (the unpacked claims follow the digests' order, which the salts make random).
  const order = [...Object.keys(payload), ...disclosed].filter((key) => !reserved.has(key) && key in claims);
  const fields = Object.fromEntries([...new Set(order)].map((key) => [key, claims[key]]));
  if (typeof iss !== "string" || typeof vct !== "string" || typeof nbf !== "number" || credentialStatus === undefined) {
    throw new CCRError("MALFORMED_CREDENTIAL", "the SD-JWT VC has no iss, vct, nbf or credentialStatus");
  }
  const credential: Credential = {
    "@context": [VC_CONTEXT_V2, CCR_CONTEXT_V1],
    type: ["VerifiableCredential", ccr_type],
    ...(jti === undefined ? {} : { id: jti }),
    issuer: iss,
    validFrom: new Date(nbf * 1000).toISOString(),
    ...(exp === undefined ? {} : { validUntil: new Date(exp * 1000).toISOString() }),
    credentialSubject: { ...(sub === undefined ? {} : { id: sub }), ...fields },
    credentialSchema,
    credentialStatus,
  };
  const parts = token.split("~");
  const last = parts[parts.length - 1];
  return {
    header: { ...header },
    credential,
    disclosed,
    ...(last === undefined || last === "" ? {} : { keyBinding: last }),
    ...(typeof cnf?.kid === "string" ? { boundKey: cnf.kid } : {}),
  };
}

/** base64url(SHA-256) of an SD-JWT presented without its key binding JWT (the KB-JWT's `sd_hash`). */
const sdHash = (presented: string): string => base64url(sha256Bytes(presented));

/**
 * Keeps only the disclosures of `fields` (every one the token holds when `fields` is undefined), or refuses a
 * field the credential cannot disclose, naming the ones it can.
 */
export function selectDisclosures(file: string, token: string, fields: readonly string[] | undefined): string {
  const parts = token.split("~");
  const jwt = parts[0] ?? "";
  const disclosures = parts.slice(1).filter((p) => p !== "");
  if (fields === undefined) return `${jwt}~${disclosures.map((d) => `${d}~`).join("")}`;
  const named = disclosures.map((d) => {
    const decoded = JSON.parse(fromBase64urlText(d)) as unknown[];
    return { encoded: d, key: decoded.length === 3 ? String(decoded[1]) : undefined };
  });
  const disclosable = named.map((n) => n.key).filter((k) => k !== undefined);
  const unknown = fields.filter((f) => !disclosable.includes(f));
  if (unknown.length > 0) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `${file} cannot disclose ${unknown.map((f) => `"${f}"`).join(", ")}: its disclosable fields are ` +
        `${disclosable.join(", ") || "none"}; nothing was presented`,
    );
  }
  const kept = named.filter((n) => n.key !== undefined && fields.includes(n.key));
  return `${jwt}~${kept.map((n) => `${n.encoded}~`).join("")}`;
}

/**
 * Presents an SD-JWT VC: the chosen disclosures and a key binding JWT signed by the holder (`holderKey`, the key of
 * the credential's `sub`) for `audience` and `nonce`.
 */
export async function presentSdJwt(
  file: string,
  token: string,
  options: { holderKey: string; audience: string; nonce: string; disclose?: readonly string[] | undefined; now?: Date },
): Promise<string> {
  const { credential } = decodeSdJwt(token);
  const holder = credential.credentialSubject.id;
  if (typeof holder !== "string") {
    throw new CCRError(
      "INVALID_PRESENTATION",
      `${file} names no holder (sub): it is bound to nobody and cannot be presented with key binding`,
    );
  }
  const kid = holderKeyId(holder, options.holderKey);
  const presented = selectDisclosures(file, token, options.disclose);
  const header = base64url(JSON.stringify({ typ: KB_JWT_TYP, alg: "ES256K", kid }));
  const payload = base64url(
    JSON.stringify({
      iat: toSeconds(options.now ?? new Date()),
      aud: options.audience,
      nonce: options.nonce,
      sd_hash: sdHash(presented),
    }),
  );
  const signature = (await ES256KSigner(getBytes(options.holderKey))(`${header}.${payload}`)) as string;
  return `${presented}${header}.${payload}.${signature}`;
}

/** Checks key binding JWTs' signatures (in Node with OpenSSL and libsecp256k1, in a browser with did-jwt). */
const keyBindings = new SignatureChecker();

/** What a key binding JWT says once checked: the holder it was signed by, and when. */
export interface KeyBindingCheck {
  outcome: "valid" | "invalid" | "undecided";
  reason: string;
  holder?: string | undefined;
  issuedAt?: string | undefined;
  disclosed: string[];
}

/**
 * Checks the key binding of a presented SD-JWT VC: present, signed by the key the credential binds (`cnf.kid`, a
 * key of the holder's DID), for `audience` and `nonce`, at most `maxAge` seconds old, over exactly the disclosures
 * that travel (`sd_hash`). The credential itself is verified by `verifyReads`.
 */
export async function checkKeyBinding(
  token: string,
  expected: { resolver: Resolvable; audience: string; nonce: string; maxAge: number; now?: Date; skew: number },
): Promise<KeyBindingCheck> {
  const { credential, disclosed, keyBinding, boundKey } = decodeSdJwt(token);
  const holder = credential.credentialSubject.id;
  const result: KeyBindingCheck = {
    outcome: "valid",
    reason: "",
    holder: typeof holder === "string" ? holder : undefined,
    disclosed,
  };
  const refuse = (reason: string): KeyBindingCheck => ({ ...result, outcome: "invalid", reason });
  if (typeof holder !== "string") return refuse("the credential names no holder: nobody can bind it to this request");
  if (keyBinding === undefined) return refuse("no key binding JWT: the holder did not sign this presentation");
  const [h, p] = keyBinding.split(".");
  let header: { typ?: unknown; kid?: unknown };
  let payload: { iat?: unknown; aud?: unknown; nonce?: unknown; sd_hash?: unknown };
  try {
    header = JSON.parse(fromBase64urlText(h ?? "")) as typeof header;
    payload = JSON.parse(fromBase64urlText(p ?? "")) as typeof payload;
  } catch {
    return refuse("its key binding JWT is not a JWT");
  }
  if (header.typ !== KB_JWT_TYP) return refuse(`its key binding JWT has typ ${String(header.typ)}, not ${KB_JWT_TYP}`);
  if (payload.aud !== expected.audience) {
    return refuse(`made for ${String(payload.aud)}, not for ${expected.audience}`);
  }
  if (payload.nonce !== expected.nonce) {
    return refuse(
      `its nonce ${JSON.stringify(payload.nonce ?? null)} is not this request's ${JSON.stringify(expected.nonce)}: ` +
        `a replayed presentation, or one made for another request`,
    );
  }
  const now = toSeconds(expected.now ?? new Date());
  const iat = typeof payload.iat === "number" ? payload.iat : undefined;
  if (iat === undefined) return refuse("its key binding JWT has no issue time (iat)");
  result.issuedAt = new Date(iat * 1000).toISOString().replace(/\.000Z$/, "Z");
  if (now - iat > expected.maxAge + expected.skew) {
    return refuse(`made at ${result.issuedAt}, more than ${expected.maxAge} s ago: too old to be accepted`);
  }
  if (iat > now + expected.skew) return refuse(`made at ${result.issuedAt}, in the future`);
  const presented = token.slice(0, token.length - keyBinding.length);
  if (payload.sd_hash !== sdHash(presented)) {
    return refuse("its key binding JWT signs other disclosures than the ones presented (sd_hash): altered");
  }
  const resolved = await expected.resolver.resolve(holder);
  const { error, message } = resolved.didResolutionMetadata as { error?: string; message?: string };
  if (error !== undefined || resolved.didDocument === null) {
    return { ...result, outcome: "undecided", reason: `could not resolve the holder ${holder}: ${message ?? error}` };
  }
  const document = resolved.didDocument;
  const authentication = new Set((document.authentication ?? []).map((m) => (typeof m === "string" ? m : m.id)));
  const keys: VerificationMethod[] = (document.verificationMethod ?? []).filter((m) => authentication.has(m.id));
  // The key that signed it (the header's algorithm decides which keys may have), checked as issuers' signatures are.
  const signer = keys.find((key) => keyBindings.check(keyBinding, [key]));
  if (signer === undefined) return refuse(`its key binding JWT is not signed by the holder ${holder}`);
  if (boundKey !== undefined && signer.id !== boundKey) {
    return refuse(`its key binding JWT is signed by ${signer.id}, not by the key the credential binds (${boundKey})`);
  }
  result.reason = `presented by its holder ${holder} to ${expected.audience}, made ${result.issuedAt}`;
  return result;
}
