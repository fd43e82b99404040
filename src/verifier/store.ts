/**
 * What the OpenID4VP verifier keeps of each request it shows: its nonce and query (what an answer must match), its
 * signed request object, when it expires, and its answer once given. A request is answered once: the first answer
 * takes it (`take`), whatever its verdict; a second is refused. SQLite by default (`sqliteStore.ts`), like the
 * issuer service's store.
 */

export type RequestState = "open" | "answered";

export interface VerifierRequest {
  id: string;
  /** The chain it was made on (`<chain id>/<genesis hash>`): an answer is checked against that chain only. */
  chain: string;
  nonce: string;
  clientId: string;
  /** What was asked: the registered schema, its type URI, the claims, the economy whose recognition counts. */
  schemaId: number;
  vct: string;
  claims: string[];
  economy?: string | undefined;
  /** The authorization request's parameters (JSON), as the library checks an answer against them. */
  payload: string;
  /** The digest (`secretDigest`) of the key that reads the verdict: the official's, never in the QR code. */
  resultDigest: string;
  /**
   * With `direct_post.jwt`: the request's own decryption key (an ephemeral P-256 private JWK, JSON), to which the
   * wallet encrypts its answer; it lives as long as the request.
   */
  decryptionKey?: string | undefined;
  /** The signed request object (JAR) a wallet fetches by `request_uri`. */
  requestObject: string;
  createdAt: number;
  expiresAt: number;
  state_: RequestState;
  /** The verdict (JSON) once answered. */
  result?: string | undefined;
}

/** Why an answer cannot take its request. */
export type TakeRefusal = "unknown" | "answered" | "expired";

export interface VerifierStore {
  readonly location: string;
  create(request: VerifierRequest): Promise<void>;
  get(id: string): Promise<VerifierRequest | undefined>;
  /** Marks the request answered, once, while it is open and unexpired at `now` (seconds); else why not. */
  take(id: string, now: number): Promise<VerifierRequest | TakeRefusal>;
  /** Records the verdict of the answer that took the request. */
  settle(id: string, result: string): Promise<void>;
  close(): Promise<void>;
}
