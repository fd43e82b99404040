/** `ccr serve`: the web pages (verifier, explorer, dashboard) and the TRQP v2 API. */
import type { Command } from "commander";
import { AuditIndex } from "../../src/server/audit.ts";
import { startServer } from "../../src/server/serve.ts";
import type { CommandModule, Cli } from "../context.ts";
import { parseCount } from "../parse.ts";

function serveCommand(serve: Command, cli: Cli): void {
  const { open } = cli;
  serve
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
        { connection, rpcUrl: connection.rpcUrl, audit, syncSeconds: options.sync, schemaSources: cli.schemaSources() },
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
}

export const commands: CommandModule = { serve: serveCommand };
