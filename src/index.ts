export * from "./batch.ts";
export * from "./codes.ts";
export * from "./deployment.ts";
export * from "./errors.ts";
export * from "./signing.ts";
