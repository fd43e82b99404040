import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { expect } from "chai";
import jsqr from "jsqr";
import { PDFDocument } from "pdf-lib";
import type { Browser, Page } from "playwright-core";
import { PNG } from "pngjs";
import { build } from "vite";
import { base64url, fromBase64urlText } from "../src/bytes.ts";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { ethrDid } from "../src/did.ts";
import { connectRegistry, rpcProvider } from "../src/registry.ts";
import { AuditIndex } from "../src/server/audit.ts";
import { startServer, type RunningServer } from "../src/server/serve.ts";
import { credentialHash } from "../src/vc/credential.ts";
import type { CredentialFile } from "../src/vc/file.ts";
import { dropFiles, launchChromium } from "../scripts/lib/browser.ts";
import { runCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";
import { startVerifier, type RunningVerifier } from "../src/verifier/run.ts";
import { openSqliteVerifierStore } from "../src/verifier/sqliteStore.ts";
import type { VerifierStore } from "../src/verifier/store.ts";
import { relay, type Relay } from "./relay.ts";
import { answerRequest, holderKey, testCertificate, type TestCertificate } from "./walletKit.ts";
import { holderDid } from "./holders.ts";

/** What a result card on the page says. */
interface Card {
  outcome: string;
  title: string;
  reason: string;
  checks: Record<string, { state: string; detail: string }>;
  fields: Record<string, string>;
}

/** Reads the result cards in the page (plain JavaScript: this file is compiled without the DOM's types). */
const READ_CARDS = `[...document.querySelectorAll("article.result")].map((article) => ({
  outcome: article.getAttribute("data-outcome") ?? "",
  title: article.querySelector("h2")?.textContent ?? "",
  reason: article.querySelector(".reason")?.textContent ?? "",
  checks: Object.fromEntries([...article.querySelectorAll("ol.checks li")].map((li) => [
    li.getAttribute("data-check"),
    { state: li.getAttribute("data-state"), detail: li.lastElementChild?.textContent ?? "" },
  ])),
  fields: Object.fromEntries([...article.querySelectorAll("dl.fields dt")].map((dt) => [
    dt.textContent,
    dt.nextElementSibling?.textContent ?? "",
  ])),
}))`;

describe("web verifier page (Chromium, against a Hardhat node)", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet;
  let deployment: Deployment;
  let chain: Relay;
  let server: RunningServer;
  let browser: Browser;
  let work = "";
  /** Screenshots go to $CCR_SCREENSHOTS (docs/ to refresh the README's) or to the test's folder. */
  let shots = "";
  const files: Record<string, string> = {};
  let tls: TestCertificate;
  let verifierStore: VerifierStore | undefined;
  let walletVerifier: RunningVerifier | undefined;

  const ccr = (args: string[]): Promise<CcrRun> => runCcr(join(devnet.dir, "deployment.json"), args);
  async function ok(args: string[]): Promise<CcrRun> {
    const run = await ccr(args);
    expect(run.code, `ccr ${args.join(" ")}: ${run.stderr}`).to.equal(0);
    return run;
  }
  async function issued(out: string): Promise<string[]> {
    return (await readdir(out))
      .filter((f) => f.startsWith("credential-"))
      .sort()
      .map((f) => join(out, f));
  }

  /** Issues diplomas of `rows` (CSV rows after the header) as the university; returns the credential files. */
  async function diplomas(name: string, rows: string[], extra: string[] = []): Promise<string[]> {
    const input = join(work, `${name}.csv`);
    await writeFile(input, ["id,name,studentNumber,degree,fieldOfStudy,awardedOn,honours", ...rows].join("\n"));
    const out = join(work, name);
    await ok(["--as", "au-university", "issue", "--schema", "diploma", "--input", input, "--out", out, ...extra]);
    return issued(out);
  }

  /** Opens the verifier page and waits until it has connected (or said it cannot). */
  async function verifierPage(fragment = ""): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${server.url}/${fragment}`);
    await page.waitForFunction('!document.getElementById("connection").textContent.startsWith("Connecting")');
    expect(errors, "errors in the page").to.deep.equal([]);
    return page;
  }

  async function verified(page: Page): Promise<{ summary: string; cards: Card[] }> {
    await page.waitForSelector("#summary[data-done]");
    const summary = (await page.textContent("#summary")) ?? "";
    const cards = await page.evaluate<Card[]>(READ_CARDS);
    return { summary, cards };
  }

  /** Drops files on the drop zone as a user's drag and drop does. */
  async function drop(page: Page, paths: string[]): Promise<void> {
    const payload = await Promise.all(
      paths.map(async (path) => ({ name: path.split("/").pop() ?? path, text: await readFile(path, "utf8") })),
    );
    await dropFiles(page, "#drop", payload);
  }

  before(async function () {
    await build({ configFile: join(import.meta.dirname, "..", "vite.config.ts"), logLevel: "warn" });
    work = await mkdtemp(join(tmpdir(), "ccr-web-"));
    shots = process.env.CCR_SCREENSHOTS ?? join(work, "screenshots");
    await mkdir(shots, { recursive: true });
    devnet = await startDevnet();
    deployment = await readDeployment(join(devnet.dir, "deployment.json"));

    // Diplomas in one batch: one stays valid, one is revoked, one suspended.
    [files.valid = "", files.revoked = "", files.suspended = ""] = await diplomas("batch", [
      `${holderDid("web-1")},Ava Nguyen,S1,Bachelor of Science,Physics,2026-06-30,`,
      `${holderDid("web-2")},Ben Carter,S2,Bachelor of Arts,History,2026-06-30,`,
      `${holderDid("web-3")},Chloe Tan,S3,Master of Science,Chemistry,2026-06-30,Distinction`,
    ]);
    await ok(["--as", "au-university", "revoke", files.revoked, "--reason", "affiliationChanged"]);
    await ok(["--as", "au-university", "suspend", files.suspended, "--reason", "certificateHold"]);
    // A diploma that becomes valid next month, and one valid now, each anchored on its own.
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    [files.future = ""] = await diplomas(
      "future",
      [`${holderDid("web-4")},Dev Patel,S4,Bachelor of Laws,Law,2026-12-20,`],
      ["--single", "--valid-from", later],
    );
    [files.single = ""] = await diplomas(
      "single",
      [`${holderDid("web-5")},Ella Brown,S5,Bachelor of Music,Music,2026-06-30,`],
      ["--single"],
    );
    // A forgery: the single diploma with another name, its hash recomputed; the issuer's signature no longer holds
    // (a batch member's would not even reach the signature: its Merkle proof fails first).
    const original = JSON.parse(await readFile(files.single, "utf8")) as CredentialFile;
    const [header = "", payload = "", signature = ""] = original.jws.split(".");
    const claims = JSON.parse(fromBase64urlText(payload)) as { credentialSubject: Record<string, unknown> };
    claims.credentialSubject.name = "Mallory Forger";
    const forged = `${header}.${base64url(JSON.stringify(claims))}.${signature}`;
    files.tampered = join(work, "tampered.json");
    await writeFile(files.tampered, JSON.stringify({ ...original, jws: forged, hash: credentialHash(forged) }));

    chain = await relay(deployment.rpcUrl);
    const connection = await connectRegistry(deployment, {
      rpcUrl: chain.url,
      provider: rpcProvider(chain.url, deployment.chainId, 5_000),
    });
    // The dashboard's index, synced at start; the tests sync it again after new activity (POST /api/audit/sync).
    const audit = new AuditIndex(join(work, "audit.sqlite"), connection);
    // The OpenID4VP verifier beside the pages, as `ccr serve --verifier-cert … --verifier-key …` runs it.
    tls = testCertificate(work, "ccr-web-verifier-test");
    verifierStore = openSqliteVerifierStore(join(work, "verifier.sqlite"));
    walletVerifier = await startVerifier({
      connection: await connectRegistry(deployment),
      tls,
      host: "127.0.0.1",
      port: 0,
      store: verifierStore,
      schemaSources: { folders: [join(devnet.dir, "schemas")] },
    });
    server = await startServer(
      {
        connection,
        rpcUrl: chain.url,
        audit,
        syncSeconds: 0,
        schemaSources: { folders: [join(devnet.dir, "schemas")] },
        verifier: walletVerifier.app,
      },
      { host: "127.0.0.1", port: 0 },
    );
    browser = await launchChromium();
  });

  after(async function () {
    await browser?.close();
    await server?.close();
    await walletVerifier?.close();
    await verifierStore?.close();
    await chain?.close();
    devnet?.stop();
    if (process.env.CCR_SCREENSHOTS === undefined) await rm(work, { recursive: true, force: true });
  });

  it("verifies dropped files: valid, revoked, suspended, tampered and not yet valid, each check in words", async function () {
    const page = await verifierPage();
    await drop(page, [files.valid, files.revoked, files.suspended, files.tampered, files.future].map(String));
    const { summary, cards } = await verified(page);
    expect(summary).to.match(/^5 credentials: 1 valid, 4 invalid, 0 undecided/);
    const [valid, revoked, suspended, tampered, future] = cards;
    expect(cards.map((c) => c.outcome)).to.deep.equal(["valid", "invalid", "invalid", "invalid", "invalid"]);

    expect(valid?.title).to.equal("✓ VALID Academic Diploma from University in Australia (AU)");
    expect(Object.values(valid?.checks ?? {}).map((c) => c.state)).to.deep.equal([
      "passed",
      "passed",
      "passed",
      "passed",
      "passed",
      "passed",
      "passed",
      "skipped",
    ]);
    expect(valid?.fields).to.deep.include({
      Issuer: `University in Australia (AU), ${ethrDid(deployment.chainId, deployment.accounts["au-university"]?.address ?? "")}`,
      Holder: holderDid("web-1"),
      Type: "Academic Diploma",
      Name: "Ava Nguyen",
      Degree: "Bachelor of Science",
      "Field of study": "Physics",
    });

    expect(valid?.checks.anchor?.detail).to.include(
      `by University in Australia (AU), ${deployment.accounts["au-university"]?.address ?? ""}, with the document's`,
    );
    expect(revoked?.title).to.match(/^✗ INVALID /);
    expect(revoked?.checks.status).to.deep.include({ state: "failed" });
    expect(revoked?.checks.status?.detail).to.match(/^revoked on \d{4}-\d\d-\d\dT[\d:]+Z, reason: affiliationChanged$/);
    expect(revoked?.checks.signature?.state).to.equal("passed");

    expect(suspended?.checks.status?.detail).to.match(
      /^suspended since \d{4}-\d\d-\d\dT[\d:]+Z, reason: certificateHold \(a suspension can be lifted\)$/,
    );

    expect(tampered?.checks.signature).to.deep.include({ state: "failed" });
    expect(tampered?.checks.signature?.detail).to.include("the JWS was altered or forged");
    expect(tampered?.checks.anchor?.state).to.equal("skipped");

    expect(future?.checks.validity).to.deep.include({ state: "failed" });
    expect(future?.checks.validity?.detail).to.match(/^not yet valid: valid from \d{4}-\d\d-\d\d/);
    expect(future?.checks.status?.state).to.equal("passed");
    // Only the valid credential's claims read as facts and can be printed; the others' are marked unverified.
    const marks = await page.evaluate(`[...document.querySelectorAll("article.result")].map((a) => [
      a.querySelector(".unverified .unverified-note")?.textContent ?? "",
      a.querySelectorAll("button[data-print]").length,
    ])`);
    const note = "Unverified claims of a credential that is not valid: do not rely on them.";
    expect(marks).to.deep.equal([
      ["", 1],
      [note, 0],
      [note, 0],
      [note, 0],
      [note, 0],
    ]);
    expect(tampered?.fields.name).to.equal("Mallory Forger"); // shown, but only under that warning
    // Five credentials: a compact list first, one line each, linking to its card.
    const compact = await page.evaluate(`[...document.querySelectorAll("table.compact tbody tr")].map((r) =>
      [r.getAttribute("data-outcome"), r.querySelector("a")?.getAttribute("href")])`);
    expect(compact).to.deep.equal([
      ["valid", "#r0"],
      ["invalid", "#r1"],
      ["invalid", "#r2"],
      ["invalid", "#r3"],
      ["invalid", "#r4"],
    ]);
    await page.screenshot({ path: join(shots, "verifier.png"), fullPage: true });

    // Recognition by the verifier's economy: JP does not recognise Australia's diplomas.
    await page.selectOption("#economy", "JP");
    const recognised = await verified(page);
    expect(recognised.cards[0]?.outcome).to.equal("invalid");
    expect(recognised.cards[0]?.reason).to.equal(
      "issued in AU, whose accreditations JP does not recognise for this credential type",
    );
    expect(recognised.cards[0]?.checks.recognition).to.deep.equal({
      state: "failed",
      detail: "JP does not recognise AU's accreditations for this credential type",
    });
    await page.close();
  });

  it("verifies a credential carried in the link's fragment, never sent to the server", async function () {
    const requests: string[] = [];
    const file = JSON.parse(await readFile(files.valid, "utf8")) as CredentialFile;
    const page = await browser.newPage();
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(`${server.url}/#file=${base64url(JSON.stringify(file))}`);
    const { cards } = await verified(page);
    expect(cards.map((c) => c.outcome)).to.deep.equal(["valid"]);
    expect(cards[0]?.fields.Name).to.equal("Ava Nguyen");
    for (const url of requests) expect(url, "a request carried the credential").to.not.include(file.jws.slice(0, 40));

    const single = JSON.parse(await readFile(files.single, "utf8")) as CredentialFile;
    await page.goto(`${server.url}/#vc=${single.jws}`);
    await page.reload();
    const linked = await verified(page);
    expect(linked.cards.map((c) => c.outcome)).to.deep.equal(["valid"]);
    expect(linked.cards[0]?.fields.Name).to.equal("Ella Brown");
    await page.close();
  });

  it("verifies a holder's presentation with selected disclosures: only those fields are shown", async function () {
    const ken = ethrDid(deployment.chainId, deployment.accounts["customer-ken"]?.address ?? "");
    const input = join(work, "ken.csv");
    await writeFile(input, `id,assuranceLevel,verifiedOn\n${ken},high,2026-11-01\n`);
    const out = join(work, "ken");
    await ok(["--as", "ca-bank", "issue", "--schema", "kyc", "--input", input, "--out", out, "--format", "sd-jwt"]);
    const [credential = ""] = await issued(out);
    const presentation = join(work, "ken-presentation.json");
    await ok([
      "--as",
      "customer-ken",
      "present",
      credential,
      "--audience",
      "https://bank.example",
      "--nonce",
      "web-7",
      "--disclose",
      "assuranceLevel",
      "--out",
      presentation,
    ]);
    const page = await verifierPage();
    await drop(page, [presentation]);
    const unanswered = await verified(page);
    expect(unanswered.cards[0]?.outcome).to.equal("undecided");
    expect(unanswered.cards[0]?.reason).to.include("enter the audience");

    // Typing the audience and the nonce verifies it again, without dropping it again.
    await page.click("summary");
    await page.fill("#audience", "https://bank.example");
    await page.fill("#nonce", "web-7");
    await page.press("#nonce", "Tab");
    await page.waitForSelector('#summary[data-done] ~ #results article[data-outcome="valid"]');
    const { cards } = await verified(page);
    expect(cards.map((c) => c.outcome)).to.deep.equal(["valid"]);
    expect(cards[0]?.checks.holder?.state).to.equal("passed");
    expect(cards[0]?.fields).to.deep.include({ Holder: ken, "Assurance level": "high", Disclosed: "1 field(s) only" });
    expect(cards[0]?.fields).to.not.have.property("Verified on");

    await page.fill("#nonce", "web-8");
    await page.press("#nonce", "Tab");
    await page.waitForSelector('#summary[data-done] ~ #results article[data-outcome="invalid"]');
    const replayed = await verified(page);
    expect(replayed.cards[0]?.outcome).to.equal("invalid");
    expect(replayed.cards[0]?.reason).to.include(`is not this request's "web-8"`);
    await page.screenshot({ path: join(shots, "verifier-presentation.png"), fullPage: true });

    // The same file chosen twice is verified twice.
    await page.fill("#nonce", "web-7");
    for (let time = 0; time < 2; time++) {
      await page.evaluate('document.getElementById("results").replaceChildren()');
      await page.setInputFiles("#files", presentation);
      await page.waitForSelector('#summary[data-done] ~ #results article[data-outcome="valid"]');
    }
    await page.close();
  });

  it("verifies a credential signed ES256 (a P-256 key of the issuer's DID) as one signed ES256K", async function () {
    const env = {
      CCR_KEYSTORE_PASSWORD: "correct horse battery",
      CCR_SIGNING_KEYSTORE_PASSWORD: "correct horse battery",
    };
    const keystore = join(work, "bank-p256.json");
    const deploymentFile = join(devnet.dir, "deployment.json");
    const made = await runCcr(deploymentFile, ["key", "new", "--alg", "ES256", "--out", keystore], env);
    const publicKey = /(0x04[0-9a-f]{128})/.exec(made.stdout)?.[1] ?? "";
    await ok(["--as", "ca-bank", "did", "add-key", publicKey]);
    const input = join(work, "es256.csv");
    await writeFile(input, `id,assuranceLevel,verifiedOn\n${holderDid("web-6")},substantial,2026-11-02\n`);
    const out = join(work, "es256");
    const args = ["--as", "ca-bank", "issue", "--schema", "kyc", "--input", input, "--out", out, "--single"];
    const issuedEs256 = await runCcr(deploymentFile, [...args, "--alg", "ES256", "--signing-keystore", keystore], env);
    expect(issuedEs256.code, issuedEs256.stderr).to.equal(0);
    const [file = ""] = await issued(out);
    const page = await verifierPage();
    await drop(page, [file]);
    const { cards } = await verified(page);
    expect(cards.map((c) => c.outcome)).to.deep.equal(["valid"]);
    expect(cards[0]?.checks.signature?.state).to.equal("passed");
    await page.close();
  });

  it("asks a wallet from the page: the QR code's request is answered with only the claims chosen; the verdict shows", async function () {
    // A KYC credential held in a wallet: an SD-JWT VC bound to the wallet's P-256 key (its did:jwk).
    const key = holderKey("ES256");
    const jwk = { crv: "P-256", kty: "EC", x: key.publicJwk.x, y: key.publicJwk.y };
    const holder = `did:jwk:${base64url(JSON.stringify(jwk))}`;
    const input = join(work, "wallet-kyc.csv");
    await writeFile(input, `id,assuranceLevel,verifiedOn\n${holder},high,2026-11-01\n`);
    const out = join(work, "wallet-kyc");
    await ok([
      "--as",
      "ca-bank",
      "issue",
      "--schema",
      "kyc",
      "--input",
      input,
      "--out",
      out,
      "--format",
      "sd-jwt",
      "--single",
    ]);
    const [file = ""] = await issued(out);
    const sdJwt = (JSON.parse(await readFile(file, "utf8")) as CredentialFile).jws;

    /** The official's steps: the type, one claim, the code; what the QR code says when scanned. */
    const ask = async (page: Page): Promise<string> => {
      await page.waitForSelector("#wallet:not([hidden])");
      await page.selectOption("#wallet-schema", { label: "KYC Attestation" });
      await page.check('#wallet-claims input[value="assuranceLevel"]');
      await page.click("#wallet-ask");
      await page.waitForSelector("#wallet-link[data-request]");
      const link = (await page.getAttribute("#wallet-link", "data-request")) ?? "";
      const png = PNG.sync.read(await page.locator("#wallet-qr svg").screenshot());
      const scanned = jsqr.default(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
      expect(scanned, "the QR code carries the request link").to.equal(link);
      expect(link).to.match(/^openid4vp:\/\/\?client_id=x509_san_dns%3Alocalhost&request_uri=https/);
      return link;
    };

    const page = await verifierPage();
    const link = await ask(page);
    expect(await page.textContent("#wallet-status")).to.include("Waiting for the wallet's answer");
    const sent = await answerRequest(link, tls, { key, sdJwt }, ["assuranceLevel"]);
    expect(sent, JSON.stringify(sent)).to.have.property("result");
    // The verdict appears without a reload, as soon as the server has it.
    await page.waitForSelector('#summary[data-done] ~ #results article[data-outcome="valid"]');
    const { summary, cards } = await verified(page);
    expect(summary).to.equal("The wallet's answer: 1 valid, 0 invalid, 0 undecided (checked by the server)");
    expect(cards[0]?.checks.holder?.state).to.equal("passed");
    expect(cards[0]?.checks.holder?.detail).to.include(`presented by its holder ${holder}`);
    expect(cards[0]?.checks.signature?.state).to.equal("passed");
    expect(cards[0]?.fields).to.deep.include({
      Holder: holder,
      "Assurance level": "high",
      Disclosed: "1 field(s) only",
    });
    expect(cards[0]?.fields).to.not.have.property("Verified on");
    await page.screenshot({ path: join(shots, "verifier-wallet.png"), fullPage: true });

    // An answer disclosing more than asked is refused, and the page says why; this one asked for encryption.
    await page.check("#wallet-encrypted");
    const greedy = await answerRequest(await ask(page), tls, { key, sdJwt }, ["assuranceLevel", "verifiedOn"]);
    expect("refused" in greedy ? greedy.refused : "accepted").to.match(/^400 invalid_request: /);
    await page.waitForSelector('#summary[data-done] ~ #results article[data-outcome="invalid"]');
    const refused = await verified(page);
    expect(refused.cards[0]?.reason).to.equal(
      "the answer was refused: the presentation discloses verifiedOn, which was not asked for (asked: assuranceLevel)",
    );
    await page.close();
  });

  /** Reads the QR code on a page (a screenshot of its SVG, decoded by jsQR) as a phone's camera would. */
  async function scanQr(page: Page): Promise<string> {
    const png = PNG.sync.read(await page.locator("svg").first().screenshot());
    const code = jsqr.default(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(code, "no QR code could be read on the certificate").to.not.equal(null);
    return code?.data ?? "";
  }

  it("prints a certificate whose QR code opens the verifier with the credential, or names its hash", async function () {
    // A credential anchored on its own: the QR code carries it.
    const html = join(work, "certificate.html");
    const rendered = await ok(["render", files.single, "--out", html, "--verifier", `${server.url}/`]);
    expect(rendered.stdout).to.match(
      new RegExp(`^certificate written to ${html}; its QR code carries the credential \\(a link of \\d+ characters`),
    );
    const page = await (
      await browser.newContext({ viewport: { width: 900, height: 1200 }, deviceScaleFactor: 2 })
    ).newPage();
    await page.goto(`file://${html}`);
    expect(await page.textContent("h1")).to.equal("Academic Diploma");
    expect(await page.textContent("main")).to.include("issued by University in Australia (AU) (did:ethr:");
    expect(await page.textContent("main")).to.include("Ella Brown");
    expect(await seriousViolations(page)).to.deep.equal([]);
    await page.screenshot({ path: join(shots, "certificate.png"), fullPage: true });
    const link = await scanQr(page);
    expect(link.startsWith(`${server.url}/#vc=ey`), link.slice(0, 80)).to.equal(true);
    await page.goto(link);
    const scanned = await verified(page);
    expect(scanned.cards.map((c) => c.outcome)).to.deep.equal(["valid"]);
    expect(scanned.cards[0]?.fields.Name).to.equal("Ella Brown");

    // A batch member's file (its Merkle proof with it) is packed, compressed and written in base32 in the code's
    // alphanumeric mode: scanning it gives the member's verdict without the file.
    const fromBatch = join(work, "member.html");
    const member = await ok(["render", files.valid, "--out", fromBatch, "--verifier", `${server.url}/`]);
    expect(member.stdout).to.match(/its QR code carries the credential \(a link of \d+ characters/);
    await page.goto(`file://${fromBatch}`);
    const memberLink = await scanQr(page);
    expect(memberLink).to.match(new RegExp(`^${server.url}/#z=[A-Z2-7]+$`));
    await page.goto(memberLink);
    const member2 = await verified(page);
    expect(member2.cards.map((c) => c.outcome)).to.deep.equal(["valid"]);
    expect(member2.cards[0]?.fields.Name).to.equal("Ava Nguyen");

    // A link that names a credential by its hash: another credential dropped against it is a red mismatch.
    const { hash } = JSON.parse(await readFile(files.valid, "utf8")) as CredentialFile;
    await page.goto(`${server.url}/#hash=${hash}`);
    expect(await page.textContent("#expected")).to.include(`names the credential with hash ${hash}: drop the`);
    await page.waitForFunction('!document.getElementById("connection").textContent.startsWith("Connecting")');
    await drop(page, [files.single, files.valid]);
    const matched = await verified(page);
    expect(matched.summary).to.match(/; one is the credential the certificate names$/);
    expect(matched.cards.map((c) => c.outcome)).to.deep.equal(["mismatch", "valid"]);
    expect(matched.cards[0]?.title).to.match(/^✗ MISMATCH /);
    expect(matched.cards[0]?.reason).to.match(
      new RegExp(
        `^This is not the credential the certificate you scanned names: its hash is 0x[0-9a-f]{64}, the certificate names ${hash}\\.`,
      ),
    );
    await page.context().close();

    // PDF: one A4 page; a name in a script the PDF's standard fonts lack is refused by name (HTML prints it).
    const pdf = join(work, "certificate.pdf");
    expect((await ok(["render", files.single, "--out", pdf])).stdout).to.match(/^certificate written to .*\.pdf; /);
    const document = await PDFDocument.load(await readFile(pdf));
    expect(document.getPageCount()).to.equal(1);
    expect(document.getTitle()).to.equal("Academic Diploma");
    expect(document.getPage(0).getSize()).to.deep.equal({ width: 595.28, height: 841.89 });
    const [japanese = ""] = await diplomas(
      "japanese",
      [`${holderDid("web-8")},山田 花子,S8,Bachelor of Arts,Japanese,2026-06-30,`],
      ["--single"],
    );
    const refused = await ccr(["render", japanese, "--out", join(work, "japanese.pdf")]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.equal(
      `ccr: field Name "山田 花子" has characters the PDF's standard fonts cannot show: render it as HTML ` +
        `(--out <file>.html), which a browser prints in any script\n`,
    );
    await ok(["render", japanese, "--out", join(work, "japanese.html")]);
    expect(await readFile(join(work, "japanese.html"), "utf8")).to.include("<td>山田 花子</td>");
    const wrong = await ccr(["render", files.single, "--out", join(work, "certificate.png")]);
    expect(wrong.stderr).to.include("--out " + join(work, "certificate.png") + ": name a .pdf or an .html file");

    // A revoked credential is not printed as a clean certificate: refused, or with --force printed with its verdict.
    const revokedOut = join(work, "revoked.html");
    const revoked = await ccr(["render", files.revoked, "--out", revokedOut]);
    expect(revoked.code).to.equal(1);
    expect(revoked.stderr).to.match(
      new RegExp(
        `^ccr: ${files.revoked.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is INVALID now: revoked on \\S+ \\(reason: affiliationChanged\\)\\. A certificate ` +
          "would show its claims as facts, so none was written; --force writes one with this verdict printed on it\n$",
      ),
    );
    expect(existsSync(revokedOut)).to.equal(false);
    await ok(["render", files.revoked, "--out", revokedOut, "--force"]);
    const forced = await readFile(revokedOut, "utf8");
    expect(forced).to.match(
      /<p class="verdict" role="alert">NOT VALID: INVALID when this was printed \([^)]+\): revoked on /,
    );
    expect(forced).to.include("<caption>Unverified claims</caption>");
    const forcedPdf = join(work, "revoked.pdf");
    await ok(["render", files.revoked, "--out", forcedPdf, "--force"]);
    expect((await readFile(forcedPdf)).length).to.be.greaterThan(1000);
    const offline = await ccr(["render", files.single, "--out", join(work, "offline.html"), "--offline"]);
    expect(offline.code).to.equal(2);
    expect(offline.stderr).to.include("is UNDECIDED now: not checked: --offline reads nothing from the chain. A");
  });

  /** axe's serious and critical violations on the page as it is now. */
  async function seriousViolations(page: Page): Promise<string[]> {
    const { violations } = await new AxeBuilder({ page }).analyze();
    return violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  }

  it("works on a phone: no horizontal overflow at 390 px and no serious accessibility violations", async function () {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const overflow = (page: Page): Promise<number> =>
      page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    const phone = await context.newPage();
    await phone.goto(server.url);
    await phone.waitForFunction('!document.getElementById("connection").textContent.startsWith("Connecting")');
    await drop(phone, [files.valid, files.revoked, files.tampered, files.future, files.single].map(String));
    await verified(phone);
    expect(await overflow(phone), "the verifier is wider than the phone").to.equal(0);
    expect(await seriousViolations(phone)).to.deep.equal([]);
    await phone.screenshot({ path: join(shots, "verifier-phone.png"), fullPage: true });

    await phone.goto(`${server.url}/explorer.html`);
    await phone.waitForSelector("#status[data-done]");
    expect(await overflow(phone), "the explorer is wider than the phone").to.equal(0);
    expect(await seriousViolations(phone)).to.deep.equal([]);

    const certificate = join(work, "phone-certificate.html");
    await ok(["render", files.single, "--out", certificate, "--verifier", `${server.url}/`]);
    await phone.goto(`file://${certificate}`);
    expect(await overflow(phone), "the certificate is wider than the phone").to.equal(0);
    expect(await seriousViolations(phone)).to.deep.equal([]);
    await context.close();
  });

  it("has no serious accessibility violations", async function () {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction('!document.getElementById("connection").textContent.startsWith("Connecting")');
    await drop(page, [files.valid, files.revoked]);
    await verified(page);
    expect(await seriousViolations(page)).to.deep.equal([]);
    await context.close();
  });

  /** Opens one of the server's pages and waits until its #status says it is done (`done` more times than `after`). */
  async function opened(path: string): Promise<Page> {
    // A context of its own: axe opens pages in it. Closing the page's context closes both.
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${server.url}/${path}`);
    await page.waitForSelector("#status[data-done]");
    expect(errors, "errors in the page").to.deep.equal([]);
    return page;
  }

  it("explores the framework by name; the recognition matrix follows a withdrawal; items link to their timelines", async function () {
    const page = await opened("explorer.html");
    const issuers = (await page.textContent("#issuers")) ?? "";
    expect(issuers).to.include("University in Australia");
    expect(issuers).to.include("ACTIVE");
    expect((await page.textContent("#economies")) ?? "").to.include("Japan (JP)");
    await page.selectOption("#matrix-schema", { label: "APEC CBPR Certification" });
    expect(await page.locator('[data-recognition="JP>SG"]').count()).to.equal(1);
    expect(await page.locator('[data-recognition="SG>JP"]').count()).to.equal(1);
    expect(await seriousViolations(page)).to.deep.equal([]);
    await page.screenshot({ path: join(shots, "explorer.png"), fullPage: true });

    await ok(["--as", "authority-jp", "framework", "withdraw-recognition", "SG", "--schema", "cbpr"]);
    await page.reload();
    await page.waitForSelector("#status[data-done]");
    await page.selectOption("#matrix-schema", { label: "APEC CBPR Certification" });
    expect(await page.locator('[data-recognition="JP>SG"]').count()).to.equal(0);
    expect(await page.locator('[data-recognition-none="JP>SG"]').count()).to.equal(1);
    // Recognition is one economy's decision: Singapore still recognises Japan.
    expect(await page.locator('[data-recognition="SG>JP"]').count()).to.equal(1);

    // Schemas link to their timelines too.
    expect(await page.getAttribute("#schemas a >> text=Academic Diploma", "href")).to.equal(
      "./timeline.html?subject=schema%3A2",
    );
    // The issuer's name links to its timeline, read from the audit index with names.
    await Promise.all([
      page.waitForURL(/timeline\.html\?subject=0x/),
      page.click("#issuers a >> text=University in Australia"),
    ]);
    await page.waitForSelector("#status[data-done]");
    const university = deployment.accounts["au-university"]?.address ?? "";
    expect(await page.textContent("h1")).to.equal(`Timeline of ${university}`);
    const entries = (await page.textContent("#entries")) ?? "";
    expect(entries).to.match(/named "University in Australia"/);
    expect(entries).to.include("issuer University in Australia (AU) (0x");
    expect(entries).to.match(/accepted accreditation in AU for schemas 2, /);
    expect(await seriousViolations(page)).to.deep.equal([]);
    await page.context().close();
  });

  it("charts the audit index with the report's numbers, follows new activity and filters, and runs a check", async function () {
    // What the tests before this one did is in the index once it syncs.
    const sync = async (): Promise<void> => {
      const headers = { "content-type": "application/json" };
      expect((await fetch(`${server.url}/api/audit/sync`, { method: "POST", headers })).status).to.equal(200);
    };
    // What another site's page can send (a simple cross-origin POST) does not make the server sync or check.
    for (const path of ["/api/audit/sync", "/api/audit/check"]) {
      const simple = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "text/plain", origin: "https://elsewhere.example" },
        body: "x".repeat(1024),
      });
      expect(simple.status, path).to.equal(403);
      const foreign = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "https://elsewhere.example" },
      });
      expect(foreign.status, path).to.equal(403);
    }
    await sync();
    const page = await opened("dashboard.html");
    const totals = async (): Promise<number[]> =>
      ((await page.textContent("#totals")) ?? "").match(/\d+/g)?.map(Number) ?? [];
    const [issued = 0, revoked = 0] = await totals();
    expect(issued).to.be.greaterThan(15);
    // Four charts, each drawn (SVG) with its legend, axes and values.
    for (const id of ["over-time", "by-economy", "by-issuer", "by-schema"]) {
      const text = await page.locator(`#chart-${id} svg text`).allTextContents();
      expect(text, id).to.include.members(["Issued", "Revoked", "Suspended"]);
    }
    expect(await page.locator("#chart-by-economy svg text").allTextContents()).to.include("Australia (AU)");
    const issuerLabels = await page.locator("#chart-by-issuer svg text").allTextContents();
    expect(
      issuerLabels.some((l) => l.startsWith("University in Australia")),
      issuerLabels.join(" | "),
    ).to.equal(true);
    expect(await seriousViolations(page)).to.deep.equal([]);

    // New activity: two diplomas issued, one revoked; the index syncs and the charts follow.
    const fresh = await diplomas("dashboard", [
      `${holderDid("web-6")},Finn Lee,S6,Bachelor of Science,Biology,2026-06-30,`,
      `${holderDid("web-7")},Gia Kim,S7,Bachelor of Arts,Music,2026-06-30,`,
    ]);
    await ok(["--as", "au-university", "revoke", fresh[0] ?? "", "--reason", "superseded"]);
    await sync();
    await page.click("#filters button[type=submit]");
    await page.waitForSelector('#status[data-done="2"]');
    expect((await totals()).slice(0, 2)).to.deep.equal([issued + 2, revoked + 1]);

    // Filters: one issuer; the by-issuer chart has only its bar.
    const university = deployment.accounts["au-university"]?.address ?? "";
    await page.selectOption("#filters select[name=issuer]", university);
    await page.click("#filters button[type=submit]");
    await page.waitForSelector('#status[data-done="3"]');
    const report = (await (await fetch(`${server.url}/api/audit/report?issuer=${university}`)).json()) as {
      totals: { issued: number };
    };
    expect((await totals())[0]).to.equal(report.totals.issued);
    const labels = await page.locator("#chart-by-issuer svg text").allTextContents();
    expect(
      labels.some((l) => l.startsWith("University in Australia")),
      labels.join(" | "),
    ).to.equal(true);
    expect(
      labels.some((l) => l.startsWith("Bank in Canada")),
      labels.join(" | "),
    ).to.equal(false);
    await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });

    // The last audit check: none yet, then run from the page.
    expect(await page.textContent("#check")).to.match(/has not been checked yet/);
    await page.click("#run-check");
    await page.waitForSelector("#check.consistent", { timeout: 120_000 });
    expect(await page.textContent("#check")).to.match(
      /^Consistent: the registry's state follows from its event history/,
    );
    await page.context().close();
  });

  // Last: it cuts the chain for good.
  it("says UNDECIDED, never INVALID, when the chain stops answering mid-session", async function () {
    const page = await verifierPage();
    await drop(page, [files.valid]);
    expect((await verified(page)).cards[0]?.outcome).to.equal("valid");
    chain.cut();
    await page.evaluate('document.getElementById("summary").removeAttribute("data-done")');
    await drop(page, [files.valid, files.revoked]);
    const { summary, cards } = await verified(page);
    expect(summary).to.match(/^2 credentials: 0 valid, 0 invalid, 2 undecided/);
    for (const card of cards) {
      expect(card.title).to.match(/^\? UNDECIDED /);
      expect(card.reason).to.match(/could not|cannot be reached|did not answer|RPC/i);
      expect(Object.values(card.checks).map((c) => c.state)).to.not.include("failed");
    }
    await page.screenshot({ path: join(shots, "verifier-undecided.png"), fullPage: true });
    await page.close();
  });
});
