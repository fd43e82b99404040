#!/usr/bin/env node
/* global process, console */
// The `ccr` command: runs scripts/ccr.ts through tsx, which resolves the typechain bindings' `.js` imports to `.ts`.
// Nothing is imported before the Node version is checked, so an older Node gets a sentence, not a crash.

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `ccr: needs Node.js 22.13 or later; this is Node.js ${process.versions.node}. ` +
      `In the project folder, "npx ccr …" runs it on the project's own Node 22 (installed by "npx -y -p node@22 -- npm ci").`,
  );
  process.exit(2);
}

// node:sqlite (the auditor's index) still announces itself as experimental on Node 22; other warnings are printed.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "ExperimentalWarning" || !warning.message.includes("SQLite")) console.error(warning);
});

const { register } = await import("tsx/esm/api");
register();
await import("../scripts/ccr.ts");
