/**
 * Signing a wallet's credential: the credential `ccr issue` would make of the offer's row, with the key the wallet
 * proved as its holder (its `did:jwk`, and `cnf.jwk` in an SD-JWT VC) and its place in a batch as its status, signed
 * with the issuance engine's signers (ES256K with libsecp256k1, or ES256 with OpenSSL: the signing key's).
 */
import { randomUUID } from "node:crypto";
import type { Jwk } from "@openid4vc/oauth2";
import { ethrDid } from "../did.ts";
import { buildCredential, credentialHash, toSeconds, VC_JWT_TYP } from "../vc/credential.ts";
import { issueSdJwt } from "../vc/sdJwt.ts";
import type { SigningAlg } from "../vc/jwsAlg.ts";
import { jwsSigner, signingInput } from "../vc/signingPool.ts";
import type { Slot } from "./batches.ts";
import { didJwkOf, publicJwk } from "./jwt.ts";
import type { Configuration } from "./metadata.ts";
import { CCRError } from "../errors.ts";

/** A signing key (the issuer's, or a key its DID lists) and the JWS `kid` naming it. */
export interface ServiceKey {
  signingKey: string;
  kid: string | undefined;
}

/** Who signs, for which registry: a key per algorithm the configurations are signed with. */
export interface ServiceSigner {
  chainId: number;
  registry: string;
  issuer: string;
  keys: Partial<Record<SigningAlg, ServiceKey>>;
}

/** The URL of a batch, where a verifier finds a member's Merkle proof once the batch is anchored. */
export const batchUrl = (credentialIssuer: string, batchId: string): string => `${credentialIssuer}/batches/${batchId}`;

/**
 * Signs the credential of `subject` for the holder key `jwk` at `slot`, as its configuration says (type, format,
 * algorithm); returns it and its hash.
 */
export async function signForHolder(
  signer: ServiceSigner,
  credentialIssuer: string,
  { type, format, alg }: Pick<Configuration, "type" | "format" | "alg">,
  subject: Record<string, unknown>,
  jwk: Jwk,
  slot: Slot,
): Promise<{ credential: string; hash: string }> {
  const key = signer.keys[alg];
  if (key === undefined) throw new CCRError("KEY_UNAVAILABLE", `the service holds no ${alg} key to sign with`);
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
  const sign = jwsSigner(alg, key.signingKey);
  let token: string;
  if (format === "dc+sd-jwt") {
    const { alwaysDisclosed } = type.document;
    const holder = { ...publicJwk(jwk) };
    token = await issueSdJwt(credential, key.signingKey, key.kid, alwaysDisclosed, sign, holder, alg);
  } else {
    const header: Record<string, string> = { alg, typ: VC_JWT_TYP };
    if (key.kid !== undefined) header.kid = key.kid;
    const input = signingInput(header, credential, toSeconds(new Date()));
    token = `${input}.${sign(input)}`;
  }
  return { credential: token, hash: credentialHash(token) };
}
