/**
 * Settings the command line names in its help, kept apart from the modules that use them so that `ccr --help`
 * loads nothing else.
 */

/** How long one RPC request may take before it counts as failed (retried by long jobs, else: node unreachable). */
export const RPC_TIMEOUT_MS = 30_000;

/** The environment variable that holds an encrypted keystore's password. */
export const KEYSTORE_PASSWORD_ENV = "CCR_KEYSTORE_PASSWORD";
