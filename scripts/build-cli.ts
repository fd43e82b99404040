/**
 * Builds the `ccr` command line into `dist/cli/` as plain JavaScript (esbuild, ES modules for Node 22): `cli/ccr.ts`
 * and each command module it imports when that command runs become their own files (shared code in chunks), so that
 * a command loads only what it needs and nothing is compiled at run time. The packages it uses are bundled in too:
 * resolving and reading hundreds of files of `node_modules` was most of a command's start (an issuer service started
 * again after a crash listens that much sooner). Only what cannot be bundled stays an import of `node_modules`: native
 * bindings (`secp256k1`, `pg-native`). Run by `npm run build:cli`, by `prepare` (npm ci, npm pack) and before
 * `npm test`.
 */
import { rmSync } from "node:fs";
import { build } from "esbuild";

const outdir = "dist/cli";
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: ["cli/ccr.ts"],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  external: ["secp256k1", "pg-native"],
  // The CommonJS packages bundled into ES modules call require (Node's built-in modules): give them one.
  banner: {
    js: 'import { createRequire as ccrCreateRequire } from "node:module"; const require = ccrCreateRequire(import.meta.url);',
  },
  chunkNames: "chunks/[name]-[hash]",
  // Source maps name the files and lines of stack traces (CCR_DEBUG=1); the sources themselves stay out of them.
  sourcemap: "linked",
  sourcesContent: false,
  logLevel: "warning",
  metafile: true,
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
console.log(`ccr built into ${outdir}: ${files.length} module(s)`);
