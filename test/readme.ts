import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";

/** The sections of the README whose shell blocks a newcomer pastes against the devnet, in the README's order. */
const WALKED = [
  "## Issue and verify credentials with `ccr`",
  "## Audit the registry with `ccr audit`",
  "### Printable certificates: `ccr render`",
];

/** The lines the README says end with another status than 0 (it says why beside them). */
const EXPECTED_STATUS: Record<string, number> = {
  // "after the revocation the second credential reads `revoked on …` and the command exits 1"
  "npx ccr verify out/diplomas": 1,
};

/** The commands of the README's ```sh blocks under the headings in WALKED, each with the heading it is under. */
function walkedCommands(readme: string): { section: string; command: string }[] {
  const commands: { section: string; command: string }[] = [];
  let section = "";
  let inBlock = false;
  for (const line of readme.split("\n")) {
    if (/^#{2,3} /.test(line)) section = line;
    if (line.startsWith("```")) {
      inBlock = line === "```sh" && WALKED.includes(section);
      continue;
    }
    const command = line.replace(/\s+#.*$/, "").trim();
    if (inBlock && command !== "") commands.push({ section, command });
  }
  return commands;
}

describe("the README, walked as a newcomer pastes it (end to end, against a devnet in a fresh folder)", function () {
  this.timeout(600_000);
  const root = resolve(import.meta.dirname, "..");
  let folder = "";
  let devnet: RunningDevnet | undefined;

  before(async function () {
    // A fresh folder with the project's files (linked, as a clone has them) and nothing a previous run left.
    folder = mkdtempSync(join(tmpdir(), "ccr-readme-"));
    for (const entry of ["package.json", "package-lock.json", "node_modules", "bin", "dist", "examples", "contexts"])
      symlinkSync(join(root, entry), join(folder, entry));
    devnet = await startDevnet(join(folder, ".devnet"));
    // `npx ccr` runs this project's bin/ccr.js on the project's Node 22, as it does in a clone after npm ci. (A folder
    // of links to this clone's files is no npm project to npx, and a real npm ci would take minutes: so npx ccr, and
    // only it, is this shim; every other word of each line runs as written.)
    const shim = join(folder, ".devnet", "shim");
    mkdirSync(shim);
    writeFileSync(
      join(shim, "npx"),
      `#!/bin/sh\nif [ "$1" = ccr ]; then shift; exec "${process.execPath}" "${join(root, "bin", "ccr.js")}" "$@"; fi\n` +
        'echo "the README test runs npx ccr only" >&2; exit 127\n',
      { mode: 0o755 },
    );
  });

  after(function () {
    devnet?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it("runs every command of the issue, custom type, presentation, audit and certificate sections as written", function () {
    const commands = walkedCommands(readFileSync(join(root, "README.md"), "utf8"));
    expect(commands.length, "the README's walked sections have no commands").to.be.greaterThan(15);
    expect(commands.map((c) => c.command)).to.include.members([
      "npx ccr --as au-university issue --schema diploma --input examples/graduates.csv --out out/diplomas",
      "npx ccr --as au-university issue --schema licence --input examples/licences.csv --out out/licences",
      "npx ccr audit check",
    ]);
    // ccr finds the deployment as a newcomer's does (.devnet/ in the folder); its own state and caches stay in the
    // folder: nothing from the user's machine, nothing left on it.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${join(folder, ".devnet", "shim")}:${process.env.PATH ?? ""}`,
      CCR_STATE_DIR: join(folder, ".devnet", "ccr-state"),
      CCR_CACHE_DIR: join(folder, ".devnet", "ccr-cache"),
    };
    delete env.CCR_DEPLOYMENT;
    delete env.CCR_AUDIT_DB;
    for (const { section, command } of commands) {
      const run = spawnSync("bash", ["-c", command], { cwd: folder, env, encoding: "utf8", timeout: 180_000 });
      const said = `${section}\n$ ${command}\n${run.stdout}${run.stderr}`;
      expect(run.status, said).to.equal(EXPECTED_STATUS[command] ?? 0);
      expect(run.stderr, said).to.not.match(/\n\s+at |fault of ccr|warn/i);
    }
    // What the commands wrote is under out/ (the repository ignores it) or in the devnet's folder; nothing else.
    expect(readdirSync(folder).sort()).to.deep.equal(
      [
        ".devnet",
        "bin",
        "contexts",
        "dist",
        "examples",
        "node_modules",
        "out",
        "package-lock.json",
        "package.json",
      ].sort(),
    );
    const written = readdirSync(join(folder, "out")).sort();
    expect(written).to.include.members([
      "diplomas",
      "licences",
      "sd",
      "vp.jwt",
      "vp.json",
      "report.html",
      "diploma.pdf",
    ]);
  });
});
