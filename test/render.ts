import { expect } from "chai";
import { generateKeyPairSync } from "node:crypto";
import { PDFDocument, PDFPage, type PDFFont } from "pdf-lib";
import { base64url } from "../src/bytes.ts";
import { certificatePdf, type Certificate } from "../src/vc/render.ts";

/** Every piece of text `certificatePdf` draws, with where it starts and how wide it is. */
interface Drawn {
  text: string;
  x: number;
  y: number;
  width: number;
}

async function drawnText(certificate: Certificate): Promise<{ drawn: Drawn[]; pdf: Uint8Array }> {
  const drawn: Drawn[] = [];
  // Kept unbound on purpose: it is put back on the prototype, and called with each page as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = PDFPage.prototype.drawText;
  PDFPage.prototype.drawText = function (this: PDFPage, text, options) {
    const font = options?.font as PDFFont;
    const size = options?.size ?? 12;
    drawn.push({ text, x: options?.x ?? 0, y: options?.y ?? 0, width: font.widthOfTextAtSize(text, size) });
    return original.call(this, text, options);
  };
  try {
    return { drawn, pdf: await certificatePdf(certificate) };
  } finally {
    PDFPage.prototype.drawText = original;
  }
}

/** The lines drawn after the label `from` and before the label `to`. */
function linesAfter(drawn: Drawn[], from: string, to: string): string[] {
  const texts = drawn.map((piece) => piece.text);
  return texts.slice(texts.indexOf(from) + 1, texts.indexOf(to));
}

describe("Printed certificate (PDF layout)", function () {
  // A did:jwk holder: a P-256 public key in base64url JSON, about 130 characters without a space to break at.
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const holder = `did:jwk:${base64url(JSON.stringify(publicKey.export({ format: "jwk" })))}`;
  const certificate: Certificate = {
    title: "Academic Diploma",
    issuer: "National University of Singapore (SG)",
    holder,
    fields: [
      ["Name", "Ava Nguyen"],
      ["Degree", "Bachelor of Science"],
      ["Key reference", `${holder}#0`],
    ],
    validity: "2026-06-30 to 2030-06-30",
    hash: `0x${"ab".repeat(32)}`,
    anchor: "batch 0x" + "cd".repeat(32) + " (member 5 of 8)",
    link: { url: "http://127.0.0.1:8787/#hash=0x" + "ab".repeat(32), carries: "hash", modules: [[true]] },
  };

  it("keeps a long did:jwk holder inside the page: wrapped within the margins, every line on the page", async function () {
    expect(holder.length).to.be.greaterThan(120);
    const { drawn, pdf } = await drawnText(certificate);
    const page = (await PDFDocument.load(pdf)).getPage(0);
    const margin = 56;
    for (const piece of drawn) {
      expect(piece.x, piece.text).to.be.at.least(margin - 0.01);
      expect(piece.x + piece.width, piece.text).to.be.at.most(page.getWidth() - margin + 0.01);
      expect(piece.y, piece.text).to.be.within(margin, page.getHeight() - margin);
    }
    // The holder is all there, on more than one line, in pieces that join to it.
    const holderLines = linesAfter(drawn, "Holder", "Name");
    expect(holderLines.length).to.be.greaterThan(1);
    expect(holderLines.join("")).to.equal(holder);
  });

  it("wraps at spaces before it breaks words, and never loses a character", async function () {
    const long = "Bachelor of Science with First Class Honours in Computational Biology and Bioinformatics";
    const { drawn } = await drawnText({ ...certificate, fields: [["Degree", long]] });
    const lines = linesAfter(drawn, "Degree", "Valid");
    expect(lines.length).to.be.greaterThan(1);
    expect(lines.every((line) => !line.startsWith(" ") && !line.endsWith(" "))).to.equal(true);
    expect(lines.join(" ")).to.equal(long);
  });
});
