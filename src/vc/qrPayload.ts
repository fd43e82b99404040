/**
 * A credential file small enough for a printed certificate's QR code, for a batch member too (its Merkle proof
 * with it): the compact credential's base64url segments decoded to their text (JSON compresses far better than its
 * base64), the anchor kept, the whole DEFLATE-compressed and written in RFC 4648 base32, upper case. Base32's
 * alphabet (A-Z, 2-7) is inside the QR code's alphanumeric mode (5.5 bits a character, where base64url needs byte
 * mode's 8) and inside a URL fragment as it is. (Health certificates use base45, whose space and "%" a browser would
 * percent-encode in a link, so that "%20" in the payload could no longer be told from an encoded space.)
 *
 * Compression is left to the caller (node:zlib when printing, the browser's DecompressionStream when scanning): this
 * module only packs and unpacks.
 */
import { base32upper } from "multiformats/bases/base32";
import { base64url, fromBase64url, utf8Bytes, utf8Text } from "../bytes.ts";
import { CCRError } from "../errors.ts";
import { CREDENTIAL_FILE_FORMAT, type AnchorInfo, type CredentialFile } from "./credentialFile.ts";

/** The packed form, before compression: segments ("t" decoded text, "b" base64url kept), separators, anchor. */
interface Packed {
  /** Each segment of the compact credential: its text when it is base64url of UTF-8 that encodes back alike. */
  s: ({ t: string } | { b: string })[];
  /** The separators between the segments, in order ("." within a JWT, "~" between SD-JWT parts). */
  x: string;
  a?: AnchorInfo | undefined;
}

const TEXT_DECODER = new TextDecoder("utf-8", { fatal: true });

/** A segment as text when that is exact (decoding and encoding again gives it back), else as it is. */
function segment(part: string): { t: string } | { b: string } {
  try {
    const text = TEXT_DECODER.decode(fromBase64url(part));
    if (base64url(utf8Bytes(text)) === part) return { t: text };
  } catch {
    // Not base64url of UTF-8 (a signature): kept as it is.
  }
  return { b: part };
}

/** The credential file `{ jws, anchor }` packed (UTF-8 JSON, to be compressed). */
export function packCredential(jws: string, anchor: AnchorInfo | undefined): Uint8Array {
  const parts = jws.split(/[.~]/);
  const separators = jws.replace(/[^.~]/g, "");
  const packed: Packed = { s: parts.map(segment), x: separators, a: anchor };
  return utf8Bytes(JSON.stringify(packed));
}

/** The credential file's JSON text from what `packCredential` made (after decompression); refuses anything else. */
export function unpackCredential(bytes: Uint8Array): string {
  let packed: Packed;
  try {
    packed = JSON.parse(utf8Text(bytes)) as Packed;
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", "the link's credential is not a packed credential", { cause });
  }
  if (!Array.isArray(packed.s) || typeof packed.x !== "string" || packed.x.length !== packed.s.length - 1) {
    throw new CCRError("MALFORMED_CREDENTIAL", "the link's credential is not a packed credential");
  }
  const jws = packed.s
    .map((part, i) => ("t" in part ? base64url(utf8Bytes(String(part.t))) : String(part.b)) + (packed.x[i] ?? ""))
    .join("");
  const file: Omit<CredentialFile, "hash" | "anchor"> & { anchor?: AnchorInfo } = {
    format: CREDENTIAL_FILE_FORMAT,
    jws,
    ...(packed.a === undefined ? {} : { anchor: packed.a }),
  };
  return JSON.stringify(file);
}

/** Base32 (RFC 4648, upper case, no padding): the QR code's alphanumeric mode takes it as it is. */
export const toBase32 = (bytes: Uint8Array): string => base32upper.baseEncode(bytes);

export function fromBase32(text: string): Uint8Array {
  try {
    return base32upper.baseDecode(text.toUpperCase());
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", "the link's credential is not base32", { cause });
  }
}
