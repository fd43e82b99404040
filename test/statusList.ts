import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { expect } from "chai";
import { Wallet } from "ethers";
import {
  MIN_STATUS_LIST_BITS,
  STATUS_LIST_SIZE,
  encodeBitstring,
  allocateStatusIndices,
  recordStatusAnchors,
  runBits,
  statusListEntries,
  type StatusReader,
  type StatusRegister,
} from "../src/vc/statusList.ts";
import { rejection } from "./rejection.ts";

describe("status register: Bitstring Status List indices allocated before signing", function () {
  const issuer = Wallet.createRandom().address;
  const registry = Wallet.createRandom().address;
  const owner = { chainId: 31337, genesisHash: `0x${"01".repeat(32)}`, registry, issuer };
  const base = "https://status.university.example/lists";
  let dir = "";
  let file = "";

  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "ccr-register-"));
    file = join(dir, "status-lists", `${issuer}.json`);
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives each run its own indices, the same ones again on a resume, never one twice", async function () {
    expect(await allocateStatusIndices({ file, baseUrl: base }, owner, "run-a", 1000)).to.deep.equal({
      start: 0,
      baseUrl: base,
    });
    expect(await allocateStatusIndices({ file }, owner, "run-b", 5)).to.deep.equal({ start: 1000, baseUrl: base });
    // A resumed run-a: the same indices, nothing new allocated.
    expect(await allocateStatusIndices({ file }, owner, "run-a", 1000)).to.deep.equal({ start: 0, baseUrl: base });
    // Ten runs at once (ten processes would queue on the same lock): disjoint ranges without gaps.
    const starts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => allocateStatusIndices({ file }, owner, `run-${i}`, 7)),
    );
    expect(starts.map((s) => s.start).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => 1005 + 7 * i),
    );
    const register = JSON.parse(await readFile(file, "utf8")) as StatusRegister;
    expect(register).to.deep.include({ format: "ccr-status-register/1", next: 1075, baseUrl: base, issuer });

    // Recorded as the run signs: the anchors so far, each call a longer list than the last.
    const anchors = [
      { root: `0x${"aa".repeat(32)}`, size: 3 },
      { credential: `0x${"bb".repeat(32)}` },
      { credential: `0x${"cc".repeat(32)}` },
    ];
    const recorded = async () =>
      (JSON.parse(await readFile(file, "utf8")) as StatusRegister).runs.find((r) => r.runId === "run-b")?.anchors;
    await recordStatusAnchors({ file }, "run-b", anchors.slice(0, 1));
    expect(await recorded()).to.deep.equal(anchors.slice(0, 1));
    await recordStatusAnchors({ file }, "run-b", anchors);
    expect(await recorded()).to.deep.equal(anchors);
    // A resumed run records its first groups again: nothing is lost.
    await recordStatusAnchors({ file }, "run-b", anchors.slice(0, 2));
    expect(await recorded()).to.deep.equal(anchors);
    const other = await rejection(recordStatusAnchors({ file }, "run-b", [{ credential: `0x${"bb".repeat(32)}` }]));
    expect([other.code, other.message]).to.deep.equal([
      "JOURNAL_MISMATCH",
      `the status register ${file} records another anchor of run run-b at its anchor 1: the register and this ` +
        "output folder's journal do not belong together; nothing was sent",
    ]);
    const over = await rejection(
      recordStatusAnchors({ file }, "run-b", [...anchors, { credential: `0x${"dd".repeat(32)}` }]),
    );
    expect(over.message).to.equal(`run run-b holds 5 indices in ${file}, but its anchors cover 6`);
  });

  it("refuses another base URL, another issuer's register and a damaged one, naming them", async function () {
    await allocateStatusIndices({ file, baseUrl: base }, owner, "run-a", 1);
    const moved = await rejection(
      allocateStatusIndices({ file, baseUrl: "https://elsewhere.example" }, owner, "run-b", 1),
    );
    expect([moved.code, moved.message]).to.deep.equal([
      "INVALID_ARGUMENT",
      `${issuer}'s status lists are published at ${base} (${file}); --status-url https://elsewhere.example would ` +
        "point credentials elsewhere. Leave it out, or use another register",
    ]);
    const other = Wallet.createRandom().address;
    const foreign = await rejection(allocateStatusIndices({ file }, { ...owner, issuer: other }, "run-c", 1));
    expect(foreign.code).to.equal("JOURNAL_MISMATCH");
    expect(foreign.message).to.include(`is the status register of ${issuer} on chain 31337`);
    // The same chain id and registry address on another chain (a restarted devnet): refused, naming both geneses.
    const restarted = `0x${"02".repeat(32)}`;
    const elsewhere = await rejection(
      allocateStatusIndices({ file }, { ...owner, genesisHash: restarted }, "run-e", 1),
    );
    expect([elsewhere.code, elsewhere.message]).to.deep.equal([
      "WRONG_CHAIN",
      `${file} is the status register of ${issuer} on another chain with the id 31337 (genesis ${owner.genesisHash}; ` +
        `this chain's is ${restarted}: a restarted devnet is a new chain). Its indices and anchors are not this ` +
        "chain's: move it away, or name another register",
    ]);
    await writeFile(file, "{ not json");
    const damaged = await rejection(allocateStatusIndices({ file }, owner, "run-d", 1));
    expect(damaged.message).to.equal(`the status register ${file} is damaged (not JSON)`);
  });

  it("points each index at its list and bit: a list holds 131,072, the next index opens list 2", function () {
    const [revocation, suspension] = statusListEntries(`${base}/`, STATUS_LIST_SIZE + 5);
    expect(revocation).to.deep.equal({
      id: `${base}/revocation/2#5`,
      type: "BitstringStatusListEntry",
      statusPurpose: "revocation",
      statusListIndex: "5",
      statusListCredential: `${base}/revocation/2`,
    });
    expect(suspension?.statusListCredential).to.equal(`${base}/suspension/2`);
    expect(statusListEntries(base, STATUS_LIST_SIZE - 1)[0]?.statusListCredential).to.equal(`${base}/revocation/1`);
  });

  it("makes a new register with no runs but the first, and refuses one of another chain id, registry or issuer", async function () {
    await allocateStatusIndices({ file }, owner, "run-a", 3);
    const made = JSON.parse(await readFile(file, "utf8")) as StatusRegister;
    expect(made).to.deep.equal({
      format: "ccr-status-register/1",
      chainId: 31337,
      genesisHash: owner.genesisHash,
      registry,
      issuer,
      baseUrl: `https://status.ccr.example/31337/${issuer}`,
      next: 3,
      runs: [{ runId: "run-a", start: 0, count: 3 }],
    });
    for (const [what, other] of Object.entries({
      "chain id": { ...owner, chainId: 1 },
      registry: { ...owner, registry: Wallet.createRandom().address },
      issuer: { ...owner, issuer: Wallet.createRandom().address },
    })) {
      const error = await rejection(allocateStatusIndices({ file }, other, "run-x", 1));
      expect(error.code, what).to.equal("JOURNAL_MISMATCH");
    }
    // The same addresses in another case, and the genesis in capitals: the same register.
    const same = {
      ...owner,
      registry: registry.toLowerCase(),
      issuer: issuer.toLowerCase(),
      genesisHash: owner.genesisHash.toUpperCase().replace("0X", "0x"),
    };
    expect(await allocateStatusIndices({ file }, same, "run-b", 1)).to.deep.include({ start: 3 });
  });

  it("adopts this chain's genesis for a register written before registers named theirs", async function () {
    await allocateStatusIndices({ file }, owner, "run-a", 2);
    const legacy = JSON.parse(await readFile(file, "utf8")) as StatusRegister;
    delete legacy.genesisHash;
    await writeFile(file, JSON.stringify(legacy));
    expect(await allocateStatusIndices({ file }, owner, "run-b", 1)).to.deep.include({ start: 2 });
    const adopted = JSON.parse(await readFile(file, "utf8")) as StatusRegister;
    expect(adopted.genesisHash).to.equal(owner.genesisHash);
    const elsewhere = await rejection(
      allocateStatusIndices({ file }, { ...owner, genesisHash: `0x${"03".repeat(32)}` }, "run-c", 1),
    );
    expect(elsewhere.code).to.equal("WRONG_CHAIN");
  });

  it("encodes a Bitstring Status List: GZIP, multibase base64url, index 0 the first byte's top bit, 16 KiB at least", function () {
    const decode = (encoded: string): Buffer => {
      expect(encoded.startsWith("u")).to.equal(true);
      return gunzipSync(Buffer.from(encoded.slice(1), "base64url"));
    };
    const bits = Array.from({ length: 20 }, (_, i) => [0, 9, 10, 15, 19].includes(i));
    const bytes = decode(encodeBitstring(bits));
    expect(bytes.length).to.equal(MIN_STATUS_LIST_BITS / 8);
    expect([...bytes.subarray(0, 4)]).to.deep.equal([0x80, 0x61, 0x10, 0]);
    expect(bytes.subarray(3).every((b) => b === 0)).to.equal(true);
    expect(decode(encodeBitstring([])).every((b) => b === 0)).to.equal(true);
    // A longer list keeps every bit: one more byte per eight indices past the minimum.
    const long = Array.from({ length: MIN_STATUS_LIST_BITS + 9 }, (_, i) => i === MIN_STATUS_LIST_BITS + 8);
    const longBytes = decode(encodeBitstring(long));
    expect(longBytes.length).to.equal(MIN_STATUS_LIST_BITS / 8 + 2);
    expect([longBytes[MIN_STATUS_LIST_BITS / 8], longBytes[MIN_STATUS_LIST_BITS / 8 + 1]]).to.deep.equal([0, 0x80]);
  });
});

describe("status list bits from the registry's records (runBits)", function () {
  const [NONE, ACTIVE, SUSPENDED, REVOKED, HELD] = [0, 1, 2, 3, 4];
  const hash = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;

  /** A registry's records as a table: credential and batch states, and member bit words. */
  function reader(
    states: Record<string, number>,
    words: Record<string, [bigint, bigint]> = {},
  ): StatusReader & { read: string[] } {
    const read: string[] = [];
    return Object.assign(
      {
        credentialState: (h: string) => Promise.resolve(states[h] ?? NONE),
        batchState: (root: string) => Promise.resolve(states[root] ?? NONE),
        memberBits: (root: string, word: number) => {
          read.push(`${root}:${word}`);
          return Promise.resolve(words[`${root}:${word}`] ?? [0n, 0n]);
        },
      },
      { read },
    );
  }
  const marks = (bits: boolean[]): string => bits.map((b) => (b ? "1" : "0")).join("");

  it("gives a single credential its record's bits: revoked, suspended (or held), or neither", async function () {
    const states = { [hash(1)]: ACTIVE, [hash(2)]: REVOKED, [hash(3)]: SUSPENDED, [hash(4)]: HELD, [hash(5)]: NONE };
    const anchors = [1, 2, 3, 4, 5].map((n) => ({ credential: hash(n) }));
    const { revoked, suspended } = await runBits(reader(states), anchors);
    expect(marks(revoked)).to.equal("01000");
    expect(marks(suspended)).to.equal("00110");
  });

  it("gives each batch member its own bit, bit b of word w being member 256·w + b, in the run's order", async function () {
    const root = hash(9);
    const words: Record<string, [bigint, bigint]> = {
      [`${root}:0`]: [(1n << 0n) | (1n << 255n), 1n << 3n],
      [`${root}:1`]: [1n << 1n, (1n << 0n) | (1n << 200n)],
    };
    const source = reader({ [root]: ACTIVE, [hash(1)]: REVOKED }, words);
    const { revoked, suspended } = await runBits(source, [{ credential: hash(1) }, { root, size: 300 }]);
    expect(revoked).to.have.lengthOf(301);
    expect(suspended).to.have.lengthOf(301);
    const set = (bits: boolean[]) => bits.flatMap((b, i) => (b ? [i] : []));
    // Index 0 is the credential; the batch's member m is index 1 + m.
    expect(set(revoked)).to.deep.equal([0, 1, 256, 258]);
    expect(set(suspended)).to.deep.equal([4, 257]);
    expect(source.read).to.deep.equal([`${root}:0`, `${root}:1`]);
  });

  it("covers every member of a revoked or suspended batch, and reads no bits of a batch not anchored", async function () {
    const [revokedRoot, heldRoot, unanchored] = [hash(7), hash(8), hash(9)];
    const source = reader({ [revokedRoot]: REVOKED, [heldRoot]: HELD }, { [`${unanchored}:0`]: [1n, 1n] });
    const anchors = [
      { root: revokedRoot, size: 3 },
      { root: heldRoot, size: 2 },
      { root: unanchored, size: 2 },
    ];
    const { revoked, suspended } = await runBits(source, anchors);
    expect(marks(revoked)).to.equal("1110000");
    expect(marks(suspended)).to.equal("0001100");
    expect(source.read).to.deep.equal([`${revokedRoot}:0`, `${heldRoot}:0`]);
    const suspendedBatch = await runBits(reader({ [revokedRoot]: SUSPENDED }), [{ root: revokedRoot, size: 2 }]);
    expect(marks(suspendedBatch.suspended)).to.equal("11");
    expect(marks(suspendedBatch.revoked)).to.equal("00");
  });

  it("reads exactly the words a batch's size spans", async function () {
    const root = hash(6);
    for (const [size, words] of [
      [1, 1],
      [256, 1],
      [257, 2],
      [512, 2],
      [513, 3],
    ] as const) {
      const source = reader({ [root]: ACTIVE });
      const { revoked } = await runBits(source, [{ root, size }]);
      expect(revoked, String(size)).to.have.lengthOf(size);
      expect(source.read, String(size)).to.have.lengthOf(words);
    }
  });
});
