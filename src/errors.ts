/** Stable error codes of the SDK; the CLI maps them to exit statuses and messages. */
export type CCRErrorCode =
  | "INVALID_ECONOMY_CODE"
  | "INVALID_SCHEMA_ID"
  | "EMPTY_BATCH"
  | "INVALID_MEMBER_INDEX"
  | "DEPLOYMENT_FILE"
  | "NOT_A_CCR_REGISTRY"
  | "WRONG_CHAIN"
  | "MALFORMED_CREDENTIAL"
  | "INVALID_SIGNATURE"
  | "INVALID_INPUT"
  | "JOURNAL_MISMATCH"
  | "ANCHOR_MISMATCH"
  | "OUTPUT_IN_USE"
  | "OUTPUT_PROBLEM"
  | "TRANSACTION_REFUSED"
  | "RPC_UNAVAILABLE"
  | "REFUSED_BY_REGISTRY"
  | "KEY_UNAVAILABLE"
  | "INVALID_ARGUMENT"
  | "INDEX_FILE"
  | "INVALID_SCHEMA"
  | "SCHEMA_MISMATCH"
  | "KEY_MISMATCH"
  | "INVALID_PRESENTATION"
  | "INVALID_PROPOSAL"
  | "INSUFFICIENT_FUNDS"
  | "TRANSACTION_PENDING"
  | "TRANSACTION_REPLACED"
  | "ISSUER_STORE"
  | "VERIFIER_STORE";

/**
 * The one error type of the SDK: a stable `code`, a message for humans, `details` when there are several findings
 * (every bad input row, for instance), and the underlying `cause`.
 */
export class CCRError extends Error {
  readonly code: CCRErrorCode;
  readonly details: readonly string[];

  constructor(code: CCRErrorCode, message: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message, options);
    this.name = "CCRError";
    this.code = code;
    this.details = options?.details ?? [];
  }
}
