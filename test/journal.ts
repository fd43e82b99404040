/**
 * src/vc/journal.ts on its own: an output folder is one run's at a time, a journal belongs to one chain and one set
 * of options, and no run starts over credentials whose journal is gone.
 */
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { expect } from "chai";
import {
  LOCK_STALE_MS,
  checkChain,
  checkNoOrphans,
  checkOptions,
  lockOutput,
  type RunOptions,
} from "../src/vc/journal.ts";
import { rejection } from "./rejection.ts";

const refusal = async (run: () => unknown): Promise<string> => (await rejection(Promise.resolve().then(run))).code;

/** A process id that no process has: one that has just ended. */
function endedPid(): number {
  const child = spawnSync(process.execPath, ["-e", "0"]);
  return child.pid ?? 0;
}

describe("output folder guard rails (src/vc/journal.ts)", function () {
  let dir = "";
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "ccr-journal-"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("lets one run hold a folder: a second is refused until the first releases it, and the owner is recorded", async function () {
    const out = join(dir, "out", "nested");
    const release = await lockOutput(out);
    expect(await readFile(join(out, ".ccr-lock.owner"), "utf8")).to.equal(String(process.pid));
    expect(await refusal(() => lockOutput(out))).to.equal("OUTPUT_IN_USE");
    await release();
    const again = await lockOutput(out);
    await again();
    // A file where the folder should be.
    const file = join(dir, "a-file");
    await writeFile(file, "x");
    expect(await refusal(() => lockOutput(file))).to.equal("OUTPUT_PROBLEM");
  });

  it("takes over the lock of a run that was killed once it is stale, and never a live run's", async function () {
    const out = join(dir, "out");
    await mkdir(join(out, ".ccr-lock"), { recursive: true });
    const old = new Date(Date.now() - 60_000);
    await utimes(join(out, ".ccr-lock"), old, old);
    await writeFile(join(out, ".ccr-lock.owner"), String(endedPid()));
    const release = await lockOutput(out);
    expect(await readFile(join(out, ".ccr-lock.owner"), "utf8")).to.equal(String(process.pid));
    await release();
    // The owner file went with the release.
    expect(await readFile(join(out, ".ccr-lock.owner"), "utf8").catch(() => "gone")).to.equal("gone");
    // A lock not yet stale whose owner has ended: the run waits for it to become stale, then takes it.
    await mkdir(join(out, ".ccr-lock"), { recursive: true });
    const almost = new Date(Date.now() - LOCK_STALE_MS + 1000);
    await utimes(join(out, ".ccr-lock"), almost, almost);
    await writeFile(join(out, ".ccr-lock.owner"), String(endedPid()));
    const waited = await lockOutput(out);
    await waited();
    // A lock whose owner runs (this process) is refused at once, stale or not; so is one whose owner is unknown.
    for (const owner of [String(process.pid), "not a pid", "-4", "0"]) {
      await mkdir(join(out, ".ccr-lock"), { recursive: true });
      const fresh = new Date();
      await utimes(join(out, ".ccr-lock"), fresh, fresh);
      await writeFile(join(out, ".ccr-lock.owner"), owner);
      expect(await refusal(() => lockOutput(out)), owner).to.equal("OUTPUT_IN_USE");
      await rm(join(out, ".ccr-lock"), { recursive: true });
    }
  });

  it("refuses a folder of credentials or a manifest without a journal, and takes any other folder", async function () {
    await checkNoOrphans(join(dir, "missing"));
    await writeFile(join(dir, "notes.txt"), "mine");
    for (const name of ["credential-x.json", "credential-.json", "my-credential-1.json", "credential-1.json.bak"]) {
      await writeFile(join(dir, name), "{}");
    }
    await checkNoOrphans(dir);
    await writeFile(join(dir, "credential-7.json"), "{}");
    await writeFile(join(dir, "credential-12.json"), "{}");
    const orphans = await rejection(checkNoOrphans(dir));
    expect([orphans.code, orphans.message.split(" but ")[0]]).to.deep.equal([
      "JOURNAL_MISMATCH",
      `${dir} already holds 2 credential file(s)`,
    ]);
    await rm(join(dir, "credential-7.json"));
    await rm(join(dir, "credential-12.json"));
    await writeFile(join(dir, "manifest.json"), "{}");
    const manifest = await rejection(checkNoOrphans(dir));
    expect(manifest.message).to.contain("already holds 0 credential file(s) and a manifest but no journal");
  });

  it("refuses a journal of another chain id, genesis, registry or deployment block; case does not matter", async function () {
    const chain = { chainId: 31337, genesisHash: `0x${"ab".repeat(32)}`, registry: "0xAbC0", deploymentBlock: 1 };
    checkChain(dir, chain, { ...chain, genesisHash: chain.genesisHash.toUpperCase(), registry: "0xabc0" });
    const changed = {
      chainId: 1,
      genesisHash: `0x${"cd".repeat(32)}`,
      registry: "0xabc1",
      deploymentBlock: 2,
    } as const;
    for (const field of Object.keys(changed) as (keyof typeof changed)[]) {
      const error = await rejection(
        Promise.resolve().then(() => checkChain(dir, chain, { ...chain, [field]: changed[field] })),
      );
      expect([error.code, error.message.split(" (its ")[1]?.split(" was ")[0]], field).to.deep.equal([
        "JOURNAL_MISMATCH",
        field,
      ]);
    }
  });

  it("refuses options that differ from the run's, and takes those left out or the same", async function () {
    const run: RunOptions = {
      schema: "diploma",
      issuer: "university",
      validFrom: 1_800_000_000,
      validUntil: 0,
      batchSize: 1000,
      single: false,
    };
    checkOptions(dir, run, {});
    checkOptions(dir, run, { ...run });
    checkOptions(dir, run, { schema: undefined, batchSize: 1000 });
    const other = {
      schema: "kyc",
      issuer: "bank",
      validFrom: 1_800_000_001,
      validUntil: 1_900_000_000,
      batchSize: 10,
      single: true,
    };
    for (const key of Object.keys(other) as (keyof RunOptions)[]) {
      const error = await rejection(Promise.resolve().then(() => checkOptions(dir, run, { [key]: other[key] })));
      expect(error.code, key).to.equal("JOURNAL_MISMATCH");
      expect(error.message, key).to.contain(`holds a run with other options: ${key} `);
    }
    const times = await rejection(
      Promise.resolve().then(() => checkOptions(dir, run, { validFrom: 1_800_000_060, validUntil: 1_900_000_000 })),
    );
    const size = await rejection(Promise.resolve().then(() => checkOptions(dir, run, { batchSize: 10 })));
    expect(size.message).to.contain("other options: batchSize 10 (the run's: 1000);");
    expect(times.message).to.contain(
      "validFrom 2027-01-15T08:01:00.000Z (the run's: 2027-01-15T08:00:00.000Z), " +
        "validUntil 2030-03-17T17:46:40.000Z (the run's: none)",
    );
  });
});
