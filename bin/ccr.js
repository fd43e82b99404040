#!/usr/bin/env node
/* global process, console, URL */
// The `ccr` command: runs the command line built into dist/cli (plain JavaScript, `npm run build:cli`; npm ci and
// npm pack build it). Nothing is imported before the Node version is checked, so an older Node gets a sentence.

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

// V8's compiled code is kept on disk between runs (Node's module compile cache, in the system's temporary folder):
// a command starts in about half the time once it has run before.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();

// The issuer service optimizes its hot code sooner than V8's defaults (Maglev after 50 calls instead of 400, TurboFan
// after 400 instead of 3,000): started again after a crash, it serves at full speed within about 3 s instead of 7
// (npm run bench:wallet: a 10,000-device fleet with two kills 3 to 4 s sooner). Set before any of its code is
// compiled. Not for `ccr serve`, whose verifier bench's short bursts paid more to compile than they gained.
if (process.argv.slice(2).includes("issuer-service")) {
  const { setFlagsFromString } = await import("node:v8");
  setFlagsFromString("--invocation-count-for-maglev=50");
  setFlagsFromString("--invocation-count-for-turbofan=400");
}

const built = new URL("../dist/cli/ccr.js", import.meta.url);
try {
  await import(built.href);
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(built.pathname)) throw error;
  console.error('ccr: the command line is not built: run "npm run build:cli" in the project folder (npm ci does it)');
  process.exit(2);
}
