/**
 * Signing a wallet's credential: the credential `ccr issue` would make of the offer's row, with the key the wallet
 * proved as its holder (its `did:jwk`, and `cnf.jwk` in an SD-JWT VC) and its place in a batch as its status, signed
 * with the issuance engine's signers (ES256K with libsecp256k1, or ES256 with OpenSSL: the signing key's).
 */
import { randomUUID } from "node:crypto";
import type { Jwk } from "@openid4vc/oauth2";
import { ethrDid } from "../did.ts";
import { buildCredential, credentialHash, toSeconds, VC_JWT_TYP } from "../vc/credential.ts";
import type { CredentialType } from "../vc/credentialType.ts";
import { issueSdJwt } from "../vc/sdJwt.ts";
import type { SigningAlg } from "../vc/jwsAlg.ts";
import { jwsSigner, signingInput } from "../vc/signingPool.ts";
import type { Slot } from "./batches.ts";
import { didJwkOf, publicJwk } from "./jwt.ts";
import type { WalletFormat } from "./metadata.ts";

/** Who signs, for which registry. */
export interface ServiceSigner {
  chainId: number;
  registry: string;
  issuer: string;
  /** The signing key (the issuer's, or a `veriKey` delegate of its DID) and the JWS `kid` naming it. */
  signingKey: string;
  /** Its algorithm (default ES256K; ES256 for a P-256 key bound to the DID). */
  alg?: SigningAlg | undefined;
  kid: string | undefined;
}

/** The URL of a batch, where a verifier finds a member's Merkle proof once the batch is anchored. */
export const batchUrl = (credentialIssuer: string, batchId: string): string => `${credentialIssuer}/batches/${batchId}`;

/** Signs the credential of `subject` for the holder key `jwk` at `slot`, as `format`; returns it and its hash. */
export async function signForHolder(
  signer: ServiceSigner,
  credentialIssuer: string,
  type: CredentialType,
  subject: Record<string, unknown>,
  jwk: Jwk,
  format: WalletFormat,
  slot: Slot,
): Promise<{ credential: string; hash: string }> {
  const { batch, index } = slot;
  const credential = buildCredential({
    schema: type,
    issuer: ethrDid(signer.chainId, signer.issuer),
    subject: { id: didJwkOf(jwk), ...subject },
    id: `urn:uuid:${randomUUID()}`,
    validFrom: new Date(batch.validFrom * 1000),
    validUntil: batch.validUntil === 0 ? undefined : new Date(batch.validUntil * 1000),
    status: {
      chainId: signer.chainId,
      registry: signer.registry,
      batch: { id: batchUrl(credentialIssuer, batch.id), index },
    },
  });
  const alg = signer.alg ?? "ES256K";
  const sign = jwsSigner(alg, signer.signingKey);
  let token: string;
  if (format === "dc+sd-jwt") {
    const { alwaysDisclosed } = type.document;
    const holder = { ...publicJwk(jwk) };
    token = await issueSdJwt(credential, signer.signingKey, signer.kid, alwaysDisclosed, sign, holder, alg);
  } else {
    const header: Record<string, string> = { alg, typ: VC_JWT_TYP };
    if (signer.kid !== undefined) header.kid = signer.kid;
    const input = signingInput(header, credential, toSeconds(new Date()));
    token = `${input}.${sign(input)}`;
  }
  return { credential: token, hash: credentialHash(token) };
}
