/** The issuer service's view of the framework: the schemas its issuer may issue now, and the metadata they give. */
import { getAddress } from "ethers";
import { CCRError } from "../errors.ts";
import { listSchemas } from "../framework.ts";
import { NameBook } from "../names.ts";
import { rpc, type RegistryConnection } from "../registry.ts";
import type { SchemaSources } from "../schemaResolver.ts";
import { typeOf, type CredentialType } from "../vc/credentialType.ts";
import { serviceMetadata, type AlgorithmOf, type ServiceMetadata } from "./metadata.ts";

/** The credential types `issuer` is accredited for (not deprecated), each with its schema document. */
export async function accreditedTypes(
  connection: RegistryConnection,
  issuer: string,
  sources: SchemaSources,
): Promise<CredentialType[]> {
  const [record, schemas] = await Promise.all([
    rpc(connection.rpcUrl, "reading the issuer's accreditation", () => connection.registry.getIssuer(issuer)),
    listSchemas(connection),
  ]);
  const held = BigInt(record.schemas);
  const types = schemas.filter((s) => !s.deprecated && ((held >> BigInt(s.id)) & 1n) === 1n);
  if (types.length === 0) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `${getAddress(issuer)} is accredited for no schema in use: a wallet could be offered nothing`,
    );
  }
  return Promise.all(types.map((s) => typeOf(s, sources)));
}

/**
 * The metadata of `issuer`'s service at `base`, named as the names contract names the issuer, each configuration
 * signed as `algOf` says.
 */
export async function metadataFor(
  connection: RegistryConnection,
  issuer: string,
  base: string,
  sources: SchemaSources,
  algOf?: AlgorithmOf,
): Promise<ServiceMetadata> {
  const [types, profile] = await Promise.all([
    accreditedTypes(connection, issuer, sources),
    new NameBook(connection).issuer(issuer),
  ]);
  return serviceMetadata(base, profile?.name ?? getAddress(issuer), types, algOf);
}
