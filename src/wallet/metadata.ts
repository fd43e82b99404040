/**
 * What the issuer service tells wallets about itself (OpenID4VCI 1.0 §12.2, RFC 8414): its endpoints and one
 * credential configuration per registered schema its issuer is accredited for, in each format (`dc+sd-jwt` with its
 * `vct`, and `jwt_vc_json`), named and labelled from the schema document. Built with `@openid4vc/openid4vci`, which
 * checks the structure.
 */
import type { SigningAlg } from "../vc/jwsAlg.ts";
import type { AuthorizationServerMetadata } from "@openid4vc/oauth2";
import {
  Openid4vciIssuer,
  Openid4vciVersion,
  type CredentialIssuerMetadata,
  type IssuerMetadataResult,
} from "@openid4vc/openid4vci";
import { CCRError } from "../errors.ts";
import type { CredentialType } from "../vc/credentialType.ts";
import { PROOF_ALGORITHMS, issuerCallbacks, unsupported } from "./jwt.ts";

/** The two formats a configuration is offered in, and the `ccr issue` format each is signed as. */
export const WALLET_FORMATS = { "dc+sd-jwt": "sd-jwt", jwt_vc_json: "vc+jwt" } as const;
export type WalletFormat = keyof typeof WALLET_FORMATS;

/** Copies one credential request may ask for, each bound to its own key (`batch_credential_issuance`). */
export const BATCH_SIZE = 10;

/** One credential configuration: the schema's type in one format, signed with one algorithm. */
export interface Configuration {
  id: string;
  type: CredentialType;
  format: WalletFormat;
  alg: SigningAlg;
}

/** The algorithm each configuration is signed with, by configuration id (see `configurationId`). */
export type AlgorithmOf = (configurationId: string) => SigningAlg;

/** "DiplomaCredential" in "dc+sd-jwt" -> "DiplomaCredential_dc_sd_jwt". */
export const configurationId = (type: CredentialType, format: WalletFormat): string =>
  `${type.vcType}_${format.replace(/[^a-z]+/g, "_")}`;

/** The configurations of `types`: each type in both formats, signed as `algOf` says (ES256K unless told). */
export function configurationsOf(
  types: readonly CredentialType[],
  algOf: AlgorithmOf = () => "ES256K",
): Map<string, Configuration> {
  const entries = types.flatMap((type) =>
    (Object.keys(WALLET_FORMATS) as WalletFormat[]).map((format) => {
      const id = configurationId(type, format);
      return [id, { id, type, format, alg: algOf(id) }] as const;
    }),
  );
  return new Map(entries);
}

/** The service's public base URL (the Credential Issuer Identifier) and endpoints. */
export interface Endpoints {
  credentialIssuer: string;
  token: string;
  nonce: string;
  credential: string;
  deferred: string;
  notification: string;
}

/** The endpoints of a service whose Credential Issuer Identifier is `base` (https, no trailing slash). */
export function endpointsOf(base: string): Endpoints {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new CCRError("INVALID_ARGUMENT", `the issuer URL "${base}" is not a URL`);
  }
  if (url.protocol !== "https:" || url.search !== "" || url.hash !== "") {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `the issuer URL "${base}" must be an https URL without query or fragment: wallets refuse anything else`,
    );
  }
  const credentialIssuer = url.href.replace(/\/$/, "");
  return {
    credentialIssuer,
    token: `${credentialIssuer}/token`,
    nonce: `${credentialIssuer}/nonce`,
    credential: `${credentialIssuer}/credential`,
    deferred: `${credentialIssuer}/deferred_credential`,
    notification: `${credentialIssuer}/notification`,
  };
}

/** The subject's fields with their titles, as wallets show a credential's claims. */
function claimsOf(type: CredentialType): { path: string[]; display?: { name: string; locale: string }[] }[] {
  const properties = (type.document.schema.properties ?? {}) as Record<string, { title?: unknown }>;
  return type.fields
    .filter((field) => field !== "id")
    .map((field) => {
      const title = properties[field]?.title;
      return typeof title === "string"
        ? { path: [field], display: [{ name: title, locale: "en" }] }
        : { path: [field] };
    });
}

function configurationMetadata({ type, format, alg }: Configuration): Record<string, unknown> & { format: string } {
  // A document titles the subject it describes ("Academic Diploma subject"); a wallet shows the credential's name.
  const name = (type.document.title ?? type.name).replace(/\s+subject$/i, "");
  const common = {
    format,
    scope: configurationId(type, format),
    cryptographic_binding_methods_supported: format === "dc+sd-jwt" ? ["jwk"] : ["did:jwk"],
    credential_signing_alg_values_supported: [alg],
    proof_types_supported: { jwt: { proof_signing_alg_values_supported: Object.keys(PROOF_ALGORITHMS) } },
    credential_metadata: { display: [{ name, locale: "en" }], claims: claimsOf(type) },
  };
  return format === "dc+sd-jwt"
    ? { ...common, vct: type.uri }
    : { ...common, credential_definition: { type: ["VerifiableCredential", type.vcType] } };
}

/** Everything a wallet reads before it asks for a credential. */
export interface ServiceMetadata {
  endpoints: Endpoints;
  configurations: Map<string, Configuration>;
  issuer: CredentialIssuerMetadata;
  authorizationServer: AuthorizationServerMetadata;
  /** The form `@openid4vc/openid4vci`'s issuer functions take. */
  result: IssuerMetadataResult;
}

/** The library's issuer (one for the process: it holds only its callbacks), with the callbacks it verifies proofs with. */
let shared: Openid4vciIssuer | undefined;
export const libraryIssuer = (): Openid4vciIssuer =>
  (shared ??= new Openid4vciIssuer({
    callbacks: { ...issuerCallbacks, signJwt: unsupported, clientAuthentication: unsupported },
  }));

/** The metadata of a service at `base` issuing `types` for `issuerName` (shown by wallets as who issues). */
export function serviceMetadata(
  base: string,
  issuerName: string,
  types: readonly CredentialType[],
  algOf?: AlgorithmOf,
): ServiceMetadata {
  const endpoints = endpointsOf(base);
  const configurations = configurationsOf(types, algOf);
  const authorizationServer: AuthorizationServerMetadata = {
    issuer: endpoints.credentialIssuer,
    token_endpoint: endpoints.token,
    // Holders take offers (pre-authorized codes); devices authenticate with their maker's attestation.
    grant_types_supported: ["urn:ietf:params:oauth:grant-type:pre-authorized_code", "client_credentials"],
    "pre-authorized_grant_anonymous_access_supported": true,
    token_endpoint_auth_methods_supported: ["none", "attest_jwt_client_auth"],
    client_attestation_signing_alg_values_supported: Object.keys(PROOF_ALGORITHMS),
    client_attestation_pop_signing_alg_values_supported: Object.keys(PROOF_ALGORITHMS),
    response_types_supported: [],
  };
  const issuer = libraryIssuer().createCredentialIssuerMetadata({
    credential_issuer: endpoints.credentialIssuer,
    // Not of OpenID4VCI 1.0, for wallets written to its drafts (@digitalbazaar/oid4-client reads both here).
    issuer: endpoints.credentialIssuer,
    token_endpoint: endpoints.token,
    credential_endpoint: endpoints.credential,
    nonce_endpoint: endpoints.nonce,
    deferred_credential_endpoint: endpoints.deferred,
    notification_endpoint: endpoints.notification,
    batch_credential_issuance: { batch_size: BATCH_SIZE },
    display: [{ name: issuerName, locale: "en" }],
    credential_configurations_supported: Object.fromEntries(
      [...configurations.values()].map((c) => [c.id, configurationMetadata(c)]),
    ),
  });
  const result: IssuerMetadataResult = {
    originalDraftVersion: Openid4vciVersion.V1,
    credentialIssuer: issuer,
    authorizationServers: [authorizationServer],
    knownCredentialConfigurations: libraryIssuer().getKnownCredentialConfigurationsSupported(issuer),
  };
  return { endpoints, configurations, issuer, authorizationServer, result };
}
