#!/usr/bin/env node
// The `ccr` command: runs scripts/ccr.ts through tsx, which resolves the typechain bindings' `.js` imports to `.ts`.
import { register } from "tsx/esm/api";

register();
await import("../scripts/ccr.ts");
