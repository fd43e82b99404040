/** `ccr serve`: the web pages (verifier, explorer, dashboard) and the TRQP v2 API. */
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { CCRError } from "../../src/errors.ts";
import type { RegistryConnection } from "../../src/registry.ts";
import { AuditIndex } from "../../src/server/audit.ts";
import { startServer } from "../../src/server/serve.ts";
import { startVerifier, type RunningVerifier } from "../../src/verifier/run.ts";
import { openVerifierStore } from "../../src/verifier/openStore.ts";
import type { CommandModule, Cli } from "../context.ts";
import { parseCount, readText } from "../parse.ts";

interface ServeOptions {
  host: string;
  port: number;
  db?: string;
  sync: number;
  verifierCert?: string;
  verifierKey?: string;
  verifierPort: number;
  verifierUrl?: string;
  verifierStore?: string;
}

/** The OpenID4VP verifier beside the pages, when its certificate and key are given; stopped with its store. */
async function verifierOf(
  options: ServeOptions,
  cli: Cli,
  connection: RegistryConnection,
): Promise<{ running: RunningVerifier; close(): Promise<void> } | undefined> {
  if (options.verifierCert === undefined && options.verifierKey === undefined) return undefined;
  if (options.verifierCert === undefined || options.verifierKey === undefined) {
    throw new CCRError("INVALID_ARGUMENT", "--verifier-cert and --verifier-key go together");
  }
  const tls = { cert: await readText(options.verifierCert), key: await readText(options.verifierKey) };
  const store = await openVerifierStore(
    options.verifierStore ?? join(dirname(cli.deploymentFile()), "verifier", "requests.sqlite"),
  );
  const running = await startVerifier({
    connection,
    tls,
    host: options.host,
    port: options.verifierPort,
    url: options.verifierUrl,
    store,
    schemaSources: cli.schemaSources(),
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  return {
    running,
    close: async () => {
      await running.close();
      await store.close();
    },
  };
}

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
    .option(
      "--verifier-cert <file>",
      'with --verifier-key: also run the OpenID4VP verifier (the page\'s "Request from a wallet"), serving wallets ' +
        "over HTTPS with this certificate chain (PEM), which is its identity (x509_san_dns)",
    )
    .option("--verifier-key <file>", "the verifier certificate's P-256 private key (PEM), which signs its requests")
    .option("--verifier-port <port>", "the port wallets reach the verifier at (0: any free one)", parseCount, 8444)
    .option("--verifier-url <url>", "the https URL wallets reach it at (default: https://localhost:<verifier-port>)")
    .option(
      "--verifier-store <file|url>",
      "the verifier's store: an SQLite file (default: verifier/requests.sqlite beside the deployment), or postgres://…",
    )
    .action(async (options: ServeOptions) => {
      const { connection } = await open(false);
      const db = options.db ?? process.env.CCR_AUDIT_DB;
      const audit = db === undefined ? undefined : new AuditIndex(db, connection);
      const verifier = await verifierOf(options, cli, connection);
      const stop = await startServer(
        {
          connection,
          rpcUrl: connection.rpcUrl,
          audit,
          syncSeconds: options.sync,
          schemaSources: cli.schemaSources(),
          verifier: verifier?.running.app,
        },
        options,
      ).catch(async (error: unknown) => {
        await verifier?.close();
        throw error;
      });
      console.log(
        `ccr serve: listening on ${stop.url} (chain ${connection.chainId}, registry ${connection.deployment.registry.address})`,
      );
      if (verifier !== undefined) {
        const { clientId } = verifier.running.verifier.info();
        console.log(`ccr serve: OpenID4VP verifier for wallets at ${verifier.running.url} (client id ${clientId})`);
      }
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
      await verifier?.close();
    });
}

export const commands: CommandModule = { serve: serveCommand };
