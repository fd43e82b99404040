import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import {
  STATUS_LIST_SIZE,
  allocateStatusIndices,
  recordStatusAnchors,
  statusListEntries,
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
});
