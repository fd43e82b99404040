/**
 * Zero-touch provisioning: a device whose key its maker attested gets its identity credential with no person in the
 * loop. At the token endpoint it uses the `client_credentials` grant with OAuth attestation-based client
 * authentication (draft-ietf-oauth-attestation-based-client-auth): an `OAuth-Client-Attestation` JWT signed by one
 * of the maker's registered attestation keys (`ccr attester add`), naming the device (`sub`, its serial number), its
 * key (`cnf.jwk`) and what it is (`model`, `firmwareVersion`), and an `OAuth-Client-Attestation-PoP` JWT signed by
 * that key, for this service, used once. The device then asks for its credential as any wallet does, with a proof
 * signed by the attested key: no other key can be bound.
 */
import { randomBytes } from "node:crypto";
import { decodeJwt, type Jwk } from "@openid4vc/oauth2";
import { Openid4vciIssuer } from "@openid4vc/openid4vci";
import type { CredentialType } from "../vc/credentialType.ts";
import { checkSubject } from "../vc/subjects.ts";
import { issuerCallbacks, jwkThumbprint, unsupported, verifiesWith } from "./jwt.ts";
import { secretDigest, type IssuerStore, type OfferRecord, type RedeemRefusal } from "./store.ts";

/** The token endpoint's authentication method for devices, as its metadata names it. */
export const ATTESTATION_AUTH_METHOD = "attest_jwt_client_auth";

/** Seconds a proof of possession of the device key is accepted for. */
const POP_MAX_AGE = 300;

export type DeviceRefusal = { error: "invalid_client" | "invalid_grant"; reason: string };

/** The headers a device authenticates with. */
export interface AttestationHeaders {
  attestation: string | undefined;
  pop: string | undefined;
}

const invalidClient = (reason: string): DeviceRefusal => ({ error: "invalid_client", reason });

/**
 * `@openid4vc/openid4vci`'s check of a client attestation and its proof of possession, with signatures checked by the
 * JWT's type, never by what its header claims: the attestation against the registered `attesterKey` (a header's own
 * `jwk` is not trusted), the proof of possession against the attested device key the library hands over.
 */
function attestationVerifier(attesterKey: Jwk): Openid4vciIssuer {
  return new Openid4vciIssuer({
    callbacks: {
      ...issuerCallbacks,
      signJwt: unsupported,
      clientAuthentication: unsupported,
      verifyJwt: async (signer, { header, compact }) => {
        const alg = String(header.alg);
        if (header.typ === "oauth-client-attestation+jwt") {
          return (await verifiesWith(compact, alg, attesterKey))
            ? { verified: true, signerJwk: attesterKey }
            : { verified: false };
        }
        if (header.typ === "oauth-client-attestation-pop+jwt" && signer.method === "jwk") {
          return (await verifiesWith(compact, alg, signer.publicJwk))
            ? { verified: true, signerJwk: signer.publicJwk }
            : { verified: false };
        }
        return { verified: false };
      },
    },
  });
}

/** The device claims of an attestation, as the subject of its credential (the holder comes with the proof). */
function deviceSubject(payload: Record<string, unknown>, manufacturer: string): Record<string, unknown> {
  const { sub, model, firmwareVersion } = payload;
  return {
    manufacturer,
    ...(typeof model === "string" ? { model } : {}),
    serialNumber: sub,
    ...(typeof firmwareVersion === "string" ? { firmwareVersion } : {}),
  };
}

/**
 * Checks a device's attestation and proof of possession and gives it its offer (made now, or the one it has): what
 * its access token is for. Refused, with why: no attestation, an unregistered or revoked attestation key, a forged or
 * expired attestation, a proof of possession that does not hold or is replayed, device claims that do not fit its
 * credential type, a device that has its credential already.
 */
export async function provisionDevice(
  store: IssuerStore,
  types: ReadonlyMap<number, CredentialType>,
  credentialIssuer: string,
  headers: AttestationHeaders,
  now: number,
  token: { digest: string; expiresAt: number },
): Promise<OfferRecord | DeviceRefusal | RedeemRefusal> {
  if (headers.attestation === undefined || headers.pop === undefined) {
    return invalidClient(
      "a device authenticates with its maker's attestation: OAuth-Client-Attestation and OAuth-Client-Attestation-PoP",
    );
  }
  let kid: unknown;
  try {
    kid = decodeJwt({ jwt: headers.attestation }).header.kid;
  } catch {
    return invalidClient("the client attestation is not a JWT");
  }
  // "factory-1", or "did:ethr:…#factory-1" when the maker is named by its DID: the registered name is the fragment.
  const name = typeof kid === "string" ? kid.slice(kid.lastIndexOf("#") + 1) : undefined;
  const attester = name === undefined ? undefined : await store.attester(name);
  if (attester === undefined) {
    return invalidClient(`the attestation is signed by "${String(kid)}", no attestation key this issuer registered`);
  }
  if (attester.revokedAt !== undefined && attester.revokedAt <= now) {
    const when = new Date(attester.revokedAt * 1000).toISOString();
    return invalidClient(`the attestation key "${attester.kid}" was revoked at ${when}`);
  }
  let verified;
  try {
    verified = await attestationVerifier(attester.jwk as Jwk).verifyWalletAttestation({
      authorizationServer: credentialIssuer,
      clientAttestationJwt: headers.attestation,
      clientAttestationPopJwt: headers.pop,
      now: new Date(now * 1000),
    });
  } catch (error) {
    return invalidClient(
      `the attestation or the device's proof of possession does not hold (forged, altered, expired, or for another ` +
        `service): ${reason(error)}`,
    );
  }
  const { clientAttestation: attestation, clientAttestationPop: pop } = verified;
  const deviceKey = attestation.payload.cnf.jwk;
  const { iat, jti } = pop.payload as { iat?: number; jti?: string };
  if (typeof iat !== "number" || now - iat > POP_MAX_AGE || iat > now + 60) {
    return invalidClient(`the proof of possession must be made in the last ${POP_MAX_AGE} s`);
  }
  if (typeof jti !== "string" || !(await store.useJti(`pop:${jti}`, now + POP_MAX_AGE * 2))) {
    return invalidClient("the proof of possession was used before (its jti): a replay");
  }
  return deviceOffer(store, types, attester, attestation.payload, deviceKey, now, token);
}

/** The device's offer (subject checked against its credential type), made or found again by the store. */
async function deviceOffer(
  store: IssuerStore,
  types: ReadonlyMap<number, CredentialType>,
  attester: { kid: string; schemaId: number; manufacturer: string },
  payload: Record<string, unknown>,
  deviceKey: Jwk,
  now: number,
  token: { digest: string; expiresAt: number },
): Promise<OfferRecord | DeviceRefusal | RedeemRefusal> {
  const type = types.get(attester.schemaId);
  if (type === undefined) {
    return invalidClient(`the attestation key "${attester.kid}" is for a schema this issuer does not issue now`);
  }
  const subject = deviceSubject(payload, attester.manufacturer);
  const problems = checkSubject(type.validate, { id: "did:jwk:the-device-key", ...subject });
  if (problems.length > 0) {
    const said = problems.map((p) => (p.field === "" ? p.message : `${p.field} ${p.message}`));
    return invalidClient(`the attested device does not fit "${type.name}" credentials: ${said.join("; ")}`);
  }
  return store.provision(
    {
      id: `device:${attester.kid}:${String(payload.sub)}`,
      codeDigest: secretDigest(randomBytes(32).toString("base64url")),
      schemaId: attester.schemaId,
      subject,
      source: `attestation by ${attester.kid}`,
      row: 0,
      createdAt: now,
      expiresAt: token.expiresAt,
      state: "redeemed",
      pinFailures: 0,
      keyThumbprint: jwkThumbprint(deviceKey),
    },
    token,
  );
}

/** What went wrong, in the library's own words (its error response's description, when it has one). */
function reason(error: unknown): string {
  const described = (error as { errorResponse?: { error_description?: unknown } }).errorResponse?.error_description;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message.split("\n") : [];
  // A malformed JWT is told by its schema's finding ("✖ Expected number, received undefined at "exp"").
  const finding = cause.find((line) => line.startsWith("✖"))?.slice(2);
  if (typeof described === "string") return finding === undefined ? described : `${described}: ${finding}`;
  return error instanceof Error ? error.message : String(error);
}
