/**
 * The credential file format (`ccr-credential/1`) and its parser, without the file system: the command line reads
 * files with `file.ts`, the web page reads dropped files and pasted text with the same parser.
 */
import { CCRError } from "../errors.ts";

/** Where a credential was anchored; batch members carry their Merkle proof so that they verify with one read. */
export interface AnchorInfo {
  chainId: number;
  registry: string;
  transaction?: string;
  batch?: { root: string; index: number; size: number; proof: string[] };
}

/**
 * A credential file as `ccr issue` writes it: the compact JWS (the signed credential, authoritative), its hash
 * (keccak256 of the JWS, the anchored value) and where it was anchored. A bare `.jwt` file holding only the JWS of a
 * single credential is read too.
 */
export interface CredentialFile {
  format: "ccr-credential/1";
  jws: string;
  hash: string;
  anchor: AnchorInfo;
}

export const CREDENTIAL_FILE_FORMAT = "ccr-credential/1";

/** What a credential file holds; `anchor` is absent for a bare JWS. */
export interface ReadCredential {
  file: string;
  jws: string;
  hash?: string | undefined;
  anchor?: AnchorInfo | undefined;
}

/** A file that could not be read as a credential, and why. */
export interface UnreadCredential {
  file: string;
  problem: string;
}

/** A compact JWS (three base64url parts), or an SD-JWT (a JWS, then `~`-separated disclosures and key binding). */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:~[A-Za-z0-9_.-]*)*$/;

/** What a file that is none of the credential forms is told. */
const NOT_A_CREDENTIAL =
  'is not a credential: a credential is a credential file (JSON with "format": "ccr-credential/1", as ' +
  "ccr issue writes), or a credential's own text: a vc+jwt JWS or an SD-JWT VC";

/**
 * Reads the text of a credential file named `file` (`ccr-credential/1` JSON, or a bare compact JWS or SD-JWT);
 * throws MALFORMED_CREDENTIAL naming it.
 */
export function parseCredentialFile(file: string, content: string): ReadCredential {
  const text = content.trim();
  if (!text.startsWith("{")) {
    if (!COMPACT.test(text)) throw new CCRError("MALFORMED_CREDENTIAL", `${file} ${NOT_A_CREDENTIAL}`);
    return { file, jws: text };
  }
  let value: Partial<CredentialFile>;
  try {
    value = JSON.parse(text) as Partial<CredentialFile>;
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", `${file} is not valid JSON, so it ${NOT_A_CREDENTIAL}`, { cause });
  }
  if (value.format !== CREDENTIAL_FILE_FORMAT || typeof value.jws !== "string") {
    throw new CCRError(
      "MALFORMED_CREDENTIAL",
      `${file} is not a CCR credential file (format ${CREDENTIAL_FILE_FORMAT})`,
    );
  }
  const batch = value.anchor?.batch;
  if (
    batch !== undefined &&
    (typeof batch.root !== "string" || !Number.isSafeInteger(batch.index) || !Array.isArray(batch.proof))
  ) {
    throw new CCRError("MALFORMED_CREDENTIAL", `${file}: field "anchor.batch" needs a root, an index and a proof`);
  }
  return { file, jws: value.jws, hash: value.hash, anchor: value.anchor };
}
