/**
 * Files that ship with the package (the web pages, the example schemas), found from the package's root: the nearest
 * folder above this module whose package.json is CCR's. The same from the sources (`src/`), from the bundled command
 * line (`dist/cli/`) and from an installed tarball (`node_modules/ccr/`).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "ccr") {
      return (root = dir);
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of ccr above ${fileURLToPath(import.meta.url)}`);
  }
}

/** The path of `parts` inside the package. */
export const packageFile = (...parts: string[]): string => join(packageRoot(), ...parts);
