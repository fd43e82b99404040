import { spawn, spawnSync } from "node:child_process";
import { appendFile, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { rpcProvider } from "../src/registry.ts";
import type { CredentialFile } from "../src/vc/file.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";
import { deviceIssueArgs, runCcr, startCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { holderDid, rowDid } from "./holders.ts";

/** The toolkit under a hurried operator and a flaky environment: every exit 0 true, nothing lost, no hang. */
describe("ccr integrity (end to end, against a Hardhat node)", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet;
  let deployment: Deployment;
  let work = "";

  const ccr = (args: string[], env: Record<string, string> = {}): Promise<CcrRun> =>
    runCcr(join(devnet.dir, "deployment.json"), args, env);

  async function csv(name: string, lines: string[], encoding: BufferEncoding = "utf8"): Promise<string> {
    const file = join(work, name);
    await writeFile(file, Buffer.from(`${lines.join("\n")}\n`, encoding));
    return file;
  }

  async function devices(name: string, count: number): Promise<string> {
    const lines = ["id,manufacturer,model,serialNumber"];
    for (let i = 0; i < count; i++) lines.push(`${rowDid(i)},K-Devices,Sensor S3,${name}-${i}`);
    return csv(`${name}.csv`, lines);
  }

  async function credentialCount(dir: string): Promise<number> {
    return (await readdir(dir)).filter((f) => /^credential-\d+\.json$/.test(f)).length;
  }

  /** Batch anchors of `issuer` on the chain. */
  async function anchorsOf(issuer: string): Promise<number> {
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const registry = ICCR__factory.connect(deployment.registry.address, provider);
    const events = await registry.queryFilter(registry.filters.BatchAnchored(undefined, issuer));
    provider.destroy();
    return events.length;
  }

  const issueArgs = deviceIssueArgs;

  before(async function () {
    devnet = await startDevnet();
    deployment = await readDeployment(join(devnet.dir, "deployment.json"));
    work = await mkdtemp(join(tmpdir(), "ccr-integrity-"));
  });

  after(async function () {
    devnet.stop();
    await rm(work, { recursive: true, force: true });
  });

  for (const [runs, rows] of [
    [2, 2000],
    [3, 3000],
  ] as const) {
    it(`runs one issue per output folder: of ${runs} runs at once, the others are refused, nothing is anchored twice`, async function () {
      const input = await devices(`lock-${runs}`, rows);
      const out = join(work, `lock-${runs}`);
      const args = issueArgs(input, out, ["--batch-size", "100"]);
      const maker = deployment.accounts["kr-devicemaker"]?.address ?? "";
      const before = await anchorsOf(maker);
      const started = Array.from({ length: runs }, () => startCcr(join(devnet.dir, "deployment.json"), args).done);
      const results = await Promise.all(started);
      const refused = results.filter((r) => r.code === 2);
      expect(results.filter((r) => r.code === 0)).to.have.length(1);
      expect(refused).to.have.length(runs - 1);
      for (const run of refused) {
        expect(run.stderr).to.include(`${out} is in use by another "ccr issue" run; nothing was done`);
      }
      expect(await credentialCount(out)).to.equal(rows);
      expect((await anchorsOf(maker)) - before).to.equal(rows / 100);
      // Run again: every credential is there and confirmed on chain, nothing new is sent.
      const again = await ccr(args);
      expect(again.code).to.equal(0);
      expect(again.stdout).to.match(new RegExp(`^resumed: issued ${rows} .* \\(0 sent now\\)`));
      expect((await anchorsOf(maker)) - before).to.equal(rows / 100);
    });
  }

  it("says when the disk is full and loses nothing: the same command finishes the run once there is room", async function () {
    // A real full disk: a small tmpfs (needs root, as on the CI machines; skipped elsewhere).
    const disk = await mkdtemp(join(tmpdir(), "ccr-full-"));
    const mount = (...options: string[]): boolean =>
      spawnSync("mount", ["-t", "tmpfs", "-o", options.join(","), "tmpfs", disk]).status === 0;
    if (process.getuid?.() !== 0 || !mount("size=96k")) {
      await rm(disk, { recursive: true, force: true });
      this.skip();
    }
    try {
      const input = await devices("full", 200);
      const out = join(disk, "out");
      const args = issueArgs(input, out, ["--batch-size", "50"]);
      const maker = deployment.accounts["kr-devicemaker"]?.address ?? "";
      const before = await anchorsOf(maker);
      const full = await ccr(args);
      expect(full.code, full.stderr).to.equal(2);
      expect(full.stderr).to.match(
        /^ccr: .* cannot be (written|created): the disk is full: free some space and run the command again; nothing written so far is lost$/m,
      );
      expect(full.stderr).to.not.match(/\n\s+at /);
      expect(await credentialCount(out)).to.be.below(200);
      expect(mount("remount", "size=8m")).to.equal(true);
      const room = await ccr(args);
      expect(room.code, room.stderr).to.equal(0);
      expect(await credentialCount(out)).to.equal(200);
      expect((await anchorsOf(maker)) - before).to.equal(4);
      expect((await ccr(["verify", out])).code).to.equal(0);
    } finally {
      spawnSync("umount", [disk]);
      await rm(disk, { recursive: true, force: true });
    }
  });

  it("refuses a resume with other options, a deleted journal, a torn journal line and a path that is a file", async function () {
    const input = await devices("options", 20);
    const out = join(work, "options");
    expect((await ccr(issueArgs(input, out, ["--batch-size", "10"]))).code).to.equal(0);

    const later = await ccr(issueArgs(input, out, ["--valid-until", "2031-01-01"]));
    expect(later.code).to.equal(2);
    expect(later.stderr).to.include(
      "holds a run with other options: validUntil 2031-01-01T00:00:00.000Z (the run's: none)",
    );
    const batches = await ccr(issueArgs(input, out, ["--batch-size", "5"]));
    expect(batches.stderr).to.include("batchSize 5 (the run's: 10)");
    // The same command without options continues the run as it was.
    expect((await ccr(issueArgs(input, out))).stdout).to.match(/^resumed: issued 20 .* \(0 sent now\)/);

    // A changed input says how much of it was issued here already.
    const more = await csv("options-more.csv", [
      ...(await readFile(input, "utf8")).trim().split("\n"),
      `${holderDid("new")},K,S,new-1`,
    ]);
    const changed = await ccr(issueArgs(more, out));
    expect(changed.code).to.equal(2);
    expect(changed.stderr).to.include("20 of its 21 row(s) are issued there already, 1 are not; nothing was done");

    // A torn last line of the sent journal (a kill in mid-write) is skipped, and the run goes on.
    const journal = join(out, ".ccr-journal");
    const sent = (await readdir(journal)).find((f) => f.endsWith(".sent.jsonl")) ?? "";
    await appendFile(join(journal, sent), '{"hash":"0x12');
    const torn = await ccr(issueArgs(input, out));
    expect(torn.stderr).to.equal("");
    expect(torn.code).to.equal(0);

    // Without its journal, the folder's credentials may be anchored already: nothing is signed over them.
    const before = await readFile(join(out, "credential-00001.json"), "utf8");
    await rm(journal, { recursive: true });
    const orphans = await ccr(issueArgs(input, out));
    expect(orphans.code).to.equal(2);
    expect(orphans.stderr).to.include(`${out} already holds 20 credential file(s) and a manifest but no journal`);
    expect(await readFile(join(out, "credential-00001.json"), "utf8")).to.equal(before);

    const file = join(work, "a-file");
    await writeFile(file, "");
    const notFolder = await ccr(issueArgs(input, file));
    expect(notFolder.code).to.equal(2);
    expect(notFolder.stderr).to.match(/^ccr: .*a-file cannot be the output folder: .*(a file|in the way)/m);
    expect(notFolder.stderr).to.not.match(/\n\s+at /);
  });

  it("reads UTF-8 (with or without BOM); refuses other encodings unless named; never signs U+FFFD", async function () {
    const header = "id,manufacturer,model,serialNumber";
    const row = `${holderDid("zoe")},Zoë Müller GmbH,Sensor S3,ZM-1`;
    const latin1 = await csv("latin1.csv", [header, row], "latin1");
    const refused = await ccr(issueArgs(latin1, join(work, "latin1")));
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include(`${latin1} line 2 is not UTF-8 (nothing was signed)`);
    const named = await ccr(issueArgs(latin1, join(work, "latin1"), ["--encoding", "windows-1252"]));
    expect(named.code).to.equal(0);
    const [first] = (await readdir(join(work, "latin1"))).filter((f) => f.startsWith("credential-"));
    const { jws } = JSON.parse(await readFile(join(work, "latin1", first ?? ""), "utf8")) as CredentialFile;
    const payload = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString()) as {
      credentialSubject: { manufacturer: string };
    };
    expect(payload.credentialSubject.manufacturer).to.equal("Zoë Müller GmbH");

    const utf16 = join(work, "utf16.csv");
    await writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${header}\n${row}\n`, "utf16le")]));
    const wide = await ccr(issueArgs(utf16, join(work, "utf16")));
    expect(wide.code).to.equal(1);
    expect(wide.stderr).to.include(`${utf16} is not UTF-8: it is UTF-16 (byte order mark FF FE)`);
    const bomless = join(work, "utf16-no-bom.csv");
    await writeFile(bomless, Buffer.from(`${header}\n${row}\n`, "utf16le"));
    const noMark = await ccr(issueArgs(bomless, join(work, "utf16-no-bom")));
    expect(noMark.code).to.equal(1);
    expect(noMark.stderr).to.include(
      `${bomless} is not UTF-8: it looks like UTF-16 little-endian without a byte order mark (every other byte is ` +
        "zero). Save it as UTF-8, or name its encoding: --encoding utf-16le",
    );
    expect((await ccr(issueArgs(bomless, join(work, "utf16-no-bom"), ["--encoding", "utf-16le"]))).code).to.equal(0);

    // A NUL (or any control character but tab and line breaks) inside a field: refused by row and field.
    const nul = await csv("nul.csv", [header, row.replace("zoe", "nul").replace("Zoë", "Zo\u0000ë")]);
    const control = await ccr(issueArgs(nul, join(work, "nul")));
    expect(control.code).to.equal(1);
    expect(control.stderr).to.match(
      /row 1 \(line 2\), field \/\w+: holds the control character U\+0000 at character 3: remove it/,
    );

    const bom = join(work, "bom.csv");
    await writeFile(bom, `\uFEFF${header}\n${row.replace("zoe", "bom")}\n`);
    expect((await ccr(issueArgs(bom, join(work, "bom")))).code).to.equal(0);

    const damaged = await csv("damaged.csv", [header, row.replace("ë", "\uFFFD").replace("zoe", "damaged")]);
    const replacement = await ccr(issueArgs(damaged, join(work, "damaged")));
    expect(replacement.code).to.equal(1);
    expect(replacement.stderr).to.include(`${damaged} line 2 contains U+FFFD`);
  });

  it("refuses a journal of a restarted devnet (same chain id and registry, new genesis)", async function () {
    const input = await devices("restart", 10);
    const out = join(work, "restart");
    expect((await ccr(issueArgs(input, out))).code).to.equal(0);
    expect(await devnet.interrupt()).to.equal(0);
    devnet = await startDevnet(devnet.dir);
    deployment = await readDeployment(join(devnet.dir, "deployment.json"));
    const resumed = await ccr(issueArgs(input, out));
    expect(resumed.code).to.equal(2);
    expect(resumed.stderr).to.include("holds a run on another chain (its genesisHash was");
    expect(resumed.stderr).to.include("the devnet was restarted since");
    // Its credentials say so too.
    const [file] = (await readdir(out)).filter((f) => f.startsWith("credential-"));
    const verified = await ccr(["verify", join(out, file ?? "")]);
    expect(verified.code).to.equal(1);
    expect(verified.stdout).to.include("issued on another chain: its anchoring transaction");
  });

  it("verifies: an empty folder is an error, a forgery is never hidden behind an unreadable file", async function () {
    const empty = join(work, "empty");
    await mkdir(empty);
    const none = await ccr(["verify", empty]);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.include(`no credential file in ${empty}`);
    await writeFile(join(empty, "manifest.json"), "{}");
    expect((await ccr(["verify", empty])).code).to.equal(2);

    // A deployment file with a wrong chain id is caught: the node is asked, not believed.
    const wrong = join(work, "wrong-chain.json");
    await writeFile(wrong, JSON.stringify({ ...deployment, chainId: 1 }));

    const input = await devices("forged", 2);
    const out = join(work, "forged");
    expect((await ccr(issueArgs(input, out))).code).to.equal(0);
    const original = JSON.parse(await readFile(join(out, "credential-00001.json"), "utf8")) as CredentialFile;
    const forged = join(work, "forged.json");
    await writeFile(forged, JSON.stringify({ ...original, hash: `0x${"00".repeat(32)}` }));
    const garbage = join(work, "garbage.json");
    await writeFile(garbage, "{ not json");
    const onWrongChain = await runCcr(wrong, ["verify", forged]);
    expect(onWrongChain.code).to.equal(2);
    expect(onWrongChain.stderr).to.include("serves chain 31337, the deployment file describes chain 1");
    const mixed = await ccr(["verify", garbage, forged]);
    expect(mixed.stdout).to.match(/^INVALID .*forged\.json: /m);
    expect(mixed.stdout).to.match(/^UNDECIDED .*garbage\.json: /m);
    expect(mixed.code).to.equal(1);
  });

  it("never hangs on a stopped node: every command ends with exit 2 and its state intact", async function () {
    const input = await devices("hang", 5);
    const out = join(work, "hang");
    expect((await ccr(issueArgs(input, out))).code).to.equal(0);
    const db = join(work, "hang.sqlite");
    expect((await ccr(["audit", "sync", "--db", db])).code).to.equal(0);
    const node = Number(await readFile(join(devnet.dir, "node.pid"), "utf8"));
    process.kill(-node, "SIGSTOP");
    try {
      const timeout = ["--rpc-timeout", "1"];
      const runs = await Promise.all([
        ccr([...timeout, "verify", out]),
        ccr([...timeout, ...issueArgs(await devices("hang-more", 3), join(work, "hang-more"))]),
        ccr([...timeout, "audit", "sync", "--db", db]),
        ccr([...timeout, "audit", "check", "--db", db]),
      ]);
      for (const run of runs) {
        expect(run.code, run.stderr).to.equal(2);
        expect(run.seconds).to.be.below(60);
        expect(run.stderr).to.not.match(/\n\s+at /);
      }
    } finally {
      process.kill(-node, "SIGCONT");
    }
    // The index and the issued files are as they were.
    expect((await ccr(["audit", "check", "--db", db])).code).to.equal(0);
    expect((await ccr(["verify", out])).code).to.equal(0);
  });

  it("detects a damaged index before syncing into it; readers need an index and no RPC", async function () {
    const db = join(work, "damaged.sqlite");
    expect((await ccr(["audit", "sync", "--db", db])).code).to.equal(0);
    const bytes = await readFile(db);
    // Overwrite a page in the middle: the header is intact, the b-tree is not.
    expect(bytes.length).to.be.above(4096 * 2);
    bytes.fill(0x5a, 4096, Math.min(bytes.length, 4096 * 3));
    await writeFile(db, bytes);
    const sync = await ccr(["audit", "sync", "--db", db]);
    expect(sync.code).to.equal(2);
    expect(sync.stderr).to.match(/damaged\.sqlite (is damaged|cannot be used as an audit index).*(R|r)emove/);
    expect(sync.stderr).to.not.match(/\n\s+at /);

    const missing = join(work, "missing.sqlite");
    const check = await ccr(["audit", "check", "--db", missing]);
    expect(check.code).to.equal(2);
    expect(check.stderr).to.include(`there is no audit index at ${missing}`);

    expect((await ccr(issueArgs(await devices("economy", 2), join(work, "economy")))).code).to.equal(0);
    const good = join(work, "good.sqlite");
    expect((await ccr(["audit", "sync", "--db", good])).code).to.equal(0);
    const offline = ["--rpc", "http://127.0.0.1:9"];
    const history = await ccr([...offline, "audit", "history", "KR", "--db", good, "--json"]);
    expect(history.code, history.stderr).to.equal(0);
    // An economy's timeline holds its issuers' credential events too.
    const events = (JSON.parse(history.stdout) as { event: string }[]).map((e) => e.event);
    expect(events).to.include.members(["IssuerAccredited", "CredentialAnchored", "BatchAnchored"]);
    expect((await ccr([...offline, "audit", "report", "--db", good, "--format", "json"])).code).to.equal(0);
    const loose = await ccr(["audit", "report", "--db", good, "--from", "0"]);
    expect(loose.code).to.equal(2);
    expect(loose.stderr).to.include('"0" is not a date');
    const reversed = await ccr(["audit", "report", "--db", good, "--from", "2026-12-01", "--to", "2026-01-01"]);
    expect(reversed.code).to.equal(2);
    expect(reversed.stderr).to.include("is after --to");
  });

  it("never prints a key given where a variable name belongs; cleans a killed run's temporary files", async function () {
    const key = Wallet.createRandom().privateKey;
    const pasted = await ccr(["--key-env", key, "framework", "issuer", "accept", "--economy", "KR"]);
    expect(pasted.code).to.equal(2);
    expect(`${pasted.stdout}${pasted.stderr}`).to.not.include(key.slice(2));
    expect(pasted.stderr).to.include("--key-env takes the name of an environment variable");

    const input = await devices("tmp", 3);
    const out = join(work, "tmp");
    await mkdir(out);
    await writeFile(join(out, "credential-00001.json.999999999.tmp"), "");
    expect((await ccr(issueArgs(input, out))).code).to.equal(0);
    expect((await readdir(out)).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
  });

  it("starts anywhere it is installed: from a subfolder it finds the project's devnet; Node 20 gets a sentence", async function () {
    const project = join(work, "project");
    await mkdir(join(project, ".devnet"), { recursive: true });
    await mkdir(join(project, "a", "b"), { recursive: true });
    await copyFile(join(devnet.dir, "deployment.json"), join(project, ".devnet", "deployment.json"));
    const bin = resolve("bin/ccr.js");
    const run = (node: string, args: string[]) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const env = { ...process.env };
        delete env.CCR_DEVNET_DIR;
        delete env.CCR_DEPLOYMENT;
        const child = spawn(node, [bin, ...args], { cwd: join(project, "a", "b"), env });
        let out = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr.on("data", (c: Buffer) => (out += c.toString()));
        child.on("exit", (code) => done({ code, out }));
      });
    const schemas = await run(process.execPath, ["framework", "schema", "list"]);
    expect(schemas.code, schemas.out).to.equal(0);
    expect(schemas.out).to.include("Academic Diploma");
    // These machines have Node 20 system-wide: started with it, ccr says what it needs instead of crashing.
    const system = await runVersion("/usr/bin/node");
    const major = Number(/^v(\d+)\./.exec(system ?? "")?.[1] ?? 0);
    if (major > 0 && major < 22) {
      const old = await run("/usr/bin/node", ["--help"]);
      expect(old.code).to.equal(2);
      expect(old.out).to.include(`ccr: needs Node.js 22.13 or later; this is Node.js ${system?.slice(1)}`);
    }
  });
});

/** The version a Node binary reports, or undefined when there is none. */
function runVersion(node: string): Promise<string | undefined> {
  return new Promise((done) => {
    const child = spawn(node, ["--version"]);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", () => done(undefined));
    child.on("exit", () => done(out.trim()));
  });
}
