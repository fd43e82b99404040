import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { readNetworkParameters } from "../deploy/network.ts";
import { rejection } from "./rejection.ts";

describe("deployment parameters (deploy/parameters/<network>.json)", function () {
  let dir = "";
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "ccr-parameters-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  /** A parameters file with `change` over the example's content; its path. */
  async function parameters(change: Record<string, unknown>): Promise<string> {
    const file = join(dir, "custom.json");
    const example = {
      council: { owners: ["0x0000000000000000000000000000000000000001", "0x0000000000000000000000000000000000000002"] },
      economies: [{ iso: "SG", authority: "0x0000000000000000000000000000000000000004" }],
    };
    await writeFile(file, JSON.stringify({ ...example, ...change }));
    return file;
  }

  it("reads the example as it is: the council's majority by default, the economies with their authorities", async function () {
    const read = await readNetworkParameters(join("deploy", "parameters", "example.json"));
    expect(read.council.threshold).to.equal(2);
    expect(read.economies.map((e) => e.iso)).to.deep.equal(["SG", "JP"]);
    expect((await readNetworkParameters(await parameters({}))).council.threshold).to.equal(2);
  });

  it("refuses what it would not record, naming the file and the field: an economy's name is the council's to set", async function () {
    const named = await parameters({
      economies: [{ iso: "SG", name: "Singapore", authority: "0x0000000000000000000000000000000000000004" }],
    });
    const error = await rejection(readNetworkParameters(named));
    expect(error.message).to.equal(
      `${named}: field "economies[0].name" is not set at deployment: the council names economies on-chain once ` +
        `deployed (ccr council propose name-economy SG "<name>" "<authority's name>"); remove it here`,
    );
    const badIso = await parameters({
      economies: [{ iso: "sg", authority: "0x0000000000000000000000000000000000000004" }],
    });
    expect((await rejection(readNetworkParameters(badIso))).message).to.equal(
      `${badIso}: field "economies[0].iso" must be an ISO 3166-1 alpha-2 code (two upper-case letters)`,
    );
  });

  it("npm run deploy says what is wrong with its parameters in one sentence, exit 2, no stack trace", function () {
    this.timeout(120_000);
    const named = join(dir, "named.json");
    writeFileSync(
      named,
      JSON.stringify({
        council: { owners: ["0x0000000000000000000000000000000000000001"] },
        economies: [{ iso: "SG", name: "Singapore", authority: "0x0000000000000000000000000000000000000004" }],
      }),
    );
    const run = spawnSync(process.execPath, ["node_modules/.bin/hardhat", "run", "scripts/deploy.ts"], {
      encoding: "utf8",
      env: { ...process.env, CCR_DEPLOY_PARAMETERS: named, CCR_DEPLOYMENT_OUT: join(dir, "never-written.json") },
    });
    expect(run.status, run.stdout + run.stderr).to.equal(2);
    expect(run.stderr).to.include(`deploy: ${named}: field "economies[0].name" is not set at deployment`);
    expect(run.stderr).to.not.match(/\n\s+at /);
  });
});
