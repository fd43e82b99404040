import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { demoType } from "../deploy/demoData.ts";
import { CCRError } from "../src/errors.ts";
import { credentialFiles, readCredentialFile, writeJsonListAtomic } from "../src/vc/file.ts";
import { decodeInput, readSubjects, subjectDigest } from "../src/vc/input.ts";
import { reasonCode } from "../src/vc/status.ts";
import { checkSubject } from "../src/vc/subjects.ts";
import { holderDid } from "./holders.ts";
import { rejection } from "./rejection.ts";

describe("SDK input, files and encodings", function () {
  let dir = "";
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "ccr-sdk-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("checks subjects against the shipped JSON Schemas, naming each field", async function () {
    const kyc = await demoType("kyc");
    expect(
      checkSubject(kyc.validate, { id: holderDid("1"), assuranceLevel: "high", verifiedOn: "2026-11-01" }),
    ).to.deep.equal([]);
    expect(checkSubject(kyc.validate, { id: holderDid("1"), assuranceLevel: "extreme", colour: "red" })).to.deep.equal([
      { field: "verifiedOn", message: "is required" },
      { field: "colour", message: "is not a field of this credential type" },
      { field: "assuranceLevel", message: "must be equal to one of the allowed values" },
    ]);
  });

  it("reads JSON input as an array of subjects and refuses anything else with the file's name", async function () {
    const device = await demoType("device");
    const good = join(dir, "subjects.json");
    await writeFile(
      good,
      JSON.stringify([{ id: holderDid("d1"), manufacturer: "M", model: "X", serialNumber: "1" }, 42]),
    );
    const input = await readSubjects(good, device);
    expect(input.rows).to.have.length(2);
    expect(input.problems).to.deep.equal([
      { row: 2, line: undefined, field: "id", message: "is required: the holder's DID (did:ethr, did:key or did:jwk)" },
      { row: 2, line: undefined, field: "manufacturer", message: "is required" },
      { row: 2, line: undefined, field: "model", message: "is required" },
      { row: 2, line: undefined, field: "serialNumber", message: "is required" },
    ]);
    const object = join(dir, "object.json");
    await writeFile(object, "{}");
    const error = await rejection(readSubjects(object, device));
    expect(error.code).to.equal("INVALID_INPUT");
    expect(error.message).to.equal(`${object}: expected a JSON array of credential subjects`);
    // Malformed JSON: the line and column where it breaks.
    const broken = join(dir, "broken.json");
    await writeFile(broken, '[\n  {"id": "x"},\n  {"id" "y"}\n]\n');
    expect((await rejection(readSubjects(broken, device))).message).to.equal(
      `${broken} line 3 column 9: malformed JSON: Parser cannot parse input: expected ':'`,
    );
    const text = join(dir, "subjects.txt");
    await writeFile(text, "x");
    expect((await rejection(readSubjects(text, device))).message).to.equal(
      `${text}: the input must be a .csv or a .json file`,
    );
    expect((await rejection(readSubjects(join(dir, "missing.csv"), device))).message).to.equal(
      `cannot read input file ${join(dir, "missing.csv")}: it does not exist`,
    );
  });

  it("decodes input chunk by chunk: a character split between chunks is read whole, a bad byte named by its line", async function () {
    const chunks = (...parts: (string | number[])[]): AsyncIterable<Uint8Array> =>
      Readable.from(
        parts.map((part) => (typeof part === "string" ? Buffer.from(part, "latin1") : Uint8Array.from(part))),
      );
    const read = async (...parts: (string | number[])[]): Promise<string> => {
      let text = "";
      for await (const piece of decodeInput("in.csv", chunks(...parts))) text += piece;
      return text;
    };
    // "ë" is C3 AB in UTF-8; here its two bytes arrive in two chunks, after a byte order mark.
    expect(await read([0xef, 0xbb, 0xbf, 0x61, 0x0a, 0x5a, 0x6f, 0xc3], [0xab, 0x0a])).to.equal("a\nZo\u00eb\n");
    const refusal = async (...parts: (string | number[])[]): Promise<string> =>
      (await rejection(read(...parts))).message;
    // Line 3 ends in a split "ë"; line 4 has a byte no UTF-8 text has (the chunk's leading C3 tail is not it).
    expect(await refusal("a\nb\nc\u00c3", [0xab, 0x0a, 0x64, 0xff, 0x0a])).to.match(/^in\.csv line 4 is not UTF-8 /);
    // A file that ends in the middle of a character.
    expect(await refusal("a\nb\n", [0xc3])).to.match(/^in\.csv line 3 is not UTF-8 /);
    expect(await refusal("x\ny\n", [0x7a, 0xef, 0xbf, 0xbd])).to.match(/^in\.csv line 3 contains U\+FFFD/);
    expect(await refusal([0xff, 0xfe, 0x61, 0x00])).to.match(/^in\.csv is not UTF-8: it is UTF-16/);
    // UTF-16 without a byte order mark: every other byte zero. Named as such, with the option that reads it.
    const wide = (text: string, order: "utf16le" | "ucs2be") =>
      order === "utf16le" ? [...Buffer.from(text, "utf16le")] : [...Buffer.from(text, "utf16le").swap16()];
    expect(await refusal(wide("id,name\nx,y\n", "utf16le"))).to.equal(
      "in.csv is not UTF-8: it looks like UTF-16 little-endian without a byte order mark (every other byte is zero). " +
        "Save it as UTF-8, or name its encoding: --encoding utf-16le",
    );
    expect(await refusal(wide("id,name\nx,y\n", "ucs2be"))).to.match(/big-endian without .* --encoding utf-16be$/);
  });

  it("keeps each checked row's place and digest, not its subject, and reads the subjects again in order", async function () {
    const device = await demoType("device");
    const file = join(dir, "devices.csv");
    const rows = Array.from({ length: 3 }, (_, i) => `${holderDid(`dev${i}`)},Maker,X1,SN-${i}`);
    await writeFile(file, ["id,manufacturer,model,serialNumber", ...rows].join("\n"));
    const input = await readSubjects(file, device);
    const subjects = [];
    for await (const row of input.subjects()) subjects.push(row);
    expect(subjects.map((r) => r.subject.serialNumber)).to.deep.equal(["SN-0", "SN-1", "SN-2"]);
    expect(input.rows).to.deep.equal(
      subjects.map((r) => ({ row: r.row, line: r.row + 1, digest: subjectDigest(r.subject) })),
    );
    // A reader left early closes the file (its generator is done afterwards).
    const reader = input.subjects();
    const first = await reader.next();
    expect(first.done === true ? undefined : first.value.row).to.equal(1);
    expect(await reader.return(undefined)).to.deep.equal({ done: true, value: undefined });
  });

  it("writes a long list in chunks byte for byte as JSON.stringify writes it whole", async function () {
    const head = { format: "ccr-manifest/1", nested: { a: [1, 2], b: null }, skipped: [] };
    for (const count of [0, 1, 3, 5_000]) {
      const items = Array.from({ length: count }, (_, i) => ({ row: i + 1, hash: `0x${i}`, batch: { index: i } }));
      const file = join(dir, `list-${count}.json`);
      await writeJsonListAtomic(file, head, "credentials", items.values());
      expect(await readFile(file, "utf8"), `${count} item(s)`).to.equal(
        `${JSON.stringify({ ...head, credentials: items }, null, 2)}\n`,
      );
    }
  });

  it("expands folders to their credential files and refuses files that are not credentials", async function () {
    const folder = join(dir, "credentials");
    await mkdir(folder);
    for (const name of ["credential-2.json", "credential-1.json", "manifest.json", "notes.txt", "single.jwt"]) {
      await writeFile(join(folder, name), "{}");
    }
    expect(await credentialFiles([folder, "x.json"])).to.deep.equal([
      join(folder, "credential-1.json"),
      join(folder, "credential-2.json"),
      join(folder, "single.jwt"),
      "x.json",
    ]);
    const error = await rejection(readCredentialFile(join(folder, "credential-1.json")));
    expect(error.code).to.equal("MALFORMED_CREDENTIAL");
    expect(error.message).to.equal(
      `${join(folder, "credential-1.json")} is not a CCR credential file (format ccr-credential/1)`,
    );
  });

  it("takes RFC 5280 reasons by name or code and lists them when unknown", function () {
    expect(reasonCode("keyCompromise")).to.equal(1);
    expect(reasonCode("9")).to.equal(9);
    expect(() => reasonCode("7")).to.throw(
      CCRError,
      'unknown reason "7"; use one of unspecified (0), keyCompromise (1)',
    );
    expect(() => reasonCode("lost")).to.throw(CCRError, 'unknown reason "lost"');
  });
});
