/**
 * What people read instead of a credential's raw keys: each registered schema's name and, from its JSON Schema
 * document (found by its digest where `ccr` finds documents: the cache, the schemas folder beside the deployment file,
 * or its URI), the `title` of each subject field. A schema whose document is not found has its name and no labels.
 */
import { listSchemas } from "../framework.ts";
import type { RegistryConnection } from "../registry.ts";
import { fieldTitles } from "../schemaDocument.ts";
import { resolveSchemaDocument, type SchemaSources } from "../schemaResolver.ts";

export interface SchemaLabels {
  id: number;
  /** The registered name, e.g. "Academic Diploma". */
  name: string;
  /** The credential's type name as it is in credentials, e.g. "AcademicDiploma", when the document says it. */
  credentialType?: string | undefined;
  /** Subject field -> its title, e.g. fieldOfStudy -> "Field of study". */
  fields: Record<string, string>;
}

/** Reads every registered schema's labels once; documents are looked up at most once per digest. */
export class SchemaLabelBook {
  readonly #byDigest = new Map<string, Promise<{ credentialType?: string; fields: Record<string, string> }>>();

  constructor(
    private readonly connection: RegistryConnection,
    private readonly sources: SchemaSources,
  ) {}

  async all(): Promise<SchemaLabels[]> {
    const schemas = await listSchemas(this.connection);
    return Promise.all(
      schemas.map(async (schema) => {
        let found = this.#byDigest.get(schema.digest);
        if (found === undefined) {
          found = resolveSchemaDocument(schema, this.sources).then(
            (document) => ({
              ...(document.credentialType === undefined ? {} : { credentialType: document.credentialType }),
              fields: fieldTitles(document.schema),
            }),
            () => ({ fields: {} }),
          );
          this.#byDigest.set(schema.digest, found);
        }
        return { id: schema.id, name: schema.name, ...(await found) };
      }),
    );
  }
}
