import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { Contract, Wallet } from "ethers";
import { readEvents, withIndex, type StoredEvent } from "../src/audit/db.ts";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { ICCR__factory, type ICCR } from "../types/ethers-contracts/index.js";
import { runCcr, startCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import {
  deployToAnvil,
  forgetIgnitionJournals,
  startAnvil,
  type AnvilDeployment,
  type RunningAnvil,
} from "../scripts/lib/anvil-process.ts";
import { relay } from "./relay.ts";

/** Anvil's test account 5: the issuer SG's authority accredits. */
const ISSUER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
const GRADUATES = "examples/graduates.csv";
const GRADUATE_ROWS = 8;

describe("CCR on Anvil, a second EVM client: deployed as to any network, one block a second, reorganisations", function () {
  this.timeout(600_000);
  let anvil: RunningAnvil;
  let deployed: AnvilDeployment;
  let deployment: Deployment;
  let registry: ICCR;
  /** Keys live in environment variables (never on the command line): COUNCIL_1..3, AUTHORITY_SG, AUTHORITY_JP, ISSUER. */
  const ccr = (args: string[], env: Record<string, string> = {}): Promise<CcrRun> =>
    runCcr(deployed.file, args, { ...deployed.env, ...env });
  const as = (key: string, args: string[], env: Record<string, string> = {}): Promise<CcrRun> =>
    ccr(["--key-env", key, ...args], env);
  const ok = (run: CcrRun): CcrRun => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    return run;
  };
  const anvilRpc = (method: string, params: unknown[] = []): Promise<unknown> => anvil.provider.send(method, params);
  /** Drops the newest blocks from `fromBlock` on (their transactions leave the chain and the pool). */
  /**
   * Replaces the blocks from `fromBlock` on. Interval mining is paused meanwhile: a block mined between reading the head
   * and reorganising would make the reorganisation one block too shallow, and leave `fromBlock` in place (seen on a
   * busy machine).
   */
  const reorgFrom = async (fromBlock: number): Promise<void> => {
    await anvilRpc("anvil_setIntervalMining", [0]);
    try {
      const head = await anvil.provider.getBlockNumber();
      await anvilRpc("anvil_reorg", [head - fromBlock + 1, []]);
    } finally {
      await anvilRpc("anvil_setIntervalMining", [1]);
    }
  };
  const batchAnchors = async (root: string) =>
    registry.queryFilter(registry.filters.BatchAnchored(root, ISSUER), deployment.registry.blockNumber);
  const manifestRoot = async (dir: string): Promise<{ root: string; blockNumber: number }> => {
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as {
      batches: { root: string; transactions: { blockNumber: number }[] }[];
    };
    const [batch] = manifest.batches;
    return { root: batch?.root ?? "", blockNumber: batch?.transactions.at(-1)?.blockNumber ?? 0 };
  };
  /** Resolves once `address` has sent one more transaction than it had when this was called. */
  const nextMined = async (address: string): Promise<void> => {
    const before = await anvil.provider.getTransactionCount(address, "latest");
    while ((await anvil.provider.getTransactionCount(address, "latest")) === before) await sleep(50);
  };
  /** Representative 1 proposes registering an example schema document (beside the deployment file). */
  const proposeSchema = (document: string, proposal: string): Promise<CcrRun> =>
    as("COUNCIL_1", ["council", "propose", "register-schema", join(anvil.dir, "schemas", document), "--out", proposal]);
  const issue = (out: string, extra: string[] = []): Promise<CcrRun> =>
    as("ISSUER", ["issue", "--schema", "0", "--input", GRADUATES, "--out", join(anvil.dir, out), ...extra]);
  /** The index's events, without the time each was read. */
  const indexed = (file: string): Promise<StoredEvent[]> => withIndex(file, deployment, (store) => readEvents(store));

  before(async function () {
    anvil = await startAnvil({ blockTime: 1 });
    deployed = await deployToAnvil(anvil);
    deployment = await readDeployment(deployed.file);
    registry = ICCR__factory.connect(deployment.registry.address, anvil.provider);
  });

  after(function () {
    if (anvil === undefined) return;
    anvil.stop();
    forgetIgnitionJournals(anvil.chainId);
  });

  it("deploys the council Safe, the registry, the names and a DID registry, and writes the deployment file", async function () {
    const owners = ["COUNCIL_1", "COUNCIL_2", "COUNCIL_3"].map((key) => new Wallet(deployed.env[key] ?? "").address);
    expect(deployment).to.include({ chainId: anvil.chainId, rpcUrl: anvil.url, network: "custom" });
    expect(deployment.council).to.deep.equal({ safe: deployment.council?.safe, owners, threshold: 2 });
    expect(deployment.economies).to.deep.equal([
      { iso: "SG", authority: new Wallet(deployed.env.AUTHORITY_SG ?? "").address },
    ]);
    expect(deployment.genesisHash).to.equal((await anvil.provider.getBlock(0))?.hash);
    const safe = new Contract(
      deployment.council?.safe ?? "",
      ["function getOwners() view returns (address[])", "function getThreshold() view returns (uint256)"],
      anvil.provider,
    );
    expect(await safe.getFunction("getOwners")()).to.deep.equal(owners);
    expect(await safe.getFunction("getThreshold")()).to.equal(2n);
    const admin = new Contract(
      deployment.registry.address,
      ["function defaultAdmin() view returns (address)"],
      anvil.provider,
    );
    expect(await admin.getFunction("defaultAdmin")()).to.equal(deployment.council?.safe);
    for (const contract of [deployment.registry, deployment.didRegistry, deployment.names]) {
      expect(await anvil.provider.getCode(contract?.address ?? "")).to.not.equal("0x");
    }
    expect(deployed.output).to.include(`Council Safe    ${deployment.council?.safe} (2 of 3: ${owners.join(", ")})`);
    expect(deployed.output).to.include(`Deployment file ${deployed.file}`);
  });

  it("governs through the council Safe: one representative's signature is not enough, two are", async function () {
    const proposal = join(anvil.dir, "register-diploma.json");
    const proposed = ok(await proposeSchema("diploma.json", proposal));
    expect(proposed.stdout).to.match(/^proposed \(nonce 0\): register schema "Academic Diploma subject" /);
    const early = await as("COUNCIL_3", ["council", "execute", proposal]);
    expect(early.code).to.equal(1);
    expect(early.stderr).to.include("ccr: cannot execute: 1 of the 2 signatures it needs");
    ok(await as("COUNCIL_2", ["council", "sign", proposal]));
    const executed = ok(await as("COUNCIL_3", ["council", "execute", proposal]));
    expect(executed.stdout).to.match(
      /^executed: register schema "Academic Diploma subject" .*\(transaction 0x[0-9a-f]{64}, block \d+\)$/m,
    );
    const [registered] = await registry.queryFilter(registry.filters.SchemaRegistered(0));
    expect(registered?.args.name).to.equal("Academic Diploma subject");
    expect(registered?.args.uri).to.equal("https://schemas.ccr.example/diploma.json");

    // Admitting an economy is the council's too.
    const jp = new Wallet(deployed.env.AUTHORITY_JP ?? "").address;
    const admit = join(anvil.dir, "admit-jp.json");
    ok(await as("COUNCIL_2", ["council", "propose", "admit", "JP", jp, "--out", admit]));
    ok(await as("COUNCIL_3", ["council", "sign", admit]));
    ok(await as("COUNCIL_1", ["council", "execute", admit]));
    const [admitted] = await registry.queryFilter(registry.filters.EconomyAdmitted("0x4a50"));
    expect(admitted?.args.authority).to.equal(jp);
  });

  it("accredits an issuer, which issues a CSV in one Merkle batch; every credential verifies", async function () {
    ok(await as("AUTHORITY_SG", ["framework", "issuer", "offer", ISSUER, "--schemas", "0"]));
    const accepted = ok(await as("ISSUER", ["framework", "issuer", "accept", "--economy", "SG"]));
    expect(accepted.stdout).to.match(new RegExp(`^${ISSUER} is now an issuer of SG for schemas 0, now to open-ended`));
    const issued = ok(await issue("diplomas"));
    expect(issued.stdout).to.match(
      /^issued 8 "Academic Diploma subject" credential\(s\) .* in 1 anchor\(s\) \(1 sent now\)/,
    );
    const { root } = await manifestRoot(join(anvil.dir, "diplomas"));
    const anchors = await batchAnchors(root);
    expect(anchors.map((a) => a.args.size)).to.deep.equal([BigInt(GRADUATE_ROWS)]);
    const verified = ok(await ccr(["verify", join(anvil.dir, "diplomas")]));
    expect(verified.stdout).to.match(/^8 valid, 0 invalid, 0 undecided$/m);
  });

  it("revokes and suspends; the verdicts follow; the auditor's index agrees with the chain", async function () {
    const file = (n: number) => join(anvil.dir, "diplomas", `credential-0000${n}.json`);
    ok(await as("ISSUER", ["revoke", file(1), "--reason", "superseded"]));
    ok(await as("ISSUER", ["suspend", file(2), "--reason", "certificateHold"]));
    const verified = await ccr(["verify", file(1), file(2), file(3)]);
    expect(verified.code).to.equal(1);
    expect(verified.stdout).to.match(/^INVALID +\S+credential-00001\.json: revoked on \S+ \(reason: superseded\)$/m);
    expect(verified.stdout).to.match(/^INVALID +\S+credential-00002\.json: suspended/m);
    expect(verified.stdout).to.match(/^VALID +\S+credential-00003\.json: valid/m);
    const synced = ok(await ccr(["audit", "sync"]));
    expect(synced.stdout).to.match(/ \d+ new event\(s\)/);
    const checked = ok(await ccr(["audit", "check"]));
    expect(checked.stdout).to.match(/^consistent: the registry's state at block \d+ follows from its event history$/m);
  });

  it("rolls the auditor's index back after a reorganisation, to the index a clean sync builds", async function () {
    const db = join(anvil.dir, "reorg.sqlite");
    const third = join(anvil.dir, "diplomas", "credential-00003.json");
    const revoked = ok(await as("ISSUER", ["revoke", third, "--reason", "keyCompromise"]));
    const block = Number(/block (\d+)\)/.exec(revoked.stdout)?.[1]);
    ok(await ccr(["audit", "sync", "--db", db]));
    expect((await indexed(db)).map((e) => e.name)).to.include("MembersStatusChanged");
    const before = (await indexed(db)).filter((e) => e.block < block);

    await reorgFrom(block);
    const resynced = ok(await ccr(["audit", "sync", "--db", db]));
    expect(resynced.stdout).to.match(/[1-9]\d* reorganised block\(s\) rolled back/);
    const clean = join(anvil.dir, "clean.sqlite");
    ok(await ccr(["audit", "sync", "--db", clean]));
    const strip = (events: StoredEvent[]) =>
      events.map(({ block, logIndex, txHash, name, args }) => ({ block, logIndex, txHash, name, args }));
    expect(strip(await indexed(db))).to.deep.equal(strip(await indexed(clean)));
    expect(strip(await indexed(db))).to.deep.equal(strip(before));
    ok(await ccr(["audit", "check", "--db", db]));
    // The revocation left the chain with its block: the credential is valid again.
    expect(ok(await ccr(["verify", third])).stdout).to.match(/^VALID /);
  });

  it("sends an anchor again when a reorganisation drops it mid-run, and reports it only once it is confirmed", async function () {
    const out = join(anvil.dir, "reorged-mid-run");
    const from = await anvil.provider.getBlockNumber();
    // Four confirmations at one block a second: the run is still waiting when the anchor's block is dropped.
    const run = startCcr(
      deployed.file,
      ["--confirmations", "4", "--key-env", "ISSUER", "issue", "--schema", "0", "--input", GRADUATES, "--out", out],
      deployed.env,
    );
    await nextMined(ISSUER);
    // No more blocks until the anchor's is dropped: the run must not reach its confirmations first.
    await anvilRpc("anvil_setIntervalMining", [0]);
    const [anchored] = await registry.queryFilter(registry.filters.BatchAnchored(undefined, ISSUER), from);
    await reorgFrom(anchored?.blockNumber ?? from); // resumes the mining, whatever it found
    expect(anchored, "the anchor's block").to.not.equal(undefined);
    expect((await registry.getBatch(ISSUER, anchored?.args.root ?? "")).anchoredAt).to.equal(0n);
    const done = await run.done;
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stderr).to.match(
      /is neither in a block nor in the node's pool \(a reorganisation, or the node dropped it\): sent again/,
    );
    const { root, blockNumber } = await manifestRoot(out);
    expect(root).to.equal(anchored?.args.root);
    const anchors = await batchAnchors(root);
    expect(anchors.map((a) => a.blockNumber)).to.deep.equal([blockNumber]);
    expect(ok(await ccr(["verify", out])).stdout).to.match(/^8 valid, 0 invalid, 0 undecided$/m);
  });

  it("anchors again, on the next run, a batch a reorganisation dropped after its run ended", async function () {
    const out = join(anvil.dir, "reorged-after");
    ok(await issue("reorged-after"));
    const first = await manifestRoot(out);
    await reorgFrom(first.blockNumber);
    const dropped = await ccr(["verify", join(out, "credential-00001.json")]);
    expect(dropped.code).to.equal(1);
    expect(dropped.stdout).to.include(`its anchoring transaction`);
    const rerun = ok(await issue("reorged-after"));
    expect(rerun.stdout).to.match(
      /^resumed: issued 8 "Academic Diploma subject" credential\(s\) .* in 1 anchor\(s\) \(1 sent now\)/,
    );
    const again = await manifestRoot(out);
    expect(again.root).to.equal(first.root);
    expect((await batchAnchors(first.root)).map((a) => a.blockNumber)).to.deep.equal([again.blockNumber]);
    expect(ok(await ccr(["verify", out])).stdout).to.match(/^8 valid, 0 invalid, 0 undecided$/m);
  });

  describe("faults", function () {
    afterEach(async function () {
      await anvilRpc("anvil_setIntervalMining", [1]);
    });

    it("gives up on a transaction not mined within --tx-timeout (exit 2); the next run waits for it and sends nothing twice", async function () {
      const fourth = join(anvil.dir, "diplomas", "credential-00004.json");
      const from = await anvil.provider.getBlockNumber();
      await anvilRpc("anvil_setIntervalMining", [0]);
      const waited = await as("ISSUER", ["--tx-timeout", "3", "suspend", fourth, "--reason", "certificateHold"]);
      expect(waited.code).to.equal(2);
      expect(waited.stderr).to.match(
        /^ccr: suspendMembers\(.*\) \(transaction 0x[0-9a-f]{64}, nonce \d+, max fee [\d.]+ gwei\) was not confirmed within 3 s; it may still be mined\. It is recorded in \S+pending-\d+-[0-9a-f]{12}-0x[0-9a-f]{40}\.json: run the command again/m,
      );
      await anvilRpc("anvil_setIntervalMining", [1]);
      const rerun = ok(await as("ISSUER", ["suspend", fourth, "--reason", "certificateHold"]));
      expect(rerun.stderr).to.match(
        /^ccr: continuing suspendMembers\(.*\) \(nonce \d+, 0x[0-9a-f]{64}\), left pending by an earlier run/m,
      );
      expect(rerun.stdout).to.match(/^suspended \S+credential-00004\.json \(transaction 0x[0-9a-f]{64}, block \d+\)$/m);
      const changes = await registry.queryFilter(registry.filters.MembersStatusChanged(undefined, ISSUER), from + 1);
      expect(changes).to.have.length(1);
    });

    it("replaces a transaction stuck below the market's fee at the market's fee", async function () {
      const fifth = join(anvil.dir, "diplomas", "credential-00005.json");
      await anvilRpc("anvil_setIntervalMining", [0]);
      const run = startCcr(
        deployed.file,
        ["--replace-after", "2", "--key-env", "ISSUER", "revoke", fifth, "--reason", "superseded"],
        deployed.env,
      );
      while (((await anvilRpc("txpool_status")) as { pending: string }).pending === "0x0") await sleep(50);
      // The market moves: the next block's base fee is 100 gwei, far above what the transaction offers.
      await anvilRpc("anvil_setNextBlockBaseFeePerGas", ["0x174876E800"]);
      await anvilRpc("anvil_setIntervalMining", [1]);
      const done = await run.done;
      expect(done.code, done.stderr).to.equal(0);
      const replaced = /sat below the market's fee: sent again as (0x[0-9a-f]{64}) at ([\d.]+) gwei/.exec(done.stderr);
      expect(replaced, done.stderr).to.not.equal(null);
      expect(Number(replaced?.[2])).to.be.greaterThan(100);
      expect(done.stdout).to.include(`(transaction ${replaced?.[1]}, block `);
    });

    it("says when the account lacks funds and sends nothing (exit 1); the proposal stays ready", async function () {
      const proposal = join(anvil.dir, "register-kyc.json");
      ok(await proposeSchema("kyc.json", proposal));
      ok(await as("COUNCIL_2", ["council", "sign", proposal]));
      const empty = Wallet.createRandom();
      const broke = await as("EMPTY", ["council", "execute", proposal], { EMPTY: empty.privateKey });
      expect(broke.code).to.equal(1);
      expect(broke.stderr).to.match(
        new RegExp(
          `^ccr: the account ${empty.address} holds 0\\.0 ETH on chain ${anvil.chainId}; .* may cost up to [\\d.]+ ETH .*nothing was sent$`,
          "m",
        ),
      );
      expect(await anvil.provider.getTransactionCount(empty.address)).to.equal(0);
      ok(await as("COUNCIL_3", ["council", "execute", proposal]));
    });

    it("stops with exit 2 when the RPC stops mid-run; the next run completes without anchoring twice", async function () {
      const out = join(anvil.dir, "cut");
      const front = await relay(anvil.url);
      try {
        const run = startCcr(
          deployed.file,
          // One at a time, two confirmations each: the run is still going when the RPC stops.
          ["--rpc", front.url, "--confirmations", "2", "--key-env", "ISSUER", "issue", "--schema", "0"].concat([
            "--input",
            GRADUATES,
            "--out",
            out,
            "--single",
            "--in-flight",
            "1",
          ]),
          deployed.env,
        );
        await nextMined(ISSUER);
        front.cut();
        const cut = await run.done;
        expect(cut.code, cut.stdout).to.equal(2);
        expect(cut.stderr).to.match(/^ccr: (could not reach the RPC at|the RPC stopped answering)/m);
      } finally {
        await front.close();
      }
      const from = await anvil.provider.getBlockNumber();
      const rerun = ok(await issue("cut", ["--single"]));
      expect(rerun.stdout).to.match(
        /^resumed: issued 8 "Academic Diploma subject" credential\(s\) .* in 8 anchor\(s\) \((\d) sent now\)/,
      );
      const sentNow = Number(/\((\d) sent now\)/.exec(rerun.stdout)?.[1]);
      expect(sentNow).to.be.lessThan(GRADUATE_ROWS);
      const single = await registry.queryFilter(
        registry.filters.CredentialAnchored(undefined, ISSUER),
        deployment.registry.blockNumber,
      );
      expect(single).to.have.length(GRADUATE_ROWS);
      expect(single.filter((e) => e.blockNumber > from)).to.have.length(sentNow);
      expect(ok(await ccr(["verify", out])).stdout).to.match(/^8 valid, 0 invalid, 0 undecided$/m);
    });

    it("refuses a deployment file for another network (exit 2)", async function () {
      const other = join(anvil.dir, "other-chain.json");
      await writeFile(other, JSON.stringify({ ...deployment, chainId: deployment.chainId + 1 }));
      const refused = await runCcr(other, ["verify", join(anvil.dir, "diplomas", "credential-00006.json")]);
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.include(
        `ccr: the RPC at ${anvil.url} serves chain ${anvil.chainId}, the deployment file describes chain ${deployment.chainId + 1}`,
      );
    });
  });
});
