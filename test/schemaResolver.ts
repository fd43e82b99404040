import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CCRError } from "../src/errors.ts";
import type { SchemaInfo } from "../src/framework.ts";
import { schemaDigest } from "../src/schemaDocument.ts";
import { resolveSchemaDocument } from "../src/schemaResolver.ts";

/** Finding a registered schema's document: cache, local file, folder, HTTP(S); always checked against its digest. */
describe("schema documents (resolution and digest checks)", function () {
  let dir = "";
  let server: Server | undefined;
  const document = (title: string, id = `https://schemas.example/${title}.json`): Buffer =>
    Buffer.from(
      `${JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", $id: id, title, type: "object" })}\n`,
    );
  const registered = (bytes: Buffer, uri: string, id = 7): SchemaInfo => ({
    id,
    name: "Licence",
    uri,
    digest: schemaDigest(bytes),
    deprecated: false,
  });
  const rejection = async (promise: Promise<unknown>): Promise<CCRError> => {
    const error: unknown = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof CCRError)) throw new Error(`expected a CCRError, got ${String(error)}`);
    return error;
  };

  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "ccr-schemas-"));
  });
  afterEach(async function () {
    await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the local file a file: URI names, checks its digest and keeps it in the cache", async function () {
    const bytes = document("licence");
    const file = join(dir, "licence.json");
    await writeFile(file, bytes);
    const cacheDir = join(dir, "cache");
    const schema = registered(bytes, pathToFileURL(file).href);
    const found = await resolveSchemaDocument(schema, { cacheDir });
    expect([found.source, found.digest, found.title]).to.deep.equal([file, schema.digest, "licence"]);
    expect(await readFile(join(cacheDir, `${schema.digest}.json`))).to.deep.equal(bytes);
    // Changed at its place: the cached copy (the registered one) still serves; without it, the change is refused.
    await writeFile(file, document("licence-v2"));
    expect((await resolveSchemaDocument(schema, { cacheDir })).source).to.equal(
      join(cacheDir, `${schema.digest}.json`),
    );
    const error = await rejection(resolveSchemaDocument(schema, { cacheDir: join(dir, "empty") }));
    expect(error.code).to.equal("SCHEMA_MISMATCH");
    expect(error.message).to.equal(
      `${file} is not the document of schema 7 ("Licence", ${schema.uri}): its SHA-256 digest is ` +
        `${schemaDigest(document("licence-v2"))}, the registry's is ${schema.digest}`,
    );
  });

  it("finds a document in a folder by its digest, skips other files, refuses a changed copy", async function () {
    const folder = join(dir, "schemas");
    await mkdir(folder);
    const bytes = document("licence");
    await writeFile(join(folder, "a-not-json.json"), "{");
    await writeFile(join(folder, "b-other.json"), document("other"));
    await writeFile(join(folder, "c-licence.json"), bytes);
    const schema = registered(bytes, "https://schemas.example/licence.json");
    const found = await resolveSchemaDocument(schema, { folders: [folder], cacheDir: join(dir, "cache") });
    expect(found.source).to.equal(join(folder, "c-licence.json"));
    // The folder's document of the schema's URI with other bytes is a changed copy: refused, not passed over.
    const changed = document("licence-v2", schema.uri);
    await writeFile(join(folder, "c-licence.json"), changed);
    const error = await rejection(
      resolveSchemaDocument(schema, { folders: [folder], cacheDir: join(dir, "other-cache") }),
    );
    expect(error.code).to.equal("SCHEMA_MISMATCH");
    expect(error.message).to.include(
      `its SHA-256 digest is ${schemaDigest(changed)}, the registry's is ${schema.digest}`,
    );
  });

  it("fetches a document over HTTP, caches it, and says where it looked when it finds none", async function () {
    const bytes = document("licence");
    let requests = 0;
    server = createServer((request, response) => {
      requests++;
      if (request.url === "/licence.json") {
        response.writeHead(200, { "content-type": "application/schema+json" });
        response.end(bytes);
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const base = `http://127.0.0.1:${address.port}`;
    const cacheDir = join(dir, "cache");
    const schema = registered(bytes, `${base}/licence.json`);
    expect((await resolveSchemaDocument(schema, { cacheDir })).source).to.equal(schema.uri);
    expect(await readdir(cacheDir)).to.deep.equal([`${schema.digest}.json`]);
    await resolveSchemaDocument(schema, { cacheDir });
    expect(requests).to.equal(1);

    const missing = registered(bytes, `${base}/missing.json`, 8);
    const folder = join(dir, "nothing-here");
    const error = await rejection(resolveSchemaDocument(missing, { folders: [folder], cacheDir: join(dir, "c2") }));
    expect(error.code).to.equal("INVALID_SCHEMA");
    expect(error.message).to.equal(
      `the document of schema 8 ("Licence", ${missing.uri}, sha256 ${missing.digest}) was not found: looked in ` +
        `${folder}; ${missing.uri} answered HTTP 404; put a copy in ${folder}`,
    );
  });
});
