import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { expect } from "chai";
import type { Report } from "../src/audit/report.ts";
import { Wallet, getAddress } from "ethers";
import { devnetWallet } from "../deploy/demoData.ts";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { rpcProvider } from "../src/registry.ts";
import { signAnchorRequest } from "../src/signing.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";
import { councilAction, runCcr, startCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { executeAsSafe } from "../src/council.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { generateHistory } from "../scripts/lib/history.ts";
import { startRpcProxy } from "../scripts/lib/rpc-proxy.ts";
import { decodeLog, readFromWords, type RawLog } from "../src/audit/sync.ts";
import { readEvents, withIndex } from "../src/audit/db.ts";
import { actorOf } from "../src/audit/history.ts";

describe("ccr audit (end to end, against a Hardhat node)", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet;
  let work = "";
  let deploymentFile = "";

  const ccr = (args: string[], deployment = deploymentFile): Promise<CcrRun> => runCcr(deployment, args);

  /** The index's checkpoint block, read while a sync may be writing (WAL readers do not wait for writers). */
  function checkpointOf(db: string): number | undefined {
    try {
      const database = new DatabaseSync(db, { readOnly: true });
      try {
        database.exec("PRAGMA busy_timeout = 1000");
        const row = database.prepare("SELECT block FROM checkpoint").get() as { block: number } | undefined;
        return row === undefined ? undefined : Number(row.block);
      } finally {
        database.close();
      }
    } catch {
      return undefined; // not created yet, or its tables are being created
    }
  }

  /** Every row of every table of an index, in a fixed order. */
  function dump(db: string): Record<string, unknown[]> {
    const database = new DatabaseSync(db, { readOnly: true });
    try {
      const tables = {
        meta: "key",
        blocks: "number",
        events: "block, log_index",
        event_keys: "key, block, log_index",
        checkpoint: "id",
      };
      return Object.fromEntries(
        Object.entries(tables).map(([table, order]) => [
          table,
          database.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all(),
        ]),
      );
    } finally {
      database.close();
    }
  }

  function sql(db: string, statement: string): void {
    const database = new DatabaseSync(db);
    database.exec(statement);
    database.close();
  }

  before(async function () {
    devnet = await startDevnet();
    deploymentFile = join(devnet.dir, "deployment.json");
    work = await mkdtemp(join(tmpdir(), "ccr-audit-"));
  });

  after(async function () {
    devnet.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("indexes every event once, syncs only new blocks, and finds the history consistent with the chain", async function () {
    const db = join(work, "audit.sqlite");
    const first = await ccr(["audit", "sync", "--db", db]);
    expect(first.stderr).to.equal("");
    expect(first.code).to.equal(0);
    const events = Number(/(\d+) new event\(s\)/.exec(first.stdout)?.[1]);
    expect(events).to.be.greaterThan(40);
    const again = await ccr(["audit", "sync", "--db", db]);
    expect(again.stdout).to.match(/: no new block since block \d+, 0 new event\(s\), /);

    const out = join(work, "diplomas");
    const issued = await ccr([
      "--as",
      "au-university",
      "issue",
      "--schema",
      "diploma",
      "--input",
      "examples/graduates.csv",
      "--out",
      out,
    ]);
    expect(issued.code).to.equal(0);
    await ccr(["--as", "au-university", "revoke", join(out, "credential-00002.json"), "--reason", "superseded"]);
    const more = await ccr(["audit", "sync", "--db", db]);
    expect(more.stdout).to.match(/ 2 new event\(s\)/);

    const check = await ccr(["audit", "check", "--db", db]);
    expect(check.code).to.equal(0);
    const synced = Number(/blocks \d+-(\d+) /.exec(more.stdout)?.[1]);
    expect(check.stdout).to.equal(
      `consistent: the registry's state at block ${synced} follows from its event history\n`,
    );

    // Timelines: a batch member's, from its file; an issuer's, with actors.
    const member = await ccr(["audit", "history", join(out, "credential-00002.json"), "--db", db]);
    expect(member.code).to.equal(0);
    expect(member.stdout).to.match(
      / block \d+ {2}tx 0x[0-9a-f]{64} {2}by University in Australia \(AU\) \(0x[0-9a-fA-F]{40}\)\n {2}batch 0x[0-9a-f]{64} of 8 anchored by University in Australia \(AU\) \(0x[0-9a-fA-F]{40}\)/,
    );
    expect(member.stdout).to.match(/\n {2}members 1 of batch 0x[0-9a-f]{64} revoked \(superseded\)\n/);
    expect(member.stdout).to.match(/2 event\(s\) for 0x[0-9a-f]{64} member 1\n$/);
    // An issuer by the name the history gave it: the same timeline as by its account name, naming included.
    const byName = await ccr(["audit", "history", "University in Australia", "--db", db]);
    expect(byName.code).to.equal(0);
    expect(byName.stdout).to.include("issuer University in Australia (AU) (0x");
    expect(byName.stdout).to.match(/named "University in Australia" \(legal name "[^"]+", website https:\/\/\S+\) by /);
    // A schema's timeline: its registration (and what names it), by schema:<id>.
    const schema = await ccr(["audit", "history", "schema:2", "--db", db]);
    expect(schema.code, schema.stderr).to.equal(0);
    expect(schema.stdout).to.match(
      /\n {2}schema 2 registered: Academic Diploma \(https:\/\/\S+, sha256 0x[0-9a-f]{64}\)\n/,
    );
    const unnamed = await ccr(["audit", "history", "Nobody University", "--db", db]);
    expect(unnamed.code).to.equal(2);
    expect(unnamed.stderr).to.include(
      '"Nobody University" is neither an address, a did:ethr, an account of the deployment nor an issuer\'s name in the index',
    );
    const issuer = await ccr(["audit", "history", "au-university", "--db", db, "--json"]);
    const entries = JSON.parse(issuer.stdout) as { event: string; actor: string }[];
    expect(entries.map((e) => e.event)).to.include.members([
      "IssuerAccredited",
      "BatchAnchored",
      "MembersStatusChanged",
    ]);
    expect(entries.find((e) => e.event === "IssuerAccredited")?.actor).to.match(/^0x[0-9a-fA-F]{40}$/);

    // Reports: the demo's 15 credentials (2 revoked, 1 suspended) and these 8 diplomas (1 revoked).
    const json = JSON.parse((await ccr(["audit", "report", "--db", db, "--format", "json"])).stdout) as Report;
    expect(json.totals).to.deep.equal({ issued: 23, revoked: 3, suspended: 1 });
    expect(json.byEconomy.AU).to.deep.equal({ issued: 16, revoked: 2, suspended: 0 });
    expect(json.bySchema["Academic Diploma"]).to.deep.equal({ issued: 16, revoked: 2, suspended: 0 });
    expect(json.revocationReasons.superseded).to.equal(2);
    expect(json.issuersByStanding.ACTIVE).to.have.length(6);
    expect(json.recognitions).to.deep.include({ economy: "JP", recognises: "SG", schemas: [0] });
    const au = JSON.parse(
      (await ccr(["audit", "report", "--db", db, "--format", "json", "--economy", "AU"])).stdout,
    ) as Report;
    expect(au.totals).to.deep.equal({ issued: 16, revoked: 2, suspended: 0 });
    const unknown = await ccr(["audit", "report", "--db", db, "--economy", "XX"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/^ccr: --economy XX is none of the history's economies \(AU, BN, CA, /);
    const csv = (await ccr(["audit", "report", "--db", db, "--format", "csv"])).stdout.split("\n");
    expect(csv[0]).to.equal("section,key,issued,revoked,suspended,detail");
    expect(csv).to.include("By economy,Australia (AU),16,2,0,");
    const university = (await readDeployment(deploymentFile)).accounts["au-university"]?.address ?? "";
    expect(csv.find((row) => row.startsWith(`By issuer,University in Australia (AU) (${university}),`))).to.match(
      /,AU$/,
    );
    expect(json.names.economies.AU).to.equal("Australia");
    expect(json.names.issuers[university]).to.equal("University in Australia (AU)");
    // Days add up to the totals; an issuer (by name) or a schema (by name or id) narrows every count.
    const days = Object.values(json.byDay);
    expect(days.reduce((sum, c) => sum + c.issued, 0)).to.equal(json.totals.issued);
    expect(days.reduce((sum, c) => sum + c.revoked, 0)).to.equal(json.totals.revoked);
    const report = async (...args: string[]): Promise<Report> =>
      JSON.parse((await ccr(["audit", "report", "--db", db, "--format", "json", ...args])).stdout) as Report;
    const byUniversity = await report("--issuer", "University in Australia");
    const counts = json.byIssuer[university];
    expect(byUniversity.totals).to.deep.equal({
      issued: counts?.issued,
      revoked: counts?.revoked,
      suspended: counts?.suspended,
    });
    expect(byUniversity.issuer).to.equal(university);
    expect(Object.keys(byUniversity.byIssuer)).to.deep.equal([university]);
    const diplomas = await report("--schema", "Academic Diploma");
    expect(diplomas.totals).to.deep.equal(json.bySchema["Academic Diploma"]);
    expect(diplomas.schema).to.equal(2);
    expect((await report("--schema", "2")).totals).to.deep.equal(diplomas.totals);
    const noSchema = await ccr(["audit", "report", "--db", db, "--schema", "Pilot Licence"]);
    expect(noSchema.code).to.equal(2);
    expect(noSchema.stderr).to.match(
      /^ccr: --schema Pilot Licence is none of the history's schemas \(0 [^,]+, 1 [^,]+, 2 Academic Diploma, /,
    );
    const html = join(work, "report.html");
    expect((await ccr(["audit", "report", "--db", db, "--format", "html", "--out", html])).stdout).to.equal(
      `report written to ${html}\n`,
    );
    const page = await readFile(html, "utf8");
    expect(page).to.match(/^<!doctype html>/);
    // Four ECharts charts rendered to SVG (over time, by economy, issuer, schema), each with its legend and axes.
    expect(page.match(/<svg /g)).to.have.length(4);
    for (const title of ["Over time, by day", "By economy", "By issuer", "By credential type"])
      expect(page).to.include(`<figcaption>${title}</figcaption><svg role="img" aria-label="${title}" `);
    expect(page.match(/>Issued<\/text>/g)).to.have.length(4);
    expect(page).to.include(">Australia (AU)</text>");
    expect(page).to.include("<td>Australia (AU)</td><td>16</td><td>2</td><td>0</td>");
    expect(page).to.not.match(/<script|src=|href=/);
  });

  it("replays holds, offers, cancellations, releases and signed anchors; timelines name every anchor's real actor", async function () {
    const db = join(work, "trust.sqlite");
    const deployment = await readDeployment(deploymentFile);
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const wallet = (name: string) => devnetWallet(deployment.accounts[name]?.hdIndex ?? -1, provider);
    const registry = ICCR__factory.connect(deployment.registry.address, provider);
    const mined = async (tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> => {
      await (await tx).wait();
    };
    // An offer made and withdrawn, one made and left pending.
    const [withdrawn, pending] = [Wallet.createRandom().address, Wallet.createRandom().address];
    await mined(registry.connect(wallet("authority-sg")).offerAccreditation(withdrawn, 1n, 0, 0));
    await mined(registry.connect(wallet("authority-sg")).withdrawOffer(withdrawn));
    await mined(registry.connect(wallet("authority-jp")).offerAccreditation(pending, 3n, 0, 0));
    // A signed request relayed by another account, and one cancelled before it was.
    const sg = wallet("sg-agent");
    const relayer = devnetWallet(40, provider);
    await provider.send("hardhat_setBalance", [relayer.address, "0x56BC75E2D63100000"]);
    const now = (await provider.getBlock("latest"))?.timestamp ?? 0;
    const request = (hash: string) => ({
      issuer: sg.address,
      hash,
      size: 0,
      schema: 0,
      validFrom: 0,
      validUntil: 0,
      deadline: now + 3600,
    });
    const relayed = request(Wallet.createRandom().privateKey);
    const signature = await signAnchorRequest(sg, BigInt(deployment.chainId), deployment.registry.address, relayed);
    await mined(registry.connect(relayer).anchorSigned(relayed, signature));
    const cancelled = request(Wallet.createRandom().privateKey);
    await mined(registry.connect(sg).cancelAnchorRequest(await registry.anchorRequestDigest(cancelled)));
    // The authority's hold on a demo credential, and the council's release of an issuer.
    const demo = (deployment as Deployment & { demo: { credentials: { issuer: string; hash: string }[] } }).demo;
    const sgCredential = demo.credentials.find((c) => c.issuer === "sg-agent")?.hash ?? "";
    await mined(registry.connect(wallet("authority-sg")).suspendCredential(sg.address, sgCredential, 6));
    const release = registry.interface.encodeFunctionData("releaseIssuer", [wallet("ca-bank").address]);
    const council = [wallet("council-sg"), wallet("council-jp")];
    await executeAsSafe(
      deployment.council?.safe ?? "",
      { to: deployment.registry.address, data: release },
      council,
      relayer,
    );

    expect((await ccr(["audit", "sync", "--db", db])).code).to.equal(0);
    const check = await ccr(["audit", "check", "--db", db]);
    expect(check.stdout).to.match(/^consistent: /);
    expect(check.code).to.equal(0);

    // Planted: a hold replayed as the issuer's own suspension, a withdrawn offer still pending, a cancellation of another
    // request.
    sql(
      db,
      "UPDATE events SET args = json_set(args, '$.state', '2') WHERE name = 'CredentialStatusChanged' AND json_extract(args, '$.state') = '4'",
    );
    sql(db, "DELETE FROM events WHERE name = 'AccreditationOfferWithdrawn'");
    sql(
      db,
      `UPDATE events SET args = json_set(args, '$.digest', '0x${"ab".repeat(32)}') WHERE name = 'AnchorRequestCancelled'`,
    );
    const planted = await ccr(["audit", "check", "--db", db]);
    expect(planted.code).to.equal(1);
    expect(planted.stdout).to.match(
      /^DISCREPANCY credential 0x[0-9a-f]{64} of 0x[0-9a-fA-F]{40}: state is SUSPENDED in the history, HELD on chain$/m,
    );
    expect(planted.stdout).to.match(
      /^DISCREPANCY offer of SG to 0x[0-9a-fA-F]{40}: authority is 0x[0-9a-fA-F]{40} in the history, 0x0{40} on chain$/m,
    );
    expect(planted.stdout).to.match(
      /^DISCREPANCY signed request 0x[0-9a-f]{64} of 0x[0-9a-fA-F]{40}: cancelled is true in the history, false on chain$/m,
    );

    // Actors: the operator for the demo's batch, the signing issuer and its relayer, the issuer accepting its offer.
    const timeline = async (subject: string) =>
      JSON.parse((await ccr(["audit", "history", subject, "--db", db, "--json"])).stdout) as {
        event: string;
        actor: string;
        change: string;
      }[];
    const university = await timeline("au-university");
    const batch = university.find((e) => e.event === "BatchAnchored");
    expect(batch?.actor).to.equal(deployment.accounts["au-registrar"]?.address);
    expect(batch?.change).to.include(`through operator ${deployment.accounts["au-registrar"]?.address}`);
    expect(university.find((e) => e.event === "IssuerAccredited")?.actor).to.equal(
      deployment.accounts["au-university"]?.address,
    );
    expect(university.find((e) => e.event === "AccreditationOffered")?.actor).to.equal(
      deployment.accounts["authority-au"]?.address,
    );
    const signed = (await timeline("sg-agent")).find(
      (e) => e.event === "CredentialAnchored" && e.change.includes(relayed.hash),
    );
    expect(signed?.actor).to.equal(`${sg.address} (signed; relayed by ${relayer.address})`);
    provider.destroy();
  });

  it("names the real actor of every event: the transaction's sender, its relayer, or the council through its Safe", async function () {
    // Names, websites and operators, beside the seed's own history: each by a different role.
    const kr = [
      "--as",
      "authority-kr",
      "framework",
      "issuer",
      "name",
      "kr-devicemaker",
      "--name",
      "Device maker in Korea",
    ];
    for (const args of [kr, ["--as", "kr-devicemaker", "framework", "issuer", "website", "https://devices.example/kr"]])
      expect((await ccr(args)).code).to.equal(0);
    const db = join(work, "actors.db");
    expect((await ccr(["audit", "sync", "--db", db])).code).to.equal(0);
    const deployment = await readDeployment(deploymentFile);
    const events = await withIndex(db, deployment, (store) => readEvents(store));
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const safe = deployment.council?.safe ?? "";
    const kinds = new Set<string>();
    for (const event of events) {
      const tx = await provider.getTransaction(event.txHash);
      if (tx === null) throw new Error(`no transaction ${event.txHash}`);
      const actor = actorOf(event);
      const where = `${event.name} in ${event.txHash}: ${actor}`;
      if (actor === "council") {
        // The council acts through its Safe; economies admitted at deployment are the registry's constructor's.
        expect(tx.to === null ? "deployment" : getAddress(tx.to), where).to.be.oneOf([safe, "deployment"]);
      } else if (actor.includes("(signed; relayed by ")) {
        expect(actor.endsWith(`relayed by ${tx.from})`), where).to.equal(true);
      } else if (actor === safe) {
        // An act whose event names its sender, sent by the council through its Safe.
        expect(tx.to === null ? "" : getAddress(tx.to), where).to.equal(safe);
      } else {
        expect(actor, where).to.equal(tx.from);
      }
      kinds.add(event.name);
    }
    for (const kind of ["IssuerNamed", "IssuerWebsiteSet", "EconomyNamed", "OperatorAdded", "IssuerAccredited"])
      expect([...kinds]).to.include(kind);
    const maker = deployment.accounts["kr-devicemaker"]?.address;
    const website = events.find((e) => e.name === "IssuerWebsiteSet" && e.args.issuer === maker);
    expect(website === undefined ? "" : actorOf(website)).to.equal(maker);
    const named = events.findLast((e) => e.name === "IssuerNamed" && e.args.issuer === maker);
    expect(named === undefined ? "" : actorOf(named)).to.equal(deployment.accounts["authority-kr"]?.address);
    provider.destroy();
  });

  it("finds discrepancies planted in the index: a deleted event, an altered status", async function () {
    const db = join(work, "planted.sqlite");
    expect((await ccr(["--as", "authority-sg", "framework", "issuer", "suspend", "sg-agent"])).code).to.equal(0);
    expect((await ccr(["audit", "sync", "--db", db])).code).to.equal(0);
    expect((await ccr(["audit", "check", "--db", db])).code).to.equal(0);
    // Changes after the index's last block are not the history's yet: the check reads the chain as of that block.
    expect((await ccr(["--as", "authority-sg", "framework", "issuer", "reinstate", "sg-agent"])).code).to.equal(0);
    expect((await ccr(["audit", "check", "--db", db])).code).to.equal(0);
    sql(db, "DELETE FROM events WHERE name = 'IssuerSuspended'");
    sql(
      db,
      "UPDATE events SET args = json_set(args, '$.state', '1') WHERE name = 'CredentialStatusChanged' AND json_extract(args, '$.state') = '3'",
    );
    const check = await ccr(["audit", "check", "--db", db]);
    expect(check.code).to.equal(1);
    expect(check.stdout).to.match(/^DISCREPANCY issuer 0x[0-9a-fA-F]{40}: standing is 1 in the history, 2 on chain$/m);
    expect(check.stdout).to.match(
      /^DISCREPANCY credential 0x[0-9a-f]{64} of 0x[0-9a-fA-F]{40}: state is ACTIVE in the history, REVOKED on chain$/m,
    );
    expect(check.stdout).to.match(
      /^DISCREPANCY credential 0x[0-9a-f]{64} of 0x[0-9a-fA-F]{40}: verdict is \w+ in the history, REVOKED on chain$/m,
    );
  });

  it("rolls back blocks that a reorganisation replaced", async function () {
    const db = join(work, "reorg.sqlite");
    const provider = rpcProvider(`http://127.0.0.1:${devnet.port}`, 31337);
    const snapshot = (await provider.send("evm_snapshot", [])) as string;
    // A schema is registered from its JSON Schema document (name: its title, URI: its $id).
    const schemaFile = async (title: string, uri: string): Promise<string> => {
      const file = join(work, `${title.replace(/\W/g, "-")}.json`);
      const document = { $schema: "https://json-schema.org/draft/2020-12/schema", $id: uri, title, type: "object" };
      await writeFile(file, JSON.stringify(document));
      return file;
    };
    const branchA = await schemaFile("Branch A", "https://a.example/a.json");
    const branchB = await schemaFile("Branch B", "https://b.example/b.json");
    expect((await councilAction(deploymentFile, ["register-schema", branchA])).code).to.equal(0);
    expect((await ccr(["audit", "sync", "--db", db])).code).to.equal(0);
    await provider.send("evm_revert", [snapshot]);
    expect((await councilAction(deploymentFile, ["register-schema", branchB])).code).to.equal(0);
    const resynced = await ccr(["audit", "sync", "--db", db]);
    expect(resynced.stdout).to.match(/1 reorganised block\(s\) rolled back/);
    const database = new DatabaseSync(db);
    const names = database
      .prepare("SELECT json_extract(args, '$.name') AS name FROM events WHERE name = 'SchemaRegistered'")
      .all();
    database.close();
    expect(names.map((r) => r.name))
      .to.include("Branch B")
      .and.not.include("Branch A");
    expect((await ccr(["audit", "check", "--db", db])).code).to.equal(0);
    provider.destroy();
  });

  it("refuses another deployment's index, a contract that is not a registry, and an unreachable node (exit 2)", async function () {
    const db = join(work, "audit.sqlite");
    const deployment = JSON.parse(await readFile(deploymentFile, "utf8")) as Deployment;
    const other = join(work, "other-deployment.json");
    await writeFile(other, JSON.stringify({ ...deployment, registry: { ...deployment.registry, blockNumber: 0 } }));
    const mixed = await ccr(["audit", "sync", "--db", db], other);
    expect(mixed.code).to.equal(2);
    expect(mixed.stderr).to.include(`ccr: the index ${db} was built for another fromBlock`);

    // The devnet restarted from scratch: the same chain id, addresses and blocks, a new genesis.
    const restarted = await startDevnet();
    try {
      const fresh = await readDeployment(join(restarted.dir, "deployment.json"));
      expect(fresh.registry).to.deep.equal(deployment.registry);
      expect(fresh.genesisHash).to.not.equal(deployment.genesisHash);
      const notMerged = await ccr(["audit", "sync", "--db", db], join(restarted.dir, "deployment.json"));
      expect(notMerged.code).to.equal(2);
      expect(notMerged.stderr).to.include(
        `ccr: the index ${db} belongs to another chain (genesis ${deployment.genesisHash}, now ${fresh.genesisHash})`,
      );
      expect(notMerged.stderr).to.include("the chain was restarted since it was built. Nothing was merged");
    } finally {
      restarted.stop();
    }

    const notAnIndex = await ccr(["audit", "check", "--db", "README.md"]);
    expect(notAnIndex.code).to.equal(2);
    expect(notAnIndex.stderr).to.equal(
      "ccr: README.md cannot be used as an audit index: file is not a database. Use another --db; if it is an " +
        'index that was damaged, remove it and run "ccr audit sync" to rebuild it\n',
    );

    // An index with damaged pages: every command that reads it says which file and what to do, none a fault of ccr.
    const damaged = join(work, "damaged.sqlite");
    expect((await ccr(["audit", "sync", "--db", damaged])).code).to.equal(0);
    const bytes = await readFile(damaged);
    bytes.fill(0xa5, 4096); // every page but the first (the header and the schema)
    await writeFile(damaged, bytes);
    for (const args of [
      ["audit", "check"],
      ["audit", "report"],
      ["audit", "history", "au-university"],
    ]) {
      const run = await ccr([...args, "--db", damaged]);
      expect(run.code, args.join(" ")).to.equal(2);
      expect(run.stderr, args.join(" ")).to.match(
        new RegExp(
          `^ccr: the audit index ${damaged} is damaged \\(.+\\): remove it and run "ccr audit sync" to rebuild it`,
        ),
      );
      expect(run.stderr).to.not.include("fault of ccr");
    }

    const notRegistry = join(work, "not-a-registry.json");
    await writeFile(notRegistry, JSON.stringify({ ...deployment, registry: deployment.didRegistry }));
    const refused = await ccr(["audit", "sync", "--db", join(work, "x.sqlite")], notRegistry);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.equal(`ccr: ${deployment.didRegistry.address} on chain 31337 is not a CCR registry\n`);

    const down = await ccr(["--rpc", "http://127.0.0.1:9", "audit", "sync", "--db", db]);
    expect(down.code).to.equal(2);
    expect(down.stderr).to.include("could not reach the RPC at http://127.0.0.1:9");
    // The checkpoint is intact: the next sync continues, and the one after has nothing new.
    expect((await ccr(["audit", "sync", "--db", db])).code).to.equal(0);
    expect((await ccr(["audit", "sync", "--db", db])).stdout).to.match(/ 0 new event\(s\)/);
    expect((await ccr(["audit", "check", "--db", db])).code).to.equal(0);
  });

  it("says when the index's disk is full and loses nothing: with room again, the next sync goes on from its checkpoint", async function () {
    const reference = join(work, "reference-full.sqlite");
    expect((await ccr(["audit", "sync", "--db", reference])).code).to.equal(0);
    // A real full disk: a tmpfs half the index's size (needs root, as on the CI machines; skipped elsewhere).
    const disk = await mkdtemp(join(tmpdir(), "ccr-full-index-"));
    const mount = (...options: string[]): boolean =>
      spawnSync("mount", ["-t", "tmpfs", "-o", options.join(","), "tmpfs", disk]).status === 0;
    const half = Math.floor(statSync(reference).size / 2 / 4096) * 4096;
    if (process.getuid?.() !== 0 || !mount(`size=${half}`)) {
      await rm(disk, { recursive: true, force: true });
      this.skip();
    }
    try {
      const db = join(disk, "audit.sqlite");
      const full = await ccr(["audit", "sync", "--db", db, "--block-range", "20"]);
      expect(full.code, full.stdout + full.stderr).to.equal(2);
      expect(full.stderr).to.match(
        new RegExp(
          `^ccr: the audit index ${db} could not be written: its disk is full \\(.+\\)\\. Nothing was half-written ` +
            '\\(the index keeps its last checkpoint\\): free some space and run "ccr audit sync" again to go on from there\n$',
        ),
      );
      expect(full.stderr).to.not.match(/fault of ccr|rollback|\n\s+at /);
      expect(mount("remount", "size=16m")).to.equal(true);
      const room = await ccr(["audit", "sync", "--db", db]);
      expect(room.code, room.stderr).to.equal(0);
      expect((await ccr(["audit", "check", "--db", db])).code).to.equal(0);
      const rows = (file: string) => {
        const index = new DatabaseSync(file, { readOnly: true });
        try {
          return index.prepare("SELECT count(*) AS n FROM events").get()?.n;
        } finally {
          index.close();
        }
      };
      expect(rows(db)).to.equal(rows(reference));
    } finally {
      spawnSync("umount", [disk]);
      await rm(disk, { recursive: true, force: true });
    }
  });

  it("resumes a sync killed at any point into exactly the index an uninterrupted run builds", async function () {
    await generateHistory(await readDeployment(deploymentFile), 3_000, 10);
    const reference = join(work, "reference.sqlite");
    expect((await ccr(["audit", "sync", "--db", reference])).code).to.equal(0);
    const first = (await readDeployment(deploymentFile)).registry.blockNumber;
    const head = checkpointOf(reference) ?? 0;

    // Killed (SIGKILL) as soon as the index file exists, then a third and two thirds of the way; one block per
    // request so that the run is long enough to be caught anywhere.
    const killed = join(work, "killed.sqlite");
    const stops: (number | undefined)[] = [];
    for (const fraction of [0, 1 / 3, 2 / 3]) {
      const { child, done } = startCcr(deploymentFile, ["audit", "sync", "--db", killed, "--block-range", "1"]);
      try {
        const target = first + Math.floor(fraction * (head - first));
        while (child.exitCode === null) {
          const point = existsSync(killed) ? (checkpointOf(killed) ?? first - 1) : undefined;
          if (point !== undefined && point >= target) break;
          await sleep(5);
        }
      } finally {
        child.kill("SIGKILL");
      }
      const run = await done;
      expect(run.code, `the sync was to be killed before it finished:\n${run.stdout}${run.stderr}`).to.equal(null);
      stops.push(checkpointOf(killed));
    }
    expect(stops[1]).to.be.greaterThan(first).and.lessThan(head);
    expect(stops[2])
      .to.be.greaterThan(stops[1] ?? 0)
      .and.lessThan(head);

    const resumed = await ccr(["audit", "sync", "--db", killed]);
    expect(resumed.code).to.equal(0);
    expect(resumed.stdout).to.include(`blocks ${(stops[2] ?? 0) + 1}-${head}`);
    expect(dump(killed)).to.deep.equal(dump(reference));
  });

  it("retries RPC failures, narrows ranges refused or not answered in time, and builds the same index", async function () {
    // A proxy to the node like a public endpoint on a bad day: it never answers the first eth_getLogs request,
    // refuses ranges of more than 20 blocks, and answers every other request it accepts with HTTP 503.
    let getLogs = 0;
    let refused = 0;
    const spans: number[] = [];
    const proxy = await startRpcProxy(`http://127.0.0.1:${devnet.port}`, (message, response) => {
      if (message.method !== "eth_getLogs") return false;
      const { fromBlock = "0x0", toBlock = "0x0" } = message.params?.[0] ?? {};
      spans.push(Number(toBlock) - Number(fromBlock) + 1);
      if (++getLogs === 1) return true;
      if (Number(toBlock) - Number(fromBlock) + 1 > 20) {
        refused++;
        const error = { code: -32005, message: "query exceeds max block range 20" };
        response.writeHead(200).end(JSON.stringify({ jsonrpc: "2.0", id: message.id, error }));
        return true;
      }
      if (getLogs % 2 === 0) {
        response.writeHead(503).end("busy");
        return true;
      }
      return false;
    });
    try {
      const db = join(work, "flaky.sqlite");
      const run = await ccr(["--rpc", proxy.url, "--rpc-timeout", "1", "audit", "sync", "--db", db]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.seconds).to.be.greaterThan(1); // it waited for the hung request
      // 100 blocks (the first range) not answered: 50 asked next, not the same again; 50 and 25 refused; then 12.
      expect(spans.slice(0, 4)).to.deep.equal([100, 50, 25, 12]);
      expect(refused).to.equal(2);
      expect(Math.max(...spans.slice(3))).to.equal(12);
      expect(getLogs).to.be.greaterThan(refused + 4);
      const reference = join(work, "steady.sqlite");
      expect((await ccr(["audit", "sync", "--db", reference])).code).to.equal(0);
      expect(dump(db)).to.deep.equal(dump(reference));
    } finally {
      await proxy.close();
    }
  });

  it("reads every event's arguments from the log's words exactly as the ABI decoder does", async function () {
    // The whole history so far: the seed (names, accreditations, recognitions, anchors) and the generated events.
    const deployment = await readDeployment(deploymentFile);
    const response = await fetch(deployment.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getLogs",
        params: [{ address: [deployment.registry.address, deployment.names?.address], fromBlock: "0x0" }],
      }),
    });
    const logs = ((await response.json()) as { result: RawLog[] }).result;
    const seen = new Map<string, number>();
    for (const log of logs) {
      const reference = decodeLog(log, true);
      const decoded = decodeLog(log);
      const where = `${reference?.name} at log ${Number(log.logIndex)} of block ${Number(log.blockNumber)}`;
      expect(decoded, where).to.deep.equal(reference);
      // The index stores the arguments as JSON text: the same order too.
      expect(JSON.stringify(decoded?.args), where).to.equal(JSON.stringify(reference?.args));
      if (reference !== undefined) seen.set(reference.name, (seen.get(reference.name) ?? 0) + 1);
    }
    const fromWords = [...seen.keys()].filter(readFromWords);
    expect(fromWords).to.include.members([
      "IssuerAccredited",
      "RecognitionGranted",
      "CredentialAnchored",
      "BatchAnchored",
      "CredentialStatusChanged",
      "MembersStatusChanged",
      "IssuerSuspended",
      "AccreditationAmended",
    ]);
    // Events with strings (names, schemas) go through the ABI decoder, and there are some in the history.
    expect(readFromWords("EconomyNamed")).to.equal(false);
    expect(seen.get("EconomyNamed")).to.be.greaterThan(0);
    // Every log of the two contracts is one of their events, and the history is long (about 2,500 logs).
    expect([...seen.values()].reduce((sum, n) => sum + n, 0)).to.equal(logs.length);
    expect(logs.length).to.be.greaterThan(2_000);
  });
});
