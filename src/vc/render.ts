/**
 * `ccr render`: a printable certificate of a credential (HTML or PDF) with a QR code that opens the web verifier.
 * The QR code carries the credential itself in the link's fragment (a batch member packed and compressed, with its
 * Merkle proof), so the verifier checks it without the file and the fragment never reaches a server; only a
 * credential too large even so is named by its hash, and the page asks for the file.
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from "pdf-lib";
import QRCode from "qrcode";
import { deflateRawSync } from "node:zlib";
import { utf8Bytes } from "../bytes.ts";
import { CCRError } from "../errors.ts";
import type { ReadCredential } from "./credentialFile.ts";
import { packCredential, toBase32 } from "./qrPayload.ts";
import type { CredentialSummary } from "./show.ts";

/** Where a QR code sends its reader: the verifier page, with the credential or only its hash in the fragment. */
export interface VerifierLink {
  url: string;
  carries: "credential" | "hash";
  /** The QR code's modules, row by row (true: dark). */
  modules: boolean[][];
}

/**
 * The QR code of `segments` (a link's parts, each in the mode it fits) at error correction M (15 % of the code may be
 * damaged) or, failing that, L; undefined when it is too long for either.
 */
function qrModules(segments: QRCode.QRCodeSegment[]): boolean[][] | undefined {
  for (const errorCorrectionLevel of ["M", "L"] as const) {
    try {
      const { modules } = QRCode.create(segments, { errorCorrectionLevel });
      const size = modules.size;
      return Array.from({ length: size }, (_, row) =>
        Array.from({ length: size }, (_, column) => modules.get(row, column) === 1),
      );
    } catch {
      // Too long at this level: try the next.
    }
  }
  return undefined;
}

/**
 * The verifier link for a credential: `#vc=<JWS>` for a credential anchored on its own; `#z=<packed>` for a batch
 * member, whose file (its Merkle proof with it) is packed, compressed and written in base32 (`qrPayload.ts`) in the
 * QR code's alphanumeric mode; `#hash=<hash>` only when even that does not fit.
 */
export function verifierLink(verifier: string, read: ReadCredential, hash: string): VerifierLink {
  const base = verifier.split("#")[0] ?? verifier;
  const batch = read.anchor?.batch;
  // A link's parts: each in the QR mode it fits (byte mode for the address, alphanumeric for base32).
  const parts: [string, "byte" | "alphanumeric"][] =
    batch === undefined
      ? [[`${base}#vc=${read.jws}`, "byte"]]
      : [
          [`${base}#z=`, "byte"],
          [toBase32(deflateRawSync(packCredential(read.jws, read.anchor), { level: 9 })), "alphanumeric"],
        ];
  const segments = (list: [string, "byte" | "alphanumeric"][]): QRCode.QRCodeSegment[] =>
    list.map(([text, mode]) => (mode === "byte" ? { data: utf8Bytes(text), mode } : { data: text, mode }));
  const modules = qrModules(segments(parts));
  if (modules !== undefined) return { url: parts.map(([text]) => text).join(""), carries: "credential", modules };
  const short = `${base}#hash=${hash}`;
  return { url: short, carries: "hash", modules: qrModules(segments([[short, "byte"]])) ?? [] };
}

/** What the certificate shows, in the order it shows it. */
/** The verdict of a credential that was not VALID when its certificate was rendered (with --force). */
export interface CertificateVerdict {
  outcome: "invalid" | "undecided";
  reason: string;
  /** When it was checked (ISO 8601). */
  at: string;
}

export interface Certificate {
  /** Set when the credential was not VALID at render time: printed above its claims, which are then unverified. */
  verdict?: CertificateVerdict | undefined;
  title: string;
  issuer: string;
  holder: string;
  fields: [string, string][];
  validity: string;
  hash: string;
  anchor: string;
  link: VerifierLink;
}

const words = (name: string): string => name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());

/** The warning a certificate of a credential that is not VALID carries above its claims. */
export function verdictWarning(v: CertificateVerdict): string {
  return (
    `NOT VALID: ${v.outcome.toUpperCase()} when this was printed (${v.at}): ${v.reason}. ` +
    "What follows are unverified claims of a credential that is not valid."
  );
}

/** What people read for a credential's type and fields: the registered schema's name, its fields' titles. */
export interface CertificateLabels {
  name: string;
  fields: Record<string, string>;
}

export function certificateOf(
  summary: CredentialSummary,
  link: VerifierLink,
  verdict?: CertificateVerdict,
  labels?: CertificateLabels,
): Certificate {
  const value = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
  const issuer = "name" in summary.issuerName ? `${summary.issuerName.name} (${summary.issuer})` : summary.issuer;
  const batch = summary.anchor?.batch;
  return {
    verdict,
    title: labels?.name ?? words(summary.types.at(-1) ?? "Credential"),
    issuer,
    holder: summary.holder ?? "not bound to a holder",
    fields: Object.entries(summary.subject).map(([field, v]) => [labels?.fields[field] ?? words(field), value(v)]),
    validity: `from ${summary.validFrom.slice(0, 10)}${summary.validUntil === undefined ? "" : ` until ${summary.validUntil.slice(0, 10)}`}`,
    hash: summary.hash,
    anchor:
      `registry ${summary.status.registry} on chain ${summary.status.chainId}` +
      (batch === undefined ? "" : `, batch ${batch.root.slice(0, 18)}…, member ${batch.index} of ${batch.size}`),
    link,
  };
}

const escape = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The instruction printed under the QR code. */
function scanText(link: VerifierLink): string {
  return link.carries === "credential"
    ? "Scan to verify this credential in your browser: the code carries the credential itself."
    : "Scan to open the verifier, then drop the credential file you received: the code names its hash.";
}

/**
 * How large the QR code prints: 0.45 mm a module (phone cameras read 0.3 mm and up reliably), quiet zone included,
 * and never under 46 mm.
 */
function qrMillimetres(modules: boolean[][]): number {
  return Math.max(46, Math.ceil((modules.length + 8) * 0.45));
}

/** The QR code as an SVG path (one square per dark module), `size` units wide including a quiet zone of 4. */
function qrSvg(modules: boolean[][], label: string): string {
  const n = modules.length;
  const squares = modules
    .flatMap((row, y) => row.map((dark, x) => (dark ? `M${x + 4} ${y + 4}h1v1h-1z` : "")))
    .join("");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n + 8} ${n + 8}" role="img" aria-label="${escape(label)}" ` +
    `shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="${squares}" fill="#000"/></svg>`
  );
}

/** One self-contained HTML page (no script, no external resource), A4 when printed. */
export function certificateHtml(c: Certificate): string {
  const row = ([label, value]: [string, string]): string =>
    `<tr><th scope="row">${escape(label)}</th><td>${escape(value)}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(c.title)}</title>
<style>
@page{size:A4;margin:18mm}
body{font-family:Georgia,"Times New Roman",serif;color:#1a202c;max-width:48rem;margin:2rem auto;padding:0 1rem}
h1{font-size:2rem;text-align:center;margin:0 0 .25rem}
.by{text-align:center;margin:0 0 1.5rem;font-size:1.1rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{padding:.35rem .5rem;text-align:left;vertical-align:top;border-bottom:1px solid #cbd5e0;overflow-wrap:anywhere}
th{width:30%;font-weight:600}
.verify{display:flex;gap:1.5rem;align-items:center;margin-top:2rem;font-family:system-ui,sans-serif;font-size:.85rem}
.verify svg{flex:none}
code{word-break:break-all;font-size:.75rem}
.verdict{border:3px solid #b00;color:#b00;background:#fff5f5;padding:.75rem 1rem;font-weight:700;font-family:system-ui,sans-serif}
.unverified td{color:#6b7280;font-style:italic}
</style></head><body>
<main>
${c.verdict === undefined ? "" : `<p class="verdict" role="alert">${escape(verdictWarning(c.verdict))}</p>\n`}<h1>${escape(c.title)}</h1>
<p class="by">issued by ${escape(c.issuer)}</p>
<table${c.verdict === undefined ? "" : ' class="unverified"'}>${c.verdict === undefined ? "" : "<caption>Unverified claims</caption>"}<tbody>
${row(["Holder", c.holder])}
${c.fields.map(row).join("\n")}
${row(["Valid", c.validity])}
</tbody></table>
<section class="verify" aria-label="Verification">
${qrSvg(c.link.modules, "QR code: a link to the verifier").replace("<svg ", `<svg style="width:${qrMillimetres(c.link.modules)}mm;height:${qrMillimetres(c.link.modules)}mm" `)}
<div><p><strong>${escape(scanText(c.link))}</strong></p>
<p>Credential hash <code>${escape(c.hash)}</code><br>anchored in the ${escape(c.anchor)}</p>
<p>Verifier: <code>${escape(c.link.url.split("#")[0] ?? "")}</code></p></div>
</section>
</main>
</body></html>
`;
}

/** Lines of at most `width` points in `font` at `size`, breaking at spaces (or anywhere in a long word). */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const candidate = line === "" ? word : `${line} ${word}`;
    if (font.widthOfTextAtSize(candidate, size) <= width) {
      line = candidate;
      continue;
    }
    if (line !== "") lines.push(line);
    line = word;
    while (font.widthOfTextAtSize(line, size) > width) {
      let cut = line.length;
      while (cut > 1 && font.widthOfTextAtSize(line.slice(0, cut), size) > width) cut--;
      lines.push(line.slice(0, cut));
      line = line.slice(cut);
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * The certificate as a one-page A4 PDF (pdf-lib, its standard fonts). Those fonts show Latin script only: a field in
 * another script is refused with its name, and the HTML certificate (which a browser prints in any script) suggested.
 */
export async function certificatePdf(c: Certificate): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(c.title);
  pdf.setCreator("ccr render");
  const serif = await pdf.embedFont(StandardFonts.TimesRoman);
  const bold = await pdf.embedFont(StandardFonts.TimesRomanBold);
  const sans = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([595.28, 841.89]);
  const margin = 56;
  const width = page.getWidth() - 2 * margin;
  let y = page.getHeight() - margin;

  /** Refuses what the standard fonts cannot encode, naming it, before anything is measured or drawn. */
  const showable = (value: string, what: string, font: PDFFont): void => {
    try {
      font.encodeText(value);
    } catch {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `${what} "${value}" has characters the PDF's standard fonts cannot show: render it as HTML ` +
          `(--out <file>.html), which a browser prints in any script`,
      );
    }
  };
  const text = (value: string, what: string, font: PDFFont, size: number, x: number, maxWidth: number): void => {
    showable(value, what, font);
    for (const line of wrap(value, font, size, maxWidth)) {
      y -= size * 1.3;
      page.drawText(line, { x, y, size, font, color: rgb(0.1, 0.13, 0.17) });
    }
  };
  const centred = (value: string, what: string, font: PDFFont, size: number): void => {
    showable(value, what, font);
    for (const line of wrap(value, font, size, width)) {
      const x = margin + (width - font.widthOfTextAtSize(line, size)) / 2;
      y -= size * 1.3;
      page.drawText(line, { x, y, size, font, color: rgb(0.1, 0.13, 0.17) });
    }
  };

  if (c.verdict !== undefined) {
    const warning = verdictWarning(c.verdict);
    showable(warning, "the verdict", bold);
    for (const line of wrap(warning, bold, 12, width)) {
      y -= 12 * 1.3;
      page.drawText(line, { x: margin, y, size: 12, font: bold, color: rgb(0.7, 0.05, 0.05) });
    }
    y -= 10;
  }
  centred(c.title, "the credential type", bold, 26);
  y -= 6;
  centred(`issued by ${c.issuer}`, "the issuer's name", serif, 12);
  y -= 16;
  for (const [label, value] of [["Holder", c.holder], ...c.fields, ["Valid", c.validity]] as [string, string][]) {
    const top = y;
    text(label, "a field's name", bold, 11, margin, width * 0.3 - 8);
    const labelBottom = y;
    y = top;
    text(value, `field ${label}`, serif, 11, margin + width * 0.3, width * 0.7);
    y = Math.min(y, labelBottom) - 6;
    page.drawLine({
      start: { x: margin, y: y + 2 },
      end: { x: margin + width, y: y + 2 },
      thickness: 0.5,
      color: rgb(0.8, 0.84, 0.88),
    });
  }
  const qr = (qrMillimetres(c.link.modules) * 72) / 25.4;
  drawQr(page, c.link.modules, margin, margin, qr);
  y = margin + qr;
  const right = margin + qr + 15;
  const column = width - qr - 15;
  text(scanText(c.link), "the instruction", sans, 9, right, column);
  y -= 4;
  text(`Credential hash ${c.hash}`, "the hash", sans, 8, right, column);
  text(`anchored in the ${c.anchor}`, "the anchor", sans, 8, right, column);
  text(`Verifier: ${c.link.url.split("#")[0] ?? ""}`, "the verifier's address", sans, 8, right, column);
  return pdf.save();
}

/** Draws the QR code's modules as black squares in a `size`-point square at (x, y), with a white quiet zone. */
function drawQr(page: PDFPage, modules: boolean[][], x: number, y: number, size: number): void {
  const n = modules.length + 8;
  const unit = size / n;
  page.drawRectangle({ x, y, width: size, height: size, color: rgb(1, 1, 1) });
  modules.forEach((row, r) =>
    row.forEach((dark, column) => {
      if (!dark) return;
      page.drawRectangle({
        x: x + (column + 4) * unit,
        y: y + size - (r + 5) * unit,
        width: unit,
        height: unit,
        color: rgb(0, 0, 0),
      });
    }),
  );
}
