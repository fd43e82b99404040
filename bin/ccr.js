#!/usr/bin/env node
/* global process, console */
// The `ccr` command: runs scripts/ccr.ts through tsx, which resolves the typechain bindings' `.js` imports to `.ts`.
import { register } from "tsx/esm/api";

// node:sqlite (the auditor's index) still announces itself as experimental on Node 22; other warnings are printed.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "ExperimentalWarning" || !warning.message.includes("SQLite")) console.error(warning);
});

register();
await import("../scripts/ccr.ts");
