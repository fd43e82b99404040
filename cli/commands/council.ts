/**
 * `ccr council`: the council's actions through its Safe multisig. `propose <action …>` writes a proposal file signed
 * by the proposer; `sign <proposal>` adds an owner's signature; `execute <proposal>` sends it once the threshold is
 * met (anyone may); `pending` lists the proposals still open with their signers; `show` the Safe's owners and
 * threshold.
 */
import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { getAddress } from "ethers";
import { economyCode } from "../../src/codes.ts";
import {
  checkProposal,
  councilSafe,
  executeProposal,
  listProposals,
  newProposal,
  notExecutable,
  proposalsFolder,
  readProposal,
  requireCouncilSafe,
  signProposal,
  writeProposal,
  type CouncilCall,
  type CouncilProposal,
  type ProposalState,
} from "../../src/council.ts";
import type { Deployment } from "../../src/deployment.ts";
import { CCRError } from "../../src/errors.ts";
import * as framework from "../../src/framework.ts";
import { resolveAddress } from "../../src/names.ts";
import type { RegistryConnection } from "../../src/registry.ts";
import { readSchemaDocument } from "../../src/schemaResolver.ts";
import type { CommandModule } from "../ccr.ts";
import type { Cli } from "../context.ts";

/** "Name (0x…)" for the deployment's accounts, else the address. */
function labeller(deployment: Deployment): (address: string) => string {
  const byAddress = new Map(
    Object.entries(deployment.accounts).map(([name, a]) => [a.address.toLowerCase(), `${name} (${a.address})`]),
  );
  return (address) => byAddress.get(address.toLowerCase()) ?? address;
}

function describeState(state: ProposalState, label: (a: string) => string): string {
  const { safe, signers } = state;
  const signed = signers.length === 0 ? "nobody yet" : signers.map(label).join(", ");
  const why = notExecutable(state, label);
  return `${signers.length} of ${safe.threshold} signatures (${signed}); ${why === undefined ? "ready to execute" : why}`;
}

/** The council actions a proposal can carry, each as the call it makes. */
type ActionBuilder = (
  connection: RegistryConnection,
  args: (string | undefined)[],
  options: Record<string, string | undefined>,
) => Promise<CouncilCall>;

function councilCommand(council: Command, context: Cli): void {
  const registryCall = (connection: RegistryConnection, data: string, description: string): CouncilCall => ({
    to: connection.deployment.registry.address,
    data,
    description,
  });

  const propose = council
    .command("propose")
    .description("propose a council action: writes a proposal file signed by you (an owner of the council Safe)");

  const action = (
    name: string,
    usage: string,
    description: string,
    build: ActionBuilder,
    extra: [string, string][] = [],
  ): Command =>
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
        const call = await build(connection, args, options);
        const folder = proposalsFolder(context.deploymentFile());
        const taken = new Set(
          (await listProposals(folder))
            .filter((p) => p.proposal.safe === safe.address && p.proposal.chainId === connection.chainId)
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
        const proposal = await signProposal(newProposal(connection, safe.address, call, nonce), wallet);
        const file = options.out ?? join(folder, `${nonce}-${name}.json`);
        await mkdir(join(file, ".."), { recursive: true });
        await writeProposal(file, proposal);
        console.log(`proposed (nonce ${nonce}): ${call.description}`);
        console.log(`${file}: signed by ${wallet.address}; ${safe.threshold - 1} more signature(s) needed`);
      });

  action("admit", "<iso> <authority>", "admit an economy with its authority", async (c, [iso = "", who = ""]) => {
    const authority = await resolveAddress(c, who);
    const data = c.registry.interface.encodeFunctionData("admitEconomy", [economyCode(iso), authority]);
    return registryCall(c, data, `admit ${iso} with authority ${authority}`);
  });
  action("remove", "<iso>", "remove an economy", async (c, [iso = ""]) =>
    Promise.resolve(
      registryCall(c, c.registry.interface.encodeFunctionData("removeEconomy", [economyCode(iso)]), `remove ${iso}`),
    ),
  );
  action("appoint", "<iso> <authority>", "appoint an economy's authority", async (c, [iso = "", who = ""]) => {
    const authority = await resolveAddress(c, who);
    const data = c.registry.interface.encodeFunctionData("appointAuthority", [economyCode(iso), authority]);
    return registryCall(c, data, `appoint ${authority} as the authority of ${iso}`);
  });
  action(
    "register-schema",
    "<file>",
    "register a schema from its JSON Schema document: where it is published and the SHA-256 digest of its bytes",
    async (c, [file = ""], options) => {
      const document = await readSchemaDocument(file);
      const uri = options.uri ?? document.id;
      const name = options.name ?? document.title;
      if (uri === undefined) {
        throw new CCRError("INVALID_ARGUMENT", `${file} has no "$id": say where it is published with --uri`);
      }
      if (name === undefined)
        throw new CCRError("INVALID_ARGUMENT", `${file} has no "title": name the schema with --name`);
      const data = c.registry.interface.encodeFunctionData("registerSchema", [name, uri, document.digest]);
      return registryCall(c, data, `register schema "${name}" (${uri}, sha256 ${document.digest})`);
    },
    [
      ["--uri <uri>", "where the document is published (default: its $id)"],
      ["--name <name>", "the schema's name (default: its title)"],
    ],
  );
  action("deprecate-schema", "<schema>", "deprecate a schema (id or name)", async (c, [which = ""]) => {
    const id = await framework.schemaId(c, which);
    return registryCall(c, c.registry.interface.encodeFunctionData("deprecateSchema", [id]), `deprecate schema ${id}`);
  });
  action("release", "<issuer>", "release an address that never used its accreditation", async (c, [who = ""]) => {
    const issuer = await resolveAddress(c, who);
    return registryCall(c, c.registry.interface.encodeFunctionData("releaseIssuer", [issuer]), `release ${issuer}`);
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
      return Promise.resolve({
        to: c.deployment.names?.address ?? "",
        data,
        description: `name ${iso} "${name}", its authority "${authorityName}"`,
      });
    },
  );
  action("hand-over", "<council>", "begin handing the council role to another address", async (c, [who = ""]) => {
    const next = await resolveAddress(c, who);
    const data = c.registry.interface.encodeFunctionData("beginDefaultAdminTransfer", [next]);
    return registryCall(c, data, `begin handing the council over to ${next}`);
  });
  action("accept-council", "", "accept the council role handed to this Safe", (c) =>
    Promise.resolve(
      registryCall(
        c,
        c.registry.interface.encodeFunctionData("acceptDefaultAdminTransfer"),
        "accept the council role for this Safe",
      ),
    ),
  );

  council
    .command("sign <proposal>")
    .description("add your signature to a proposal (you must own a share of the council Safe)")
    .action(async (file: string) => {
      const { connection, wallet } = await context.withSigner();
      const state = await checkProposal(connection, await readProposal(file), file);
      if (!state.safe.owners.includes(wallet.address)) {
        throw new CCRError(
          "INVALID_PROPOSAL",
          `${wallet.address} is not an owner of the council Safe ${state.safe.address}`,
        );
      }
      if (state.state === "executed" || state.state === "stale") {
        throw new CCRError("INVALID_PROPOSAL", `${file}: ${notExecutable(state) ?? ""}`);
      }
      const signed = await signProposal(state.proposal, wallet);
      await writeProposal(file, signed);
      const label = labeller(connection.deployment);
      console.log(`${file}: signed by ${wallet.address}`);
      console.log(describeState(await checkProposal(connection, signed, file), label));
    });

  council
    .command("execute <proposal>")
    .description("execute a proposal its owners have signed (anyone may send it)")
    .action(async (file: string) => {
      const { connection, wallet } = await context.withSigner();
      const state = await checkProposal(connection, await readProposal(file), file);
      const sent = await executeProposal(connection, state, wallet);
      context.done(`executed: ${state.proposal.description}`, sent);
    });

  council
    .command("pending")
    .description("the proposals in the proposals folder that are not executed yet, with their signers")
    .option("--all", "also list executed and stale proposals")
    .action(async (options: { all?: boolean }) => {
      const { connection } = await context.open(false);
      const safe = await requireCouncilSafe(connection);
      const label = labeller(connection.deployment);
      const folder = proposalsFolder(context.deploymentFile());
      const pendingSafe = await councilSafe(connection, "pending");
      const ours = (p: CouncilProposal): boolean =>
        p.chainId === connection.chainId && [safe.address, pendingSafe?.address].includes(getAddress(String(p.safe)));
      let shown = 0;
      for (const { file, proposal } of (await listProposals(folder)).filter((p) => ours(p.proposal))) {
        let line: string;
        try {
          const state = await checkProposal(connection, proposal, file);
          if (options.all !== true && (state.state === "executed" || state.state === "stale")) continue;
          line = `nonce ${proposal.transaction.nonce}  ${proposal.description}\n  ${basename(file)}: ${describeState(state, label)}`;
        } catch (error) {
          if (!(error instanceof CCRError)) throw error;
          line = `${basename(file)}: REFUSED: ${error.message}`;
        }
        console.log(line);
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
      const label = labeller(connection.deployment);
      console.log(
        `council Safe ${safe.address}: ${safe.threshold} of ${safe.owners.length} owners must sign, next nonce ${safe.nonce}`,
      );
      for (const owner of safe.owners) console.log(`  ${label(owner)}`);
    });
}

export const commands: CommandModule = { council: councilCommand };
