/**
 * `ccr`, the command line of the CCR toolkit: framework administration, issuing credentials in bulk, verifying them,
 * status changes, status lists, the auditor's index and the web server. Every command is a thin layer over the SDK in
 * `src/`, in its own module under `cli/commands/`, loaded only when that command runs: `ccr --help` and the list of
 * commands load nothing but this file and commander.
 *
 * Exit statuses: 0 success (every credential valid), 1 a credential is not valid or a request was refused,
 * 2 could not decide or could not run (RPC unreachable, malformed file, bad arguments).
 */
import { Command } from "commander";
import { DEPLOYMENT_ENV } from "../src/deployment.ts";
import { CCRError, type CCRErrorCode } from "../src/errors.ts";
import { KEYSTORE_PASSWORD_ENV, RPC_TIMEOUT_MS } from "../src/settings.ts";
import type { CommandModule } from "./context.ts";
import { parsePositive } from "./parse.ts";

/** A command module: for each top-level command it defines, what adds its options, subcommands and action. */

/** The top-level commands in the order `ccr --help` lists them, each with the module that implements it. */
const COMMANDS: { name: string; usage: string; description: string; load: () => Promise<CommandModule> }[] = [
  {
    name: "council",
    usage: "",
    description: "the council's actions through its Safe multisig: propose, sign, execute, pending, show",
    load: () => import("./commands/council.ts").then((m) => m.commands),
  },
  {
    name: "framework",
    usage: "",
    description: "administer the framework: economies, schemas, issuers, recognition",
    load: () => import("./commands/framework.ts").then((m) => m.commands),
  },
  { name: "key", usage: "", description: "keys", load: () => import("./commands/keys.ts").then((m) => m.commands) },
  {
    name: "did",
    usage: "",
    description: "DIDs: the acting key's, and its did:ethr document (ERC-1056)",
    load: () => import("./commands/keys.ts").then((m) => m.commands),
  },
  {
    name: "issue",
    usage: "",
    description: "validate, sign, anchor and write one W3C VC 2.0 credential file per input row, resumably",
    load: () => import("./commands/issue.ts").then((m) => m.commands),
  },
  {
    name: "offer",
    usage: "",
    description:
      "make one OpenID4VCI credential offer per input row (pre-authorized code, optional PIN) for holders' wallets: " +
      "links, QR codes and offers.json; or --withdraw one",
    load: () => import("./commands/wallet.ts").then((m) => m.commands),
  },
  {
    name: "issuer-service",
    usage: "",
    description:
      "serve the issuer's OpenID4VCI 1.0 endpoints over HTTPS: wallets take offers and get key-bound credentials, " +
      "anchored in Merkle batches",
    load: () => import("./commands/wallet.ts").then((m) => m.commands),
  },
  {
    name: "attester",
    usage: "",
    description:
      "a device maker's attestation keys (add, revoke, list): devices whose keys they attest get their credentials " +
      "from the issuer service with no human step",
    load: () => import("./commands/wallet.ts").then((m) => m.commands),
  },
  {
    name: "verify",
    usage: "[files...]",
    description:
      "verify credential files (or every credential file in a folder), or a holder's presentation: signature, " +
      "DID, hash and proof, the registry's verdict, recognition",
    load: () => import("./commands/verify.ts").then((m) => m.commands),
  },
  {
    name: "request",
    usage: "",
    description:
      "ask a holder's wallet for a credential over OpenID4VP: shows the request as a link and a QR code, waits for " +
      "the wallet's answer (only the --claims asked) and prints its verdict as verify does",
    load: () => import("./commands/request.ts").then((m) => m.commands),
  },
  {
    name: "present",
    usage: "<files...>",
    description:
      "sign a presentation of your credentials for one verifier and one request, with the holder's key (--as, " +
      "--keystore or --key-env): a vp+jwt, or for an SD-JWT credential the fields you --disclose with key binding",
    load: () => import("./commands/present.ts").then((m) => m.commands),
  },
  {
    name: "show",
    usage: "<file>",
    description:
      "what a credential file says: type, issuer, holder, validity, schema, subject, status, anchor (read from the " +
      "file; only the issuer's name from the chain)",
    load: () => import("./commands/show.ts").then((m) => m.commands),
  },
  {
    name: "render",
    usage: "<file>",
    description:
      "a printable certificate of a credential (PDF or HTML, by --out's extension) with a QR code that opens the " +
      "web verifier",
    load: () => import("./commands/show.ts").then((m) => m.commands),
  },
  ...(["revoke", "suspend", "reinstate"] as const).map((action) => ({
    name: action,
    usage: "<items...>",
    description: `${action} credentials: credential files (batch members by their proof) or hashes (credential or batch root)`,
    load: () => import("./commands/status.ts").then((m) => m.commands),
  })),
  {
    name: "status-list",
    usage: "",
    description: "W3C Bitstring Status Lists",
    load: () => import("./commands/status.ts").then((m) => m.commands),
  },
  {
    name: "audit",
    usage: "",
    description: "the auditor's index of the event history, checked against the chain",
    load: () => import("./commands/audit.ts").then((m) => m.commands),
  },
  {
    name: "serve",
    usage: "",
    description:
      "serve the verifier page, the framework explorer, the audit dashboard (with --db) and the TRQP v2 API; holds no keys",
    load: () => import("./commands/serve.ts").then((m) => m.commands),
  },
];

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
  "ISSUER_STORE",
  "VERIFIER_STORE",
];

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

/**
 * The command this run names: the first operand after the global options (and after `help`, for `ccr help <command>`).
 * Only its module is loaded; the others are listed by name and description.
 */
function commandToRun(args: readonly string[]): string | undefined {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).map((o) => o.long));
  const operands: string[] = [];
  for (let i = 0; i < args.length && operands.length < 2; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      if (takesValue.has(arg)) i++;
      continue;
    }
    operands.push(arg);
  }
  return operands[0] === "help" ? operands[1] : operands[0];
}

async function defineCommands(): Promise<void> {
  const wanted = commandToRun(process.argv.slice(2));
  const entry = COMMANDS.find((c) => c.name === wanted);
  const module = await entry?.load();
  const cli = module === undefined ? undefined : (await import("./context.ts")).cliContext(program);
  for (const { name, usage, description } of COMMANDS) {
    const command = program.command(`${name} ${usage}`.trim()).description(description);
    const setup = name === wanted ? module?.[name] : undefined;
    if (setup !== undefined && cli !== undefined) setup(command, cli);
  }
}

/**
 * Output that cannot be written is not a verdict: a reader that closed the pipe (`| head`) ends the command quietly
 * with the status decided so far; a full disk or any other write failure is a sentence and exit 2. No stack trace.
 */
function onOutputError(stream: "stdout" | "stderr"): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    if (stream === "stdout") {
      const reason = error.code === "ENOSPC" ? "no space is left on its device" : error.message;
      process.stderr.write(`ccr: the output could not be written: ${reason} (${error.code ?? "error"})\n`);
    }
    process.exit(2);
  };
}
process.stdout.on("error", onOutputError("stdout"));
process.stderr.on("error", onOutputError("stderr"));

process.on("SIGINT", () => {
  console.error("\nccr: interrupted; nothing is lost: run the same command again to continue");
  process.exit(130);
});

try {
  await defineCommands();
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
    const { fileProblem } = await import("../src/vc/file.ts");
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
