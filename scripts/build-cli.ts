/**
 * Builds the `ccr` command line into `dist/cli/` as plain JavaScript (esbuild, ES modules for Node 22): `cli/ccr.ts`
 * and each command module it imports when that command runs become their own files (shared code in chunks), so that
 * a command loads only what it needs and nothing is compiled at run time. The packages stay imports of
 * `node_modules`. Run by `npm run build:cli`, by `prepare` (npm ci, npm pack) and before `npm test`.
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
  packages: "external",
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  logLevel: "warning",
  metafile: true,
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
console.log(`ccr built into ${outdir}: ${files.length} module(s)`);
