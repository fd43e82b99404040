/**
 * A credential type: a schema registered on-chain with the JSON Schema document of its subject, which gives the
 * credential's type name and its field rules. Nothing here knows any particular type.
 */
import type { ValidateFunction } from "ajv/dist/2020.js";
import { findSchema, type SchemaInfo } from "../framework.ts";
import type { RegistryConnection } from "../registry.ts";
import type { SchemaDocument } from "../schemaDocument.ts";
import { resolveSchemaDocument, type SchemaSources } from "../schemaResolver.ts";
import { subjectValidator } from "./subjects.ts";

export interface CredentialType extends SchemaInfo {
  /** The credential's type after `VerifiableCredential`: the document's `credentialType`, else the schema's name. */
  vcType: string;
  document: SchemaDocument;
  /** The subject's fields, as the document lists them (a CSV's columns). */
  fields: string[];
  validate: ValidateFunction;
}

/** "Professional Licence (v2)" -> "ProfessionalLicenceV2". */
function typeName(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "")
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join("");
}

/** The credential type of a registered schema given by id, name or URI, with its document found and checked. */
export async function credentialType(
  connection: RegistryConnection,
  schema: string,
  sources: SchemaSources = {},
): Promise<CredentialType> {
  return typeOf(await findSchema(connection, schema), sources);
}

/** The credential type of `schema`, as the registry records it. */
export async function typeOf(schema: SchemaInfo, sources: SchemaSources = {}): Promise<CredentialType> {
  const document = await resolveSchemaDocument(schema, sources);
  const properties = document.schema.properties;
  return {
    ...schema,
    vcType: document.credentialType ?? typeName(schema.name),
    document,
    fields: typeof properties === "object" && properties !== null ? Object.keys(properties) : [],
    validate: subjectValidator(document.digest, document.schema),
  };
}
