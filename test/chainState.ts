import { cp, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { readEvents, withIndex } from "../src/audit/db.ts";
import { readDeployment } from "../src/deployment.ts";
import { connectRegistry, rpcProvider } from "../src/registry.ts";
import { AuditIndex } from "../src/server/audit.ts";
import { startServer, type RunningServer } from "../src/server/serve.ts";
import { startRpcProxy, type RunningProxy } from "../scripts/lib/rpc-proxy.ts";
import { runCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";

describe("local state belongs to one chain: a restarted devnet (same id, same accounts) never sees the old one's", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet | undefined;
  let kept = "";
  let server: RunningServer | undefined;
  let proxy: RunningProxy | undefined;

  after(async function () {
    await server?.close();
    await proxy?.close();
    devnet?.stop();
    if (kept !== "") await rm(kept, { recursive: true, force: true });
  });

  it("sends no stale transaction, exits 0 only at the confirmations asked for, and refuses old proposals and registers", async function () {
    devnet = await startDevnet();
    const dir = devnet.dir;
    const deployment = join(dir, "deployment.json");
    const ccr = (args: string[]): Promise<CcrRun> => runCcr(deployment, args);
    const issue = (out: string, extra: string[] = []): Promise<CcrRun> =>
      ccr([
        ...extra,
        "--as",
        "au-university",
        "issue",
        "--schema",
        "diploma",
        "--input",
        "examples/graduates.csv",
        "--out",
        join(dir, out),
      ]);

    // An anchor mined but without the 50 confirmations asked for is not "issued": exit 2, and again until it has them.
    const waiting = await issue("first", ["--confirmations", "50", "--tx-timeout", "2"]);
    expect(waiting.code, waiting.stdout).to.equal(2);
    expect(waiting.stdout).to.not.match(/^issued /m);
    expect(waiting.stderr).to.match(/was not confirmed within 2 s|has 1 of the 50 confirmations asked for/);
    const again = await issue("first", ["--confirmations", "50", "--tx-timeout", "2"]);
    expect(again.code, again.stdout).to.equal(2);
    expect(again.stdout).to.not.match(/^issued /m);
    const state = join(dir, "ccr-state");
    const pendingFiles = (await readdir(state)).filter((f) => f.startsWith("pending-"));
    expect(pendingFiles).to.have.length(1);
    const oldGenesis = (await readDeployment(deployment)).genesisHash;
    expect(pendingFiles[0]).to.match(new RegExp(`^pending-31337-${oldGenesis.slice(2, 14)}-0x[0-9a-f]{40}\\.json$`));

    // A council proposal and the university's status register of this chain, kept aside across the restart.
    const proposed = await ccr(["--as", "council-sg", "council", "propose", "deprecate-schema", "0"]);
    expect(proposed.code, proposed.stderr).to.equal(0);
    kept = `${dir}-kept`;
    await mkdir(kept, { recursive: true });
    await cp(join(dir, "proposals"), join(kept, "proposals"), { recursive: true });
    await cp(join(dir, "status-lists"), join(kept, "status-lists"), { recursive: true });

    // A long-running ccr serve --db, reading the chain through an endpoint that will lead to the restarted node.
    const first = await readDeployment(deployment);
    let target = first.rpcUrl;
    proxy = await startRpcProxy(first.rpcUrl, async (message, response) => {
      if (target === first.rpcUrl) return false;
      const answer = await fetch(target, { method: "POST", body: JSON.stringify(message) });
      response.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
      return true;
    });
    const connection = await connectRegistry(first, { rpcUrl: proxy.url, provider: rpcProvider(proxy.url, 31337) });
    const index = join(kept, "serve.sqlite");
    const audit = new AuditIndex(index, connection);
    server = await startServer(
      { connection, rpcUrl: proxy.url, audit, syncSeconds: 0 },
      { host: "127.0.0.1", port: 0 },
    );
    expect(audit.state.error).to.equal(undefined);
    const before = await withIndex(index, first, (store) => readEvents(store));
    expect(before.length).to.be.greaterThan(50);

    expect(await devnet.interrupt()).to.equal(0);
    devnet = await startDevnet(dir);
    // The same endpoint now answers for the new chain: the server stops syncing and says why, writing nothing.
    target = (await readDeployment(deployment)).rpcUrl;
    await audit.sync();
    expect(audit.state.chainChanged?.expected).to.equal(oldGenesis);
    expect(audit.state.error).to.match(/^the chain at \S+ is no longer the one this server started with \(genesis /);
    expect((await withIndex(index, first, (store) => readEvents(store))).length).to.equal(before.length);
    const config = (await (await fetch(`${server.url}/api/config`)).json()) as {
      chain: { changed: boolean; found: string };
    };
    expect(config.chain.changed).to.equal(true);
    const status = (await (await fetch(`${server.url}/api/audit/status`)).json()) as { error?: string };
    expect(status.error).to.include("Syncing stopped");
    const newGenesis = (await readDeployment(deployment)).genesisHash;
    expect(newGenesis).to.not.equal(oldGenesis);
    expect(config.chain.found).to.equal(newGenesis);

    // The new chain: the same issuer issues into a new folder; nothing of the old chain is continued or sent.
    const fresh = await issue("second");
    expect(fresh.code, fresh.stderr).to.equal(0);
    expect(fresh.stderr).to.not.include("left pending by an earlier run");
    expect(fresh.stdout).to.match(/in 1 anchor\(s\) \(1 sent now\)/);
    // The old chain's pending transaction is still recorded under its own genesis, never sent here.
    expect((await readdir(state)).filter((f) => f.startsWith("pending-"))).to.include(pendingFiles[0]);

    // The old chain's proposal, put back: not listed as pending, and refused when signed.
    await cp(join(kept, "proposals"), join(dir, "proposals"), { recursive: true });
    const pending = await ccr(["council", "pending"]);
    expect(pending.code, pending.stderr).to.equal(0);
    expect(pending.stdout).to.match(/^\(1 proposal file\(s\) in \S+ belong to another chain or Safe: not shown\)\n/);
    expect(pending.stdout).to.match(/\n0 proposal\(s\) in /);
    const [proposal = ""] = await readdir(join(dir, "proposals"));
    const signed = await ccr(["--as", "council-jp", "council", "sign", join(dir, "proposals", proposal)]);
    expect(signed.code).to.equal(1);
    expect(signed.stderr).to.include(
      `it was made for another chain with the same id 31337 (genesis ${oldGenesis}); this chain's genesis is ${newGenesis}`,
    );

    // The old chain's status register, put back: refused, naming both geneses; nothing is issued with it.
    await cp(join(kept, "status-lists"), join(dir, "status-lists"), { recursive: true, force: true });
    const stale = await issue("third");
    expect(stale.code).to.equal(2);
    expect(stale.stderr).to.include(
      `on another chain with the id 31337 (genesis ${oldGenesis}; this chain's is ${newGenesis}`,
    );
    const published = await ccr(["--as", "au-university", "status-list", "publish", "--out", join(dir, "lists")]);
    expect(published.code).to.equal(2);
    expect(published.stderr).to.include("a restarted devnet is a new chain");
  });
});
