/**
 * Finding the JSON Schema document of a registered schema, checked against the digest the registry records: from the
 * cache (documents kept by digest), a local file the URI names, a folder of schema documents (the one next to the
 * deployment file, say), or the URI over HTTP(S). A document whose digest differs is refused with both digests.
 */
import { mkdir, readFile, readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CCRError } from "./errors.ts";
import type { SchemaInfo } from "./framework.ts";
import { parseSchemaDocument, type SchemaDocument } from "./schemaDocument.ts";
import { writeFileAtomic } from "./vc/file.ts";

export interface SchemaSources {
  /** Folders of schema documents to look in, matched by digest. */
  folders?: readonly string[];
  /** Where documents are kept by digest once found (default: $CCR_CACHE_DIR/schemas or ~/.cache/ccr/schemas). */
  cacheDir?: string;
  /** How long an HTTP(S) fetch may take. */
  timeoutMs?: number;
}

/** Where the cache keeps the document whose digest is `digest`. */
export function cachedSchemaPath(digest: string, cacheDir = defaultSchemaCache()): string {
  return join(cacheDir, `${digest}.json`);
}

/** The default cache of schema documents. */
export function defaultSchemaCache(): string {
  const base = process.env.CCR_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "ccr");
  return join(base, "schemas");
}

function mismatch(schema: SchemaInfo, document: SchemaDocument): CCRError {
  return new CCRError(
    "SCHEMA_MISMATCH",
    `${document.source} is not the document of schema ${schema.id} ("${schema.name}", ${schema.uri}): ` +
      `its SHA-256 digest is ${document.digest}, the registry's is ${schema.digest}`,
  );
}

/** The local file a URI names (a file: URL or a path), if it is one. */
function localPath(uri: string): string | undefined {
  if (uri.startsWith("file:")) return fileURLToPath(uri);
  return isAbsolute(uri) ? uri : undefined;
}

async function readIfPresent(file: string): Promise<Buffer | undefined> {
  return readFile(file).catch((cause: unknown) => {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CCRError("INVALID_SCHEMA", `${file} cannot be read: ${(cause as Error).message}`, { cause });
  });
}

/** Fetches `uri`; its bytes, or a sentence saying why not. */
async function fetchDocument(uri: string, timeoutMs: number): Promise<Buffer | string> {
  try {
    const response = await fetch(uri, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
    if (!response.ok) return `${uri} answered HTTP ${response.status}`;
    return Buffer.from(await response.arrayBuffer());
  } catch (cause) {
    return `${uri} could not be fetched (${(cause as Error).message})`;
  }
}

/**
 * The document of `schema` (its `uri` and `digest` as the registry records them), checked against the digest.
 * Throws SCHEMA_MISMATCH when the document found differs, INVALID_SCHEMA when none is found or it is no subject
 * schema.
 */
export async function resolveSchemaDocument(schema: SchemaInfo, sources: SchemaSources = {}): Promise<SchemaDocument> {
  const cacheDir = sources.cacheDir ?? defaultSchemaCache();
  const cached = cachedSchemaPath(schema.digest, cacheDir);
  const fromCache = await readIfPresent(cached);
  if (fromCache !== undefined) {
    const document = parseSchemaDocument(cached, fromCache);
    // A cache file that was changed is not trusted: the document is looked for again.
    if (document.digest === schema.digest) return document;
  }

  const checked = async (source: string, bytes: Buffer): Promise<SchemaDocument> => {
    const document = parseSchemaDocument(source, bytes);
    if (document.digest !== schema.digest) throw mismatch(schema, document);
    // A cache that cannot be written is no error: the document is fetched again next time.
    await keepSchemaDocument(document, cacheDir).catch(() => undefined);
    return document;
  };

  const local = localPath(schema.uri);
  if (local !== undefined) {
    const bytes = await readIfPresent(local);
    if (bytes !== undefined) return checked(local, bytes);
  }
  const looked: string[] = [];
  for (const folder of sources.folders ?? []) {
    const names = await readdir(folder).catch(() => [] as string[]);
    looked.push(folder);
    for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
      const file = join(folder, name);
      const bytes = await readIfPresent(file);
      if (bytes === undefined) continue;
      let document: SchemaDocument;
      try {
        document = parseSchemaDocument(file, bytes);
      } catch {
        continue; // not a schema document: another file of the folder
      }
      if (document.digest === schema.digest) return checked(file, bytes);
      // The folder's document of this schema, changed: said, not passed over.
      if (document.id === schema.uri) throw mismatch(schema, document);
    }
  }
  if (/^https?:\/\//.test(schema.uri)) {
    const fetched = await fetchDocument(schema.uri, sources.timeoutMs ?? 30_000);
    if (typeof fetched !== "string") return checked(schema.uri, fetched);
    looked.push(fetched);
  }
  throw new CCRError(
    "INVALID_SCHEMA",
    `the document of schema ${schema.id} ("${schema.name}", ${schema.uri}, sha256 ${schema.digest}) was not found` +
      `${looked.length === 0 ? "" : `: looked in ${looked.join("; ")}`}; put a copy in ${sources.folders?.[0] ?? cacheDir}`,
  );
}

/**
 * Keeps `document` in the cache of schema documents (by digest), where {resolveSchemaDocument} looks first: a type
 * registered from this machine is issued from it with no copy to make. Returns the cached file's path.
 */
export async function keepSchemaDocument(document: SchemaDocument, cacheDir = defaultSchemaCache()): Promise<string> {
  const file = cachedSchemaPath(document.digest, cacheDir);
  await mkdir(cacheDir, { recursive: true });
  await writeFileAtomic(file, document.bytes);
  return file;
}

/** Reads and checks a schema document from a file (see {parseSchemaDocument}). */
export async function readSchemaDocument(file: string): Promise<SchemaDocument> {
  const bytes = await readFile(file).catch((cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new CCRError(
      "INVALID_ARGUMENT",
      `${file} cannot be read: ${code === "ENOENT" ? "it does not exist" : (cause as Error).message}`,
      { cause },
    );
  });
  return parseSchemaDocument(file, bytes);
}

/**
 * What registering the document in `file` records: the document, where it is published (`uri`, default its `$id`)
 * and its name (`name`, default its `title`); INVALID_ARGUMENT when one of them is missing.
 */
export async function readSchemaRegistration(
  file: string,
  options: { uri?: string | undefined; name?: string | undefined },
): Promise<{ document: SchemaDocument; uri: string; name: string }> {
  const document = await readSchemaDocument(file);
  const uri = options.uri ?? document.id;
  const name = options.name ?? document.title;
  if (uri === undefined) {
    throw new CCRError("INVALID_ARGUMENT", `${file} has no "$id": say where it is published with --uri`);
  }
  if (name === undefined) throw new CCRError("INVALID_ARGUMENT", `${file} has no "title": name the schema with --name`);
  return { document, uri, name };
}
