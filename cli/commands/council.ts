/**
 * `ccr council`: the council's actions through its Safe multisig. `propose <action …>` writes a proposal file signed
 * by the proposer; `sign <proposal>` adds an owner's signature; `execute <proposal>` sends it once the threshold is
 * met (anyone may); `pending` lists the proposals still open with their signers; `show` the Safe's owners and
 * threshold.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { economyCode } from "../../src/codes.ts";
import {
  SAFE_INTERFACE,
  checkProposal,
  councilChainOf,
  councilSafe,
  executeProposal,
  listProposals,
  majority,
  newProposal,
  notExecutable,
  proposalsFolder,
  readProposal,
  requireCouncilSafe,
  signProposal,
  writeProposal,
  type CouncilCall,
  type CouncilProposal,
  type CouncilSafe,
  type ProposalState,
} from "../../src/council.ts";
import { RISKS, describeProposalLines, isRisk, type CallLabels, type Risk } from "../../src/councilCalls.ts";
import { CCRError } from "../../src/errors.ts";
import * as framework from "../../src/framework.ts";
import { NameBook, resolveAddress } from "../../src/names.ts";
import type { RegistryConnection } from "../../src/registry.ts";
import { parseSchemaDocument } from "../../src/schemaDocument.ts";
import {
  cachedSchemaPath,
  defaultSchemaCache,
  keepSchemaDocument,
  readSchemaRegistration,
} from "../../src/schemaResolver.ts";
import type { CommandModule, Cli } from "../context.ts";

/** "Name (0x…)" for the deployment's accounts and named issuers, else the address. */
function addressLabeller(connection: RegistryConnection, book: NameBook): (address: string) => Promise<string> {
  const byAddress = new Map(
    Object.entries(connection.deployment.accounts).map(([name, a]) => [a.address.toLowerCase(), name]),
  );
  return async (address) => {
    const name = byAddress.get(address.toLowerCase()) ?? (await book.issuer(address))?.name;
    return name === undefined ? address : `${name} (${address})`;
  };
}

/** Addresses, economies and schemas with their names, as a proposal shows them. */
function callLabels(connection: RegistryConnection): CallLabels {
  const book = new NameBook(connection);
  return {
    address: addressLabeller(connection, book),
    economy: (iso) => book.labelEconomy(iso),
    schema: async (id) => {
      try {
        return `${id} ("${(await connection.registry.getSchema(id)).name}")`;
      } catch {
        return `${id} (not registered)`;
      }
    },
  };
}

/** What a proposal does, every field, and the Safe transaction hash its signers sign. */
function proposalLines(connection: RegistryConnection, state: ProposalState): Promise<string[]> {
  const { call, proposal } = state;
  return describeProposalLines(call, proposal.transaction, proposal.safeTxHash, callLabels(connection));
}

async function describeState(state: ProposalState, label: (a: string) => Promise<string>): Promise<string> {
  const { safe, signers } = state;
  const signed = signers.length === 0 ? "nobody yet" : (await Promise.all(signers.map(label))).join(", ");
  const count = `${signers.length} of ${safe.threshold} signatures (${signed})`;
  if (state.state === "open" && signers.length < safe.threshold) {
    const missing = await Promise.all(safe.owners.filter((o) => !signers.includes(o)).map(label));
    return `${count}; ${safe.threshold - signers.length} more from ${missing.join(" or ")}`;
  }
  return `${count}; ${notExecutable(state) ?? "ready to execute"}`;
}

/** Asks on a terminal; elsewhere (scripts, pipes) the command's own words are the consent. */
async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return true;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

/** The owner before `owner` in the Safe's list of owners (a linked list that starts at the sentinel 0x…01). */
function previousOwner(safe: CouncilSafe, owner: string): string {
  const at = safe.owners.indexOf(owner);
  if (at < 0) throw new CCRError("INVALID_ARGUMENT", `${owner} is not an owner of the council Safe ${safe.address}`);
  return at === 0 ? SENTINEL_OWNER : (safe.owners[at - 1] ?? SENTINEL_OWNER);
}

const SENTINEL_OWNER = "0x0000000000000000000000000000000000000001";

/** A threshold given with --threshold, or `fallback`; refused unless 1 to `owners`. */
function threshold(option: string | undefined, fallback: number, owners: number): number {
  const value = option === undefined ? fallback : Number(option);
  if (!Number.isSafeInteger(value) || value < 1 || value > owners) {
    throw new CCRError("INVALID_ARGUMENT", `a threshold of ${option ?? fallback} for ${owners} owner(s) is impossible`);
  }
  return value;
}

type Action = (
  name: string,
  usage: string,
  description: string,
  build: ActionBuilder,
  extra?: [string, string][],
) => Command;

/** Changes of the council Safe itself: its owners and how many of them must sign. */
function safeChanges(action: Action): void {
  const safeCall = (safe: CouncilSafe, name: string, args: unknown[]): CouncilCall => ({
    to: safe.address,
    data: SAFE_INTERFACE.encodeFunctionData(name, args),
  });
  const thresholdOption: [string, string] = ["--threshold <n>", "signatures required afterwards (default: a majority)"];
  action(
    "add-owner",
    "<address>",
    "add a representative as an owner of the council Safe",
    async (c, [who = ""], options, safe) => {
      const owner = await resolveAddress(c, who);
      const count = safe.owners.length + 1;
      return safeCall(safe, "addOwnerWithThreshold", [owner, threshold(options.threshold, majority(count), count)]);
    },
    [thresholdOption],
  );
  action(
    "remove-owner",
    "<address>",
    "remove a representative from the owners of the council Safe",
    async (c, [who = ""], options, safe) => {
      const owner = await resolveAddress(c, who);
      const count = safe.owners.length - 1;
      const args = [previousOwner(safe, owner), owner, threshold(options.threshold, majority(count), count)];
      return safeCall(safe, "removeOwner", args);
    },
    [thresholdOption],
  );
  action(
    "replace-owner",
    "<old> <new>",
    "replace one representative by another",
    async (c, [oldWho = "", newWho = ""], _options, safe) => {
      const [oldOwner, newOwner] = [await resolveAddress(c, oldWho), await resolveAddress(c, newWho)];
      return safeCall(safe, "swapOwner", [previousOwner(safe, oldOwner), oldOwner, newOwner]);
    },
  );
  action("change-threshold", "<n>", "change how many owners must sign", (_c, [n = ""], _options, safe) =>
    Promise.resolve(safeCall(safe, "changeThreshold", [threshold(n, 0, safe.owners.length)])),
  );
}

/** The risks named with --allow-risk. */
function allowedRisks(option: string | undefined): Set<Risk> {
  const named = (option ?? "").split(",").filter((r) => r !== "");
  for (const risk of named) {
    if (!isRisk(risk)) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `--allow-risk ${risk}: not a risk; the risks are ${Object.keys(RISKS).join(", ")}`,
      );
    }
  }
  return new Set(named as Risk[]);
}

const ALLOW_RISK = [
  "--allow-risk <risks>",
  `accept a proposal that carries these risks (comma-separated: ${Object.keys(RISKS).join(", ")})`,
] as const;

/** The council actions a proposal can carry, each as the call it makes. */
type ActionBuilder = (
  connection: RegistryConnection,
  args: (string | undefined)[],
  options: Record<string, string | undefined>,
  safe: CouncilSafe,
) => Promise<CouncilCall>;

/**
 * Keeps the schema document a registration carries in this machine's schema cache, where `ccr issue --schema` finds
 * it (the proposal was checked: its digest is the one registered), and says where and what else to do.
 */
async function keepCarriedDocument(proposal: CouncilProposal, context: Cli): Promise<void> {
  if (proposal.schemaDocument === undefined) return;
  const document = parseSchemaDocument("the proposal", Buffer.from(proposal.schemaDocument, "base64"));
  const cacheDir = context.schemaSources().cacheDir ?? defaultSchemaCache();
  if (existsSync(cachedSchemaPath(document.digest, cacheDir))) return; // kept already: said when it was
  const kept = await keepSchemaDocument(document, cacheDir);
  console.log(
    `schema document kept in ${kept}: ccr issue --schema finds it there on this machine; publish it at ` +
      `${document.id ?? "its URI"} (or put a copy in the schemas folder next to the deployment file) for ` +
      "issuers and verifiers elsewhere",
  );
}

/** `council propose <action>`: the proposal file of a council action, signed by the proposing owner. */
function proposeCommand(council: Command, context: Cli): Action {
  const propose = council
    .command("propose")
    .description("propose a council action: writes a proposal file signed by you (an owner of the council Safe)");

  return (name, usage, description, build, extra = []) =>
    extra
      .reduce((command, [flags, help]) => command.option(flags, help), propose.command(`${name} ${usage}`.trim()))
      .description(description)
      .option(
        "--out <file>",
        "the proposal file (default: proposals/<nonce>-<action>.json next to the deployment file)",
      )
      .option("--nonce <n>", "the Safe nonce to use (default: the next one no pending proposal file uses)")
      .action(async (...received: unknown[]) => {
        // Commander passes the operands (undefined for an optional one not given), the options, the command.
        const args = received.slice(0, -2).map((a) => (typeof a === "string" ? a : undefined)) as string[];
        const options = received.at(-2) as { out?: string; nonce?: string } & Record<string, string | undefined>;
        const { connection, wallet } = await context.withSigner();
        // Accepting the council role is the incoming Safe's act; everything else the council Safe's.
        const safe = await requireCouncilSafe(connection, name === "accept-council" ? "pending" : "current");
        if (!safe.owners.includes(wallet.address)) {
          throw new CCRError(
            "INVALID_PROPOSAL",
            `${wallet.address} is not an owner of the council Safe ${safe.address}: only its owners propose and sign`,
          );
        }
        const call = await build(connection, args, options, safe);
        const folder = proposalsFolder(context.deploymentFile());
        const taken = new Set(
          (await listProposals(folder))
            .filter(
              (p) =>
                p.proposal.safe === safe.address &&
                p.proposal.chainId === connection.chainId &&
                p.proposal.genesisHash === connection.genesisHash,
            )
            .map((p) => Number(p.proposal.transaction.nonce)),
        );
        let nonce = options.nonce === undefined ? safe.nonce : Number(options.nonce);
        if (!Number.isSafeInteger(nonce) || nonce < safe.nonce) {
          throw new CCRError(
            "INVALID_ARGUMENT",
            `--nonce ${options.nonce}: the council Safe's next nonce is ${safe.nonce}; an earlier one is used`,
          );
        }
        if (options.nonce === undefined) while (taken.has(nonce)) nonce++;
        const proposal = await signProposal(newProposal(councilChainOf(connection), safe.address, call, nonce), wallet);
        const file = options.out ?? join(folder, `${nonce}-${name}.json`);
        await mkdir(join(file, ".."), { recursive: true });
        await writeProposal(file, proposal);
        console.log(`proposed (nonce ${nonce}): ${proposal.description}`);
        console.log(`${file}: signed by ${wallet.address}; ${safe.threshold - 1} more signature(s) needed`);
        const state = await checkProposal(connection, proposal, file);
        for (const line of await proposalLines(connection, state)) console.log(line);
        await keepCarriedDocument(proposal, context);
      });
}

/** The council's actions on the registry and the names contract, as `council propose` subcommands. */
function registryActions(action: Action): void {
  const registryCall = (connection: RegistryConnection, data: string): CouncilCall => ({
    to: connection.deployment.registry.address,
    data,
  });

  action("admit", "<iso> <authority>", "admit an economy with its authority", async (c, [iso = "", who = ""]) => {
    const authority = await resolveAddress(c, who);
    const data = c.registry.interface.encodeFunctionData("admitEconomy", [economyCode(iso), authority]);
    return registryCall(c, data);
  });
  action("remove", "<iso>", "remove an economy", async (c, [iso = ""]) =>
    Promise.resolve(registryCall(c, c.registry.interface.encodeFunctionData("removeEconomy", [economyCode(iso)]))),
  );
  action("appoint", "<iso> <authority>", "appoint an economy's authority", async (c, [iso = "", who = ""]) => {
    const authority = await resolveAddress(c, who);
    const data = c.registry.interface.encodeFunctionData("appointAuthority", [economyCode(iso), authority]);
    return registryCall(c, data);
  });
  action(
    "register-schema",
    "<file>",
    "register a schema from its JSON Schema document: where it is published and the SHA-256 digest of its bytes",
    async (c, [file = ""], options) => {
      const { document, uri, name } = await readSchemaRegistration(file, options);
      const data = c.registry.interface.encodeFunctionData("registerSchema", [name, uri, document.digest]);
      return { ...registryCall(c, data), schemaDocument: document.bytes };
    },
    [
      ["--uri <uri>", "where the document is published (default: its $id)"],
      ["--name <name>", "the schema's name (default: its title)"],
    ],
  );
  action("deprecate-schema", "<schema>", "deprecate a schema (id or name)", async (c, [which = ""]) => {
    const id = await framework.schemaId(c, which);
    return registryCall(c, c.registry.interface.encodeFunctionData("deprecateSchema", [id]));
  });
  action("release", "<issuer>", "release an address that never used its accreditation", async (c, [who = ""]) => {
    const issuer = await resolveAddress(c, who);
    return registryCall(c, c.registry.interface.encodeFunctionData("releaseIssuer", [issuer]));
  });
  action(
    "name-economy",
    "<iso> <name> <authorityName> [legalName] [website]",
    "name an economy and its authority",
    (c, [iso = "", name = "", authorityName = "", legalName = "", website = ""]) => {
      if (c.names === undefined) throw new CCRError("INVALID_ARGUMENT", "this deployment has no names contract");
      const data = c.names.interface.encodeFunctionData("nameEconomy", [
        economyCode(iso),
        name,
        legalName,
        website,
        authorityName,
      ]);
      return Promise.resolve({ to: c.deployment.names?.address ?? "", data });
    },
  );
  action("hand-over", "<council>", "begin handing the council role to another address", async (c, [who = ""]) => {
    const next = await resolveAddress(c, who);
    const data = c.registry.interface.encodeFunctionData("beginDefaultAdminTransfer", [next]);
    return registryCall(c, data);
  });
  action("accept-council", "", "accept the council role handed to this Safe", (c) =>
    Promise.resolve(registryCall(c, c.registry.interface.encodeFunctionData("acceptDefaultAdminTransfer"))),
  );
  safeChanges(action);
}

/** `council sign|execute`: reviewing, signing and executing a proposal (then the listings). */
function reviewCommands(council: Command, context: Cli): void {
  council
    .command("sign <proposal>")
    .description(
      "show what a proposal does (decoded from its transaction) and add your signature (an owner of the council Safe)",
    )
    .option(...ALLOW_RISK)
    .option("--yes", "sign without asking, even on a terminal")
    .action(async (file: string, options: { allowRisk?: string; yes?: boolean }) => {
      const { connection, wallet } = await context.withSigner();
      const state = await checkProposal(connection, await readProposal(file), file, allowedRisks(options.allowRisk));
      if (!state.safe.owners.includes(wallet.address)) {
        throw new CCRError(
          "INVALID_PROPOSAL",
          `${wallet.address} is not an owner of the council Safe ${state.safe.address}`,
        );
      }
      if (state.state === "executed" || state.state === "stale") {
        throw new CCRError("INVALID_PROPOSAL", `${file}: ${notExecutable(state) ?? ""}`);
      }
      console.log(`${file}: nonce ${state.proposal.transaction.nonce}`);
      for (const line of await proposalLines(connection, state)) console.log(line);
      if (options.yes !== true && !(await confirmed(`sign this as ${wallet.address}?`))) {
        throw new CCRError("INVALID_ARGUMENT", "not signed: you did not confirm");
      }
      const signed = await signProposal(state.proposal, wallet);
      await writeProposal(file, signed);
      const label = addressLabeller(connection, new NameBook(connection));
      console.log(`signed by ${await label(wallet.address)}`);
      console.log(await describeState(await checkProposal(connection, signed, file, new Set(state.call.risks)), label));
      await keepCarriedDocument(signed, context);
    });

  council
    .command("execute <proposal>")
    .description("execute a proposal its owners have signed (anyone may send it), and show what it did")
    .option(...ALLOW_RISK)
    .action(async (file: string, options: { allowRisk?: string }) => {
      const { connection, wallet } = await context.withSigner();
      const state = await checkProposal(connection, await readProposal(file), file, allowedRisks(options.allowRisk));
      const sent = await executeProposal(connection, state, wallet);
      context.done(`executed: ${state.call.description}`, sent);
      for (const line of await proposalLines(connection, state)) console.log(line);
      await keepCarriedDocument(state.proposal, context);
    });

  listCommands(council, context);
}

/** `council pending|show`: the proposals waiting, and the council Safe itself. */
function listCommands(council: Command, context: Cli): void {
  council
    .command("pending")
    .description("the proposals in the proposals folder that are not executed yet: what each does, who signed")
    .option("--all", "also list executed and stale proposals")
    .option(...ALLOW_RISK)
    .action(async (options: { all?: boolean; allowRisk?: string }) => {
      const { connection } = await context.open(false);
      const allowed = allowedRisks(options.allowRisk);
      const safe = await requireCouncilSafe(connection);
      const label = addressLabeller(connection, new NameBook(connection));
      const folder = proposalsFolder(context.deploymentFile());
      const pendingSafe = await councilSafe(connection, "pending");
      const safes = [safe.address, pendingSafe?.address].map((a) => a?.toLowerCase());
      const ours = (p: CouncilProposal): boolean =>
        p.chainId === connection.chainId &&
        String(p.genesisHash).toLowerCase() === connection.genesisHash.toLowerCase() &&
        safes.includes(String(p.safe).toLowerCase());
      const all = await listProposals(folder);
      const others = all.filter((p) => !ours(p.proposal)).length;
      if (others > 0) {
        console.log(`(${others} proposal file(s) in ${folder} belong to another chain or Safe: not shown)`);
      }
      let shown = 0;
      for (const { file, proposal } of all.filter((p) => ours(p.proposal))) {
        let lines: string[];
        try {
          const state = await checkProposal(connection, proposal, file, allowed);
          if (options.all !== true && (state.state === "executed" || state.state === "stale")) continue;
          lines = [
            `nonce ${proposal.transaction.nonce}: ${basename(file)}: ${await describeState(state, label)}`,
            ...(await proposalLines(connection, state)),
          ];
        } catch (error) {
          if (!(error instanceof CCRError)) throw error;
          lines = [`${basename(file)}: REFUSED: ${error.message}`];
        }
        for (const line of lines) console.log(line);
        shown++;
      }
      console.log(
        `${shown} proposal(s) in ${folder}; the council Safe ${safe.address} (${safe.threshold} of ${safe.owners.length}) is at nonce ${safe.nonce}`,
      );
    });

  council
    .command("show")
    .description("the council Safe: owners, threshold and next nonce")
    .action(async () => {
      const { connection } = await context.open(false);
      const safe = await requireCouncilSafe(connection);
      const label = addressLabeller(connection, new NameBook(connection));
      console.log(
        `council Safe ${safe.address}: ${safe.threshold} of ${safe.owners.length} owners must sign, next nonce ${safe.nonce}`,
      );
      for (const owner of safe.owners) console.log(`  ${await label(owner)}`);
    });
}

function councilCommand(council: Command, context: Cli): void {
  registryActions(proposeCommand(council, context));
  reviewCommands(council, context);
}

export const commands: CommandModule = { council: councilCommand };
