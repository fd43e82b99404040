/** Stable error codes of the SDK; the CLI maps them to exit statuses and messages. */
export type CCRErrorCode =
  | "INVALID_ECONOMY_CODE"
  | "INVALID_SCHEMA_ID"
  | "EMPTY_BATCH"
  | "INVALID_MEMBER_INDEX"
  | "DEPLOYMENT_FILE"
  | "NOT_A_CCR_REGISTRY"
  | "WRONG_CHAIN";

/** The one error type of the SDK: a stable `code`, a message for humans, and the underlying `cause`. */
export class CCRError extends Error {
  readonly code: CCRErrorCode;

  constructor(code: CCRErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CCRError";
    this.code = code;
  }
}
