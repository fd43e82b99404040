/**
 * A wallet's answer to a request (`direct_post`): its structure checked against the request by
 * `@openid4vc/openid4vp` (the `vp_token` of the DCQL query), then what CCR checks of the one SD-JWT VC it carries:
 * the type asked for, only the claims asked for, the key binding (this request's nonce, the verifier's client id as
 * audience, signed by the key the credential binds, over exactly these disclosures), then the credential as
 * `ccr verify` checks it (signature, anchor, status, validity, accreditation, recognition).
 */
import type { Jwk } from "@openid4vc/oauth2";
import { parseOpenid4vpAuthorizationResponse } from "@openid4vc/openid4vp";
import { compactDecrypt, importJWK, type JWK } from "jose";
import { decodeCredential, type Credential } from "../vc/credential.ts";
import { decodeSdJwt, isSdJwt } from "../vc/sdJwt.ts";
import {
  CLOCK_SKEW,
  presentedCredentials,
  verifyPresentation,
  verifySdJwtPresentation,
  type PresentationExpectation,
  type VerifiedPresentation,
} from "../vc/presentation.ts";
import type { ReadCredential } from "../vc/file.ts";
import type { VerificationResult, VerifyOptions } from "../vc/verify.ts";
import { ANSWER_ENCRYPTIONS, CREDENTIAL_QUERY_ID, VC_QUERY_ID } from "./requests.ts";
import type { VerifierRequest } from "./store.ts";

/** An answer refused: the OpenID4VP error code and the sentence saying why. */
export class AnswerRefused extends Error {
  constructor(
    readonly error: "invalid_request" | "vp_formats_not_supported",
    description: string,
  ) {
    super(description);
  }
}

/**
 * An encrypted answer (`direct_post.jwt`: a JWE, ECDH-ES with A128GCM or A256GCM) opened with the request's own key;
 * refused for a request that asked for a plain answer, or one encrypted to another key.
 */
async function decrypted(request: VerifierRequest, jwe: string) {
  if (request.decryptionKey === undefined) throw new Error("this request asks for a plain answer (direct_post)");
  const privateJwk = JSON.parse(request.decryptionKey) as JWK & { kid?: string };
  const decryptionJwk = { ...privateJwk };
  delete decryptionJwk.d;
  const key = await importJWK(privateJwk, "ECDH-ES");
  const { plaintext } = await compactDecrypt(jwe, key, {
    keyManagementAlgorithms: ["ECDH-ES"],
    contentEncryptionAlgorithms: ANSWER_ENCRYPTIONS,
  }).catch((cause: unknown) => {
    throw new Error(`the encrypted answer cannot be opened with this request's key (${(cause as Error).message})`);
  });
  return {
    decrypted: true as const,
    decryptionJwk: decryptionJwk as Jwk,
    payload: new TextDecoder().decode(plaintext),
  };
}

/** Whether the request's query takes a vp+jwt too (it asks for every field of its type: see `dcqlQuery`). */
function offersVcJwt(request: VerifierRequest): boolean {
  const { dcql_query } = JSON.parse(request.payload) as { dcql_query?: { credentials?: { id?: string }[] } };
  return (dcql_query?.credentials ?? []).some((query) => query.id === VC_QUERY_ID);
}

/** A presentation in an answer: an SD-JWT VC with key binding, or a vp+jwt (W3C, `jwt_vc_json` credentials). */
type Presented = { format: "dc+sd-jwt" | "jwt_vc_json"; token: string };

/** The one presentation of a parsed answer, in a format the request asks for, or why there is none. */
async function presentedToken(request: VerifierRequest, form: Record<string, unknown>): Promise<Presented> {
  let presentations: Record<string, unknown[]>;
  try {
    const parsed = await parseOpenid4vpAuthorizationResponse({
      authorizationResponse: form,
      authorizationRequestPayload: JSON.parse(request.payload) as never,
      callbacks: {
        decryptJwe: (jwe) => decrypted(request, jwe),
        verifyJwt: () => Promise.reject(new Error("this request asks for no signed answer")),
      },
    });
    if (parsed.type !== "dcql") throw new Error("the answer is not to a DCQL query");
    presentations = parsed.dcql.presentations;
  } catch (error) {
    throw new AnswerRefused("invalid_request", `the answer is not one to this request: ${(error as Error).message}`);
  }
  const vcJwt = offersVcJwt(request);
  const asked = vcJwt ? `"${CREDENTIAL_QUERY_ID}" or "${VC_QUERY_ID}"` : `"${CREDENTIAL_QUERY_ID}"`;
  const queries = Object.keys(presentations);
  const [id] = queries;
  const entries = id === undefined ? [] : (presentations[id] ?? []);
  const [token] = entries;
  if (id !== undefined && id !== CREDENTIAL_QUERY_ID && !(vcJwt && id === VC_QUERY_ID)) {
    throw new AnswerRefused("invalid_request", `the vp_token answers "${id}", not this request's query (${asked})`);
  }
  if (queries.length !== 1 || entries.length !== 1 || typeof token !== "string") {
    throw new AnswerRefused("invalid_request", `the vp_token must hold one presentation, for ${asked}`);
  }
  if (id === CREDENTIAL_QUERY_ID && isSdJwt(token) && !token.endsWith("~")) return { format: "dc+sd-jwt", token };
  if (id === VC_QUERY_ID && !isSdJwt(token)) return { format: "jwt_vc_json", token };
  throw new AnswerRefused(
    "vp_formats_not_supported",
    !vcJwt
      ? "the presentation is not an SD-JWT VC with a key binding JWT (dc+sd-jwt), which this request asks for"
      : `the presentation is neither an SD-JWT VC with a key binding JWT for "${CREDENTIAL_QUERY_ID}" nor a vp+jwt ` +
          `for "${VC_QUERY_ID}", which this request asks for`,
  );
}

/** The credential an answer presents, with the claims it discloses (every subject field, for a vp+jwt). */
function presented(answer: Presented, file: string): { credential: Credential; disclosed: string[] } {
  try {
    if (answer.format === "dc+sd-jwt") return decodeSdJwt(answer.token);
    const reads = presentedCredentials(file, answer.token);
    const [read] = reads;
    if (read === undefined || reads.length !== 1) throw new Error("it must carry one credential");
    const { credential } = decodeCredential(read.jws);
    return { credential, disclosed: Object.keys(credential.credentialSubject).filter((k) => k !== "id") };
  } catch (error) {
    const what = answer.format === "dc+sd-jwt" ? "an SD-JWT VC" : "a vp+jwt of one credential";
    throw new AnswerRefused("invalid_request", `the presentation is not ${what}: ${(error as Error).message}`);
  }
}

/** Refuses a presentation of another type than asked, or disclosing a claim that was not asked for or not one asked. */
function checkAsked(request: VerifierRequest, credential: Credential, disclosed: readonly string[]): void {
  const vct = credential.credentialSchema.id;
  if (vct !== request.vct) {
    throw new AnswerRefused("invalid_request", `the credential is of type ${vct}, not ${request.vct} as asked`);
  }
  const extra = disclosed.filter((claim) => !request.claims.includes(claim));
  if (extra.length > 0) {
    throw new AnswerRefused(
      "invalid_request",
      `the presentation discloses ${extra.join(", ")}, which was not asked for (asked: ${request.claims.join(", ")})`,
    );
  }
  const missing = request.claims.filter((claim) => !(claim in credential.credentialSubject));
  if (missing.length > 0) {
    throw new AnswerRefused(
      "invalid_request",
      `the presentation does not disclose ${missing.join(", ")}, which was asked`,
    );
  }
}

/**
 * The verdict of an answer: the presentation's own checks and the credential's, and the credential as presented (its
 * disclosed claims only); refused answers throw.
 */
export async function checkAnswer(
  request: VerifierRequest,
  form: Record<string, unknown>,
  expected: Omit<PresentationExpectation, "audience" | "nonce">,
  options: VerifyOptions,
  verify?: (reads: ReadCredential[]) => Promise<VerificationResult[]>,
): Promise<VerifiedPresentation & { credential: Credential }> {
  const answer = await presentedToken(request, form);
  const file = `request ${request.id}`;
  const { credential, disclosed } = presented(answer, file);
  checkAsked(request, credential, disclosed);
  const maxAge = expected.maxAge ?? request.expiresAt - request.createdAt + CLOCK_SKEW;
  const expectation = { ...expected, audience: request.clientId, nonce: request.nonce, maxAge };
  const verified =
    answer.format === "dc+sd-jwt"
      ? await verifySdJwtPresentation(file, answer.token, undefined, expectation, options, verify)
      : await verifyPresentation(file, answer.token, expectation, options, verify);
  if (verified.presentation.outcome === "invalid") {
    throw new AnswerRefused("invalid_request", `the presentation is refused: ${verified.presentation.reason}`);
  }
  return { ...verified, credential };
}
