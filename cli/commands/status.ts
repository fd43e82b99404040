/** `ccr revoke|suspend|reinstate` (credentials, batches and batch members) and `ccr status-list publish`. */
import type { Command } from "commander";
import { ethrDid, ethrDidResolver } from "../../src/did.ts";
import { signingMethodId } from "../../src/didKeys.ts";
import { resolveAddress } from "../../src/names.ts";
import { changeStatus, reasonCode, statusTargets, type StatusAction } from "../../src/vc/status.ts";
import { publishStatusLists } from "../../src/vc/statusList.ts";
import type { CommandModule, Cli } from "../context.ts";

const pastTense: Record<StatusAction, string> = { revoke: "revoked", suspend: "suspended", reinstate: "reinstated" };

/** `ccr <action> <items...>`: one status change per issuer and kind of target, each its own transaction. */
const statusCommand =
  (action: StatusAction) =>
  (command: Command, cli: Cli): void => {
    if (action !== "reinstate")
      command.requiredOption("--reason <code>", "RFC 5280 reason name or code, e.g. keyCompromise, superseded, 1");
    command.option(
      "--issuer <issuer>",
      "the issuer whose records the hashes are (default: the acting account; files name their own)",
    );
    command.action(async (items: string[], options: { reason?: string; issuer?: string }) => {
      const reason = options.reason === undefined ? 0 : reasonCode(options.reason);
      const { connection, wallet } = await cli.withSigner();
      const issuer = options.issuer === undefined ? undefined : await resolveAddress(connection, options.issuer);
      const targets = await statusTargets(connection, items, { issuer, hashIssuer: wallet.address });
      for (const change of await changeStatus(connection, action, targets, reason)) {
        const what = change.targets.map((t) => t.label).join(", ");
        cli.done(`${pastTense[action]} ${what}`, change.sent);
      }
    });
  };

function statusListCommand(statusList: Command, cli: Cli): void {
  const { withSigner, defaultStatusRegister } = cli;
  statusList
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
}

export const commands: CommandModule = {
  revoke: statusCommand("revoke"),
  suspend: statusCommand("suspend"),
  reinstate: statusCommand("reinstate"),
  "status-list": statusListCommand,
};
