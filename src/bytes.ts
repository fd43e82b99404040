/**
 * Bytes, text and their encodings, the same in Node and in the browser (ethers' codecs: Node's Buffer underneath in
 * Node, the browser's own in a browser), so that the SDK's credential code runs in both.
 */
import { decodeBase64, encodeBase64, getAddress, getBytes, sha256, toUtf8Bytes } from "ethers";

/** UTF-8 bytes of `text`. */
export const utf8Bytes = (text: string): Uint8Array => toUtf8Bytes(text);

const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });

/** `bytes` read as UTF-8 (throws on invalid UTF-8). */
export const utf8Text = (bytes: Uint8Array): string => UTF8_DECODER.decode(bytes);

/** base64url (RFC 4648 §5, unpadded) of bytes or of a text's UTF-8 bytes. */
export function base64url(data: Uint8Array | string): string {
  return encodeBase64(typeof data === "string" ? toUtf8Bytes(data) : data)
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The bytes of base64url (or base64) text; throws when it is not. */
export function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_+/-]*={0,2}$/.test(text)) throw new Error("not base64url");
  const standard = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  return decodeBase64(standard + "=".repeat((4 - (standard.length % 4)) % 4));
}

/** The UTF-8 text that base64url `text` encodes. */
export const fromBase64urlText = (text: string): string => utf8Text(fromBase64url(text));

/** Standard base64 (padded) of `bytes`. */
export const base64 = (bytes: Uint8Array): string => encodeBase64(bytes);

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** 0x-hex of bytes (a table lookup per byte: many times as fast as ethers' `hexlify` on hot paths). */
export function hex(bytes: Uint8Array): string {
  let text = "0x";
  for (const byte of bytes) text += HEX_DIGITS[byte] ?? "";
  return text;
}

/** The bytes of 0x-hex already checked to be whole bytes, eight digits per parse. */
function hexBytes(text: string): Uint8Array {
  const bytes = new Uint8Array((text.length - 2) / 2);
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) {
    const chunk = parseInt(text.slice(2 + 2 * i, 10 + 2 * i), 16);
    bytes[i] = chunk >>> 24;
    bytes[i + 1] = (chunk >>> 16) & 0xff;
    bytes[i + 2] = (chunk >>> 8) & 0xff;
    bytes[i + 3] = chunk & 0xff;
  }
  for (; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 + 2 * i, 4 + 2 * i), 16);
  return bytes;
}

/**
 * The bytes of 0x-hex (an even number of digits): many times as fast as ethers' `getBytes` on hot paths (Merkle
 * proofs). Throws when `text` is not 0x-hex.
 */
export function fromHex(text: string): Uint8Array {
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(text)) throw new Error(`not 0x-hex of whole bytes: ${text.slice(0, 24)}`);
  return hexBytes(text);
}

/** A 32-byte 0x-hex value (a hash, a batch root) as bytes, or undefined when it is not one. */
export const fromWord = (text: string): Uint8Array | undefined =>
  /^0x[0-9a-fA-F]{64}$/.test(text) ? hexBytes(text) : undefined;

/** SHA-256 of bytes or of a text's UTF-8 bytes. */
export const sha256Bytes = (data: Uint8Array | string): Uint8Array =>
  getBytes(sha256(typeof data === "string" ? toUtf8Bytes(data) : data));

/** A 0x-hex SHA-256 digest as a W3C Subresource Integrity string (`sha256-<base64>`, VC 2.0 `digestSRI`). */
export function digestSRI(digest: string): string {
  return `sha256-${base64(fromHex(digest))}`;
}

const CHECKSUMS = new Map<string, string>();

/**
 * `getAddress`: the checksummed form of an address (throws on a malformed one), each computed once (a checksum is a
 * keccak256, and a run names few addresses many times).
 */
export function checksummed(address: string): string {
  let known = CHECKSUMS.get(address);
  if (known === undefined) {
    known = getAddress(address);
    if (CHECKSUMS.size >= 10_000) CHECKSUMS.clear();
    CHECKSUMS.set(address, known);
  }
  return known;
}
