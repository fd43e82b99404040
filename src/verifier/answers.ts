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
import type { Credential } from "../vc/credential.ts";
import { decodeSdJwt, isSdJwt } from "../vc/sdJwt.ts";
import {
  CLOCK_SKEW,
  verifySdJwtPresentation,
  type PresentationExpectation,
  type VerifiedPresentation,
} from "../vc/presentation.ts";
import type { ReadCredential } from "../vc/file.ts";
import type { VerificationResult, VerifyOptions } from "../vc/verify.ts";
import { ANSWER_ENCRYPTIONS, CREDENTIAL_QUERY_ID } from "./requests.ts";
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

/** The one SD-JWT VC presentation of a parsed answer, or why there is none. */
async function presentedToken(request: VerifierRequest, form: Record<string, unknown>): Promise<string> {
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
  const entries = presentations[CREDENTIAL_QUERY_ID] ?? [];
  const [token] = entries;
  if (entries.length !== 1 || typeof token !== "string") {
    throw new AnswerRefused("invalid_request", `the vp_token must hold one presentation for "${CREDENTIAL_QUERY_ID}"`);
  }
  if (!isSdJwt(token) || token.endsWith("~")) {
    throw new AnswerRefused(
      "vp_formats_not_supported",
      "the presentation is not an SD-JWT VC with a key binding JWT (dc+sd-jwt), which this request asks for",
    );
  }
  return token;
}

/** Refuses a presentation of another type than asked, or disclosing a claim that was not asked for or not one asked. */
function checkAsked(request: VerifierRequest, token: string): Credential {
  let credential, disclosed;
  try {
    ({ credential, disclosed } = decodeSdJwt(token));
  } catch (error) {
    throw new AnswerRefused("invalid_request", `the presentation is not an SD-JWT VC: ${(error as Error).message}`);
  }
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
  return credential;
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
  const token = await presentedToken(request, form);
  const credential = checkAsked(request, token);
  const maxAge = expected.maxAge ?? request.expiresAt - request.createdAt + CLOCK_SKEW;
  const expectation = { ...expected, audience: request.clientId, nonce: request.nonce, maxAge };
  const file = `request ${request.id}`;
  const verified = await verifySdJwtPresentation(file, token, undefined, expectation, options, verify);
  if (verified.presentation.outcome === "invalid") {
    throw new AnswerRefused("invalid_request", `the presentation is refused: ${verified.presentation.reason}`);
  }
  return { ...verified, credential };
}
