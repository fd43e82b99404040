/**
 * Schema documents: the JSON Schema of a credential type's subject, which the registry names by URI and by the
 * SHA-256 digest of the document's bytes. Whoever fetches a document checks it against that digest.
 */
import { digestSRI, hex, sha256Bytes, utf8Text } from "./bytes.ts";
import { CCRError } from "./errors.ts";
import { subjectValidator } from "./vc/subjects.ts";

/** The SHA-256 digest of a document's bytes, as 0x-hex (the registry's `SchemaRecord.digest`). */
export function schemaDigest(bytes: Uint8Array): string {
  return hex(sha256Bytes(bytes));
}

export { digestSRI };

/** A JSON Schema document, as read and checked. */
export interface SchemaDocument {
  /** Where it was read from. */
  source: string;
  bytes: Uint8Array;
  schema: Record<string, unknown>;
  /** {schemaDigest} of `bytes`. */
  digest: string;
  /** The document's `title`, `$id` and `credentialType` (the credential's type name), when it has them. */
  title?: string | undefined;
  id?: string | undefined;
  credentialType?: string | undefined;
  /** The subject fields an SD-JWT VC of this type always discloses (`alwaysDisclosed`). */
  alwaysDisclosed: string[];
}

/**
 * Checks that `bytes` (read from `source`) are a JSON Schema document of a credential subject: JSON, an object
 * schema of draft 2020-12 that compiles; throws INVALID_SCHEMA naming the source and what is wrong.
 */
export function parseSchemaDocument(source: string, bytes: Uint8Array): SchemaDocument {
  const refuse = (why: string): never => {
    throw new CCRError("INVALID_SCHEMA", `${source} is not a JSON Schema document of a credential subject: ${why}`);
  };
  let schema: unknown;
  try {
    schema = JSON.parse(utf8Text(bytes));
  } catch (cause) {
    return refuse(`it is not JSON (${(cause as Error).message})`);
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return refuse("it is not a JSON object");
  const document = schema as Record<string, unknown>;
  if (document.$schema !== "https://json-schema.org/draft/2020-12/schema") {
    refuse(`its "$schema" must be "https://json-schema.org/draft/2020-12/schema"`);
  }
  if (document.type !== "object") refuse(`its "type" must be "object" (a credential subject is an object)`);
  const digest = schemaDigest(bytes);
  try {
    subjectValidator(digest, document);
  } catch (cause) {
    refuse((cause as Error).message);
  }
  const text = (key: string): string | undefined => (typeof document[key] === "string" ? document[key] : undefined);
  const credentialType = text("credentialType");
  if (credentialType !== undefined && !/^[A-Za-z][A-Za-z0-9]*$/.test(credentialType)) {
    refuse(`its "credentialType" must be a type name of letters and digits, not "${credentialType}"`);
  }
  const properties = typeof document.properties === "object" && document.properties !== null ? document.properties : {};
  const alwaysDisclosed = (document.alwaysDisclosed ?? []) as string[];
  const strangers = alwaysDisclosed.filter((field) => !(field in properties));
  if (strangers.length > 0) refuse(`its "alwaysDisclosed" names ${strangers.join(", ")}, which are not its properties`);
  return {
    source,
    bytes,
    schema: document,
    digest,
    title: text("title"),
    id: text("$id"),
    credentialType,
    alwaysDisclosed,
  };
}

/** The titles a schema document gives its subject fields (each property's `title`), by field. */
export function fieldTitles(schema: Record<string, unknown>): Record<string, string> {
  const properties = (schema.properties ?? {}) as Record<string, { title?: unknown }>;
  return Object.fromEntries(
    Object.entries(properties)
      .filter(([, property]) => typeof property.title === "string")
      .map(([field, property]) => [field, String(property.title)]),
  );
}
