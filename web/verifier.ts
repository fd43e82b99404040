/**
 * The verifier page: credentials dropped, chosen, pasted or carried in the link's fragment are checked in the browser
 * by the SDK's own verification (`verifyReads`, `verifyPresentation`) against the chain, through `ccr serve`'s
 * read-only relay. Nothing the user gives is sent anywhere but to the chain's view calls.
 */
import { getAddress } from "ethers";
import { fromBase64urlText } from "../src/bytes.ts";
import { ethrDidAddress } from "../src/did.ts";
import { checkLines, type CheckState } from "../src/vc/checks.ts";
import { decodeCredential, type Credential } from "../src/vc/credential.ts";
import { parseCredentialFile, type ReadCredential } from "../src/vc/credentialFile.ts";
import { fromBase32, unpackCredential } from "../src/vc/qrPayload.ts";
import { SD_JWT_PRESENTATION_FORMAT, presentedCredentials, verifyPresentation } from "../src/vc/presentation.ts";
import { verifyReads, type Outcome, type UnreadCredential, type VerificationResult } from "../src/vc/verify.ts";
import type { SchemaLabels } from "../src/server/schemaLabels.ts";
import type { RequestResult } from "../src/verifier/service.ts";
import { connect, type Registry } from "./connect.ts";
import { escape } from "./html.ts";
import { setUpWalletRequests } from "./walletRequest.ts";

/** Something to verify: a file's name (or where it came from) and its text. */
interface Input {
  name: string;
  text: string;
}

/** One verified credential with what the page shows of it. */
interface Shown {
  result: VerificationResult;
  credential?: Credential | undefined;
  /** The presentation it came in, if any: its own outcome and reason. */
  presentation?: { outcome: Outcome; reason: string; holder?: string | undefined } | undefined;
}

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
};

const connectionLine = element<HTMLParagraphElement>("connection");
const economySelect = element<HTMLSelectElement>("economy");
const summary = element<HTMLParagraphElement>("summary");
const results = element<HTMLDivElement>("results");

let registry: Promise<Registry> = open();
void registry.then(
  () =>
    setUpWalletRequests(
      { economy: () => (economySelect.value === "" ? undefined : economySelect.value), show: showAnswer },
      () => [...schemaLabels.values()],
    ),
  () => undefined,
);
let last: Input[] = [];
let runs = 0;

/** Connects (again); says on the page whether the registry answers. */
function open(): Promise<Registry> {
  // The schemas' titles come with the connection: no credential is shown before the page can name its fields.
  const opening = connect().then(async (registry) => {
    await fillSchemaLabels();
    return registry;
  });
  opening.then(
    async ({ connection }) => {
      connectionLine.classList.remove("down");
      connectionLine.textContent = `Registry ${connection.deployment.registry.address} on chain ${connection.chainId}.`;
      await fillEconomies();
    },
    (error: unknown) => {
      connectionLine.classList.add("down");
      connectionLine.textContent = `The registry cannot be reached (${message(error)}): results will be UNDECIDED.`;
    },
  );
  return opening;
}

/** Registered schemas' names and field titles (`/api/schemas`), by schema id. */
const schemaLabels = new Map<number, SchemaLabels>();

async function fillSchemaLabels(): Promise<void> {
  const answer = await fetch("./api/schemas").catch(() => undefined);
  if (answer?.ok !== true) return;
  for (const schema of ((await answer.json()) as { schemas: SchemaLabels[] }).schemas)
    schemaLabels.set(schema.id, schema);
}

async function fillEconomies(): Promise<void> {
  if (economySelect.options.length > 1) return;
  const answer = await fetch("./metadata");
  if (!answer.ok) return;
  const metadata = (await answer.json()) as { economies: { id: string; name?: string; member: boolean }[] };
  for (const economy of metadata.economies.filter((e) => e.member)) {
    const option = document.createElement("option");
    option.value = economy.id;
    option.textContent = `${economy.name ?? economy.id} (${economy.id})`;
    economySelect.append(option);
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Whether `text` is a presentation (a vp+jwt, or the SD-JWT presentation file `ccr present` writes). */
function isPresentation(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      return (JSON.parse(trimmed) as { format?: unknown }).format === SD_JWT_PRESENTATION_FORMAT;
    } catch {
      return false;
    }
  }
  if (trimmed.includes("~")) return false;
  try {
    return (JSON.parse(fromBase64urlText(trimmed.split(".")[0] ?? "")) as { typ?: unknown }).typ === "vp+jwt";
  } catch {
    return false;
  }
}

/** Verifies every input; an unreachable registry makes each UNDECIDED, never INVALID. */
async function verify(inputs: Input[]): Promise<void> {
  last = inputs;
  if (inputs.length === 0) return;
  // Only the latest request is shown: an earlier one still under way (another file, a changed nonce) is dropped.
  const mine = ++runs;
  delete summary.dataset.done;
  summary.textContent = `Verifying ${inputs.length} ${inputs.length === 1 ? "credential" : "credentials"}…`;
  results.replaceChildren();
  const started = performance.now();
  let shown: Shown[];
  try {
    shown = await verifyAll(inputs, await connected());
  } catch (error) {
    shown = inputs.map((input) => ({
      result: {
        file: input.name,
        outcome: "undecided",
        reason: `could not be checked: the registry cannot be reached (${message(error)})`,
      },
    }));
  }
  if (mine !== runs) return;
  await render(shown);
  if (mine !== runs) return;
  const counts = { valid: 0, invalid: 0, undecided: 0 };
  for (const s of shown) counts[worst(s)]++;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  summary.textContent =
    `${shown.length} ${shown.length === 1 ? "credential" : "credentials"}: ${counts.valid} valid, ` +
    `${counts.invalid} invalid, ${counts.undecided} undecided (${seconds} s)${expectedMatch(shown)}`;
  summary.dataset.done = "true";
}

/** A wallet's answer to a request, shown as a verified credential is: the presentation's checks, then its own. */
async function showAnswer(answer: RequestResult): Promise<void> {
  const file = "the wallet's answer";
  let shown: Shown[];
  if (answer.state !== "answered") {
    shown = [{ result: { file, outcome: "undecided", reason: "no wallet answered before the request expired" } }];
  } else if (answer.verified === undefined) {
    const reason = `the answer was refused: ${answer.refused ?? "no reason given"}`;
    shown = [{ result: { file, outcome: "invalid", reason, check: "format" } }];
  } else {
    const { presentation, credentials } = answer.verified;
    shown = credentials.map((result) => ({ result, presentation, credential: answer.credential }));
  }
  last = [];
  runs++;
  await render(shown);
  const counts = { valid: 0, invalid: 0, undecided: 0 };
  for (const s of shown) counts[worst(s)]++;
  summary.textContent =
    `The wallet's answer: ${counts.valid} valid, ${counts.invalid} invalid, ${counts.undecided} undecided ` +
    "(checked by the server)";
  summary.dataset.done = "true";
}

/** The registry, reconnecting once if the page's connection failed earlier. */
async function connected(): Promise<Registry> {
  try {
    return await registry;
  } catch {
    registry = open();
    return registry;
  }
}

async function verifyAll(inputs: Input[], { connection, resolver, names }: Registry): Promise<Shown[]> {
  const economy = economySelect.value === "" ? undefined : economySelect.value;
  const options = { connection, resolver, names, ...(economy === undefined ? {} : { economy }) };
  const reads: (ReadCredential | UnreadCredential)[] = [];
  const presentations: Input[] = [];
  for (const input of inputs) {
    if (isPresentation(input.text)) {
      presentations.push(input);
      continue;
    }
    try {
      reads.push(parseCredentialFile(input.name, input.text));
    } catch (error) {
      reads.push({ file: input.name, problem: message(error) });
    }
  }
  const shown: Shown[] = (await verifyReads(reads, options)).map((result, i) => ({
    result,
    credential: decoded(reads[i]),
  }));
  const audience = element<HTMLInputElement>("audience").value.trim();
  const nonce = element<HTMLInputElement>("nonce").value.trim();
  for (const input of presentations) {
    if (audience === "" || nonce === "") {
      shown.push({
        result: {
          file: input.name,
          outcome: "undecided",
          reason:
            "a presentation: enter the audience (who you are) and the nonce you gave the holder below; it is " +
            "verified as soon as both are there",
          check: "format",
        },
      });
      continue;
    }
    try {
      const { presentation, credentials } = await verifyPresentation(
        input.name,
        input.text,
        { resolver, audience, nonce },
        options,
      );
      const presented = new Map(presentedCredentials(input.name, input.text).map((read) => [read.file, read]));
      for (const result of credentials)
        shown.push({ result, presentation, credential: decoded(presented.get(result.file)) });
    } catch (error) {
      shown.push({ result: { file: input.name, outcome: "undecided", reason: message(error), check: "format" } });
    }
  }
  return shown;
}

function decoded(read: ReadCredential | UnreadCredential | undefined): Credential | undefined {
  if (read === undefined || !("jws" in read)) return undefined;
  try {
    return decodeCredential(read.jws).credential;
  } catch {
    return undefined;
  }
}

/** Whether a scanned certificate names another credential than this one (`#hash=`). */
const mismatched = ({ result }: Shown): boolean =>
  expectedHash !== undefined && result.hash?.toLowerCase() !== expectedHash;

/** A credential's outcome with its presentation's: the worse of the two; not the certificate's credential: invalid. */
function worst(item: Shown): Outcome {
  const { result, presentation } = item;
  if (mismatched(item)) return "invalid";
  const outcomes = [result.outcome, presentation?.outcome ?? "valid"];
  return outcomes.includes("invalid") ? "invalid" : outcomes.includes("undecided") ? "undecided" : "valid";
}

const BADGE: Record<Outcome, string> = { valid: "✓ VALID", invalid: "✗ INVALID", undecided: "? UNDECIDED" };
const STATE: Record<CheckState, string> = {
  passed: "✓ passed",
  failed: "✗ failed",
  undecided: "? not known",
  skipped: "– not checked",
};

async function render(shown: Shown[]): Promise<void> {
  const { names } = await registry.catch(() => ({ names: undefined }));
  const economy = economySelect.value === "" ? undefined : economySelect.value;
  const cards: string[] = [];
  const rows: string[] = [];
  for (const [i, item] of shown.entries()) {
    const { result, credential, presentation } = item;
    const outcome = worst(item);
    const issuerAddress = result.issuer === undefined ? undefined : ethrDidAddress(result.issuer);
    const profile =
      issuerAddress === undefined ? undefined : await names?.issuer(getAddress(issuerAddress)).catch(() => undefined);
    // A name is unique within its economy only: it is always shown with it.
    const issuerName = profile === undefined ? undefined : `${profile.name} (${profile.economy})`;
    const schema = result.verdict === undefined ? undefined : schemaLabels.get(result.verdict.schema);
    const typeName = schema?.name ?? result.type ?? "Credential";
    const title = `${typeName}${issuerName === undefined ? "" : ` from ${issuerName}`}`;
    const checks = checkLines(
      result,
      economy,
      new Date(),
      issuerName === undefined || issuerAddress === undefined
        ? undefined
        : `${issuerName}, ${getAddress(issuerAddress)}`,
    );
    if (presentation !== undefined) {
      checks.unshift({
        name: "holder",
        title: "Presented by its holder",
        state:
          presentation.outcome === "valid" ? "passed" : presentation.outcome === "invalid" ? "failed" : "undecided",
        detail: presentation.reason,
      });
    }
    const mismatch = mismatched(item);
    const reason = mismatch
      ? `This is not the credential the certificate you scanned names: its hash is ${result.hash ?? "unknown"}, ` +
        `the certificate names ${expectedHash ?? ""}. ${result.reason}`
      : presentation !== undefined && presentation.outcome !== "valid"
        ? presentation.reason
        : result.reason;
    const badge = mismatch ? "✗ MISMATCH" : BADGE[outcome];
    rows.push(
      `<tr data-outcome="${mismatch ? "mismatch" : outcome}"><td><a href="#r${i}" class="badge ${outcome}">${badge}</a></td>` +
        `<td>${escape(title)}</td><td>${escape(reason)}</td></tr>`,
    );
    cards.push(`<article class="result ${outcome}" data-outcome="${mismatch ? "mismatch" : outcome}" aria-labelledby="r${i}">
  <h2 id="r${i}"><span class="badge ${outcome}">${badge}</span> <span>${escape(title)}</span></h2>
  <p class="reason">${escape(reason)}</p>
  <p class="file">${escape(result.file)}</p>
  <ol class="checks" aria-label="Checks">${checks
    .map(
      (c) =>
        `<li data-check="${c.name}" data-state="${c.state}"><span class="state ${c.state}">${STATE[c.state]}</span><span>${escape(c.title)}</span><span>${escape(c.detail)}</span></li>`,
    )
    .join("")}</ol>
  ${fields(result, credential, issuerName, outcome === "valid", schema)}
  ${outcome === "valid" ? `<div class="actions"><button type="button" data-print="${i}">Print this credential</button></div>` : ""}
</article>`);
  }
  // Many credentials: a compact list first (one line each, linking to its card), then the cards.
  const compact =
    shown.length > 3
      ? `<div class="scroll"><table class="compact"><caption>At a glance</caption><thead><tr><th scope="col">Verdict</th>` +
        `<th scope="col">Credential</th><th scope="col">Why</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`
      : "";
  results.innerHTML = compact + cards.join("\n");
}

/** The credential, readably: issuer, holder, type, validity, and its subject's fields (an SD-JWT's disclosed ones). */
function fields(
  result: VerificationResult,
  credential: Credential | undefined,
  issuerName: string | undefined,
  valid: boolean,
  schema: SchemaLabels | undefined,
): string {
  if (credential === undefined) return "";
  const rows: [string, string][] = [
    ["Issuer", issuerName === undefined ? credential.issuer : `${issuerName}, ${credential.issuer}`],
    ["Type", schema?.name ?? result.type ?? credential.type.join(", ")],
  ];
  const { id: holder, ...subject } = credential.credentialSubject;
  rows.push(["Holder", typeof holder === "string" ? holder : "not bound to a holder"]);
  rows.push(["Valid from", credential.validFrom]);
  if (credential.validUntil !== undefined) rows.push(["Valid until", credential.validUntil]);
  const shown = result.disclosed ?? subject;
  for (const [field, value] of Object.entries(shown)) {
    // The field's title from the schema document, where it has one; the raw key stays on hover.
    rows.push([schema?.fields[field] ?? field, typeof value === "string" ? value : JSON.stringify(value)]);
  }
  if (result.disclosed !== undefined) rows.push(["Disclosed", `${Object.keys(result.disclosed).length} field(s) only`]);
  const list = rows.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join("");
  if (valid) return `<dl class="fields">${list}</dl>`;
  // What an invalid or undecided credential says is not a fact: shown apart, struck through, under a warning.
  return (
    `<section class="unverified" aria-label="Unverified claims"><p class="unverified-note">Unverified claims of a ` +
    `credential that is not valid: do not rely on them.</p><dl class="fields">${list}</dl></section>`
  );
}

// ------------------------------------------------------------------------------------------------ inputs

async function readFiles(files: FileList | null): Promise<void> {
  if (files === null || files.length === 0) return;
  await verify(await Promise.all([...files].map(async (file) => ({ name: file.name, text: await file.text() }))));
}

const drop = element<HTMLDivElement>("drop");
const picker = element<HTMLInputElement>("files");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  void readFiles(event.dataTransfer?.files ?? null);
});
picker.addEventListener("change", () => {
  void readFiles(picker.files).finally(() => {
    // Choosing the same file again is a new request to verify it.
    picker.value = "";
  });
});
for (const id of ["audience", "nonce"]) {
  element<HTMLInputElement>(id).addEventListener("change", () => {
    if (last.some((input) => isPresentation(input.text))) void verify(last);
  });
}
element<HTMLButtonElement>("verify-pasted").addEventListener("click", () => {
  const text = element<HTMLTextAreaElement>("pasted").value.trim();
  if (text !== "") void verify([{ name: "pasted credential", text }]);
});
economySelect.addEventListener("change", () => void verify(last));
results.addEventListener("click", (event) => {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button[data-print]");
  if (button === null) return;
  const card = button.closest("article");
  card?.classList.add("print-me");
  document.body.classList.add("printing");
  window.print();
  document.body.classList.remove("printing");
  card?.classList.remove("print-me");
});

/** The hash a printed certificate's link names (`#hash=`), when its credential was too long for the QR code. */
let expectedHash: string | undefined;

/** Whether the credentials verified include the one the certificate's link names. */
function expectedMatch(shown: Shown[]): string {
  if (expectedHash === undefined) return "";
  const matches = shown.some((s) => s.result.hash?.toLowerCase() === expectedHash);
  return matches
    ? "; one is the credential the certificate names"
    : "; none is the credential the certificate names (its hash differs)";
}

/** Shows what a `#hash=` link asks for: the file of the credential with that hash. */
function expectHash(hash: string): void {
  const notice = element<HTMLParagraphElement>("expected");
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) {
    notice.textContent = `The link names "${hash}", which is not a credential's hash.`;
  } else {
    expectedHash = hash.toLowerCase();
    notice.textContent =
      `The certificate you scanned names the credential with hash ${hash}: drop the credential file you ` +
      `received (or paste it) to verify it.`;
  }
  notice.hidden = false;
}

/** The credential a printed certificate's `#z=` link packs (`qrPayload.ts`): base32, DEFLATE, then the file. */
async function unpacked(z: string): Promise<string> {
  const stream = new Blob([new Uint8Array(fromBase32(z))]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return unpackCredential(new Uint8Array(await new Response(stream).arrayBuffer()));
}

/**
 * A credential in the link's fragment: `#vc=<JWS or SD-JWT>`, `#z=<packed credential file>` (a printed batch
 * member's, with its proof) or `#file=<base64url of a credential file>`.
 */
async function fromFragment(): Promise<Input | undefined> {
  const parameters = new URLSearchParams(location.hash.slice(1));
  const hash = parameters.get("hash");
  if (hash !== null) expectHash(hash);
  const compact = parameters.get("vc");
  if (compact !== null && compact !== "") return { name: "credential from the link", text: compact };
  const packed = parameters.get("z");
  if (packed !== null && packed !== "") {
    try {
      return { name: "credential from the certificate's code", text: await unpacked(packed) };
    } catch (error) {
      return {
        name: "credential from the certificate's code",
        text: `(the link's credential is damaged: ${message(error)})`,
      };
    }
  }
  const file = parameters.get("file");
  if (file === null || file === "") return undefined;
  try {
    return { name: "credential file from the link", text: fromBase64urlText(file) };
  } catch {
    return { name: "credential file from the link", text: "(the link's credential is not base64url)" };
  }
}

async function verifyLinked(): Promise<void> {
  const input = await fromFragment();
  if (input !== undefined) await verify([input]);
}

void verifyLinked();
window.addEventListener("hashchange", () => void verifyLinked());
