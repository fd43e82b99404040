/** `ccr show` (what a credential file says) and `ccr render` (a printable certificate with a QR code). */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, extname } from "node:path";
import type { Command } from "commander";
import { locateDeployment, readDeployment } from "../../src/deployment.ts";
import { ethrDidAddress } from "../../src/did.ts";
import { CCRError } from "../../src/errors.ts";
import { NameBook } from "../../src/names.ts";
import { readCredentialFile } from "../../src/vc/file.ts";
import {
  certificateHtml,
  certificateOf,
  certificatePdf,
  verifierLink,
  type CertificateLabels,
  type CertificateVerdict,
} from "../../src/vc/render.ts";
import { listSchemas } from "../../src/framework.ts";
import { resolveSchemaDocument } from "../../src/schemaResolver.ts";
import { fieldTitles } from "../../src/schemaDocument.ts";
import { ethrDidResolver } from "../../src/did.ts";
import type { Outcome } from "../../src/vc/verify.ts";
import { verifyCredentials } from "../../src/vc/verifyFiles.ts";
import { describeCredential, formatCredential, type IssuerNameLookup } from "../../src/vc/show.ts";
import type { CommandModule, Cli } from "../context.ts";

/** The issuer's name from the deployment's names contract, when the credential names the deployment's registry. */
const issuerNameOnChain =
  (cli: Cli): IssuerNameLookup =>
  async (issuer, status) => {
    const file = locateDeployment(cli.globals().deployment);
    if (file === undefined) return { unknown: "not looked up: no deployment file" };
    const deployment = await readDeployment(file);
    if (
      deployment.chainId !== status.chainId ||
      deployment.registry.address.toLowerCase() !== status.registry.toLowerCase()
    ) {
      return { unknown: `not looked up: the credential names another registry than the deployment file's` };
    }
    const address = ethrDidAddress(issuer);
    if (address === undefined) return { unknown: "unknown: the issuer is not a did:ethr" };
    try {
      const { connection } = await cli.open(false);
      if (connection.names === undefined) return { unknown: "unknown: the framework has no names contract" };
      const profile = await new NameBook(connection).issuer(address);
      // A name is unique within its economy only: shown with it.
      return profile === undefined ? { unknown: "none recorded" } : { name: `${profile.name} (${profile.economy})` };
    } catch (error) {
      if (!(error instanceof CCRError)) throw error;
      return { unknown: `not looked up: ${error.message}` };
    }
  };

function showCommand(show: Command, cli: Cli): void {
  show
    .option("--json", "print JSON")
    .option("--offline", "do not look the issuer's name up on the deployment's chain")
    .action(async (file: string, options: { json?: boolean; offline?: boolean }) => {
      const summary = await describeCredential(file, options.offline === true ? undefined : issuerNameOnChain(cli));
      if (options.json === true) console.log(JSON.stringify(summary, null, 2));
      else for (const line of formatCredential(summary)) console.log(line);
    });
}

interface RenderOptions {
  out: string;
  verifier?: string;
  offline?: boolean;
  force?: boolean;
}

/**
 * The credential's verdict now, for a certificate: undefined when it is VALID; its verdict when it is not and --force
 * was given; "refused" (said, with the exit status `verify` would give) otherwise. A certificate never presents the
 * claims of a credential that is not valid as facts.
 */
async function renderVerdict(
  cli: Cli,
  file: string,
  options: RenderOptions,
  labelsOf: (schema: number) => void,
): Promise<CertificateVerdict | undefined | "refused"> {
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  let result: { outcome: Outcome; reason: string };
  if (options.offline === true) {
    result = { outcome: "undecided", reason: "not checked: --offline reads nothing from the chain" };
  } else {
    const { connection } = await cli.open(false);
    const { didRegistry } = connection.deployment;
    const resolver = ethrDidResolver(connection.chainId, didRegistry.address, connection.provider);
    const [verified] = await verifyCredentials([file], { connection, resolver, names: new NameBook(connection) });
    result = verified ?? { outcome: "undecided", reason: "not verified" };
    if (verified?.verdict !== undefined) labelsOf(verified.verdict.schema);
  }
  if (result.outcome === "valid") return undefined;
  const verdict = { outcome: result.outcome, reason: result.reason, at };
  if (options.force === true) return verdict;
  console.error(
    `ccr: ${file} is ${result.outcome.toUpperCase()} now: ${result.reason}. A certificate would show its claims as ` +
      "facts, so none was written; --force writes one with this verdict printed on it",
  );
  process.exitCode = result.outcome === "invalid" ? 1 : 2;
  return "refused";
}

/** The deployment file's verifier address, when there is a deployment file that names one. */
async function deploymentVerifier(cli: Cli): Promise<string | undefined> {
  try {
    return (await readDeployment(cli.deploymentFile())).verifierUrl;
  } catch {
    return undefined;
  }
}

/** The registered schema's name and its document's field titles, for the certificate's headings; none when unknown. */
async function certificateLabels(cli: Cli, schema: number | undefined): Promise<CertificateLabels | undefined> {
  if (schema === undefined) return undefined;
  const { connection } = await cli.open(false);
  const info = (await listSchemas(connection)).find((s) => s.id === schema);
  if (info === undefined) return undefined;
  const document = await resolveSchemaDocument(info, cli.schemaSources()).catch(() => undefined);
  return { name: info.name, fields: document === undefined ? {} : fieldTitles(document.schema) };
}

function renderCommand(render: Command, cli: Cli): void {
  render
    .requiredOption("--out <file>", "the certificate to write: <name>.pdf or <name>.html")
    .option(
      "--verifier <url>",
      "the web verifier the QR code opens (ccr serve's address; default $CCR_VERIFIER_URL, else the deployment's " +
        "verifierUrl (the devnet writes where it serves its pages), else http://127.0.0.1:8787/)",
    )
    .option("--offline", "do not look the issuer's name up on the deployment's chain")
    .option("--force", "render a credential that is not VALID now, with its verdict and reason printed on it")
    .action(async (file: string, options: RenderOptions) => {
      const format = extname(options.out).toLowerCase();
      if (format !== ".pdf" && format !== ".html") {
        throw new CCRError("INVALID_ARGUMENT", `--out ${options.out}: name a .pdf or an .html file`);
      }
      const verifier =
        options.verifier ?? process.env.CCR_VERIFIER_URL ?? (await deploymentVerifier(cli)) ?? "http://127.0.0.1:8787/";
      if (!/^https?:\/\//.test(verifier)) {
        throw new CCRError("INVALID_ARGUMENT", `--verifier ${verifier} is not an http(s) address`);
      }
      const summary = await describeCredential(file, options.offline === true ? undefined : issuerNameOnChain(cli));
      const link = verifierLink(verifier, await readCredentialFile(file), summary.hash);
      let schemaId: number | undefined;
      const verdict = await renderVerdict(cli, file, options, (id) => (schemaId = id));
      if (verdict === "refused") return;
      const certificate = certificateOf(summary, link, verdict, await certificateLabels(cli, schemaId));
      const content = format === ".pdf" ? await certificatePdf(certificate) : certificateHtml(certificate);
      await mkdir(dirname(options.out), { recursive: true });
      await writeFile(options.out, content);
      console.log(
        `certificate written to ${options.out}; its QR code ` +
          (link.carries === "credential"
            ? `carries the credential (a link of ${link.url.length} characters to ${verifier})`
            : `names the credential's hash only (the credential is too long for a QR code): the reader drops the file on ${verifier}`),
      );
    });
}

export const commands: CommandModule = { show: showCommand, render: renderCommand };
