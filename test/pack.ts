import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { runCcr } from "../scripts/lib/ccr-process.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";

const run = promisify(execFile);

describe("npm pack: the ccr command installed from the tarball, outside the repository", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet;
  let work = "";
  let installed = "";
  /** This Node (22) first on the PATH: the installed `ccr` runs on it, as on a user's machine with Node 22. */
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` };
  /** The installed command, run in a folder outside the repository against the devnet's deployment file. */
  const ccr = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(join(installed, "node_modules", ".bin", "ccr"), args, { cwd: work, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  before(async function () {
    devnet = await startDevnet();
    work = await mkdtemp(join(tmpdir(), "ccr-pack-"));
    installed = join(work, "app");
    // The package as built (npm ci's prepare and npm test's pretest build dist/): packed without building again.
    await run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], { env });
    const tarball = (await readdir(work)).find((f) => f.endsWith(".tgz")) ?? "";
    await run(
      "npm",
      ["install", "--prefix", installed, "--no-audit", "--no-fund", "--prefer-offline", join(work, tarball)],
      {
        cwd: work,
        env,
      },
    );
  });

  after(async function () {
    devnet.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("ships the built command line, the web pages and the examples, and nothing of the sources or tests", async function () {
    const root = join(installed, "node_modules", "ccr");
    for (const shipped of ["bin/ccr.js", "dist/cli/ccr.js", "dist/web/index.html", "examples/graduates.csv"]) {
      expect(existsSync(join(root, shipped)), shipped).to.equal(true);
    }
    for (const left of ["src", "test", "contracts", "cli", "scripts", "types"]) {
      expect(existsSync(join(root, left)), left).to.equal(false);
    }
    const help = await ccr(["--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage: ccr \[options\] \[command\]/);
    expect(help.stdout).to.include("verify [files...]");
  });

  it("verifies a credential, reads the framework and syncs an audit index against a deployment file", async function () {
    const deployment = join(devnet.dir, "deployment.json");
    const out = join(work, "diplomas");
    const issued = await runCcr(deployment, [
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
    expect(issued.code, issued.stderr).to.equal(0);
    const credential = join(out, "credential-00001.json");

    const verified = await ccr(["--deployment", deployment, "verify", credential]);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(verified.stdout).to.match(/^VALID +\S+credential-00001\.json: /);
    const schemas = await ccr(["--deployment", deployment, "framework", "schema", "list"]);
    expect(schemas.code, schemas.stderr).to.equal(0);
    expect(schemas.stdout).to.match(/^\d+ {2}Academic Diploma {2}/m);
    const synced = await ccr(["--deployment", deployment, "audit", "sync", "--db", join(work, "audit.sqlite")]);
    expect(synced.code, synced.stderr).to.equal(0);
    expect(synced.stdout).to.match(/ \d+ new event\(s\)/);
    const check = await ccr(["--deployment", deployment, "audit", "check", "--db", join(work, "audit.sqlite")]);
    expect(check.code, check.stdout + check.stderr).to.equal(0);
  });
});
