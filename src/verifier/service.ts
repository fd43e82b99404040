/**
 * The OpenID4VP verifier: makes requests (kept in its store), serves their request objects, takes each one's first
 * answer and records its verdict, which only the official who made the request can read (with the request's result
 * key, never in the QR code).
 */
import { randomBytes } from "node:crypto";
import type { Resolvable } from "did-resolver";
import { holderResolver } from "../holder.ts";
import { ethrDidResolver } from "../did.ts";
import { NameBook } from "../names.ts";
import type { RegistryConnection } from "../registry.ts";
import type { SchemaSources } from "../schemaResolver.ts";
import { ChainCache } from "../server/chainCache.ts";
import { credentialType, type CredentialType } from "../vc/credentialType.ts";
import type { Credential } from "../vc/credential.ts";
import type { VerifiedPresentation } from "../vc/presentation.ts";
import { secretDigest } from "../wallet/store.ts";
import { VerifyCache, verifyReads, type VerifyOptions } from "../vc/verify.ts";
import { AnswerRefused, checkAnswer } from "./answers.ts";
import { ReadGroups } from "./groups.ts";
import { REQUEST_LIFETIME, askedClaims, newRequest, type VerifierIdentity } from "./requests.ts";
import type { VerifierRequest, VerifierStore } from "./store.ts";

/** An HTTP answer: status and JSON body. */
export interface VerifierAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** What the official reads: the request's state, and once answered, the verdict or why the answer was refused. */
export type RequestResult =
  | { state: "open"; expiresAt: string }
  | { state: "expired" }
  | {
      state: "answered";
      outcome: "valid" | "invalid" | "undecided";
      /** Why the answer was refused (the sentence the wallet was given), when it was. */
      refused?: string;
      verified?: VerifiedPresentation;
      /** The credential as presented: its disclosed claims only. */
      credential?: Credential;
    };

export interface VerifierOptions {
  connection: RegistryConnection;
  identity: VerifierIdentity;
  store: VerifierStore;
  /** The URL wallets reach the verifier at (its host is a DNS name of the identity's certificate). */
  baseUrl: string;
  schemaSources?: SchemaSources;
  lifetime?: number;
}

const seconds = (): number => Math.floor(Date.now() / 1000);
const refusal = (error: string, description: string, status = 400): VerifierAnswer => ({
  status,
  body: { error, error_description: description },
});

export class Verifier {
  readonly #options: VerifierOptions;
  readonly #resolver: Resolvable;
  /** The chain this verifier checks against: a request made on another (a restarted devnet) is not answered. */
  readonly #chain: string;
  /** Answers' credentials verified together, by the economy whose recognition counts (see `groups.ts`). */
  readonly #groups = new ReadGroups((reads, economy) => verifyReads(reads, this.#verifyOptions(economy)));

  /** Issuers' keys, schemas and names read once per block for every answer verified at it. */
  readonly #cache = new VerifyCache(() => new NameBook(this.#options.connection));

  /** The credential types asked for, by the name given, read once per block (a schema registered since counts). */
  readonly #types: ChainCache;

  #verifyOptions(economy: string): VerifyOptions {
    const { connection } = this.#options;
    return { connection, resolver: this.#resolver, cache: this.#cache, ...(economy === "" ? {} : { economy }) };
  }

  constructor(options: VerifierOptions) {
    this.#options = options;
    this.#types = new ChainCache(options.connection);
    const { connection } = options;
    this.#resolver = holderResolver(
      ethrDidResolver(connection.chainId, connection.deployment.didRegistry.address, connection.provider),
    );
    this.#chain = `${connection.chainId}/${connection.deployment.genesisHash}`;
  }

  /**
   * A new request for `claims` of the schema `schema` (id, name or URI), answered encrypted to the request's own key
   * when `encrypted` (`direct_post.jwt`); its link, and the key to read its result.
   */
  async create(
    schema: string,
    claims: readonly string[],
    economy?: string,
    encrypted = false,
  ): Promise<{ id: string; link: string; resultKey: string; expiresAt: string }> {
    const { identity, baseUrl, store } = this.#options;
    const type = await this.#typeOf(schema);
    const ask = { type, claims: askedClaims(type, claims), economy, encrypted };
    const resultKey = randomBytes(24).toString("base64url");
    const { request, link } = await newRequest(identity, baseUrl, ask, this.#options.lifetime ?? REQUEST_LIFETIME);
    await store.create({ ...request, chain: this.#chain, resultDigest: secretDigest(resultKey) });
    return { id: request.id, link, resultKey, expiresAt: new Date(request.expiresAt * 1000).toISOString() };
  }

  /** The credential type `schema` names (id, name or URI) at the latest block; a failed read is not kept. */
  #typeOf(schema: string): Promise<CredentialType> {
    const { connection, schemaSources } = this.#options;
    return this.#types.atLatest(schema, () => credentialType(connection, schema, schemaSources));
  }

  /** What the pages show of the verifier: its client id, where wallets reach it, how long a request lasts. */
  info(): { clientId: string; walletUrl: string; lifetime: number } {
    const { identity, baseUrl, lifetime } = this.#options;
    return { clientId: identity.clientId, walletUrl: baseUrl, lifetime: lifetime ?? REQUEST_LIFETIME };
  }

  /** The signed request object of an open request, or the OpenID4VP error. */
  async requestObject(id: string): Promise<{ jwt: string } | VerifierAnswer> {
    const request = await this.#options.store.get(id);
    if (request === undefined || request.chain !== this.#chain) {
      return refusal("invalid_request_uri", `there is no request ${id}`, 404);
    }
    if (request.state_ === "answered") return refusal("invalid_request_uri", `request ${id} is answered already`);
    if (request.expiresAt < seconds()) return refusal("invalid_request_uri", `request ${id} has expired`);
    return { jwt: request.requestObject };
  }

  /** Takes a wallet's answer (the `direct_post` form) to request `id`: once, checked, its verdict recorded. */
  async answer(id: string, form: Record<string, unknown>): Promise<VerifierAnswer> {
    const { store } = this.#options;
    const taken = await store.take(id, seconds());
    if (taken === "unknown") return refusal("invalid_request", `there is no request ${id}`, 404);
    if (taken === "answered") {
      return refusal("invalid_request", `request ${id} is answered already: a request takes one answer`);
    }
    if (taken === "expired") return refusal("invalid_request", `request ${id} has expired: ask the verifier again`);
    if (taken.chain !== this.#chain) {
      const refused = `request ${id} was made on another chain (${taken.chain}): ask the verifier again`;
      await store.settle(id, JSON.stringify({ state: "answered", outcome: "invalid", refused }));
      return refusal("invalid_request", refused);
    }
    let result: RequestResult;
    let answer: VerifierAnswer;
    try {
      const economy = taken.economy ?? "";
      const verified = await checkAnswer(
        taken,
        form,
        { resolver: this.#resolver },
        this.#verifyOptions(economy),
        ([read]) => (read === undefined ? Promise.resolve([]) : this.#groups.verifyOne(read, economy).then((r) => [r])),
      );
      const outcomes = [verified.presentation.outcome, ...verified.credentials.map((c) => c.outcome)];
      const outcome = outcomes.includes("invalid") ? "invalid" : outcomes.includes("undecided") ? "undecided" : "valid";
      const { credential, ...presented } = verified;
      result = { state: "answered", outcome, verified: presented, credential };
      answer = { status: 200, body: {} };
    } catch (error) {
      if (!(error instanceof AnswerRefused)) throw error;
      result = { state: "answered", outcome: "invalid", refused: error.message };
      answer = refusal(error.error, error.message);
    }
    await store.settle(id, JSON.stringify(result));
    return answer;
  }

  /** What the official reads of request `id` with its result key; undefined for a wrong key or no such request. */
  async result(id: string, resultKey: string): Promise<RequestResult | undefined> {
    const request: VerifierRequest | undefined = await this.#options.store.get(id);
    if (request === undefined || request.chain !== this.#chain) return undefined;
    if (request.resultDigest !== secretDigest(resultKey)) return undefined;
    if (request.result !== undefined) return JSON.parse(request.result) as RequestResult;
    if (request.state_ === "open" && request.expiresAt < seconds()) return { state: "expired" };
    return { state: "open", expiresAt: new Date(request.expiresAt * 1000).toISOString() };
  }
}
