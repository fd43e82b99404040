import { spawn } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { verifyJWT } from "did-jwt";
import { Resolver } from "did-resolver";
import { getResolver } from "ethr-did-resolver";
import { JsonRpcProvider, Wallet } from "ethers";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { DEMO_HOLDERS, demoCredentialType, devnetWallet } from "../deploy/demoData.ts";
import { secp256k1DidKey } from "../src/holder.ts";
import { ethrDid } from "../src/did.ts";
import { rpcProvider } from "../src/registry.ts";
import { buildCredential, credentialHash, decodeCredential, signCredential } from "../src/vc/credential.ts";
import type { CredentialFile } from "../src/vc/file.ts";
import type { CredentialSummary } from "../src/vc/show.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";
import { councilAction, runCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { holderDid, rowDid } from "./holders.ts";

type Run = CcrRun;

/** Aiko Tanaka, the first graduate of examples/graduates.csv: the demo holder graduate-aiko's did:key. */
const aikoKey = devnetWallet(DEMO_HOLDERS[0].hdIndex).privateKey;
const aiko = secp256k1DidKey(aikoKey);

describe("ccr command line (end to end, against a Hardhat node)", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet;
  let deployment: Deployment;
  let work = "";

  /** Runs `ccr` as a user does (bin/ccr.js), against the test devnet's deployment file. */
  const ccr = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    runCcr(join(devnet.dir, "deployment.json"), args, env);
  /** A council action through the devnet's council Safe (proposed, signed by a second representative, executed). */
  const council = (action: string[]): Promise<Run> => councilAction(join(devnet.dir, "deployment.json"), action);

  /** `ccr --as <as> issue --schema <schema> --input <input> --out <out> [extra]`. */
  function issue(
    as: string,
    type: string,
    input: string,
    out: string,
    extra: string[] = [],
    env: Record<string, string> = {},
  ): Promise<Run> {
    return ccr(["--as", as, "issue", "--schema", type, "--input", input, "--out", out, ...extra], env);
  }

  async function files(dir: string): Promise<string[]> {
    return (await readdir(dir))
      .filter((f) => f.startsWith("credential-"))
      .sort()
      .map((f) => join(dir, f));
  }

  async function csv(name: string, lines: string[]): Promise<string> {
    const file = join(work, name);
    await writeFile(file, `${lines.join("\n")}\n`);
    return file;
  }

  /** Moves the node's clock: the devnet is a real node, so through its JSON-RPC. */
  async function advance(seconds: number): Promise<void> {
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    await provider.send("evm_increaseTime", [seconds]);
    await provider.send("evm_mine", []);
    provider.destroy();
  }

  /** The node's latest block time. */
  async function chainTime(): Promise<number> {
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const block = await provider.getBlock("latest");
    provider.destroy();
    return block?.timestamp ?? 0;
  }

  /** The university's status list host: serves what `status-list publish` wrote, as a web server would. */
  let statusHost: Server;
  let statusUrl = "";

  before(async function () {
    devnet = await startDevnet();
    deployment = await readDeployment(join(devnet.dir, "deployment.json"));
    work = await mkdtemp(join(tmpdir(), "ccr-cli-"));
    statusHost = createServer((request, response) => {
      const path = join(work, "published", normalize(request.url ?? "/").replace(/^(\.\.[/\\])+/, ""));
      readFile(path).then(
        (body) => response.writeHead(200, { "content-type": "application/vc+jwt" }).end(body),
        () => response.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => statusHost.listen(0, "127.0.0.1", resolve));
    statusUrl = `http://127.0.0.1:${(statusHost.address() as AddressInfo).port}/au-university`;
  });

  after(async function () {
    devnet.stop();
    statusHost.close();
    await rm(work, { recursive: true, force: true });
  });

  let diplomas: string[] = [];

  it("issues a CSV of diplomas as one Merkle batch and verifies every credential (exit 0)", async function () {
    const out = join(work, "diplomas");
    const issued = await issue("au-university", "diploma", "examples/graduates.csv", out, ["--status-url", statusUrl]);
    expect(issued.stderr).to.equal("");
    expect(issued.code).to.equal(0);
    const did = ethrDid(deployment.chainId, deployment.accounts["au-university"]?.address ?? "");
    expect(issued.stdout).to.include(
      `issued 8 "Academic Diploma" credential(s) from ${did} in 1 anchor(s) (1 sent now), 0 row(s) skipped`,
    );
    diplomas = await files(out);
    expect(diplomas).to.have.length(8);

    // `show` reads a credential file, and only the issuer's name from the chain (none with --offline).
    const first = diplomas[0] ?? "";
    const shown = await ccr(["show", first]);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.include("  type        AcademicDiploma\n");
    expect(shown.stdout).to.include(`  issuer      University in Australia (AU) (${did})\n`);
    const offline = await ccr(["show", first, "--offline"]);
    expect(offline.stdout).to.include(`  issuer      ${did} (name not looked up: offline)\n`);
    expect(shown.stdout).to.include(`  holder      ${aiko}\n`);
    expect(shown.stdout).to.include("  subject     name: Aiko Tanaka\n");
    expect(shown.stdout).to.include(`  status list revocation ${statusUrl}/revocation/1 bit 0\n`);
    expect(shown.stdout).to.include(`  status list suspension ${statusUrl}/suspension/1 bit 0\n`);
    expect(shown.stdout).to.match(/ {2}schema {6}https:\/\/schemas\.ccr\.example\/diploma\.json \(sha256-\S+=\)\n/);
    expect(shown.stdout).to.match(
      / {2}anchor {6}transaction 0x[0-9a-f]{64}, batch root 0x[0-9a-f]{64}, member 0 of 8\n/,
    );
    const file = JSON.parse(await readFile(first, "utf8")) as CredentialFile;
    const json = JSON.parse((await ccr(["show", first, "--json"])).stdout) as CredentialSummary;
    expect([json.types, json.issuerName, json.holder, json.hash, json.anchor]).to.deep.equal([
      ["AcademicDiploma"],
      { name: "University in Australia (AU)" },
      aiko,
      file.hash,
      file.anchor,
    ]);
    const notCredential = await ccr(["show", "examples/graduates.csv"]);
    expect(notCredential.code).to.equal(2);
    expect(notCredential.stderr).to.match(/^ccr: examples\/graduates\.csv is not a credential: a credential is a /);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as { credentials: unknown[] };
    expect(manifest.credentials).to.have.length(8);

    const verified = await ccr(["verify", ...diplomas, "--economy", "AU"]);
    expect(verified.code).to.equal(0);
    expect(verified.stdout).to.match(
      /^VALID {5}.*credential-00001\.json: valid: issued by University in Australia \(did:ethr:0x7a69:0x[0-9a-fA-F]{40}\), Australia \(AU\), anchored .*, recognised in AU$/m,
    );
    expect(verified.stdout).to.include("8 valid, 0 invalid, 0 undecided");
  });

  it("lets a holder present its credential to one verifier for one request; replays and strangers are refused", async function () {
    const [aikos, bens] = diplomas;
    if (aikos === undefined || bens === undefined) throw new Error("no diplomas");
    const shown = await ccr(["--as", "graduate-aiko", "did", "show", "--method", "key"]);
    expect([shown.code, shown.stdout]).to.deep.equal([0, `${aiko}\n`]);

    const employer = "https://employer.example/hiring";
    const presentation = join(work, "aiko.jwt");
    const presented = await ccr([
      "--as",
      "graduate-aiko",
      "present",
      aikos,
      "--audience",
      employer,
      "--nonce",
      "r-1001",
      "--out",
      presentation,
    ]);
    expect(presented.code, presented.stderr).to.equal(0);
    expect(presented.stdout).to.equal(`presented 1 credential(s) of ${aiko} to ${employer}: ${presentation}\n`);

    const verify = (audience: string, nonce: string) =>
      ccr(["verify", "--presentation", presentation, "--audience", audience, "--nonce", nonce, "--economy", "AU"]);
    const accepted = await verify(employer, "r-1001");
    expect(accepted.code, accepted.stdout + accepted.stderr).to.equal(0);
    expect(accepted.stdout).to.match(
      new RegExp(
        `^VALID {5}${presentation}: presented by its holder ${aiko} to ${employer}, made \\S+Z, expires \\S+Z$`,
        "m",
      ),
    );
    expect(accepted.stdout).to.match(
      new RegExp(
        `^VALID {5}${presentation}#1: valid: issued by University in Australia \\(did:ethr:0x7a69:0x[0-9a-fA-F]{40}\\), Australia \\(AU\\), anchored `,
        "m",
      ),
    );

    const replayed = await verify(employer, "r-1002");
    expect(replayed.code).to.equal(1);
    expect(replayed.stdout).to.include(
      `INVALID   ${presentation}: its nonce "r-1001" is not this request's "r-1002": a replayed presentation, or one made for another request`,
    );
    const elsewhere = await verify("https://bank.example", "r-1001");
    expect(elsewhere.code).to.equal(1);
    expect(elsewhere.stdout).to.include(
      `INVALID   ${presentation}: made for ${employer}, not for https://bank.example`,
    );

    // Ben's diploma is bound to Ben: Aiko's key cannot present it.
    const stranger = await ccr(["--as", "graduate-aiko", "present", bens, "--audience", employer, "--nonce", "r-1"]);
    expect(stranger.code).to.equal(2);
    expect(stranger.stderr).to.match(
      /^ccr: the key of 0x[0-9a-fA-F]{40} is not the key of the holder did:key:z\w+: present with the holder's own key/,
    );
    const unasked = await ccr(["verify", "--presentation", presentation]);
    expect(unasked.code).to.equal(2);
    expect(unasked.stderr).to.include("--presentation needs --audience (who you are) and --nonce");

    // A did:ethr holder is resolved on the chain: Ken's KYC attestation from the bank in Canada.
    const ken = ethrDid(deployment.chainId, deployment.accounts["customer-ken"]?.address ?? "");
    const input = await csv("ken.csv", ["id,assuranceLevel,verifiedOn", `${ken},high,2026-11-01`]);
    const out = join(work, "ken");
    expect((await issue("ca-bank", "kyc", input, out)).code).to.equal(0);
    const [kyc] = await files(out);
    const kenPresentation = join(work, "ken.jwt");
    const args = [
      "present",
      kyc ?? "",
      "--audience",
      "https://bank.example",
      "--nonce",
      "k-1",
      "--out",
      kenPresentation,
    ];
    expect((await ccr(["--as", "customer-ken", ...args])).code).to.equal(0);
    const kens = await ccr([
      "verify",
      "--presentation",
      kenPresentation,
      "--audience",
      "https://bank.example",
      "--nonce",
      "k-1",
      "--json",
    ]);
    expect(kens.code, kens.stdout + kens.stderr).to.equal(0);
    const json = JSON.parse(kens.stdout) as {
      presentation: { holder: string; outcome: string };
      credentials: { outcome: string }[];
    };
    expect(json.presentation).to.deep.include({ holder: ken, outcome: "valid" });
    expect(json.credentials.map((c) => c.outcome)).to.deep.equal(["valid"]);
  });

  it("issues SD-JWT VCs; the holder discloses only the fields it chooses, bound to the request", async function () {
    const ken = ethrDid(deployment.chainId, deployment.accounts["customer-ken"]?.address ?? "");
    const input = await csv("ken-sd.csv", ["id,assuranceLevel,verifiedOn", `${ken},substantial,2026-11-02`]);
    const out = join(work, "ken-sd");
    const issued = await issue("ca-bank", "kyc", input, out, ["--format", "sd-jwt"]);
    expect(issued.code, issued.stderr).to.equal(0);
    const [file] = await files(out);
    const direct = await ccr(["verify", file ?? ""]);
    expect(direct.code, direct.stdout).to.equal(0);
    expect(direct.stdout).to.include("          disclosed assuranceLevel: substantial; verifiedOn: 2026-11-02\n");

    const presentation = join(work, "ken-sd.json");
    const present = (disclose: string) =>
      ccr([
        "--as",
        "customer-ken",
        "present",
        file ?? "",
        "--audience",
        "https://bank.example",
        "--nonce",
        "s-1",
        "--disclose",
        disclose,
        "--out",
        presentation,
      ]);
    const unknownField = await present("assuranceLevel,income");
    expect(unknownField.code).to.equal(2);
    expect(unknownField.stderr).to.include(
      `ccr: ${file} cannot disclose "income": its disclosable fields are assuranceLevel, verifiedOn; nothing was presented`,
    );
    const written = await readFile(presentation).then(
      () => true,
      () => false,
    );
    expect(written, "a refused presentation was written").to.equal(false);
    expect((await present("assuranceLevel")).code).to.equal(0);

    const verify = (nonce: string) =>
      ccr(["verify", "--presentation", presentation, "--audience", "https://bank.example", "--nonce", nonce]);
    const accepted = await verify("s-1");
    expect(accepted.code, accepted.stdout + accepted.stderr).to.equal(0);
    expect(accepted.stdout).to.match(
      new RegExp(`^VALID {5}${presentation}: presented by its holder ${ken} to https://bank.example, made \\S+Z$`, "m"),
    );
    expect(accepted.stdout).to.include("          disclosed assuranceLevel: substantial\n");
    expect(accepted.stdout).to.not.include("verifiedOn");
    const replayed = await verify("s-2");
    expect(replayed.code).to.equal(1);
    expect(replayed.stdout).to.include(`its nonce "s-1" is not this request's "s-2"`);

    // The disclosed value changed in transit: no digest the issuer signed matches it.
    const wrapped = JSON.parse(await readFile(presentation, "utf8")) as { presentation: string };
    const [jwt, disclosure, kb] = wrapped.presentation.split("~");
    const [salt, name] = JSON.parse(Buffer.from(disclosure ?? "", "base64url").toString()) as string[];
    const changed = Buffer.from(JSON.stringify([salt, name, "high"])).toString("base64url");
    await writeFile(presentation, JSON.stringify({ ...wrapped, presentation: `${jwt}~${changed}~${kb}` }));
    const tampered = await verify("s-1");
    expect(tampered.code).to.equal(1);
    expect(tampered.stdout).to.include(
      "disclosure 1 (assuranceLevel) is not one the issuer signed: the credential was altered",
    );
  });

  it("names economies, authorities and issuers; an issuer can be named by its name wherever an address is asked", async function () {
    const shown = await ccr(["framework", "issuer", "show", "University in Australia", "--json"]);
    expect(shown.code, shown.stderr).to.equal(0);
    const university = JSON.parse(shown.stdout) as { name: string; website: string; address: string; economy: string };
    expect(university).to.deep.include({
      name: "University in Australia",
      website: "https://university.example/au",
      address: deployment.accounts["au-university"]?.address,
    });
    const au = JSON.parse((await ccr(["framework", "economy", "show", "AU", "--json"])).stdout) as Record<
      string,
      unknown
    >;
    expect(au).to.deep.include({
      economy: "AU",
      name: "Australia",
      authorityName: "Credential authority of Australia",
    });

    // The authority of Chile renames its chamber of commerce; only it may.
    const args = [
      "framework",
      "issuer",
      "name",
      "cl-chamber",
      "--name",
      "Cámara de Comercio de Santiago",
      "--website",
      "https://ccs.example",
    ];
    const refused = await ccr(["--as", "authority-au", ...args]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /NotIssuersAuthority\(caller=0x[0-9a-fA-F]{40}, issuer=0x[0-9a-fA-F]{40}, economy=0x434c\)/,
    );
    const named = await ccr(["--as", "authority-cl", ...args]);
    expect(named.code, named.stderr).to.equal(0);
    const byName = await ccr(["framework", "issuer", "show", "Cámara de Comercio de Santiago", "--json"]);
    expect(JSON.parse(byName.stdout)).to.deep.include({
      website: "https://ccs.example",
      address: deployment.accounts["cl-chamber"]?.address,
    });
    const nobody = await ccr(["framework", "issuer", "show", "No Such Issuer"]);
    expect(nobody.code).to.equal(2);
    expect(nobody.stderr).to.include(
      `"No Such Issuer" is neither an address, a did:ethr, an account of the deployment nor an issuer's name`,
    );
  });

  it("scopes issuer names by economy: another economy's alike name is its own, a bare name that means two is asked about", async function () {
    const au = deployment.accounts["au-university"]?.address ?? "";
    const kr = deployment.accounts["kr-devicemaker"]?.address ?? "";
    // Korea's authority names its device maker like Australia's university: a name is unique within its economy only.
    const rename = (authority: string, issuer: string, name: string) =>
      ccr(["--as", authority, "framework", "issuer", "name", issuer, "--name", name]);
    const alike = await rename("authority-kr", "kr-devicemaker", "University in Australia");
    expect(alike.code, alike.stderr).to.equal(0);
    const ambiguous = await ccr(["framework", "issuer", "show", "University in Australia"]);
    expect(ambiguous.code).to.equal(2);
    expect(ambiguous.stderr).to.equal(
      'ccr: "University in Australia" names issuers of AU and KR: say which, as "AU/University in Australia" or ' +
        '"KR/University in Australia"\n',
    );
    const scoped = await ccr(["framework", "issuer", "show", "AU/University in Australia"]);
    expect(scoped.code, scoped.stderr).to.equal(0);
    const json = JSON.parse((await ccr(["framework", "issuer", "show", au, "--json"])).stdout) as {
      validFrom: string;
      validUntil: string;
    };
    expect(scoped.stdout).to.equal(
      [
        "University in Australia (AU)",
        `  address:    ${au} (did:ethr:0x7a69:${au})`,
        "  legal name: University in Australia (demo)",
        "  website:    https://university.example/au",
        "  economy:    Australia (AU)",
        "  standing:   ACTIVE",
        `  schemas:    2 ("Academic Diploma")`,
        `  window:     ${json.validFrom.replace(".000Z", "Z")} to ${json.validUntil.replace(".000Z", "Z")}`,
      ].join("\n") + "\n",
    );
    expect((await ccr(["framework", "issuer", "show", "KR/university in australia", "--json"])).stdout).to.include(
      `"address": "${kr}"`,
    );

    // A second issuer in Korea, to try names within one economy.
    const ken = deployment.accounts["customer-ken"]?.address ?? "";
    const offer = await ccr([
      "--as",
      "authority-kr",
      "framework",
      "issuer",
      "offer",
      "customer-ken",
      "--schemas",
      "device",
    ]);
    expect(offer.code, offer.stderr).to.equal(0);
    const accept = await ccr(["--as", "customer-ken", "framework", "issuer", "accept", "--economy", "KR"]);
    expect(accept.code, accept.stderr).to.equal(0);
    // Another issuer cannot take the name in other case: ccr refuses it before sending (and the contract, which
    // folds ASCII letters, would refuse it too: test/CCRNames.ts).
    const ascii = await rename("authority-kr", "customer-ken", "UNIVERSITY IN AUSTRALIA");
    expect(ascii.code).to.equal(2);
    expect(ascii.stderr).to.equal(
      `ccr: the name "UNIVERSITY IN AUSTRALIA" is too like "University in Australia", the name of ${kr}, an issuer ` +
        "of KR: names in one economy must differ by more than case or Unicode form\n",
    );
    // Likewise Unicode case and form, which the contract does not fold: nothing is sent.
    expect((await rename("authority-kr", "kr-devicemaker", "Éclair Devices")).code).to.equal(0);
    const unicode = await rename("authority-kr", "customer-ken", "éclair DEVICES");
    expect(unicode.code).to.equal(2);
    expect(unicode.stderr).to.equal(
      `ccr: the name "éclair DEVICES" is too like "Éclair Devices", the name of ${kr}, an issuer of KR: names in ` +
        "one economy must differ by more than case or Unicode form\n",
    );
    // Names are recorded trimmed and in NFC: the decomposed É finds the same issuer.
    expect((await ccr(["framework", "issuer", "show", "KR/E\u0301clair Devices", "--json"])).stdout).to.include(kr);
    // A released issuer's name is free again.
    expect((await rename("authority-kr", "customer-ken", "Seoul Sensors")).code).to.equal(0);
    expect((await council(["release", ken])).code).to.equal(0);
    const released = await ccr(["framework", "issuer", "show", "KR/Seoul Sensors"]);
    expect(released.stderr).to.include(`"KR/Seoul Sensors" is neither an address`);
    const restored = await rename("authority-kr", "kr-devicemaker", "  Device maker in Korea ");
    expect(restored.code, restored.stderr).to.equal(0);
    expect((await ccr(["framework", "issuer", "show", "Device maker in Korea", "--json"])).stdout).to.include(kr);
  });

  it("amends only what its options name: schemas alone keep the window, --until open opens it", async function () {
    const show = async () =>
      JSON.parse((await ccr(["framework", "issuer", "show", "au-university", "--json"])).stdout) as {
        schemas: number[];
        validFrom?: string;
        validUntil?: string;
      };
    const before = await show();
    expect(before.validUntil).to.be.a("string");
    const nothing = await ccr(["--as", "authority-au", "framework", "issuer", "amend", "au-university"]);
    expect(nothing.code).to.equal(2);
    expect(nothing.stderr).to.equal("ccr: nothing to amend: name what changes with --schemas, --from or --until\n");
    const amend = (...args: string[]) =>
      ccr(["--as", "authority-au", "framework", "issuer", "amend", "au-university", ...args]);
    const schemas = await amend("--schemas", "diploma,kyc");
    expect(schemas.code, schemas.stderr).to.equal(0);
    const day = (iso?: string) => iso?.replace(".000Z", "Z") ?? "open";
    expect(schemas.stdout).to.match(
      new RegExp(
        `^amended ${deployment.accounts["au-university"]?.address}: schemas 2 -> 2,4; ` +
          `from ${day(before.validFrom)} \\(unchanged\\); until ${day(before.validUntil)} \\(unchanged\\) \\(transaction`,
      ),
    );
    expect(await show()).to.deep.include({
      schemas: [2, 4],
      validFrom: before.validFrom,
      validUntil: before.validUntil,
    });
    expect((await amend("--until", "open")).code).to.equal(0);
    const opened = await show();
    expect(opened.validUntil).to.equal(undefined);
    expect(opened.validFrom).to.equal(before.validFrom);
    expect(opened.schemas).to.deep.equal([2, 4]);
    // Back to the seeded terms.
    expect((await amend("--schemas", "diploma", "--until", before.validUntil ?? "")).code).to.equal(0);
    expect(await show()).to.deep.include({ schemas: [2], validUntil: before.validUntil });
  });

  it("revokes one credential, suspends and reinstates another, and the verdicts follow", async function () {
    const [first, second, third] = diplomas;
    if (first === undefined || second === undefined || third === undefined) throw new Error("no diplomas");
    const revoked = await ccr(["--as", "au-university", "revoke", second, "--reason", "superseded"]);
    expect(revoked.code).to.equal(0);
    expect(revoked.stdout).to.match(/^revoked .*credential-00002\.json \(transaction 0x[0-9a-f]{64}, block \d+\)$/m);
    const suspended = await ccr(["--as", "authority-au", "suspend", third, "--reason", "certificateHold"]);
    expect(suspended.code).to.equal(0);

    const after = await ccr(["verify", first, second, third]);
    expect(after.code).to.equal(1);
    expect(after.stdout).to.match(
      /^INVALID {3}.*credential-00002\.json: revoked on \d{4}-\d\d-\d\dT[\d:]+Z \(reason: superseded\)$/m,
    );
    expect(after.stdout).to.match(
      /^INVALID {3}.*credential-00003\.json: suspended since .*Z \(reason: certificateHold\)$/m,
    );
    expect(after.stdout).to.include("1 valid, 2 invalid, 0 undecided");

    const again = await ccr(["--as", "au-university", "revoke", second, "--reason", "superseded"]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include("member 1 is REVOKED; it cannot become REVOKED");

    // The authority's suspension is a hold: the issuer cannot lift it, the authority can.
    const refused = await ccr(["--as", "au-university", "reinstate", third]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include("member 2 is HELD; it cannot become ACTIVE (a hold by the economy's authority");
    expect((await ccr(["--as", "authority-au", "reinstate", third])).code).to.equal(0);
    const reinstated = await ccr(["verify", third, "--json"]);
    expect(reinstated.code).to.equal(0);
    const [result] = JSON.parse(reinstated.stdout) as { outcome: string; verdict: { status: string } }[];
    expect(result).to.deep.include({ outcome: "valid" });
    expect(result?.verdict.status).to.equal("VALID");
  });

  it("answers for a point in time (--at) and changes status by hash", async function () {
    const input = await csv("kyc-single.csv", [
      "id,assuranceLevel,verifiedOn",
      `${holderDid("customer-2")},substantial,2026-11-02`,
    ]);
    const out = join(work, "kyc-single");
    expect((await issue("ca-bank", "kyc", input, out, ["--single"])).code).to.equal(0);
    const [file] = await files(out);
    if (file === undefined) throw new Error("no credential");
    const { hash } = JSON.parse(await readFile(file, "utf8")) as CredentialFile;
    await advance(60);
    // "Before" on the chain's clock, which earlier tests moved ahead of the wall clock.
    const before = new Date(((await chainTime()) + 30) * 1000).toISOString();
    await advance(120);
    const revoked = await ccr(["--as", "ca-bank", "revoke", hash, "--reason", "keyCompromise"]);
    expect(revoked.stdout).to.match(new RegExp(`^revoked ${hash} \\(transaction`));
    const now = await ccr(["verify", file]);
    expect(now.code).to.equal(1);
    expect(now.stdout).to.match(/revoked on \S+Z \(reason: keyCompromise\)/);
    const then = await ccr(["verify", file, "--at", before]);
    expect(then.code).to.equal(0);
    expect(then.stdout).to.include("VALID");
  });

  it("publishes the issuer's status lists; a verifier following only the credential's credentialStatus finds its bit", async function () {
    // Diploma 2 is revoked above; diploma 4 is suspended now.
    const suspended = await ccr(["--as", "au-university", "suspend", diplomas[3] ?? "", "--reason", "certificateHold"]);
    expect(suspended.code, suspended.stderr).to.equal(0);
    const published = await ccr([
      "--as",
      "au-university",
      "status-list",
      "publish",
      "--out",
      join(work, "published", "au-university"),
    ]);
    expect(published.code, published.stderr).to.equal(0);
    expect(published.stdout).to.include(
      `revocation list 1: 8 credential(s), 1 set; ${join(work, "published", "au-university", "revocation", "1")} -> ${statusUrl}/revocation/1\n`,
    );
    expect(published.stdout).to.include("suspension list 1: 8 credential(s), 1 set;");

    // A verifier written from the W3C specifications alone: the credential's own entry, the list it names, its bit.
    const bitOf = async (file: string, purpose: string): Promise<number> => {
      const { jws } = JSON.parse(await readFile(file, "utf8")) as CredentialFile;
      const credential = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString()) as {
        credentialStatus: {
          type: string;
          statusPurpose?: string;
          statusListIndex?: string;
          statusListCredential?: string;
        }[];
      };
      const entry = credential.credentialStatus.find(
        (e) => e.type === "BitstringStatusListEntry" && e.statusPurpose === purpose,
      );
      if (entry?.statusListCredential === undefined) throw new Error(`no ${purpose} entry in ${file}`);
      const response = await fetch(entry.statusListCredential);
      expect(response.status).to.equal(200);
      const listJws = await response.text();
      const list = JSON.parse(Buffer.from(listJws.split(".")[1] ?? "", "base64url").toString()) as {
        type: string[];
        issuer: string;
        credentialSubject: { statusPurpose: string; encodedList: string };
      };
      expect(list.type).to.include("BitstringStatusListCredential");
      expect(list.credentialSubject.statusPurpose).to.equal(purpose);
      expect(list.credentialSubject.encodedList[0]).to.equal("u"); // multibase base64url
      const bytes = gunzipSync(Buffer.from(list.credentialSubject.encodedList.slice(1), "base64url"));
      expect(bytes.length * 8).to.be.at.least(131_072);
      const index = Number(entry.statusListIndex);
      return ((bytes[index >> 3] ?? 0) >> (7 - (index % 8))) & 1; // bit 0 is the first byte's most significant
    };
    expect(await bitOf(diplomas[1] ?? "", "revocation")).to.equal(1);
    expect(await bitOf(diplomas[1] ?? "", "suspension")).to.equal(0);
    expect(await bitOf(diplomas[3] ?? "", "suspension")).to.equal(1);
    expect(await bitOf(diplomas[3] ?? "", "revocation")).to.equal(0);
    // Diploma 3 was suspended and reinstated: both bits clear, like diploma 1's.
    for (const file of [diplomas[0] ?? "", diplomas[2] ?? ""]) {
      expect([await bitOf(file, "revocation"), await bitOf(file, "suspension")]).to.deep.equal([0, 0]);
    }
    // The list is the issuer's: its signature verifies with did-jwt and ethr-did-resolver alone.
    const listJws = await readFile(join(work, "published", "au-university", "revocation", "1"), "utf8");
    const provider = new JsonRpcProvider(deployment.rpcUrl, deployment.chainId, { staticNetwork: true });
    const plain = new Resolver(
      getResolver({
        networks: [
          {
            name: "0x7a69",
            chainId: 31337n,
            web3: { currentProvider: provider },
            registry: deployment.didRegistry.address,
          },
        ],
      }),
    );
    const verified = await verifyJWT(listJws, { resolver: plain });
    provider.destroy();
    expect(verified.issuer).to.equal(ethrDid(deployment.chainId, deployment.accounts["au-university"]?.address ?? ""));
    expect(verified.signer.id).to.equal(`${verified.issuer}#controller`);

    const reinstated = await ccr(["--as", "au-university", "reinstate", diplomas[3] ?? ""]);
    expect(reinstated.code, reinstated.stderr).to.equal(0);
  });

  it("honours recognition: JP accepts Singapore's CBPR certifications until it withdraws recognition", async function () {
    const input = await csv("cbpr.csv", [
      "id,organisationName,economy,scope,certificationNumber",
      `${holderDid("acme-sg")},Acme Pte Ltd,SG,Customer personal data in the Acme loyalty programme,CBPR-SG-0042`,
    ]);
    const out = join(work, "cbpr");
    expect((await issue("sg-agent", "cbpr", input, out)).code).to.equal(0);
    const [file] = await files(out);
    if (file === undefined) throw new Error("no credential");
    const recognised = await ccr(["verify", file, "--economy", "JP"]);
    expect(recognised.code).to.equal(0);
    expect(recognised.stdout).to.include("(SG), anchored");
    expect(recognised.stdout).to.include("recognised in JP");
    const diploma = await ccr(["verify", diplomas[0] ?? "", "--economy", "JP"]);
    expect(diploma.code).to.equal(1);
    expect(diploma.stdout).to.include(
      "issued in AU, whose accreditations JP does not recognise for this credential type",
    );
    // Recognition is per schema: JP recognises SG's CBPR accreditations, not its PRP ones, from the same agent.
    const prpInput = await csv("prp.csv", [
      "id,organisationName,economy,processingServices,certificationNumber",
      `${holderDid("acme-sg")},Acme Pte Ltd,SG,Payroll processing for employers,PRP-SG-0007`,
    ]);
    const prpOut = join(work, "prp");
    expect((await issue("sg-agent", "prp", prpInput, prpOut)).code).to.equal(0);
    const [prp = ""] = await files(prpOut);
    const notRecognised = await ccr(["verify", prp, "--economy", "JP"]);
    expect(notRecognised.code, notRecognised.stdout).to.equal(1);
    expect(notRecognised.stdout).to.include(
      "issued in SG, whose accreditations JP does not recognise for this credential type",
    );
    expect((await ccr(["verify", prp, "--economy", "SG"])).code).to.equal(0);

    const withdrawn = await ccr([
      "--as",
      "authority-jp",
      "framework",
      "withdraw-recognition",
      "SG",
      "--schema",
      "cbpr",
    ]);
    expect(withdrawn.code).to.equal(0);
    expect(withdrawn.stdout).to.match(/^withdrew recognition of SG for schema 0 \(transaction/);
    expect((await ccr(["verify", file, "--economy", "JP"])).code).to.equal(1);
    expect((await ccr(["--as", "authority-jp", "framework", "recognise", "SG", "--schema", "cbpr"])).code).to.equal(0);
    expect((await ccr(["verify", file, "--economy", "JP"])).code).to.equal(0);
  });

  it("never ends in a stack trace or a misleading status: closed or full output, no argument, an existing keystore", async function () {
    const out = join(work, "pipes");
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
    expect(issued.code, issued.stderr).to.equal(0);
    /** `ccr verify <out>` with its standard output on `stdout`: exit status and standard error. */
    const verifyInto = (stdout: "closed" | number): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ["bin/ccr.js", "--deployment", join(devnet.dir, "deployment.json"), "verify", out],
          {
            stdio: ["ignore", stdout === "closed" ? "pipe" : stdout, "pipe"],
          },
        );
        // The reader goes away before anything is written, as `| head` does after its lines.
        if (stdout === "closed") child.stdout?.destroy();
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.once("error", reject);
        child.once("exit", (code) => resolve({ code, stderr }));
      });
    const closed = await verifyInto("closed");
    expect(closed).to.deep.equal({ code: 0, stderr: "" });
    const full = openSync("/dev/full", "w");
    try {
      expect(await verifyInto(full)).to.deep.equal({
        code: 2,
        stderr: "ccr: the output could not be written: no space is left on its device (ENOSPC)\n",
      });
    } finally {
      closeSync(full);
    }

    const nothing = await ccr(["verify"]);
    expect([nothing.code, nothing.stderr]).to.deep.equal([
      2,
      "ccr: name what to verify: credential files or folders of them (ccr verify out/diplomas), or a presentation " +
        "with --presentation <file> --audience <you> --nonce <challenge>\n",
    ]);

    // A keystore is never overwritten: refused; with --replace, the old one is kept beside it; both are 0600.
    const env = { CCR_KEYSTORE_PASSWORD: "correct horse battery" };
    const keystore = join(work, "kept-key.json");
    await writeFile(keystore, "the only copy of a key", { mode: 0o644 });
    const refused = await ccr(["key", "new", "--out", keystore], env);
    expect([refused.code, refused.stderr]).to.deep.equal([
      2,
      `ccr: ${keystore} exists: a keystore there would lose its key. Choose another --out, or --replace to keep it ` +
        "as a backup beside the new one\n",
    ]);
    expect(await readFile(keystore, "utf8")).to.equal("the only copy of a key");
    const replaced = await ccr(["key", "new", "--out", keystore, "--replace"], env);
    expect(replaced.code, replaced.stderr).to.equal(0);
    const backup = /the keystore it replaced is (\S+)$/m.exec(replaced.stdout)?.[1] ?? "";
    expect(await readFile(backup, "utf8")).to.equal("the only copy of a key");
    expect(statSync(keystore).mode & 0o777).to.equal(0o600);
    expect(statSync(backup).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(await readFile(keystore, "utf8"))).to.have.property("address");
  });

  it("rotates the issuer's signing key through its DID: a keystore key signs, then is revoked", async function () {
    const keystore = join(work, "signing-key.json");
    const env = {
      CCR_KEYSTORE_PASSWORD: "correct horse battery",
      CCR_SIGNING_KEYSTORE_PASSWORD: "correct horse battery",
    };
    const created = await ccr(["key", "new", "--out", keystore], env);
    expect(created.code).to.equal(0);
    const address = /for (0x[0-9a-fA-F]{40})/.exec(created.stdout)?.[1] ?? "";
    const added = await ccr(["--as", "ca-bank", "did", "add-key", address, "--days", "30"]);
    expect(added.code).to.equal(0);
    expect(added.stdout).to.include(`added ES256K signing key ${address} for 30 days`);

    const input = await csv("kyc.csv", ["id,assuranceLevel,verifiedOn", `${holderDid("customer-1")},high,2026-11-01`]);
    const out = join(work, "kyc");
    const issued = await ccr(
      ["--as", "ca-bank", "issue", "--schema", "kyc", "--input", input, "--out", out, "--signing-keystore", keystore],
      env,
    );
    expect(issued.code).to.equal(0);
    const [file] = await files(out);
    if (file === undefined) throw new Error("no credential");
    expect((await ccr(["verify", file])).code).to.equal(0);

    expect((await ccr(["--as", "ca-bank", "did", "revoke-key", address])).code).to.equal(0);
    await advance(5);
    const later = await ccr(["verify", file]);
    expect(later.code).to.equal(0);
    expect(later.stdout).to.include("VALID");

    const wrong = await ccr(
      [
        "--as",
        "ca-bank",
        "issue",
        "--schema",
        "kyc",
        "--input",
        input,
        "--out",
        join(work, "kyc-2"),
        "--signing-keystore",
        keystore,
      ],
      {
        CCR_SIGNING_KEYSTORE_PASSWORD: "wrong password",
      },
    );
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr).to.include(`ccr: cannot open keystore ${keystore}: wrong password or not a JSON keystore`);
  });

  it("signs with a P-256 key bound to the issuer's DID (--alg ES256): jose 6 and @sd-jwt/sd-jwt-vc verify it alone", async function () {
    const env = {
      CCR_KEYSTORE_PASSWORD: "correct horse battery",
      CCR_SIGNING_KEYSTORE_PASSWORD: "correct horse battery",
    };
    const keystore = join(work, "p256-key.json");
    const created = await ccr(["key", "new", "--alg", "ES256", "--out", keystore], env);
    expect(created.code, created.stderr).to.equal(0);
    const publicKey = /for the P-256 signing key (0x04[0-9a-f]{128})$/m.exec(created.stdout)?.[1] ?? "";
    expect(publicKey).to.not.equal("");
    const stored = JSON.parse(await readFile(keystore, "utf8")) as Record<string, unknown>;
    expect(stored).to.include({ "ccr:alg": "ES256", "ccr:publicKey": publicKey }).and.not.have.property("address");
    expect(statSync(keystore).mode & 0o777).to.equal(0o600);

    const bank = ethrDid(deployment.chainId, deployment.accounts["ca-bank"]?.address ?? "");
    const input = await csv("kyc-es256.csv", [
      "id,assuranceLevel,verifiedOn",
      `${holderDid("customer-1")},high,2026-11-01`,
    ]);
    const issueEs256 = (out: string, extra: string[] = [], as = "ca-bank"): Promise<Run> =>
      issue(as, "kyc", input, join(work, out), ["--signing-keystore", keystore, ...extra], env);

    // Not yet a key of the DID: refused before anything is signed or anchored.
    const early = await issueEs256("kyc-es256-early", ["--alg", "ES256"]);
    expect([early.code, early.stderr]).to.deep.equal([
      2,
      `ccr: the signing key P-256 key ${publicKey} is not a key of ${bank}: what it signs would not verify. Sign ` +
        "with the issuer's key, or add this one as a signing key (ccr --as <issuer> did add-key <its public key>)\n",
    ]);
    const added = await ccr(["--as", "ca-bank", "did", "add-key", publicKey, "--days", "30"]);
    expect(added.stdout).to.include(`${bank}: added ES256 signing key ${publicKey} for 30 days`);

    // The algorithm must be the key's; a P-256 key never acts on the chain.
    const mismatch = await issueEs256("kyc-es256-k", ["--alg", "ES256K"]);
    expect([mismatch.code, mismatch.stderr]).to.deep.equal([
      2,
      `ccr: --alg ES256K cannot sign with the keystore ${keystore}: it holds a P-256 key (ES256). Leave --alg out ` +
        "to sign with its own algorithm\n",
    ]);
    const acting = await ccr(["--keystore", keystore, "did", "show"], env);
    expect(acting.code).to.equal(2);
    expect(acting.stderr).to.include(`keystore ${keystore} holds a P-256 (ES256) signing key`);

    const issued = await issueEs256("kyc-es256", ["--alg", "ES256"]);
    expect(issued.code, issued.stderr).to.equal(0);
    const [file] = await files(join(work, "kyc-es256"));
    if (file === undefined) throw new Error("no credential");
    const verified = await ccr(["verify", file]);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(verified.stdout).to.match(/^VALID /);
    const { jws } = JSON.parse(await readFile(file, "utf8")) as CredentialFile;

    // Outside code only: the DID document from ethr-did-resolver, the key as a JWK, jose 6's jwtVerify.
    const resolver = new Resolver(
      getResolver({
        networks: [
          { name: "0x7a69", chainId: 31337, rpcUrl: deployment.rpcUrl, registry: deployment.didRegistry.address },
        ],
      }),
    );
    const kid = (decodeCredential(jws).header as { kid?: string }).kid ?? "";
    const { didDocument } = await resolver.resolve(bank);
    const method = didDocument?.verificationMethod?.find((m) => m.id === kid);
    expect(method).to.include({ type: "JsonWebKey2020", controller: bank });
    expect(didDocument?.assertionMethod).to.include(kid);
    const point = Buffer.from(String(method?.publicKeyHex), "hex");
    const jwk = {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33).toString("base64url"),
    };
    expect(`0x${point.toString("hex")}`).to.equal(publicKey);
    const jose = await import("jose");
    const key = await jose.importJWK(jwk, "ES256");
    const { payload, protectedHeader } = await jose.jwtVerify(jws, key, { typ: "vc+jwt", issuer: bank });
    expect(protectedHeader.alg).to.equal("ES256");
    expect(payload).to.deep.include({
      iss: bank,
      credentialSubject: { id: holderDid("customer-1"), assuranceLevel: "high", verifiedOn: "2026-11-01" },
    });
    const [h, p, sig] = jws.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, credentialSubject: { id: holderDid("customer-1"), assuranceLevel: "low" } })).toString("base64url")}.${sig}`;
    await jose.jwtVerify(forged, key).then(
      () => expect.fail("jose accepted a forged payload"),
      (error: Error) => expect(error.name).to.equal("JWSSignatureVerificationFailed"),
    );
    expect(p).to.not.equal(undefined);
    // did-jwt, resolving the DID itself, takes the key as the issuer's too.
    expect((await verifyJWT(jws, { resolver, policies: { nbf: false, exp: false, iat: false } })).issuer).to.equal(
      bank,
    );

    // An SD-JWT VC signed with the keystore's own algorithm (no --alg), verified by @sd-jwt/sd-jwt-vc with WebCrypto.
    const sd = await issueEs256("kyc-es256-sd", ["--format", "sd-jwt"]);
    expect(sd.code, sd.stderr).to.equal(0);
    const [sdFile] = await files(join(work, "kyc-es256-sd"));
    if (sdFile === undefined) throw new Error("no SD-JWT VC");
    expect((await ccr(["verify", sdFile])).code).to.equal(0);
    const token = (JSON.parse(await readFile(sdFile, "utf8")) as CredentialFile).jws;
    const webKey = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const { SDJwtVcInstance } = await import("@sd-jwt/sd-jwt-vc");
    const { digest } = await import("@sd-jwt/crypto-nodejs");
    const sdjwt = new SDJwtVcInstance({
      hasher: digest,
      verifier: (data, signature) =>
        crypto.subtle.verify(
          { name: "ECDSA", hash: "SHA-256" },
          webKey,
          Buffer.from(signature, "base64url"),
          new TextEncoder().encode(data),
        ),
    });
    const checked = await sdjwt.verify(token);
    expect(checked.payload).to.deep.include({ iss: bank, assuranceLevel: "high", verifiedOn: "2026-11-01" });
    expect(checked.header).to.deep.include({ alg: "ES256", typ: "dc+sd-jwt", kid });

    // The run is journalled with its algorithm: resuming it with another is refused.
    const resumed = await issue("ca-bank", "kyc", input, join(work, "kyc-es256"), [], env);
    expect([resumed.code, resumed.stderr]).to.deep.equal([
      2,
      `ccr: ${join(work, "kyc-es256")} holds a run signed with ES256; --alg ES256K would mix algorithms. Resume it ` +
        "with --alg ES256 (and its signing key), or use another --out\n",
    ]);

    // Revoked: it signs no more, and what it signed before stays valid (as a revoked secp256k1 delegate).
    const revoked = await ccr(["--as", "ca-bank", "did", "revoke-key", publicKey]);
    expect(revoked.stdout).to.include(`${bank}: revoked ES256 signing key ${publicKey}`);
    await advance(5);
    expect((await ccr(["verify", file])).code).to.equal(0);
    const after = await issueEs256("kyc-es256-after");
    expect([after.code, after.stderr]).to.deep.equal([2, early.stderr]);
  });

  it("administers the framework: schemas, economies, issuer suspension, operators signing with a delegated key", async function () {
    // A schema is registered from its JSON Schema document: the registry records its URI and the file's digest.
    const document = join(work, "licence.json");
    const licence = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "https://schemas.example/licence.json",
      title: "Professional Licence",
      type: "object",
      required: ["id", "profession"],
      properties: { id: { type: "string" }, profession: { type: "string", minLength: 1 } },
    };
    await writeFile(document, `${JSON.stringify(licence, null, 2)}\n`);
    const digest = `0x${createHash("sha256")
      .update(await readFile(document))
      .digest("hex")}`;
    // The council is a Safe of three representatives: one proposes, a second signs and executes.
    const registered = await council(["register-schema", document]);
    expect(registered.code, registered.stderr).to.equal(0);
    expect(registered.stdout).to.match(
      new RegExp(
        `^executed: register schema "Professional Licence" \\(https://schemas.example/licence.json, sha256 ${digest}\\) \\(transaction`,
      ),
    );
    expect((await ccr(["framework", "schema", "list"])).stdout).to.include(
      `6  Professional Licence  https://schemas.example/licence.json  sha256 ${digest}`,
    );
    // Whoever fetched the document checks it against the registry; a changed byte is refused with both digests.
    const checked = await ccr(["framework", "schema", "check", "6", document]);
    expect(checked.stdout).to.include(`${document} is the document of schema 6 "Professional Licence"`);
    const tampered = join(work, "licence-tampered.json");
    await writeFile(tampered, (await readFile(document, "utf8")).replace('"minLength": 1', '"minLength": 0'));
    const mismatch = await ccr(["framework", "schema", "check", "Professional Licence", tampered]);
    expect(mismatch.code).to.equal(1);
    const tamperedDigest = `0x${createHash("sha256")
      .update(await readFile(tampered))
      .digest("hex")}`;
    expect(mismatch.stderr).to.include(
      `${tampered} is not the document of schema 6 ("Professional Licence", https://schemas.example/licence.json): ` +
        `its SHA-256 digest is ${tamperedDigest}, the registry's is ${digest}`,
    );
    // What is not a JSON Schema document of a subject is refused before anything is sent.
    for (const [content, why] of [
      ["{ not json", "it is not JSON"],
      ['{"type": "object"}', '"$schema" must be "https://json-schema.org/draft/2020-12/schema"'],
      [JSON.stringify({ ...licence, type: "string" }), '"type" must be "object"'],
      [JSON.stringify({ ...licence, properties: { id: { type: "strin" } } }), "schema is invalid"],
    ] as const) {
      const bad = join(work, "bad-schema.json");
      await writeFile(bad, content);
      const run = await council(["register-schema", bad]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.include(`ccr: ${bad} is not a JSON Schema document of a credential subject:`);
      expect(run.stderr).to.include(why);
    }
    // A registration carries its document: a proposal whose document is not the one it registers is refused.
    const carried = join(work, "carried-proposal.json");
    const nurse = join(work, "nurse.json");
    await writeFile(nurse, `${JSON.stringify({ ...licence, $id: "https://schemas.example/nurse.json" }, null, 2)}\n`);
    const proposed = await ccr([
      "--as",
      "council-sg",
      "council",
      "propose",
      "register-schema",
      nurse,
      "--out",
      carried,
    ]);
    expect(proposed.code, proposed.stderr).to.equal(0);
    const swapped = JSON.parse(await readFile(carried, "utf8")) as { schemaDocument: string };
    swapped.schemaDocument = (await readFile(document)).toString("base64");
    await writeFile(carried, JSON.stringify(swapped));
    const refusedSwap = await ccr(["--as", "council-jp", "council", "sign", carried]);
    expect(refusedSwap.code).to.equal(1);
    const nurseDigest = `0x${createHash("sha256")
      .update(await readFile(nurse))
      .digest("hex")}`;
    expect(refusedSwap.stderr).to.equal(
      `ccr: ${carried}: the schema document it carries has the digest ${digest}; its transaction registers ${nurseDigest}\n`,
    );
    await rm(carried);

    const noUri = join(work, "no-uri.json");
    await writeFile(noUri, JSON.stringify({ ...licence, $id: undefined }));
    expect((await council(["register-schema", noUri])).stderr).to.include(
      `${noUri} has no "$id": say where it is published with --uri`,
    );
    const refused = await ccr(["--as", "au-university", "framework", "schema", "register", document]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /AccessControlUnauthorizedAccount\(account=0x[0-9a-fA-F]{40}, neededRole=0x0{64}\): only the council may do this/,
    );
    const authority = Wallet.createRandom().address;
    expect((await council(["admit", "GB", authority])).stdout).to.match(
      new RegExp(`^executed: admit GB with authority ${authority} \\(transaction`),
    );
    expect((await council(["remove", "GB"])).stdout).to.match(/^executed: remove GB \(transaction/);
    // The devnet's deployer key is no council: council actions go through the Safe.
    const deployer = await ccr(["--as", "deployer", "framework", "economy", "remove", "CN"]);
    expect(deployer.stderr).to.include("AccessControlUnauthorizedAccount");

    const diploma = diplomas[0] ?? "";
    expect((await ccr(["--as", "authority-au", "framework", "issuer", "suspend", "au-university"])).code).to.equal(0);
    const suspended = await ccr(["verify", diploma]);
    expect(suspended.code).to.equal(1);
    expect(suspended.stdout).to.include("the issuer's accreditation is suspended");
    expect((await ccr(["--as", "authority-au", "framework", "issuer", "reinstate", "au-university"])).code).to.equal(0);
    expect((await ccr(["verify", diploma])).code).to.equal(0);
    const shown = JSON.parse((await ccr(["framework", "issuer", "show", "au-university", "--json"])).stdout) as {
      standing: string;
      economy: string;
    };
    expect(shown).to.deep.include({ standing: "ACTIVE", economy: "AU" });

    // The registrar (an operator key) anchors for the university; its signature counts once the university's DID lists it.
    const input = await csv("registrar.csv", [
      "id,name,degree,fieldOfStudy,awardedOn",
      `${holderDid("r1")},Rae,BA,History,2026-06-30`,
    ]);
    const args = [
      "--as",
      "au-registrar",
      "issue",
      "--schema",
      "diploma",
      "--issuer",
      "au-university",
      "--input",
      input,
    ];
    const unlisted = await ccr([...args, "--out", join(work, "registrar-1")]);
    expect(unlisted.code).to.equal(2);
    const registrar = deployment.accounts["au-registrar"]?.address ?? "";
    expect(unlisted.stderr).to.include(
      `ccr: the signing key ${registrar} is not a key of ${ethrDid(deployment.chainId, deployment.accounts["au-university"]?.address ?? "")}`,
    );
    expect((await ccr(["--as", "au-university", "did", "add-key", registrar])).code).to.equal(0);
    const out = join(work, "registrar-2");
    expect((await ccr([...args, "--out", out])).code).to.equal(0);
    expect((await ccr(["verify", out])).stdout).to.match(
      /^VALID .*credential-00001\.json: valid: issued by University in Australia \(did:ethr:0x7a69:/m,
    );
  });

  it("reports issuer compromise: credentials anchored after the compromise time are invalid", async function () {
    const input = await csv("devices.csv", [
      "id,manufacturer,model,serialNumber",
      `${holderDid("device-1")},K-Devices,Sensor S1,SN-0001`,
      `${holderDid("device-2")},K-Devices,Sensor S1,SN-0002`,
    ]);
    const out = join(work, "devices");
    expect((await issue("kr-devicemaker", "device", input, out)).code).to.equal(0);
    const compromisedAt = new Date(Date.now() - 3600_000).toISOString();
    const revoked = await ccr([
      "--as",
      "authority-kr",
      "framework",
      "issuer",
      "revoke",
      "kr-devicemaker",
      "--compromised-at",
      compromisedAt,
    ]);
    expect(revoked.code).to.equal(0);
    const verified = await ccr(["verify", ...(await files(out))]);
    expect(verified.code).to.equal(1);
    expect(verified.stdout).to.match(
      /credential-00001\.json: the issuer's key was compromised on \S+Z; its accreditation is revoked/,
    );
    const refused = await issue("kr-devicemaker", "device", input, join(work, "devices-2"));
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /cannot anchor for 0x[0-9a-fA-F]{40}: IssuerNotActive\(issuer=0x[0-9a-fA-F]{40}, standing=3\): the issuer's accreditation is REVOKED/,
    );
  });

  it("refuses bad input before anything is signed, naming file, row and field", async function () {
    const malformed = await csv("malformed.csv", [
      "id,name,degree,fieldOfStudy,awardedOn",
      `"${holderDid("x")},Ann,BSc,CS,2026-06-30`,
    ]);
    const run1 = await issue("au-university", "diploma", malformed, join(work, "m"));
    expect(run1.code).to.equal(1);
    expect(run1.stderr).to.include(`ccr: ${malformed} line 2: malformed CSV: Quote Not Closed`);

    const wrongColumn = await csv("column.csv", ["id,nom", "x,y"]);
    const run2 = await issue("au-university", "diploma", wrongColumn, join(work, "c"));
    expect(run2.stderr).to.include(
      `${wrongColumn} line 1: column "nom" is not a field of "Academic Diploma" credentials`,
    );

    const rows = await csv("rows.csv", [
      "id,name,degree,fieldOfStudy,awardedOn",
      `${holderDid("a")},Ann,BSc,CS,2026-06-30`,
      `${holderDid("b")},,BSc,CS,2026-13-45`,
      `${holderDid("a")},Ann,BSc,CS,2026-06-30`,
      `${holderDid("c")},Cy,BSc,CS,2026-06-30`,
      "did:key:z0bad,Dee,BSc,CS,2026-06-30",
      ",Eve,BSc,CS,2026-06-30",
      "did:web:university.example,Fay,BSc,CS,2026-06-30",
    ]);
    const out = join(work, "rows");
    const run3 = await issue("au-university", "diploma", rows, out);
    expect(run3.code).to.equal(1);
    expect(run3.stderr).to.equal(
      [
        `ccr: ${rows}: 6 problem(s); nothing was signed or anchored (fix them, or pass --skip-invalid)`,
        "  row 2 (line 3), field name: is required",
        '  row 2 (line 3), field awardedOn: must match format "date"',
        "  row 3 (line 4): duplicates row 1",
        '  row 5 (line 6), field id: "did:key:z0bad" is not a well-formed did:key: its key is not base58btc',
        "  row 6 (line 7), field id: is required: the holder's DID (did:ethr, did:key or did:jwk)",
        '  row 7 (line 8), field id: "did:web:university.example" uses did:web; a holder\'s DID must be did:ethr, ' +
          "did:key or did:jwk",
        "",
      ].join("\n"),
    );
    const skipped = await issue("au-university", "diploma", rows, out, ["--skip-invalid"]);
    expect(skipped.code).to.equal(0);
    expect(skipped.stdout).to.include('issued 2 "Academic Diploma" credential(s)');
    expect(skipped.stdout).to.include("5 row(s) skipped");
    expect((await files(out)).map((f) => f.slice(-21))).to.deep.equal([
      "credential-00001.json",
      "credential-00004.json",
    ]);
  });

  it("issues a credential type the council registered from its JSON Schema document; a changed document is refused", async function () {
    const document = join(work, "membership.json");
    const membership = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Chamber Membership",
      credentialType: "ChamberMembership",
      type: "object",
      additionalProperties: false,
      required: ["id", "member", "since"],
      properties: {
        id: { type: "string", minLength: 1 },
        member: { type: "string", minLength: 1 },
        since: { type: "string", format: "date" },
      },
    };
    await writeFile(document, `${JSON.stringify(membership, null, 2)}\n`);
    const bytes = await readFile(document);
    const digest = `0x${createHash("sha256").update(bytes).digest("hex")}`;
    // Published as a local file here; the "schemas" folder next to the deployment file and http(s) URIs also serve.
    const uri = pathToFileURL(document).href;
    const registered = await council(["register-schema", document, "--uri", uri]);
    expect(registered.code, registered.stderr).to.equal(0);
    const listed = (await ccr(["framework", "schema", "list"])).stdout.trim().split("\n");
    const id = /^(\d+) /.exec(listed.at(-1) ?? "")?.[1] ?? "none";
    const amended = await ccr([
      "--as",
      "authority-au",
      "framework",
      "issuer",
      "amend",
      "au-university",
      "--schemas",
      `diploma,${id}`,
    ]);
    expect(amended.code, amended.stderr).to.equal(0);
    const cache = { CCR_CACHE_DIR: join(work, "schema-cache") };

    const input = await csv("members.csv", [
      "id,member,since",
      `${holderDid("m1")},Acme Pty Ltd,2020-01-01`,
      `${holderDid("m2")},Bravo Ltd,2021-05-01`,
    ]);
    const out = join(work, "members");
    const issued = await issue("au-university", "Chamber Membership", input, out, [], cache);
    expect(issued.code, issued.stderr).to.equal(0);
    expect(issued.stdout).to.include('issued 2 "Chamber Membership" credential(s)');
    const file = JSON.parse(await readFile(join(out, "credential-00001.json"), "utf8")) as CredentialFile;
    const { credential } = decodeCredential(file.jws);
    expect(credential.type).to.deep.equal(["VerifiableCredential", "ChamberMembership"]);
    expect(credential.credentialSchema).to.deep.equal({
      id: uri,
      type: "JsonSchema",
      digestSRI: `sha256-${createHash("sha256").update(bytes).digest("base64")}`,
    });
    const verified = await ccr(["verify", out]);
    expect(verified.code, verified.stdout).to.equal(0);
    expect(verified.stdout).to.include("2 valid, 0 invalid, 0 undecided");

    // The document's rules apply to the rows, by row and field.
    const wrong = await csv("members-wrong.csv", ["id,member,since", `${holderDid("m3")},Charlie Ltd,yesterday`]);
    const refused = await issue("au-university", id, wrong, join(work, "members-wrong"), [], cache);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('row 1 (line 2), field since: must match format "date"');

    // A changed document is not the registered one: refused with both digests, nothing anchored.
    await writeFile(document, `${JSON.stringify({ ...membership, required: ["id"] }, null, 2)}\n`);
    const changedDigest = `0x${createHash("sha256")
      .update(await readFile(document))
      .digest("hex")}`;
    const changed = await issue("au-university", id, input, join(work, "members-changed"), [], {
      CCR_CACHE_DIR: join(work, "empty-cache"),
    });
    expect(changed.code).to.equal(1);
    expect(changed.stderr).to.include(
      `ccr: ${document} is not the document of schema ${id} ("Chamber Membership", ${uri}): its SHA-256 digest ` +
        `is ${changedDigest}, the registry's is ${digest}`,
    );
    // The registered document, kept by digest when it was first found, still serves.
    expect((await issue("au-university", id, input, join(work, "members-cached"), [], cache)).code).to.equal(0);

    const unknown = await issue("au-university", "No Such Schema", input, join(work, "members-unknown"), [], cache);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.include('ccr: no schema "No Such Schema"; schemas: 0 APEC CBPR Certification, ');
  });

  it("tells tampered, foreign, unknown-issuer and malformed credentials apart", async function () {
    const original = JSON.parse(await readFile(diplomas[0] ?? "", "utf8")) as CredentialFile;
    const [header, payload, signature] = original.jws.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as {
      credentialSubject: { name: string };
    };
    claims.credentialSubject.name = "Mallory";
    const forgedJws = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    const tampered = join(work, "tampered.json");
    await writeFile(tampered, JSON.stringify({ ...original, jws: forgedJws }));
    const rehashed = join(work, "tampered-rehashed.json");
    await writeFile(rehashed, JSON.stringify({ ...original, jws: forgedJws, hash: credentialHash(forgedJws) }));

    const registry = deployment.registry.address;
    const issuerKey = devnetWallet(24, rpcProvider(deployment.rpcUrl, deployment.chainId));
    const subject = { id: holderDid("z"), name: "Zed", degree: "BSc", fieldOfStudy: "CS", awardedOn: "2026-06-30" };
    const foreign = join(work, "foreign.jwt");
    const foreignCredential = buildCredential({
      schema: demoCredentialType("diploma"),
      issuer: ethrDid(1, issuerKey.address),
      subject,
      validFrom: new Date(),
      status: { chainId: 1, registry },
    });
    await writeFile(foreign, await signCredential(foreignCredential, issuerKey.privateKey));
    const stranger = Wallet.createRandom();
    const unknown = join(work, "unknown.jwt");
    const unknownCredential = buildCredential({
      schema: demoCredentialType("diploma"),
      issuer: ethrDid(deployment.chainId, stranger.address),
      subject,
      validFrom: new Date(),
      status: { chainId: deployment.chainId, registry },
    });
    await writeFile(unknown, await signCredential(unknownCredential, stranger.privateKey));
    const garbage = join(work, "garbage.json");
    await writeFile(garbage, "{ not json");

    const run = await ccr(["verify", tampered, rehashed, foreign, unknown]);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.include(
      `INVALID   ${tampered}: the file's hash is not the hash of its JWS: the file was altered`,
    );
    expect(run.stdout).to.include(
      `INVALID   ${rehashed}: the Merkle proof does not lead from this credential to batch ${original.anchor.batch?.root}`,
    );
    expect(run.stdout).to.include(
      `INVALID   ${foreign}: issued for the registry ${registry} on chain 1, not for this framework's registry ${registry} on chain 31337`,
    );
    expect(run.stdout).to.include(
      `INVALID   ${unknown}: not anchored in the registry, and ${ethrDid(deployment.chainId, stranger.address)} is not an issuer of this framework`,
    );

    const malformed = await ccr(["verify", garbage, diplomas[0] ?? ""]);
    expect(malformed.code).to.equal(2);
    expect(malformed.stdout).to.include(`UNDECIDED ${garbage}: ${garbage} is not valid JSON`);
    // A file that is no credential at all (this README has "~" and "." in it, like an SD-JWT) is told what one is.
    const readme = await ccr(["verify", "README.md"]);
    expect([readme.code, readme.stdout]).to.deep.equal([
      2,
      'UNDECIDED README.md: README.md is not a credential: a credential is a credential file (JSON with "format": ' +
        '"ccr-credential/1", as ccr issue writes), or a credential\'s own text: a vc+jwt JWS or an SD-JWT VC\n',
    ]);
  });

  it("never calls an unreachable RPC a verdict: exit 2, no 'invalid' or 'revoked'", async function () {
    const run = await ccr(["--rpc", "http://127.0.0.1:9", "verify", ...diplomas]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal("");
    // One UNDECIDED line per credential, naming it and why, as when the node stops answering midway.
    const why =
      "not checked: could not reach the RPC at http://127.0.0.1:9 while checking the deployment: connect ECONNREFUSED 127.0.0.1:9";
    expect(run.stdout).to.equal(
      [
        ...diplomas.map((file) => `UNDECIDED ${file}: ${why}`),
        `0 valid, 0 invalid, ${diplomas.length} undecided`,
        "",
      ].join("\n"),
    );
    expect(run.stdout).to.not.match(/invalid:|revoked/i);
  });

  it("resumes a run killed mid-batch: nothing anchored twice, every credential file present", async function () {
    const lines = ["id,manufacturer,model,serialNumber"];
    for (let i = 0; i < 3000; i++) lines.push(`${rowDid(i)},K-Devices,Sensor S2,SN-${String(i).padStart(6, "0")}`);
    const input = await csv("factory.csv", lines);
    // kr-devicemaker is revoked above; a second device maker is accredited for this run, with its consent.
    const maker = Wallet.createRandom();
    const offered = await ccr([
      "--as",
      "authority-kr",
      "framework",
      "issuer",
      "offer",
      maker.address,
      "--schemas",
      "device",
    ]);
    expect(offered.code).to.equal(0);
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    await provider.send("hardhat_setBalance", [maker.address, "0x56BC75E2D63100000"]);
    const env = { MAKER_KEY: maker.privateKey };
    const accepted = await ccr(["--key-env", "MAKER_KEY", "framework", "issuer", "accept", "--economy", "KR"], env);
    expect(accepted.code).to.equal(0);
    expect(accepted.stdout).to.match(/^0x[0-9a-fA-F]{40} is now an issuer of KR for schemas 5, now to open-ended/m);
    const out = join(work, "factory");
    const args = [
      "--key-env",
      "MAKER_KEY",
      "issue",
      "--schema",
      "device",
      "--input",
      input,
      "--out",
      out,
      "--batch-size",
      "100",
    ];

    const child = spawn(
      process.execPath,
      ["bin/ccr.js", "--deployment", join(devnet.dir, "deployment.json"), ...args],
      {
        env: { ...process.env, ...env },
        stdio: "ignore",
      },
    );
    const journal = join(out, ".ccr-journal");
    const deadline = Date.now() + 120_000;
    let sent: string[] = [];
    while (Date.now() < deadline) {
      sent = (await readdir(journal).catch(() => [] as string[])).filter((f) => f.endsWith(".sent.jsonl"));
      if (sent.length >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(sent.length).to.be.at.least(3);
    expect((await files(out)).length).to.be.below(3000);

    const resumed = await ccr(args, env);
    expect(resumed.code).to.equal(0);
    expect(resumed.stdout).to.match(
      /^resumed: issued 3000 "IoT Device Identity" credential\(s\) .* in 30 anchor\(s\) \((\d+) sent now\)/,
    );
    const sentNow = Number(/\((\d+) sent now\)/.exec(resumed.stdout)?.[1]);
    expect(sentNow).to.be.below(30);
    expect(await files(out)).to.have.length(3000);

    const registry = ICCR__factory.connect(deployment.registry.address, provider);
    const anchored = await registry.queryFilter(registry.filters.BatchAnchored(undefined, maker.address));
    expect(anchored).to.have.length(30);
    expect(new Set(anchored.map((e) => e.args.root)).size).to.equal(30);
    provider.destroy();

    const sample = (await files(out)).filter((_, i) => i % 250 === 0);
    const verified = await ccr(["verify", ...sample]);
    expect(verified.code).to.equal(0);
  });

  it("reports expired and not-yet-valid credentials with their dates", async function () {
    const input = await csv("short.csv", ["id,assuranceLevel,verifiedOn", `${holderDid("customer-9")},low,2026-11-01`]);
    // On the chain's clock, which earlier tests moved ahead of the wall clock.
    const now = (await chainTime()) * 1000;
    const soon = new Date(now + 3600_000);
    const later = new Date(now + 30 * 86_400_000);
    const expiring = join(work, "expiring");
    const future = join(work, "future");
    expect((await issue("ca-bank", "kyc", input, expiring, ["--valid-until", soon.toISOString()])).code).to.equal(0);
    expect((await issue("ca-bank", "kyc", input, future, ["--valid-from", later.toISOString()])).code).to.equal(0);
    const [expiringFile] = await files(expiring);
    const [futureFile] = await files(future);
    const before = await ccr(["verify", expiringFile ?? "", futureFile ?? ""]);
    expect(before.stdout).to.match(/expiring\/credential-00001\.json: valid/);
    expect(before.stdout).to.match(/future\/credential-00001\.json: not yet valid: valid from \S+Z/);
    await advance(2 * 3600);
    const after = await ccr(["verify", expiringFile ?? ""]);
    expect(after.code).to.equal(1);
    expect(after.stdout).to.include(`expired on ${soon.toISOString().replace(/\.\d{3}Z$/, "Z")}`);
  });
});
