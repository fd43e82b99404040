/**
 * The OpenID4VCI 1.0 endpoints of the issuer service, apart from HTTP (`app.ts` serves them): token (pre-authorized
 * code, with its PIN), nonce, credential, deferred credential, notification, and the batch proofs verifiers fetch.
 * Requests are parsed and proofs verified with `@openid4vc/openid4vci` and `@openid4vc/oauth2`; what those leave to
 * their user is done here: single-use, expiring nonces and codes, the proof's age, one key per credential, one
 * issuance per offer. Every refusal is the specification's error code with a sentence, and nothing is issued on any.
 */
import { randomBytes } from "node:crypto";
import { Oauth2AuthorizationServer, Oauth2ServerErrorResponseError, decodeJwt, type Jwk } from "@openid4vc/oauth2";
import { buildBatch } from "../batch.ts";
import type { ServiceAnchorer } from "./anchorer.ts";
import type { BatchLanes } from "./batches.ts";
import { provisionDevice } from "./devices.ts";
import { issuerCallbacks, jwkThumbprint, keyProblem, unsupported } from "./jwt.ts";
import { BATCH_SIZE, libraryIssuer, type Configuration, type ServiceMetadata } from "./metadata.ts";
import { batchUrl, signForHolder, type ServiceSigner } from "./sign.ts";
import { secretDigest, type IssuerStore, type JournalledCredential, type OfferRecord } from "./store.ts";

/** An HTTP answer: its status, its JSON body (none for 204) and extra headers. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ServiceOptions {
  metadata: ServiceMetadata;
  store: IssuerStore;
  lanes: BatchLanes;
  /** Whether credentials handed out now would be anchored in time (the service's `ServiceAnchorer`). */
  anchorer: Pick<ServiceAnchorer, "keepingUp">;
  signer: ServiceSigner;
  /** Seconds since the epoch (tests set the clock). */
  now?: () => number;
  /** Seconds an access token, a nonce and a proof live; seconds of clock difference allowed; wrong PINs allowed. */
  tokenLifetime?: number;
  nonceLifetime?: number;
  proofMaxAge?: number;
  skew?: number;
  maxPinFailures?: number;
}

const NO_STORE = { "cache-control": "no-store" };

/** The specification's error answer: `error` with a sentence, HTTP 400 unless said. */
const refuse = (error: string, description: string, status = 400, extra: Record<string, unknown> = {}): Answer => ({
  status,
  body: { error, error_description: description, ...extra },
  headers: NO_STORE,
});

const issuedAlready = (): Answer =>
  refuse("credential_request_denied", "the offer's credential was issued already: an offer gives it once");

/** A refusal thrown inside a handler: answered as it is. */
class Refusal extends Error {
  readonly answer: Answer;
  constructor(answer: Answer) {
    super(String((answer.body as { error_description?: string }).error_description));
    this.answer = answer;
  }
}

/** The library's own refusal (`Oauth2ServerErrorResponseError`) as an answer; anything else rethrown. */
function libraryRefusal(error: unknown, fallback: string): Answer {
  if (error instanceof Oauth2ServerErrorResponseError) {
    const { error: code, error_description: description } = error.errorResponse;
    return refuse(code, description ?? error.message, error.status >= 400 ? error.status : 400);
  }
  if (error instanceof Error && error.name === "ValidationError") return refuse(fallback, error.message);
  throw error;
}

export class IssuerService {
  readonly #o: ServiceOptions;
  readonly #types: Map<number, Configuration["type"]>;

  constructor(options: ServiceOptions) {
    this.#o = options;
    this.#types = new Map([...options.metadata.configurations.values()].map((c) => [c.type.id, c.type]));
  }

  #now(): number {
    return (this.#o.now ?? (() => Math.floor(Date.now() / 1000)))();
  }

  /** The token endpoint: a pre-authorized code (and its PIN) for an access token, once. */
  async token(form: Record<string, unknown>, url: string, headers: Headers): Promise<Answer> {
    if (form.grant_type === "client_credentials") return this.#deviceToken(headers);
    let grant;
    try {
      grant = new Oauth2AuthorizationServer({
        callbacks: { ...issuerCallbacks, signJwt: unsupported, clientAuthentication: () => undefined },
      }).parseAccessTokenRequest({ accessTokenRequest: form, request: { method: "POST", url, headers } }).grant;
    } catch (error) {
      return libraryRefusal(error, "invalid_request");
    }
    if (grant.grantType !== "urn:ietf:params:oauth:grant-type:pre-authorized_code") {
      return refuse("unsupported_grant_type", `this issuer grants tokens for pre-authorized codes only`);
    }
    const token = this.#newToken();
    const redeemed = await this.#o.store.redeem(
      secretDigest(grant.preAuthorizedCode),
      grant.txCode === undefined ? undefined : secretDigest(grant.txCode),
      this.#now(),
      this.#o.maxPinFailures ?? 5,
      token.stored,
    );
    if ("error" in redeemed) return refuse(redeemed.error, redeemed.reason);
    return token.answer;
  }

  /** A new access token: what the store keeps of it (its digest and expiry), and the token endpoint's answer. */
  #newToken(): { stored: { digest: string; expiresAt: number }; answer: Answer } {
    const token = randomBytes(32).toString("base64url");
    const lifetime = this.#o.tokenLifetime ?? 600;
    return {
      stored: { digest: secretDigest(token), expiresAt: this.#now() + lifetime },
      answer: {
        status: 200,
        // RFC 6749 §7.1: the type is case-insensitive; some wallets accept only the lower case.
        body: { access_token: token, token_type: "bearer", expires_in: lifetime },
        headers: NO_STORE,
      },
    };
  }

  /** The token endpoint for a device: its maker's attestation of its key for an access token (`devices.ts`). */
  async #deviceToken(headers: Headers): Promise<Answer> {
    const token = this.#newToken();
    const provisioned = await provisionDevice(
      this.#o.store,
      this.#types,
      this.#o.metadata.endpoints.credentialIssuer,
      {
        attestation: headers.get("oauth-client-attestation") ?? undefined,
        pop: headers.get("oauth-client-attestation-pop") ?? undefined,
      },
      this.#now(),
      token.stored,
    );
    if ("error" in provisioned) {
      return refuse(provisioned.error, provisioned.reason, provisioned.error === "invalid_client" ? 401 : 400);
    }
    return token.answer;
  }

  /** The nonce endpoint: a fresh `c_nonce`, usable once. */
  async nonce(): Promise<Answer> {
    const lifetime = this.#o.nonceLifetime ?? 300;
    return { status: 200, body: await this.#freshNonce(lifetime), headers: NO_STORE };
  }

  async #freshNonce(lifetime = this.#o.nonceLifetime ?? 300): Promise<{ c_nonce: string; c_nonce_expires_in: number }> {
    const nonce = randomBytes(24).toString("base64url");
    await this.#o.store.addNonce(secretDigest(nonce), this.#now() + lifetime);
    return { c_nonce: nonce, c_nonce_expires_in: lifetime };
  }

  /** The offer an `Authorization: Bearer` header's token was given for, or the refusal. */
  async #offerOf(authorization: string | undefined): Promise<OfferRecord> {
    const match = /^bearer\s+(\S+)$/i.exec(authorization ?? "");
    const unauthorized = (description: string): Refusal =>
      new Refusal({
        ...refuse("invalid_token", description, 401),
        headers: { ...NO_STORE, "www-authenticate": `Bearer error="invalid_token"` },
      });
    if (match?.[1] === undefined) throw unauthorized("an access token is needed (Authorization: Bearer …)");
    const offer = await this.#o.store.tokenOffer(secretDigest(match[1]), this.#now());
    if (offer === undefined) throw unauthorized("the access token is unknown or expired");
    return offer;
  }

  /** The credential endpoint. */
  async credential(authorization: string | undefined, body: unknown): Promise<Answer> {
    try {
      return await this.#credential(await this.#offerOf(authorization), body);
    } catch (error) {
      if (error instanceof Refusal) return error.answer;
      throw error;
    }
  }

  async #credential(offer: OfferRecord, body: unknown): Promise<Answer> {
    const { metadata } = this.#o;
    const asked = (body as { credential_configuration_id?: unknown } | undefined)?.credential_configuration_id;
    if (typeof asked === "string" && !metadata.configurations.has(asked)) {
      return refuse(
        "unknown_credential_configuration",
        `this issuer has no credential configuration "${asked}"; it has ${[...metadata.configurations.keys()].join(", ")}`,
      );
    }
    let parsed;
    try {
      parsed = libraryIssuer().parseCredentialRequest({
        issuerMetadata: metadata.result,
        credentialRequest: (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>,
      });
    } catch (error) {
      return libraryRefusal(error, "invalid_credential_request");
    }
    const id = parsed.credentialConfigurationId;
    const configuration = id === undefined ? undefined : metadata.configurations.get(id);
    if (configuration === undefined) {
      return refuse(
        parsed.credentialIdentifier === undefined
          ? "unknown_credential_configuration"
          : "unknown_credential_identifier",
        `ask for one of this issuer's credential_configuration_id values: ${[...metadata.configurations.keys()].join(", ")}`,
      );
    }
    if (configuration.type.id !== offer.schemaId) {
      return refuse(
        "invalid_credential_request",
        `the offer is for ${this.#types.get(offer.schemaId)?.vcType ?? `schema ${offer.schemaId}`} credentials, not ${configuration.type.vcType}`,
      );
    }
    const device = offer.keyThumbprint !== undefined;
    const issued = offer.state === "issued" || (await this.#o.store.issuedFor(offer.id)) > 0;
    if (issued && !device) return issuedAlready();
    const keys = await this.#provenKeys(parsed.proofs?.jwt);
    if (device && (keys.length !== 1 || jwkThumbprint(keys[0]) !== offer.keyThumbprint)) {
      return refuse(
        "invalid_proof",
        "a device's credential is bound to the key its maker attested: one proof, signed by that key",
        400,
        await this.#freshNonce(),
      );
    }
    return issued ? this.#handedAgain(offer) : this.#issue(offer, configuration, keys);
  }

  /** A device's credential again, to the device that proved its key: the one journalled, never a second one. */
  async #handedAgain(offer: OfferRecord): Promise<Answer> {
    const credentials = await this.#o.store.credentialsOf(offer.id);
    return {
      status: 200,
      body: { credentials: credentials.map((c) => ({ credential: c.credential })), notification_id: offer.id },
      headers: NO_STORE,
    };
  }

  /**
   * The keys the request's proofs prove (`openid4vci-proof+jwt`: signature, audience, age, a fresh nonce of this
   * issuer's, taken once for the request, a key type CCR binds, a different key for each copy).
   */
  async #provenKeys(proofs: string[] | undefined): Promise<Jwk[]> {
    const invalidProof = async (description: string): Promise<Refusal> =>
      new Refusal(refuse("invalid_proof", description, 400, await this.#freshNonce()));
    if (proofs === undefined || proofs.length === 0) {
      throw await invalidProof("the request has no jwt proof of possession of the holder's key");
    }
    if (proofs.length > BATCH_SIZE) {
      throw new Refusal(
        refuse("invalid_credential_request", `${proofs.length} proofs: at most ${BATCH_SIZE} copies per request`),
      );
    }
    const nonces = new Set(proofs.map((jwt) => nonceOf(jwt)));
    const [nonce] = [...nonces];
    if (nonces.size !== 1 || nonce === undefined) {
      throw await invalidProof("every proof must carry the same c_nonce, from this issuer's nonce endpoint");
    }
    if (!(await this.#o.store.takeNonce(secretDigest(nonce), this.#now()))) {
      throw new Refusal(
        refuse(
          "invalid_nonce",
          "the proof's nonce is not a fresh c_nonce of this issuer (unknown, used or expired): get a new one",
          400,
          await this.#freshNonce(),
        ),
      );
    }
    const keys: Jwk[] = [];
    for (const [k, jwt] of proofs.entries()) {
      const key = await this.#provenKey(jwt, nonce, invalidProof);
      if (keys.some((other) => other.x === key.x && other.y === key.y)) {
        throw await invalidProof(`proof ${k + 1} proves the same key as an earlier one: each copy needs its own key`);
      }
      keys.push(key);
    }
    return keys;
  }

  async #provenKey(jwt: string, nonce: string, invalidProof: (d: string) => Promise<Refusal>): Promise<Jwk> {
    const now = this.#now();
    let verified;
    try {
      verified = await libraryIssuer().verifyCredentialRequestJwtProof({
        issuerMetadata: this.#o.metadata.result,
        jwt,
        expectedNonce: nonce,
        now: new Date(now * 1000),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw await invalidProof(`the proof does not hold: ${reason}`);
    }
    const { header, payload, signer } = verified;
    const problem = keyProblem(header.alg, signer.publicJwk);
    if (problem !== undefined) throw await invalidProof(problem);
    const skew = this.#o.skew ?? 60;
    const maxAge = this.#o.proofMaxAge ?? 300;
    if (payload.iat > now + skew) throw await invalidProof(`the proof was made in the future (iat ${payload.iat})`);
    if (now - payload.iat > maxAge + skew) {
      throw await invalidProof(`the proof was made ${now - payload.iat} s ago; at most ${maxAge} s are accepted`);
    }
    return signer.publicJwk;
  }

  /** Signs one credential per key in a batch, journals them, and hands them out or defers them. */
  async #issue(offer: OfferRecord, configuration: Configuration, keys: Jwk[]): Promise<Answer> {
    const { metadata, lanes, anchorer, signer } = this.#o;
    const subject = offer.subject;
    const check = { id: "did:jwk:placeholder", ...subject };
    if (!configuration.type.validate(check)) {
      return refuse("credential_request_denied", "the offer's subject no longer fits its credential type");
    }
    const now = this.#now();
    // Deferred (the wallet asks again after the batch window) while the anchoring could not keep the bound.
    const deferred = !anchorer.keepingUp();
    const transactionId = deferred ? randomBytes(16).toString("base64url") : undefined;
    const placed = await lanes.place(
      offer.schemaId,
      keys.length,
      now,
      (slots) =>
        Promise.all(
          slots.map(async (slot, k): Promise<JournalledCredential> => {
            const key = keys[k];
            const issuer = metadata.endpoints.credentialIssuer;
            const made = await signForHolder(signer, issuer, configuration, subject, key, slot);
            return {
              ...made,
              batchId: slot.batch.id,
              index: slot.index,
              offerId: offer.id,
              format: configuration.format,
              transactionId,
              issuedAt: now,
            };
          }),
        ),
      offer.id,
    );
    if (placed === undefined) return offer.keyThumbprint === undefined ? issuedAlready() : this.#handedAgain(offer);
    if (transactionId !== undefined) {
      const interval = lanes.policy.window;
      return { status: 202, body: { transaction_id: transactionId, interval }, headers: NO_STORE };
    }
    return {
      status: 200,
      body: { credentials: placed.map((c) => ({ credential: c.credential })), notification_id: offer.id },
      headers: NO_STORE,
    };
  }

  /** The deferred credential endpoint: the credentials once their batch is anchored, else "wait `interval` s". */
  async deferredCredential(authorization: string | undefined, body: unknown): Promise<Answer> {
    try {
      const offer = await this.#offerOf(authorization);
      const transactionId = (body as { transaction_id?: unknown } | null)?.transaction_id;
      if (typeof transactionId !== "string") return refuse("invalid_credential_request", "transaction_id is missing");
      const found = await this.#o.store.deferred(transactionId);
      if (found === undefined || found.credentials[0]?.offerId !== offer.id) {
        return refuse("invalid_transaction_id", "no deferred issuance of this access token has this transaction_id");
      }
      if (found.batch.anchoredAt === undefined) {
        return {
          status: 202,
          body: { transaction_id: transactionId, interval: this.#o.lanes.policy.window },
          headers: NO_STORE,
        };
      }
      // Without notification_id, which 1.0 allows here: @openid4vc/openid4vci 0.4.6 refuses a deferred response that
      // has both (its check is inverted), and its wallets are many.
      return {
        status: 200,
        body: { credentials: found.credentials.map((c) => ({ credential: c.credential })) },
        headers: NO_STORE,
      };
    } catch (error) {
      if (error instanceof Refusal) return error.answer;
      throw error;
    }
  }

  /** The notification endpoint: what the wallet did with its credentials. */
  async notification(authorization: string | undefined, body: unknown): Promise<Answer> {
    try {
      const offer = await this.#offerOf(authorization);
      const { notification_id: id, event } = (body ?? {}) as { notification_id?: unknown; event?: unknown };
      const events = ["credential_accepted", "credential_failure", "credential_deleted"];
      if (typeof event !== "string" || !events.includes(event)) {
        return refuse("invalid_notification_request", `event must be one of ${events.join(", ")}`);
      }
      if (id !== offer.id || !(await this.#o.store.notify(offer.id, event, this.#now()))) {
        return refuse("invalid_notification_id", "no credential of this access token has this notification_id");
      }
      return { status: 204 };
    } catch (error) {
      if (error instanceof Refusal) return error.answer;
      throw error;
    }
  }

  /** A batch member's Merkle proof, once its batch is anchored: what a verifier of a wallet's credential needs. */
  async batchMember(batchId: string, index: number): Promise<Answer> {
    const batch = await this.#o.store.batch(batchId);
    if (batch === undefined)
      return { status: 404, body: { error: "not_found", error_description: `no batch ${batchId}` } };
    if (batch.anchoredAt === undefined || batch.root === undefined) {
      return {
        status: 409,
        body: { error: "not_anchored", error_description: `batch ${batchId} is not anchored yet` },
      };
    }
    const hashes = await this.#o.store.memberHashes(batchId);
    if (!Number.isSafeInteger(index) || index < 0 || index >= hashes.length) {
      return {
        status: 404,
        body: { error: "not_found", error_description: `batch ${batchId} has no member ${index}` },
      };
    }
    const built = buildBatch(hashes);
    return {
      status: 200,
      body: {
        batch: batchUrl(this.#o.metadata.endpoints.credentialIssuer, batchId),
        hash: hashes[index],
        chainId: this.#o.signer.chainId,
        registry: this.#o.signer.registry,
        transaction: batch.transaction,
        root: built.root,
        index,
        size: hashes.length,
        proof: built.proof(index),
      },
    };
  }
}

/** The `nonce` claim of a proof JWT, when it has one. */
function nonceOf(jwt: string): string | undefined {
  try {
    const { payload } = decodeJwt({ jwt });
    return typeof payload.nonce === "string" ? payload.nonce : undefined;
  } catch {
    return undefined;
  }
}
