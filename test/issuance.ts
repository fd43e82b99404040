/**
 * The stages of an issuing run on their own (src/vc/issuance/), without a chain: each row's credential, the subjects
 * read again group by group, and the journalling of signed groups (resumed from the journal, refused when altered).
 * The whole run, anchoring included, is tested through `ccr issue` (test/cli.ts, test/integrity.ts) and test/vc.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { demoType } from "../deploy/demoData.ts";
import { readSubjects } from "../src/vc/input.ts";
import { credentialOf, fileName } from "../src/vc/issuance/build.ts";
import { signedGroups } from "../src/vc/issuance/groups.ts";
import { JOURNAL_FORMAT, type LoadedGroup, type RunContext, type RunRecord } from "../src/vc/issuance/model.ts";
import { groupSubjects, type GroupSigner } from "../src/vc/issuance/sign.ts";
import { holderDid } from "./holders.ts";
import { rejection } from "./rejection.ts";

const issuer = Wallet.createRandom().address;
const registry = Wallet.createRandom().address;

function runRecord(change: Partial<RunRecord> = {}): RunRecord {
  return {
    format: JOURNAL_FORMAT,
    runId: "run-1",
    chainId: 31337,
    genesisHash: `0x${"01".repeat(32)}`,
    registry,
    deploymentBlock: 1,
    input: { file: "devices.csv", digest: "0x00" },
    schema: "5",
    schemaId: 5,
    type: { name: "device", vcType: "DeviceIdentity", uri: "https://schemas.example/device.json", digest: "0xab" },
    issuer,
    validFrom: 1_800_000_000,
    validUntil: 0,
    batchSize: 2,
    single: false,
    rows: [1, 2, 3],
    subjects: [],
    skipped: [],
    ...change,
  };
}

describe("issuance stages (src/vc/issuance/)", function () {
  let dir = "";
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "ccr-issuance-"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("builds each row's credential from the run: its batch and index, its status list entries, its window", function () {
    const run = runRecord({ statusLists: { register: "r.json", start: 100, baseUrl: "https://status.example" } });
    const credential = credentialOf(run, issuer, { id: "did:example:d", serialNumber: "SN-7" }, 1, 1);
    expect(credential).to.deep.include({
      issuer: `did:ethr:0x7a69:${issuer}`,
      type: ["VerifiableCredential", "DeviceIdentity"],
      validFrom: "2027-01-15T08:00:00.000Z",
      credentialSubject: { id: "did:example:d", serialNumber: "SN-7" },
    });
    expect(credential).to.not.have.property("validUntil");
    expect(credential.id).to.match(/^urn:uuid:[0-9a-f-]{36}$/);
    const [ccr, revocation] = [credential.credentialStatus].flat();
    expect(ccr).to.deep.include({ batch: { id: "urn:ccr:batch:run-1:1", index: 1 } });
    // Group 1, index 1 of groups of 2: the run's fourth index, 100 + 3.
    expect(revocation).to.deep.include({ statusListIndex: "103", statusPurpose: "revocation" });
    const single = credentialOf(runRecord({ single: true, validUntil: 1_900_000_000 }), issuer, {}, 0, 0);
    expect(single.credentialStatus).to.not.have.property("batch");
    expect(single.validUntil).to.equal("2030-03-17T17:46:40.000Z");
    expect([fileName(7, 12), fileName(7, 123_456)]).to.deep.equal(["credential-00007.json", "credential-000007.json"]);
  });

  it("reads the subjects again group by group, and refuses a row that is gone or changed since it was checked", async function () {
    const device = await demoType("device");
    const file = join(dir, "devices.csv");
    const lines = (serials: string[]) =>
      ["id,manufacturer,model,serialNumber", ...serials.map((s, i) => `${holderDid(`d${i}`)},Maker,X1,${s}`)].join(
        "\n",
      );
    await writeFile(file, lines(["SN-0", "SN-1", "SN-2"]));
    const input = await readSubjects(file, device);
    const run = runRecord({ rows: input.rows.map((r) => r.row), subjects: input.rows.map((r) => r.digest) });
    const reader = groupSubjects(input, run);
    expect((await reader.take(0)).map((s) => s.serialNumber)).to.deep.equal(["SN-0", "SN-1"]);
    expect((await reader.take(1)).map((s) => s.serialNumber)).to.deep.equal(["SN-2"]);
    await reader.close();
    // Changed after the check: the same rows, another serial number; then a row gone.
    await writeFile(file, lines(["SN-0", "SN-9", "SN-2"]));
    const changed = groupSubjects(input, run);
    const error = await rejection(changed.take(0));
    expect([error.code, error.message]).to.deep.equal([
      "JOURNAL_MISMATCH",
      `${file} changed after it was checked: row 2 is not the same; nothing more was signed. Put the file back as ` +
        "it was and run the same command again to finish the run",
    ]);
    await changed.close();
    await writeFile(file, lines(["SN-0"]));
    const gone = groupSubjects(input, run);
    expect((await rejection(gone.take(0))).message).to.contain("row 2 is gone");
    await gone.close();
  });

  it("journals each signed group before handing it on, resumes from the journal without signing again, refuses an altered one", async function () {
    const run = runRecord({ rows: [1, 2, 3, 4, 5] });
    const progress: [string, number][] = [];
    const context = {
      run,
      journal: dir,
      progress: (phase: string, done: number) => progress.push([phase, done]),
    } as unknown as RunContext;
    const signedBy: number[] = [];
    let closed = 0;
    const signer: GroupSigner = {
      sign: (group) => {
        signedBy.push(group);
        const size = group < 2 ? 2 : 1;
        const jws = Array.from({ length: size }, (_, i) => `jws-${group}-${i}`);
        return Promise.resolve({ jws, hashes: jws.map((j) => keccak256(toUtf8Bytes(j))) });
      },
      close: () => Promise.resolve(void closed++),
    };
    const collect = async (): Promise<LoadedGroup[]> => {
      const signed: LoadedGroup[] = [];
      const handed: number[] = [];
      for await (const group of signedGroups(context, signer, signed)) {
        // Journalled before it is handed on.
        const journalled = JSON.parse(await readFile(join(dir, `group-${group.group}.json`), "utf8")) as {
          rows: number[];
          root?: string;
        };
        expect([journalled.rows, journalled.root]).to.deep.equal([group.rows, group.root]);
        handed.push(group.group);
      }
      expect(handed).to.deep.equal([0, 1, 2]);
      return signed;
    };
    const first = await collect();
    expect(signedBy).to.deep.equal([0, 1, 2]);
    expect(first.map((g) => g.rows)).to.deep.equal([[1, 2], [3, 4], [5]]);
    expect(first[0]?.hashes).to.deep.equal(["jws-0-0", "jws-0-1"].map((j) => keccak256(toUtf8Bytes(j))));
    expect(progress.slice(-1)).to.deep.equal([["sign", 5]]);
    expect(closed).to.equal(1);
    // Resumed: every group comes from the journal, the same, and nothing is signed again.
    const again = await collect();
    expect(signedBy).to.deep.equal([0, 1, 2]);
    expect(again).to.deep.equal(first);
    expect(closed).to.equal(2);
    // A group whose credentials were changed no longer rebuilds its batch root: refused, and the signer closed.
    const file = join(dir, "group-1.json");
    const record = JSON.parse(await readFile(file, "utf8")) as { jws: string[] };
    record.jws[0] = "jws-forged";
    await writeFile(file, JSON.stringify(record));
    const error = await rejection(collect());
    expect([error.code, error.message]).to.deep.equal([
      "JOURNAL_MISMATCH",
      "journal group 1 does not rebuild its batch root",
    ]);
    expect(closed).to.equal(3);
  });
});
