/** `ccr issue`: validate, sign, anchor and write credentials from a CSV or JSON file, resumably. */
import { Option, type Command } from "commander";
import { ethrDid, ethrDidResolver } from "../../src/did.ts";
import { resolveAddress } from "../../src/names.ts";
import { SIGNING_ALGS, type SigningAlg } from "../../src/vc/jwsAlg.ts";
import { credentialType } from "../../src/vc/credentialType.ts";
import { INPUT_ENCODINGS, formatProblem, readSubjects, type InputEncoding } from "../../src/vc/input.ts";
import {
  CREDENTIAL_FORMATS,
  DEFAULT_BATCH_SIZE,
  DEFAULT_IN_FLIGHT,
  issueCredentials,
  type CredentialFormat,
  type IssueProgress,
} from "../../src/vc/issue.ts";
import { signingKeyOf, type CommandModule, type Cli } from "../context.ts";
import { parseDate, parsePositive } from "../parse.ts";

interface IssueOptions {
  schema: string;
  encoding?: InputEncoding;
  input: string;
  out: string;
  issuer?: string;
  signingKeystore?: string;
  single?: boolean;
  skipInvalid?: boolean;
  batchSize?: number;
  inFlight?: number;
  validFrom?: Date;
  validUntil?: Date;
  statusUrl?: string;
  statusRegister?: string;
  format: CredentialFormat;
  alg?: SigningAlg;
}

/** `ccr issue`: the rows read and checked, issued by the engine with a progress bar, and what was done said. */
async function runIssue(options: IssueOptions, cli: Cli): Promise<void> {
  const { withSigner, progressBar, schemaSources, defaultStatusRegister } = cli;
  const { connection, wallet } = await withSigner();
  const type = await credentialType(connection, options.schema, schemaSources());
  const input = await readSubjects(options.input, type, options.encoding);
  const issuerAddress =
    options.issuer === undefined ? wallet.address : await resolveAddress(connection, options.issuer);
  const signer = await signingKeyOf(wallet, options.signingKeystore, options.alg);
  const bar = progressBar();
  // One bar: the files written, with how many are signed (groups are anchored and written as they are signed).
  let signedSoFar = 0;
  let written = 0;
  let started = false;
  const result = await issueCredentials({
    connection,
    anchorer: wallet,
    issuer: issuerAddress,
    signingKey: signer.privateKey,
    signingAlg: signer.alg,
    schema: type,
    input,
    outDir: options.out,
    validFrom: options.validFrom,
    validUntil: options.validUntil,
    batchSize: options.batchSize,
    single: options.single,
    inFlight: options.inFlight ?? DEFAULT_IN_FLIGHT,
    skipInvalid: options.skipInvalid === true,
    resolver: ethrDidResolver(connection.chainId, connection.deployment.didRegistry.address, connection.provider),
    statusRegister: {
      file: options.statusRegister ?? defaultStatusRegister(issuerAddress),
      baseUrl: options.statusUrl,
    },
    format: options.format,
    onProgress: (p: IssueProgress) => {
      if (p.phase === "anchor") return;
      if (p.phase === "sign") signedSoFar = p.done;
      else written = p.done;
      if (!started) bar?.start(p.total, 0, { phase: "" });
      started = true;
      bar?.update(written, { phase: `signed ${signedSoFar}, written` });
    },
  });
  bar?.stop();
  for (const problem of result.skipped) console.error(`skipped ${options.input} ${formatProblem(problem)}`);
  const anchors = result.batches.reduce((n, b) => n + b.transactions.length, 0);
  console.log(
    `${result.resumed ? "resumed: " : ""}issued ${result.issued} "${type.name}" credential(s) from ${ethrDid(connection.chainId, issuerAddress)} ` +
      `in ${anchors} anchor(s) (${result.sentNow} sent now), ${new Set(result.skipped.map((p) => p.row)).size} row(s) skipped; files and manifest in ${result.outDir}`,
  );
}

function issueCommand(issue: Command, cli: Cli): void {
  issue
    .requiredOption(
      "--schema <schema>",
      "the credential type: a registered schema's id, name or URI (its document gives the type and the fields)",
    )
    .requiredOption("--input <file>", "subjects: a .csv with a header of field names, or a .json array")
    .requiredOption("--out <dir>", "where the credential files, manifest and journal go")
    .option("--issuer <issuer>", "the issuer, when acting as its operator (name, address or did:ethr)")
    .option(
      "--signing-keystore <file>",
      `sign with this keystore (a signing key of the issuer's DID; $CCR_SIGNING_KEYSTORE_PASSWORD)`,
    )
    .addOption(
      new Option(
        "--alg <alg>",
        "the signature algorithm: ES256K (secp256k1, the DID's own curve) or ES256 (P-256, with a P-256 " +
          "--signing-keystore bound to the issuer's DID; default: the signing key's)",
      ).choices([...SIGNING_ALGS]),
    )
    .addOption(
      new Option(
        "--format <format>",
        "vc+jwt (a JWS of the W3C credential) or sd-jwt (SD-JWT VC, fields disclosed selectively)",
      )
        .choices([...CREDENTIAL_FORMATS])
        .default("vc+jwt"),
    )
    .option("--single", "anchor each credential on its own instead of in Merkle batches")
    .option("--skip-invalid", "issue the valid rows and report the bad ones")
    .addOption(
      new Option("--encoding <encoding>", "the input file's encoding, when it is not UTF-8").choices([
        ...INPUT_ENCODINGS,
      ]),
    )
    .option("--batch-size <n>", `credentials per Merkle batch (default: ${DEFAULT_BATCH_SIZE})`, parsePositive)
    .option(
      "--in-flight <n>",
      `anchoring transactions sent before the first is confirmed (default: ${DEFAULT_IN_FLIGHT})`,
      parsePositive,
    )
    .option("--valid-from <date>", "credentials valid from (default: now)", parseDate)
    .option("--valid-until <date>", "credentials valid until (default: no expiry)", parseDate)
    .option(
      "--status-url <url>",
      "where the issuer publishes its Bitstring Status Lists (fixed by its first run; see status-list publish)",
    )
    .option(
      "--status-register <file>",
      "the issuer's status register (default: status-lists/<issuer>.json beside the deployment file)",
    )
    .action((options: IssueOptions) => runIssue(options, cli));
}

export const commands: CommandModule = { issue: issueCommand };
