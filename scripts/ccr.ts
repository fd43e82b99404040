/**
 * `ccr`, the command line of the CCR toolkit: framework administration, issuing credentials in bulk, verifying them,
 * status changes and status-list export. Every command is a thin layer over the SDK in `src/`.
 *
 * Exit statuses: 0 success (every credential valid), 1 a credential is not valid or a request was refused,
 * 2 could not decide or could not run (RPC unreachable, malformed file, bad arguments).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { SingleBar } from "cli-progress";
import { Command, InvalidArgumentError, Option } from "commander";
import { Wallet, getAddress } from "ethers";
import { checkIndex, recordCheck } from "../src/audit/check.ts";
import { indexedAddress, timeline } from "../src/audit/history.ts";
import { buildReport, reportCsv, reportHtml, reportTable } from "../src/audit/report.ts";
import { syncIndex } from "../src/audit/sync.ts";
import { printableLocation } from "../src/audit/db.ts";
import { DEPLOYMENT_ENV, locateDeployment, readDeployment, type Deployment } from "../src/deployment.ts";
import { economyCode } from "../src/codes.ts";
import {
  addSigningKey,
  ethrDid,
  ethrDidAddress,
  ethrDidResolver,
  revokeSigningKey,
  signingMethodId,
} from "../src/did.ts";
import { CCRError, type CCRErrorCode } from "../src/errors.ts";
import * as framework from "../src/framework.ts";
import { KEYSTORE_PASSWORD_ENV, loadWallet, promptPassword, type KeySource } from "../src/keys.ts";
import { NameBook, nameEconomy, nameIssuer, resolveAddress, setWebsite } from "../src/names.ts";
import {
  RPC_TIMEOUT_MS,
  connectRegistry,
  describeCall,
  rpcProvider,
  type RegistryConnection,
  type Sent,
} from "../src/registry.ts";
import { ManagedSigner, transactionPolicy } from "../src/transactions.ts";
import { readSchemaDocument, type SchemaSources } from "../src/schemaResolver.ts";
import { credentialType } from "../src/vc/credentialType.ts";
import { credentialFiles, fileProblem, readCredentialFile, writeFileAtomic } from "../src/vc/file.ts";
import { credentialHash } from "../src/vc/credential.ts";
import { INPUT_ENCODINGS, formatProblem, readSubjects, type InputEncoding } from "../src/vc/input.ts";
import {
  CREDENTIAL_FORMATS,
  DEFAULT_BATCH_SIZE,
  DEFAULT_IN_FLIGHT,
  issueCredentials,
  type CredentialFormat,
  type IssueProgress,
} from "../src/vc/issue.ts";
import { changeStatus, reasonCode, statusTargets, type StatusAction } from "../src/vc/status.ts";
import { publishStatusLists } from "../src/vc/statusList.ts";
import { AuditIndex } from "../src/server/audit.ts";
import { councilCommand } from "./commands/council.ts";
import { startServer } from "../src/server/serve.ts";
import { describeCredential, formatCredential, type IssuerNameLookup } from "../src/vc/show.ts";
import { certificateHtml, certificateOf, certificatePdf, verifierLink } from "../src/vc/render.ts";
import { type Outcome, type VerificationResult } from "../src/vc/verify.ts";
import { verifyCredentials } from "../src/vc/verifyFiles.ts";
import { PRESENTATION_LIFETIME, presentCredentials, verifyPresentation } from "../src/vc/presentation.ts";
import { HOLDER_DID_METHODS, holderDidOf, holderResolver } from "../src/holder.ts";

/** Error codes after which the answer is "could not decide / could not run" (exit 2) rather than "no" (exit 1). */
const UNDECIDED: readonly CCRErrorCode[] = [
  "RPC_UNAVAILABLE",
  "INDEX_FILE",
  "MALFORMED_CREDENTIAL",
  "DEPLOYMENT_FILE",
  "WRONG_CHAIN",
  "NOT_A_CCR_REGISTRY",
  "KEY_UNAVAILABLE",
  "INVALID_ARGUMENT",
  "JOURNAL_MISMATCH",
  "OUTPUT_IN_USE",
  "OUTPUT_PROBLEM",
  "TRANSACTION_REFUSED",
  "KEY_MISMATCH",
  "TRANSACTION_PENDING",
];

interface GlobalOptions extends KeySource {
  rpc?: string;
  rpcTimeout: number;
  deployment?: string;
  confirmations?: number;
  txTimeout?: number;
  replaceAfter?: number;
  maxFee?: number;
}

/** The deployment file this run uses (see `locateDeployment`). */
function deploymentFile(): string {
  const file = locateDeployment(globals().deployment);
  if (file === undefined) {
    throw new CCRError(
      "DEPLOYMENT_FILE",
      `no deployment file: none named with --deployment or $${DEPLOYMENT_ENV}, and no .devnet/deployment.json in ` +
        `${process.cwd()} or a folder above it (start the devnet with "npm run devnet" in the project folder)`,
    );
  }
  return file;
}

const program = new Command("ccr")
  .description("CCR cross-border credential registry: issue, verify and manage credentials")
  .option("--rpc <url>", "JSON-RPC endpoint (default: the deployment file's)")
  .option("--rpc-timeout <seconds>", "how long one RPC request may take", parsePositive, RPC_TIMEOUT_MS / 1000)
  .option(
    "--deployment <file>",
    `deployment file (default: $${DEPLOYMENT_ENV}, else .devnet/deployment.json in this folder or the nearest above)`,
  )
  .option("--as <name>", "act as a seeded devnet account (devnet only)")
  .option("--keystore <file>", `act with an encrypted JSON keystore (password: $${KEYSTORE_PASSWORD_ENV} or prompt)`)
  .option("--key-env <variable>", "act with the private key held in this environment variable")
  .option(
    "--confirmations <n>",
    "blocks a transaction must be under before it counts as done (default: the deployment file's, else 1 on the " +
      "devnet, 2 elsewhere); for audit sync, the newest blocks left out of the index (default: none)",
    parsePositive,
  )
  .option(
    "--tx-timeout <seconds>",
    "how long to wait for a transaction before giving up (exit 2; the next run goes on)",
    parsePositive,
  )
  .option(
    "--replace-after <seconds>",
    "send a transaction again at the market's fee when it is not mined by then",
    parsePositive,
  )
  .option("--max-fee <gwei>", "never pay more than this per gas, replacements included", parsePositive)
  .showHelpAfterError()
  .exitOverride();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

async function open(withKey: boolean): Promise<{ connection: RegistryConnection; wallet?: ManagedSigner }> {
  const options = globals();
  const deployment: Deployment = await readDeployment(deploymentFile());
  const rpcUrl = options.rpc ?? deployment.rpcUrl;
  const provider = rpcProvider(rpcUrl, deployment.chainId, options.rpcTimeout * 1000);
  const wallet = withKey
    ? new ManagedSigner(
        await loadWallet(deployment, provider, options),
        provider,
        transactionPolicy(deployment, options),
        {
          log: (line) => console.error(`ccr: ${line}`),
          describe: describeCall,
        },
      )
    : undefined;
  const connection = await connectRegistry(deployment, {
    rpcUrl,
    provider,
    ...(wallet === undefined ? {} : { signer: wallet }),
  });
  return wallet === undefined ? { connection } : { connection, wallet };
}

/** The registry with the acting key, once whatever an earlier run of that key left pending is settled. */
async function withSigner(): Promise<{ connection: RegistryConnection; wallet: ManagedSigner }> {
  const { connection, wallet } = await open(true);
  if (wallet === undefined) throw new CCRError("KEY_UNAVAILABLE", "this command needs a key");
  await wallet.settle();
  return { connection, wallet };
}

/** A date as 2026-12-31 or ISO 8601 (2026-12-31T10:00:00Z); nothing looser ("0" is not the year 2000). */
function parseDate(value: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
  const date = new Date(value);
  // A day that does not exist (2026-02-30) would roll over to another: refused.
  const rolledOver = value.length === 10 && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) !== value;
  if (!iso.test(value) || Number.isNaN(date.getTime()) || rolledOver) {
    throw new InvalidArgumentError(`"${value}" is not a date (use 2026-12-31 or ISO 8601, e.g. 2026-12-31T10:00:00Z)`);
  }
  return date;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

function done(what: string, sent: Sent): void {
  console.log(`${what} (transaction ${sent.transaction}, block ${sent.blockNumber})`);
}

// ------------------------------------------------------------------------------------------------ council

councilCommand(program, { open, withSigner, deploymentFile, done });

// ------------------------------------------------------------------------------------------------ framework

const fw = program
  .command("framework")
  .description("administer the framework: economies, schemas, issuers, recognition");

const economy = fw.command("economy").description("member economies (council)");
economy
  .command("admit <iso> <authority>")
  .description("admit an economy with its authority (address or account name)")
  .action(async (iso: string, authority: string) => {
    const { connection } = await withSigner();
    done(`admitted ${iso}`, await framework.admitEconomy(connection, iso, await resolveAddress(connection, authority)));
  });
economy
  .command("remove <iso>")
  .description("remove an economy (all its issuers must be revoked)")
  .action(async (iso: string) => {
    const { connection } = await withSigner();
    done(`removed ${iso}`, await framework.removeEconomy(connection, iso));
  });
economy
  .command("appoint <iso> <authority>")
  .description("appoint a new authority for an economy")
  .action(async (iso: string, authority: string) => {
    const { connection } = await withSigner();
    const address = await resolveAddress(connection, authority);
    done(`appointed ${address} for ${iso}`, await framework.appointAuthority(connection, iso, address));
  });

economy
  .command("name <iso>")
  .description("name an economy and its authority, with a legal name and website (council)")
  .requiredOption("--name <name>", "display name, e.g. Australia")
  .option("--legal-name <name>", "legal name", "")
  .option("--website <url>", "website", "")
  .requiredOption("--authority-name <name>", "the display name of its authority")
  .action(async (iso: string, options: { name: string; legalName: string; website: string; authorityName: string }) => {
    const { connection } = await withSigner();
    const profile = { name: options.name, legalName: options.legalName, website: options.website };
    done(`named ${iso} "${options.name}"`, await nameEconomy(connection, iso, profile, options.authorityName));
  });
economy
  .command("show <iso>")
  .description("an economy: its name, profile and authority")
  .action(async (iso: string) => {
    const { connection } = await open(false);
    const record = await connection.registry.getEconomy(economyCode(iso));
    const profile = await new NameBook(connection).economy(iso);
    console.log(
      JSON.stringify(
        {
          economy: iso,
          member: record.member,
          authority: record.authority,
          liveIssuers: Number(record.liveIssuers),
          ...profile,
        },
        null,
        2,
      ),
    );
  });

const schema = fw.command("schema").description("credential schemas (council)");
schema
  .command("list")
  .description("list the registered schemas")
  .action(async () => {
    const { connection } = await open(false);
    for (const s of await framework.listSchemas(connection)) {
      console.log(`${s.id}  ${s.name}  ${s.uri}  sha256 ${s.digest}${s.deprecated ? "  (deprecated)" : ""}`);
    }
  });
schema
  .command("register <file>")
  .description(
    "register a schema from its JSON Schema document (the credential subject's): the registry records where it is " +
      "published and the SHA-256 digest of the file's bytes",
  )
  .option("--uri <uri>", "where the document is published (default: its $id)")
  .option("--name <name>", "the schema's name (default: its title)")
  .action(async (file: string, options: { uri?: string; name?: string }) => {
    const document = await readSchemaDocument(file);
    const uri = options.uri ?? document.id;
    const name = options.name ?? document.title;
    if (uri === undefined)
      throw new CCRError("INVALID_ARGUMENT", `${file} has no "$id": say where it is published with --uri`);
    if (name === undefined)
      throw new CCRError("INVALID_ARGUMENT", `${file} has no "title": name the schema with --name`);
    const { connection } = await withSigner();
    const id = Number(await connection.registry.schemaCount());
    done(
      `registered schema ${id} "${name}" (${uri}, sha256 ${document.digest})`,
      await framework.registerSchema(connection, name, uri, document.digest),
    );
  });
schema
  .command("check <schema> <file>")
  .description("check a schema document you fetched against the digest the registry records for it")
  .action(async (id: string, file: string) => {
    const document = await readSchemaDocument(file);
    const { connection } = await open(false);
    const registered = await framework.checkSchemaDocument(
      connection,
      await framework.schemaId(connection, id),
      document,
    );
    console.log(`${file} is the document of schema ${registered.id} "${registered.name}" (sha256 ${document.digest})`);
  });
schema
  .command("deprecate <schema>")
  .description("stop new accreditations for a schema")
  .action(async (id: string) => {
    const { connection } = await withSigner();
    done(
      `deprecated schema ${id}`,
      await framework.deprecateSchema(connection, await framework.schemaId(connection, id)),
    );
  });

const issuer = fw
  .command("issuer")
  .description("issuer accreditation (offers and administration: the economy authority; accept: the issuer)");
const accreditation = (command: Command): Command =>
  command
    .requiredOption("--schemas <list>", "comma-separated schema ids or keys, e.g. cbpr,prp")
    .option("--from <date>", "accreditation starts (default: immediately)", parseDate)
    .option("--until <date>", "accreditation ends (default: open-ended)", parseDate);
interface AccreditationOptions {
  schemas: string;
  from?: Date;
  until?: Date;
}
async function schemaList(connection: RegistryConnection, list: string): Promise<number[]> {
  const ids: number[] = [];
  for (const item of list.split(",").map((s) => s.trim())) ids.push(await framework.schemaId(connection, item));
  return ids;
}
accreditation(
  issuer
    .command("offer <issuer>")
    .alias("accredit")
    .description("offer an address accreditation for schemas and a time window (it becomes an issuer when it accepts)"),
).action(async (who: string, options: AccreditationOptions) => {
  const { connection } = await withSigner();
  const address = await resolveAddress(connection, who);
  const ids = await schemaList(connection, options.schemas);
  done(
    `offered ${address} accreditation (it becomes an issuer with "ccr framework issuer accept --economy <XX>")`,
    await framework.offerAccreditation(connection, address, {
      schemas: ids,
      validFrom: options.from,
      validUntil: options.until,
    }),
  );
});
issuer
  .command("accept")
  .description("accept an economy's pending offer of accreditation for the acting account (the issuer's consent)")
  .requiredOption("--economy <iso>", "the economy whose offer to accept")
  .action(async (options: { economy: string }) => {
    const { connection, wallet } = await withSigner();
    const { sent, terms } = await framework.acceptAccreditation(connection, options.economy, wallet.address);
    const window = `${terms.validFrom?.toISOString() ?? "now"} to ${terms.validUntil?.toISOString() ?? "open-ended"}`;
    done(
      `${wallet.address} is now an issuer of ${options.economy} for schemas ${terms.schemas.join(",")}, ${window}`,
      sent,
    );
  });
issuer
  .command("withdraw-offer <issuer>")
  .description("withdraw the acting authority's pending offer to an address")
  .action(async (who: string) => {
    const { connection } = await withSigner();
    const address = await resolveAddress(connection, who);
    done(`withdrew the offer to ${address}`, await framework.withdrawOffer(connection, address));
  });
issuer
  .command("release <issuer>")
  .description("release an address an authority claimed but that never used it (council; check its history first)")
  .action(async (who: string) => {
    const { connection } = await withSigner();
    const address = await resolveAddress(connection, who);
    done(`released ${address}; it may accept a new offer`, await framework.releaseIssuer(connection, address));
  });
accreditation(issuer.command("amend <issuer>").description("change an issuer's schemas or window")).action(
  async (who: string, options: AccreditationOptions) => {
    const { connection } = await withSigner();
    const address = await resolveAddress(connection, who);
    const ids = await schemaList(connection, options.schemas);
    done(
      `amended ${address}`,
      await framework.amendAccreditation(connection, address, {
        schemas: ids,
        validFrom: options.from,
        validUntil: options.until,
      }),
    );
  },
);
for (const [name, action] of [
  ["suspend", framework.suspendIssuer],
  ["reinstate", framework.reinstateIssuer],
] as const) {
  issuer
    .command(`${name} <issuer>`)
    .description(`${name} an issuer's accreditation`)
    .action(async (who: string) => {
      const { connection } = await withSigner();
      const address = await resolveAddress(connection, who);
      done(`${name === "suspend" ? "suspended" : "reinstated"} ${address}`, await action(connection, address));
    });
}
issuer
  .command("revoke <issuer>")
  .description("revoke an issuer's accreditation for good")
  .option("--compromised-at <date>", "its key was compromised from this time: later anchors are invalid", parseDate)
  .action(async (who: string, options: { compromisedAt?: Date }) => {
    const { connection } = await withSigner();
    const address = await resolveAddress(connection, who);
    done(`revoked ${address}`, await framework.revokeIssuer(connection, address, options.compromisedAt));
  });
issuer
  .command("show <issuer>")
  .description("show an issuer's name, profile and accreditation (the issuer by name, address or did:ethr)")
  .action(async (who: string) => {
    const { connection } = await open(false);
    const address = await resolveAddress(connection, who);
    const profile = await new NameBook(connection).issuer(address);
    console.log(JSON.stringify({ ...profile, ...(await framework.issuerInfo(connection, address)) }, null, 2));
  });
issuer
  .command("name <issuer>")
  .description("name an issuer of your economy, with its legal name and website (its authority)")
  .requiredOption("--name <name>", "display name, unique in the framework")
  .option("--legal-name <name>", "legal name", "")
  .option("--website <url>", "website", "")
  .action(async (who: string, options: { name: string; legalName: string; website: string }) => {
    const { connection } = await withSigner();
    const address = await resolveAddress(connection, who);
    const profile = { name: options.name, legalName: options.legalName, website: options.website };
    done(`named ${address} "${options.name}"`, await nameIssuer(connection, address, profile));
  });
issuer
  .command("website <url>")
  .description("set the acting issuer's own website")
  .action(async (url: string) => {
    const { connection, wallet } = await withSigner();
    done(`${wallet.address}: website ${url}`, await setWebsite(connection, url));
  });

const operator = fw.command("operator").description("operator keys that anchor for an issuer (the issuer)");
for (const [name, action] of [
  ["add", framework.addOperator],
  ["remove", framework.removeOperator],
] as const) {
  operator
    .command(`${name} <operator>`)
    .description(`${name} an operator key of the acting issuer`)
    .action(async (who: string) => {
      const { connection } = await withSigner();
      const address = await resolveAddress(connection, who);
      done(`${name === "add" ? "added" : "removed"} operator ${address}`, await action(connection, address));
    });
}

for (const [name, action] of [
  ["recognise", framework.recognise],
  ["withdraw-recognition", framework.withdrawRecognition],
] as const) {
  fw.command(`${name} <iso>`)
    .description(
      `${name === "recognise" ? "recognise" : "stop recognising"} another economy's accreditations (authority)`,
    )
    .requiredOption("--schema <schema>", "schema id or key")
    .action(async (iso: string, options: { schema: string }) => {
      const { connection } = await withSigner();
      const id = await framework.schemaId(connection, options.schema);
      done(
        `${name === "recognise" ? "recognised" : "withdrew recognition of"} ${iso} for schema ${id}`,
        await action(connection, iso, id),
      );
    });
}

// ------------------------------------------------------------------------------------------------ keys and DIDs

program
  .command("key")
  .description("keys")
  .command("new")
  .description(`create an encrypted JSON keystore with a new key (password: $${KEYSTORE_PASSWORD_ENV} or prompt)`)
  .requiredOption("--out <file>", "where to write the keystore")
  .action(async (options: { out: string }) => {
    const password = process.env[KEYSTORE_PASSWORD_ENV] ?? (await promptPassword("Password for the new keystore: "));
    if (password.length < 8)
      throw new CCRError("INVALID_ARGUMENT", "the keystore password needs at least 8 characters");
    const wallet = Wallet.createRandom();
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, await wallet.encrypt(password), { mode: 0o600 });
    console.log(`created ${options.out} for ${wallet.address}`);
  });

const did = program.command("did").description("DIDs: the acting key's, and its did:ethr document (ERC-1056)");
did
  .command("show")
  .description("the DID of the acting key (--as, --keystore or --key-env): the holder DID to give an issuer")
  .option("--method <method>", `the DID method: ${HOLDER_DID_METHODS.join(", ")}`, "ethr")
  .action(async (options: { method: string }) => {
    const method = HOLDER_DID_METHODS.find((m) => m === options.method);
    if (method === undefined) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `--method ${options.method} is not one of ${HOLDER_DID_METHODS.join(", ")}`,
      );
    }
    const deployment = await readDeployment(deploymentFile());
    const wallet = await loadWallet(deployment, rpcProvider(deployment.rpcUrl, deployment.chainId), globals());
    console.log(holderDidOf(method, wallet.privateKey, deployment.chainId));
  });
did
  .command("add-key <address>")
  .description("add a signing key (veriKey delegate) to the acting account's DID")
  .option("--days <n>", "how long the key is valid", parsePositive, 365)
  .action(async (address: string, options: { days: number }) => {
    const { connection, wallet } = await withSigner();
    const tx = await addSigningKey(connection.deployment.didRegistry.address, wallet, address, options.days * 86_400);
    console.log(
      `${ethrDid(connection.chainId, wallet.address)}: added signing key ${address} for ${options.days} days (transaction ${tx})`,
    );
  });
did
  .command("revoke-key <address>")
  .description("revoke a signing key of the acting account's DID (credentials it signed before stay valid)")
  .action(async (address: string) => {
    const { connection, wallet } = await withSigner();
    const tx = await revokeSigningKey(connection.deployment.didRegistry.address, wallet, address);
    console.log(`${ethrDid(connection.chainId, wallet.address)}: revoked signing key ${address} (transaction ${tx})`);
  });

// ------------------------------------------------------------------------------------------------ issue

/** Where `ccr` looks for schema documents: the `schemas` folder next to the deployment file (and its cache). */
function schemaSources(): SchemaSources {
  return { folders: [join(dirname(deploymentFile()), "schemas")], timeoutMs: globals().rpcTimeout * 1000 };
}

program
  .command("issue")
  .description("validate, sign, anchor and write one W3C VC 2.0 credential file per input row, resumably")
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
  .action(async (options: IssueOptions) => {
    const { connection, wallet } = await withSigner();
    const type = await credentialType(connection, options.schema, schemaSources());
    const input = await readSubjects(options.input, type, options.encoding);
    const issuerAddress =
      options.issuer === undefined ? wallet.address : await resolveAddress(connection, options.issuer);
    const signer =
      options.signingKeystore === undefined
        ? wallet
        : await loadWallet(
            connection.deployment,
            connection.provider,
            { keystore: options.signingKeystore },
            "CCR_SIGNING_KEYSTORE_PASSWORD",
          );
    const bar = progressBar();
    let phase = "";
    const result = await issueCredentials({
      connection,
      anchorer: wallet,
      issuer: issuerAddress,
      signingKey: signer.privateKey,
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
      // Two bars: signing, then anchoring with writing the files (a group's files follow its anchor).
      onProgress: (p: IssueProgress) => {
        if (p.phase === "anchor") return;
        const label = p.phase === "sign" ? "signing  " : "anchoring";
        if (label !== phase) {
          phase = label;
          bar?.stop();
          bar?.start(p.total, 0, { phase: label });
        }
        bar?.update(p.done);
      },
    });
    bar?.stop();
    for (const problem of result.skipped) console.error(`skipped ${options.input} ${formatProblem(problem)}`);
    const anchors = result.batches.reduce((n, b) => n + b.transactions.length, 0);
    console.log(
      `${result.resumed ? "resumed: " : ""}issued ${result.issued} "${type.name}" credential(s) from ${ethrDid(connection.chainId, issuerAddress)} ` +
        `in ${anchors} anchor(s) (${result.sentNow} sent now), ${new Set(result.skipped.map((p) => p.row)).size} row(s) skipped; files and manifest in ${result.outDir}`,
    );
  });
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
}

/** An issuer's status register: `status-lists/<issuer address>.json` beside the deployment file. */
const defaultStatusRegister = (issuer: string): string =>
  join(dirname(deploymentFile()), "status-lists", `${getAddress(issuer)}.json`);

function progressBar(): SingleBar | undefined {
  if (!process.stderr.isTTY) return undefined;
  return new SingleBar({
    format: "{phase} [{bar}] {value}/{total} {percentage}% eta {eta}s",
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
}

// ------------------------------------------------------------------------------------------------ verify

interface VerifyCommandOptions {
  economy?: string;
  at?: Date;
  json?: boolean;
  presentation?: string;
  audience?: string;
  nonce?: string;
  maxAge: number;
}

program
  .command("verify [files...]")
  .description(
    "verify credential files (or every credential file in a folder), or a holder's presentation: signature, DID, " +
      "hash and proof, the registry's verdict, recognition",
  )
  .option("--economy <iso>", "the verifier's economy: the issuer's must be it or one it recognises")
  .option("--at <date>", "verify as of this time", parseDate)
  .option(
    "--presentation <file>",
    "verify a presentation (a vp+jwt, or an SD-JWT presentation file from ccr present) and the credentials in it",
  )
  .option("--audience <verifier>", "with --presentation: who the presentation must be for (this verifier)")
  .option("--nonce <value>", "with --presentation: the challenge this verifier gave the holder")
  .option(
    "--max-age <seconds>",
    "with --presentation: the oldest presentation accepted",
    parsePositive,
    PRESENTATION_LIFETIME,
  )
  .option("--json", "print JSON")
  .action(async (paths: string[], options: VerifyCommandOptions) => {
    if (options.presentation !== undefined) {
      await verifyPresentationCommand(paths, options.presentation, options);
      return;
    }
    const files = await credentialFiles(paths);
    if (files.length === 0) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `no credential file in ${paths.join(", ")} (a folder's credentials are its *.json and *.jwt files but ` +
          `manifest.json): nothing was verified`,
      );
    }
    const { connection } = await open(false);
    const resolver = ethrDidResolver(
      connection.chainId,
      connection.deployment.didRegistry.address,
      connection.provider,
    );
    const names = new NameBook(connection);
    const counts: Record<Outcome, number> = { valid: 0, invalid: 0, undecided: 0 };
    // Verified in slices: memory stays bounded however many files a folder holds, and results come as they are made.
    if (options.json === true) process.stdout.write("[");
    for (let start = 0; start < files.length; start += VERIFY_SLICE) {
      const results = await verifyCredentials(files.slice(start, start + VERIFY_SLICE), {
        connection,
        resolver,
        names,
        ...(options.economy === undefined ? {} : { economy: options.economy }),
        ...(options.at === undefined ? {} : { at: options.at }),
      });
      for (const [i, r] of results.entries()) {
        counts[r.outcome]++;
        if (options.json === true) {
          process.stdout.write(`${start + i === 0 ? "\n" : ",\n"}${JSON.stringify(r, null, 2)}`);
        } else printResult(r);
      }
    }
    if (options.json === true) process.stdout.write("\n]\n");
    if (options.json !== true && files.length > 1) {
      console.log(`${counts.valid} valid, ${counts.invalid} invalid, ${counts.undecided} undecided`);
    }
    // The worst outcome decides: an invalid credential (a forgery, a revocation) is never hidden behind one that
    // could not be decided.
    process.exitCode = counts.invalid > 0 ? 1 : counts.undecided > 0 ? 2 : 0;
  });

/** Credential files verified at a time. */
const VERIFY_SLICE = 2_000;

/** One credential's result for a person; an SD-JWT's disclosed fields (only those) below it. */
function printResult(r: VerificationResult): void {
  console.log(`${r.outcome.toUpperCase().padEnd(9)} ${r.file}: ${r.reason}`);
  if (r.disclosed === undefined) return;
  const fields = Object.entries(r.disclosed).map(([f, v]) => `${f}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  console.log(`          disclosed ${fields.length === 0 ? "nothing" : fields.join("; ")}`);
}

/** `ccr verify --presentation`: the presentation's own checks, then each credential in it as `verify` checks files. */
async function verifyPresentationCommand(paths: string[], file: string, options: VerifyCommandOptions): Promise<void> {
  if (paths.length > 0) {
    throw new CCRError("INVALID_ARGUMENT", "give either credential files or --presentation <file>, not both");
  }
  if (options.audience === undefined || options.nonce === undefined) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      "--presentation needs --audience (who you are) and --nonce (the challenge you gave the holder): without " +
        "them a presentation copied from someone else's request would pass",
    );
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new CCRError("MALFORMED_CREDENTIAL", `cannot read the presentation ${file}`, { cause });
  }
  const { connection } = await open(false);
  const resolver = holderResolver(
    ethrDidResolver(connection.chainId, connection.deployment.didRegistry.address, connection.provider),
  );
  const { presentation, credentials } = await verifyPresentation(
    file,
    text,
    { resolver, audience: options.audience, nonce: options.nonce, maxAge: options.maxAge },
    {
      connection,
      resolver,
      names: new NameBook(connection),
      ...(options.economy === undefined ? {} : { economy: options.economy }),
      ...(options.at === undefined ? {} : { at: options.at }),
    },
  );
  if (options.json === true) console.log(JSON.stringify({ presentation, credentials }, null, 2));
  else {
    console.log(`${presentation.outcome.toUpperCase().padEnd(9)} ${file}: ${presentation.reason}`);
    for (const r of credentials) printResult(r);
  }
  const outcomes = [presentation.outcome, ...credentials.map((r) => r.outcome)];
  process.exitCode = outcomes.includes("invalid") ? 1 : outcomes.includes("undecided") ? 2 : 0;
}

// ------------------------------------------------------------------------------------------------ present

program
  .command("present <files...>")
  .description(
    "sign a presentation of your credentials for one verifier and one request, with the holder's key (--as, " +
      "--keystore or --key-env): a vp+jwt, or for an SD-JWT credential the fields you --disclose with key binding",
  )
  .requiredOption("--audience <verifier>", "the verifier the presentation is for (as it names itself)")
  .requiredOption("--nonce <value>", "the challenge the verifier gave you")
  .option("--disclose <fields>", "SD-JWT only: the fields to disclose, comma-separated (default: all)", (v: string) =>
    v.split(",").map((f) => f.trim()),
  )
  .option("--lifetime <seconds>", "how long the presentation stays valid", parsePositive, PRESENTATION_LIFETIME)
  .option("--out <file>", "write the presentation to this file (default: print it)")
  .action(
    async (
      paths: string[],
      options: { audience: string; nonce: string; disclose?: string[]; lifetime: number; out?: string },
    ) => {
      const files = await credentialFiles(paths);
      const credentials = await Promise.all(files.map(readCredentialFile));
      const deployment = await readDeployment(deploymentFile());
      const holder = await loadWallet(deployment, rpcProvider(deployment.rpcUrl, deployment.chainId), globals());
      const presented = await presentCredentials({
        credentials,
        holderKey: holder.privateKey,
        audience: options.audience,
        nonce: options.nonce,
        lifetime: options.lifetime,
        disclose: options.disclose,
      });
      if (options.out === undefined) console.log(presented.text);
      else {
        await writeFileAtomic(options.out, `${presented.text}\n`);
        console.log(
          `presented ${files.length} credential(s) of ${presented.holder} to ${options.audience}: ${options.out}`,
        );
      }
    },
  );

// ------------------------------------------------------------------------------------------------ show

program
  .command("show <file>")
  .description(
    "what a credential file says: type, issuer, holder, validity, schema, subject, status, anchor (read from the file; only the issuer's name from the chain)",
  )
  .option("--json", "print JSON")
  .option("--offline", "do not look the issuer's name up on the deployment's chain")
  .action(async (file: string, options: { json?: boolean; offline?: boolean }) => {
    const summary = await describeCredential(file, options.offline === true ? undefined : issuerNameOnChain);
    if (options.json === true) console.log(JSON.stringify(summary, null, 2));
    else for (const line of formatCredential(summary)) console.log(line);
  });

// ------------------------------------------------------------------------------------------------ render

program
  .command("render <file>")
  .description(
    "a printable certificate of a credential (PDF or HTML, by --out's extension) with a QR code that opens the web verifier",
  )
  .requiredOption("--out <file>", "the certificate to write: <name>.pdf or <name>.html")
  .option(
    "--verifier <url>",
    "the web verifier the QR code opens (ccr serve's address; default $CCR_VERIFIER_URL or http://127.0.0.1:8787/)",
  )
  .option("--offline", "do not look the issuer's name up on the deployment's chain")
  .action(async (file: string, options: { out: string; verifier?: string; offline?: boolean }) => {
    const format = extname(options.out).toLowerCase();
    if (format !== ".pdf" && format !== ".html") {
      throw new CCRError("INVALID_ARGUMENT", `--out ${options.out}: name a .pdf or an .html file`);
    }
    const verifier = options.verifier ?? process.env.CCR_VERIFIER_URL ?? "http://127.0.0.1:8787/";
    if (!/^https?:\/\//.test(verifier)) {
      throw new CCRError("INVALID_ARGUMENT", `--verifier ${verifier} is not an http(s) address`);
    }
    const summary = await describeCredential(file, options.offline === true ? undefined : issuerNameOnChain);
    const link = verifierLink(verifier, await readCredentialFile(file), summary.hash);
    const certificate = certificateOf(summary, link);
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

/** The issuer's name from the deployment's names contract, when the credential names the deployment's registry. */
const issuerNameOnChain: IssuerNameLookup = async (issuer, status) => {
  const file = locateDeployment(globals().deployment);
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
    const { connection } = await open(false);
    if (connection.names === undefined) return { unknown: "unknown: the framework has no names contract" };
    const profile = await new NameBook(connection).issuer(address);
    return profile === undefined ? { unknown: "none recorded" } : { name: profile.name };
  } catch (error) {
    if (!(error instanceof CCRError)) throw error;
    return { unknown: `not looked up: ${error.message}` };
  }
};

// ------------------------------------------------------------------------------------------------ status

for (const action of ["revoke", "suspend", "reinstate"] as const) {
  const command = program
    .command(`${action} <items...>`)
    .description(
      `${action} credentials: credential files (batch members by their proof) or hashes (credential or batch root)`,
    );
  if (action !== "reinstate")
    command.requiredOption("--reason <code>", "RFC 5280 reason name or code, e.g. keyCompromise, superseded, 1");
  command.option(
    "--issuer <issuer>",
    "the issuer whose records the hashes are (default: the acting account; files name their own)",
  );
  command.action(async (items: string[], options: { reason?: string; issuer?: string }) => {
    const reason = options.reason === undefined ? 0 : reasonCode(options.reason);
    const { connection, wallet } = await withSigner();
    const issuer = options.issuer === undefined ? undefined : await resolveAddress(connection, options.issuer);
    const targets = await statusTargets(connection, items, { issuer, hashIssuer: wallet.address });
    for (const change of await changeStatus(connection, action, targets, reason)) {
      const what = change.targets.map((t) => t.label).join(", ");
      done(`${pastTense[action]} ${what}`, change.sent);
    }
  });
}
const pastTense: Record<StatusAction, string> = { revoke: "revoked", suspend: "suspended", reinstate: "reinstated" };

// ------------------------------------------------------------------------------------------------ status list

program
  .command("status-list")
  .description("W3C Bitstring Status Lists")
  .command("publish")
  .description(
    "build the issuer's revocation and suspension lists from the chain, signed by the issuer (or its signing key), " +
      "as files to publish where its credentials point",
  )
  .option("--issuer <issuer>", "the issuer (did:ethr, address or account name; default: the acting account)")
  .option(
    "--register <file>",
    "the issuer's status register (default: status-lists/<issuer>.json beside the deployment file)",
  )
  .requiredOption(
    "--out <dir>",
    "where to write the lists (<dir>/<purpose>/<n>, to serve at <status url>/<purpose>/<n>)",
  )
  .action(async (options: { issuer?: string; register?: string; out: string }) => {
    // Signed by the acting key: the issuer's own or a signing key of its DID (--as, --keystore or --key-env).
    const { connection, wallet } = await withSigner();
    const address = options.issuer === undefined ? wallet.address : await resolveAddress(connection, options.issuer);
    const resolver = ethrDidResolver(
      connection.chainId,
      connection.deployment.didRegistry.address,
      connection.provider,
    );
    const kid = await signingMethodId(resolver, ethrDid(connection.chainId, address), wallet.privateKey);
    const register = options.register ?? defaultStatusRegister(address);
    const lists = await publishStatusLists(connection, register, wallet.privateKey, options.out, kid);
    for (const list of lists) {
      console.log(
        `${list.purpose} list ${list.list}: ${list.entries} credential(s), ${list.set} set; ${list.file} -> ${list.url}`,
      );
    }
  });

// ------------------------------------------------------------------------------------------------ audit

const audit = program
  .command("audit")
  .description("the auditor's index of the event history, checked against the chain");
/** The index: --db, else $CCR_AUDIT_DB (a file or a postgres:// URL), else audit.sqlite next to the deployment file. */
const defaultDb = (): string => process.env.CCR_AUDIT_DB ?? join(dirname(deploymentFile()), "audit.sqlite");
const DB_OPTION: [string, string] = [
  "--db <file|url>",
  "the index: an SQLite file or a postgres:// URL, its password in PGPASSWORD or ~/.pgpass " +
    "(default: $CCR_AUDIT_DB, else audit.sqlite next to the deployment file)",
];

audit
  .command("sync")
  .description("read every registry event into the index, from the deployment block or the checkpoint")
  .option(...DB_OPTION)
  // The global --confirmations (`ccr audit sync --confirmations 3`) leaves the newest n blocks out (default: none).
  .option("--block-range <n>", "at most n blocks per eth_getLogs request (for providers with a limit)", parsePositive)
  .action(async (options: { db?: string; blockRange?: number }) => {
    const { connection } = await open(false);
    const file = options.db ?? defaultDb();
    const bar = progressBar();
    let started = false;
    const result = await syncIndex(connection, file, {
      timeoutMs: globals().rpcTimeout * 1000,
      confirmations: globals().confirmations ?? 0,
      ...(options.blockRange === undefined ? {} : { maxBlockRange: options.blockRange }),
      onProgress: ({ block, head }) => {
        if (!started) bar?.start(head, block, { phase: "syncing  " });
        started = true;
        bar?.update(block);
      },
    });
    bar?.stop();
    console.log(
      `${printableLocation(file)}: blocks ${result.fromBlock}-${result.toBlock} (${result.blocks} block(s)), ${result.events} new event(s)` +
        `${result.rolledBack > 0 ? `, ${result.rolledBack} reorganised block(s) rolled back` : ""}, ${result.seconds.toFixed(1)} s`,
    );
  });

audit
  .command("check")
  .description("replay the index into the full state and compare every item with the registry's view calls")
  .option(...DB_OPTION)
  .action(async (options: { db?: string }) => {
    const { connection } = await open(false);
    const file = options.db ?? defaultDb();
    const { block, discrepancies: found } = await checkIndex(file, connection);
    // Kept in the index: the dashboard shows the last check's result.
    await recordCheck(file, connection.deployment, { block, discrepancies: found });
    for (const d of found)
      console.log(`DISCREPANCY ${d.item}: ${d.field} is ${d.history} in the history, ${d.chain} on chain`);
    console.log(
      found.length === 0
        ? `consistent: the registry's state at block ${block} follows from its event history`
        : `${found.length} discrepancy(ies) at block ${block}`,
    );
    process.exitCode = found.length === 0 ? 0 : 1;
  });

audit
  .command("history <subject>")
  .description(
    "the timeline of a credential (file or hash), a batch (root), an issuer or account (name, address, did), an economy (XX) or a schema (schema:<id>)",
  )
  .option(...DB_OPTION)
  .option("--member <index>", "with a batch root: only the changes of this member", parseCount)
  .option("--json", "print JSON")
  .action(async (subject: string, options: { db?: string; member?: number; json?: boolean }) => {
    // The index is all a timeline needs: no RPC.
    const deployment = await readDeployment(deploymentFile());
    let target = subject;
    let member = options.member;
    if (existsSync(subject)) {
      const read = await readCredentialFile(subject);
      const batch = read.anchor?.batch;
      target = batch?.root ?? credentialHash(read.jws);
      member = batch?.index ?? member;
    } else if (!/^(0x[0-9a-fA-F]{64}|[A-Z]{2}|schema:\d+)$/.test(subject)) {
      target = await indexedAddress(options.db ?? defaultDb(), deployment, subject);
    }
    const entries = await timeline(options.db ?? defaultDb(), deployment, target, member);
    if (options.json === true) {
      console.log(JSON.stringify(entries, null, 2));
      return;
    }
    for (const e of entries)
      console.log(`${e.time}  block ${e.block}  tx ${e.transaction}  by ${e.actorLabel}\n  ${e.change}`);
    console.log(`${entries.length} event(s) for ${target}${member === undefined ? "" : ` member ${member}`}`);
  });

interface ReportCommandOptions {
  db?: string;
  economy?: string;
  issuer?: string;
  schema?: string;
  from?: Date;
  to?: Date;
  format: string;
  out?: string;
}
audit
  .command("report")
  .description("issuance and revocation by economy, issuer, schema and month; reasons; issuer states; recognitions")
  .option(...DB_OPTION)
  .option("--economy <iso>", "only this economy's issuers (and recognitions involving it)")
  .option("--issuer <issuer>", "only this issuer's credentials (name, address or did)")
  .option("--schema <schema>", "only credentials of this schema (id or name)")
  .option("--from <date>", "count events from this time", parseDate)
  .option("--to <date>", "count events up to this time", parseDate)
  .addOption(
    new Option("--format <format>", "output format").choices(["table", "json", "csv", "html"]).default("table"),
  )
  .option("--out <file>", "write to this file instead of the terminal")
  .action(async (options: ReportCommandOptions) => {
    if (options.from !== undefined && options.to !== undefined && options.from > options.to) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `--from ${options.from.toISOString()} is after --to ${options.to.toISOString()}: the range is empty`,
      );
    }
    // The index is all a report needs: no RPC.
    const deployment = await readDeployment(deploymentFile());
    const db = options.db ?? defaultDb();
    const issuer = options.issuer === undefined ? undefined : await indexedAddress(db, deployment, options.issuer);
    const report = await buildReport(db, deployment, { ...options, issuer });
    const text =
      options.format === "json"
        ? `${JSON.stringify(report, null, 2)}\n`
        : options.format === "csv"
          ? reportCsv(report)
          : options.format === "html"
            ? reportHtml(report)
            : `${reportTable(report)}\n`;
    if (options.out === undefined) process.stdout.write(text);
    else {
      await mkdir(dirname(options.out), { recursive: true });
      await writeFile(options.out, text);
      console.log(`report written to ${options.out}`);
    }
  });

// ------------------------------------------------------------------------------------------------ serve

program
  .command("serve")
  .description(
    "serve the verifier page, the framework explorer, the audit dashboard (with --db) and the TRQP v2 API; holds no keys",
  )
  .option("--host <host>", "the address to listen on", "127.0.0.1")
  .option("--port <port>", "the port to listen on (0: any free one)", parseCount, 8787)
  .option(
    "--db <file|url>",
    "the audit index for the dashboard and timelines, an SQLite file or a postgres:// URL (default: $CCR_AUDIT_DB; " +
      "synced at start and then every --sync s)",
  )
  .option("--sync <seconds>", "seconds between syncs of the audit index (0: only at start)", parseCount, 5)
  .action(async (options: { host: string; port: number; db?: string; sync: number }) => {
    const { connection } = await open(false);
    const db = options.db ?? process.env.CCR_AUDIT_DB;
    const audit = db === undefined ? undefined : new AuditIndex(db, connection);
    const stop = await startServer(
      { connection, rpcUrl: connection.rpcUrl, audit, syncSeconds: options.sync },
      options,
    );
    console.log(
      `ccr serve: listening on ${stop.url} (chain ${connection.chainId}, registry ${connection.deployment.registry.address})`,
    );
    if (audit !== undefined) {
      const { block, error } = audit.state;
      console.log(
        error === undefined
          ? `ccr serve: audit index ${audit.location} synced to block ${block}, again every ${options.sync} s`
          : `ccr serve: audit index ${audit.location} could not be synced (${error}); the dashboard shows what it holds`,
      );
    }
    // Ctrl-C stops a server: nothing to resume, so not the "interrupted" message of the other commands.
    process.removeAllListeners("SIGINT");
    await new Promise<void>((resolve) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, resolve);
    });
    await stop.close();
  });

// ------------------------------------------------------------------------------------------------ run

process.on("SIGINT", () => {
  console.error("\nccr: interrupted; nothing is lost: run the same command again to continue");
  process.exit(130);
});

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CCRError) {
    console.error(`ccr: ${error.message}`);
    for (const detail of error.details) console.error(`  ${detail}`);
    process.exitCode = UNDECIDED.includes(error.code) ? 2 : 1;
  } else if (error instanceof Error && "exitCode" in error && typeof error.exitCode === "number") {
    // commander has printed its message (bad arguments) or the help.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof Error && typeof (error as NodeJS.ErrnoException).path === "string") {
    // A file system failure nothing above expected (a full disk, a path that is a file): said, not dumped.
    const failure = fileProblem(String((error as NodeJS.ErrnoException).path), error, "could not be used");
    console.error(`ccr: ${failure.message}`);
    process.exitCode = 2;
  } else {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    console.error(`ccr: unexpected error: ${message}. This is a fault of ccr; CCR_DEBUG=1 shows the details`);
    if (process.env.CCR_DEBUG === "1") console.error(error);
    process.exitCode = 2;
  }
}
// Every request has its deadline, but a node that stopped answering can leave its sockets open: the command is done,
// so it exits rather than waiting for them, once what it printed has reached its pipes (they are written
// asynchronously: 10,000 result lines do not fit a pipe's buffer).
const drained = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => stream.write("", () => resolve()));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(process.exitCode ?? 0);
