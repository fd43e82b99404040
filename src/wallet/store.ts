/**
 * What the OpenID4VCI issuer service keeps: its offers (with the digests of their pre-authorized codes and PINs), its
 * access tokens and nonces (by digest, each with its expiry; a nonce is taken once), and the journal of what it
 * signed: every credential in its batch, written before it is handed out, and every batch with its anchor once the
 * chain has it. The store is bound to one chain, registry and issuer (`meta`), like every other piece of CCR's state.
 */
import { createHash } from "node:crypto";
import { CCRError } from "../errors.ts";

/** A digest of a secret (a code, a PIN, a token, a nonce): the store never holds the secret itself. */
export const secretDigest = (secret: string): string => createHash("sha256").update(secret).digest("base64url");

/** An offer is made open, redeemed once (its code for an access token), then issued once (its credentials). */
export type OfferState = "open" | "redeemed" | "issued" | "withdrawn";

export interface OfferRecord {
  id: string;
  /** `secretDigest` of the pre-authorized code. */
  codeDigest: string;
  /** `secretDigest` of the PIN (`tx_code`), when the offer has one. */
  pinDigest?: string | undefined;
  schemaId: number;
  /** The subject's fields, checked as `ccr issue` checks a row; the holder (`id`) is the key the wallet proves. */
  subject: Record<string, unknown>;
  /** Where it came from: the input file and its row. */
  source: string;
  row: number;
  createdAt: number;
  expiresAt: number;
  state: OfferState;
  /** Wrong PINs given so far. */
  pinFailures: number;
  /** A device's offer: the JWK thumbprint of the attested key, the only key its credential may be bound to. */
  keyThumbprint?: string | undefined;
}

/** A key that attests devices' keys, registered by their maker (the issuer). */
export interface AttesterRecord {
  /** The `kid` its attestations name. */
  kid: string;
  jwk: Record<string, unknown>;
  /** The schema of the credential its devices get, and the manufacturer it names. */
  schemaId: number;
  manufacturer: string;
  registeredAt: number;
  revokedAt?: number | undefined;
}

/** A credential the service signed: in its batch at `index`, journalled before it is handed out. */
export interface JournalledCredential {
  hash: string;
  batchId: string;
  index: number;
  offerId: string;
  credential: string;
  format: string;
  /** Set when the wallet is to collect it later (deferred issuance). */
  transactionId?: string | undefined;
  issuedAt: number;
}

/** A Merkle batch of the service's credentials, with its terms on chain; `closedAt` once no member joins it. */
export interface BatchRecord {
  id: string;
  owner: string;
  schemaId: number;
  validFrom: number;
  validUntil: number;
  openedAt: number;
  closedAt?: number | undefined;
  size?: number | undefined;
  root?: string | undefined;
  transaction?: string | undefined;
  blockNumber?: number | undefined;
  anchoredAt?: number | undefined;
}

/**
 * A credential refused by its batch, which was closed (by this process, or by another one sharing the store that took
 * this one for gone): nothing of its group was journalled, and it can be placed in another batch.
 */
export class BatchClosedError extends CCRError {
  readonly batchId: string;

  constructor(batchId: string, hash: string) {
    super("ISSUER_STORE", `batch ${batchId} is closed: credential ${hash} cannot join it`);
    this.batchId = batchId;
  }
}

/** Why an offer's code was not redeemed, in the words the token endpoint answers with. */
export type RedeemRefusal = { error: "invalid_grant"; reason: string };

/**
 * The store, as the service and `ccr offer` use it: SQLite (`sqliteStore.ts`) for one service process, PostgreSQL
 * (`postgresStore.ts`) for several sharing it. Every method is safe to call from several processes at once.
 */
export interface IssuerStore {
  readonly location: string;
  /** The chain, registry and issuer the store belongs to; set once, refused when another is named later. */
  bind(identity: Record<string, string>): Promise<void>;
  addOffers(offers: readonly OfferRecord[]): Promise<void>;
  offers(): Promise<OfferRecord[]>;
  /** Withdraws an open offer; returns its state before, or undefined when there is no such offer. */
  withdrawOffer(id: string): Promise<OfferState | undefined>;
  /**
   * Redeems the offer of a pre-authorized code once: open, not expired, with the right PIN (`maxPinFailures` wrong
   * ones withdraw it). The access token's digest is stored with it, in the same transaction.
   */
  redeem(
    codeDigest: string,
    pinDigest: string | undefined,
    now: number,
    maxPinFailures: number,
    token: { digest: string; expiresAt: number },
  ): Promise<OfferRecord | RedeemRefusal>;
  /** The offer an unexpired access token was given for. */
  tokenOffer(tokenDigest: string, now: number): Promise<OfferRecord | undefined>;
  addNonce(digest: string, expiresAt: number): Promise<void>;
  /** Takes a nonce: true once, while it has not expired. */
  takeNonce(digest: string, now: number): Promise<boolean>;
  addAttester(attester: AttesterRecord): Promise<void>;
  /** Revokes an attester: its attestations are refused from `at` on; false when there is no such one. */
  revokeAttester(kid: string, at: number): Promise<boolean>;
  attester(kid: string): Promise<AttesterRecord | undefined>;
  attesters(): Promise<AttesterRecord[]>;
  /** Records a one-time JWT id until it expires: false when it was seen already (a replay). */
  useJti(jti: string, expiresAt: number): Promise<boolean>;
  /**
   * A device's offer, made at its first token request (redeemed at once) and found again at the next (issued, when
   * its credential was: it is handed out again); refused for another key. The access token's digest is stored with
   * it, in the same transaction.
   */
  provision(offer: OfferRecord, token: { digest: string; expiresAt: number }): Promise<OfferRecord | RedeemRefusal>;
  /** The credentials journalled for an offer. */
  credentialsOf(offerId: string): Promise<JournalledCredential[]>;
  /** Credentials already issued for an offer (a wallet asking twice gets no more than the offer allows). */
  issuedFor(offerId: string): Promise<number>;
  openBatch(batch: BatchRecord): Promise<void>;
  /**
   * Journals signed credentials (one transaction: all or none). With `offerId`, the offer becomes issued in the same
   * transaction, and nothing is journalled when it was issued already (false).
   */
  journal(credentials: readonly JournalledCredential[], offerId?: string): Promise<boolean>;
  /** Closes a batch: no member joins it after; its size is what was journalled. */
  closeBatch(id: string, now: number): Promise<BatchRecord>;
  /** Batches still open (of every service process sharing the store), oldest first. */
  openBatches(): Promise<BatchRecord[]>;
  /** Closed batches not yet anchored (of every service process), oldest first. */
  unanchored(): Promise<BatchRecord[]>;
  /** Says that the service process `owner` is alive at `now` (processes sharing a store close a dead one's batches). */
  heartbeat(owner: string, now: number): Promise<void>;
  /** When each service process was last heard from. */
  lastSeen(): Promise<Map<string, number>>;
  batch(id: string): Promise<BatchRecord | undefined>;
  /** The hashes of a batch's members, in index order. */
  memberHashes(id: string): Promise<string[]>;
  markAnchored(
    id: string,
    anchor: { root: string; transaction: string; blockNumber: number; at: number },
  ): Promise<void>;
  /** The credentials of a deferred issuance, with their batch. */
  deferred(transactionId: string): Promise<{ credentials: JournalledCredential[]; batch: BatchRecord } | undefined>;
  /** Records a wallet's notification about an offer's credentials (`credential_accepted`, …); false when none. */
  notify(offerId: string, event: string, at: number): Promise<boolean>;
  close(): Promise<void>;
}
