/**
 * `ccr request`: an OpenID4VP request from the command line. Serves the verifier's endpoints over HTTPS (its
 * certificate is its identity: the `x509_san_dns` client id and the request object's `x5c`), prints the request as an
 * `openid4vp://` link and a QR code, waits for the wallet's answer, and prints the verdict; exit 0 valid, 1 invalid or
 * refused, 2 undecided or expired, as `ccr verify`.
 */
import { dirname, join } from "node:path";
import type { Command } from "commander";
import QRCode from "qrcode";
import { CCRError } from "../../src/errors.ts";
import { REQUEST_LIFETIME } from "../../src/verifier/requests.ts";
import { startVerifier } from "../../src/verifier/run.ts";
import type { RequestResult, Verifier } from "../../src/verifier/service.ts";
import { openVerifierStore } from "../../src/verifier/openStore.ts";
import type { CommandModule, Cli } from "../context.ts";
import { parseCount, parsePositive, readText } from "../parse.ts";
import { printResult } from "./verify.ts";

interface RequestOptions {
  schema: string;
  claims: string;
  economy?: string;
  url?: string;
  host: string;
  port: number;
  tlsCert: string;
  tlsKey: string;
  store?: string;
  lifetime: number;
  encrypted?: boolean;
  json?: boolean;
}

/** Prints the answer's verdict as `ccr verify --presentation` does; returns the exit status. */
function report(result: RequestResult, json: boolean): number {
  if (json) console.log(JSON.stringify(result, null, 2));
  if (result.state === "expired") {
    if (!json) console.log("EXPIRED   no wallet answered before the request expired");
    return 2;
  }
  if (result.state !== "answered") return 2;
  if (!json) {
    if (result.refused !== undefined) console.log(`INVALID   the answer was refused: ${result.refused}`);
    const presentation = result.verified?.presentation;
    if (presentation !== undefined) {
      console.log(`${presentation.outcome.toUpperCase().padEnd(9)} the wallet's answer: ${presentation.reason}`);
    }
    for (const r of result.verified?.credentials ?? []) printResult(r);
  }
  return result.outcome === "valid" ? 0 : result.outcome === "invalid" ? 1 : 2;
}

/** Waits until the request is answered or expired, reading its result from the store (never a fixed sleep). */
async function awaitResult(verifier: Verifier, id: string, key: string): Promise<RequestResult> {
  for (;;) {
    const result = await verifier.result(id, key);
    if (result === undefined) throw new CCRError("VERIFIER_STORE", `request ${id} is gone from the store`);
    if (result.state !== "open") return result;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function runRequest(options: RequestOptions, cli: Cli): Promise<void> {
  const { connection } = await cli.open(false);
  const tls = { cert: await readText(options.tlsCert), key: await readText(options.tlsKey) };
  const store = await openVerifierStore(
    options.store ?? join(dirname(cli.deploymentFile()), "verifier", "requests.sqlite"),
  );
  try {
    const running = await startVerifier({
      connection,
      tls,
      host: options.host,
      port: options.port,
      url: options.url,
      store,
      schemaSources: cli.schemaSources(),
      lifetime: options.lifetime,
    });
    try {
      const { verifier } = running;
      const claims = options.claims
        .split(",")
        .map((c) => c.trim())
        .filter((c) => c !== "");
      const made = await verifier.create(options.schema, claims, options.economy, options.encrypted === true);
      console.error(await QRCode.toString(made.link, { type: "terminal", small: true }));
      console.error(
        `ccr request: open this in a wallet (expires ${made.expiresAt}); listening on ${running.listening}`,
      );
      console.log(made.link);
      process.exitCode = report(await awaitResult(verifier, made.id, made.resultKey), options.json === true);
    } finally {
      await running.close();
    }
  } finally {
    await store.close();
  }
}

function requestCommand(request: Command, cli: Cli): void {
  request
    .requiredOption("--schema <schema>", "the credential type asked for: a registered schema's id, name or URI")
    .requiredOption(
      "--claims <a,b>",
      "the claims the holder is asked to disclose (fields of the schema), comma-separated",
    )
    .option("--economy <iso>", "the economy whose recognition counts (the verifier's)")
    .requiredOption("--tls-cert <file>", "the verifier's certificate chain (PEM): HTTPS, and its identity to wallets")
    .requiredOption("--tls-key <file>", "its P-256 private key (PEM), which signs the request")
    .option("--url <url>", "the https URL wallets reach this command at (default: https://localhost:<port>)")
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option("--port <port>", "the port to listen on (0: any free one)", parseCount, 0)
    .option(
      "--store <file|url>",
      "the verifier's store: an SQLite file (default: verifier/requests.sqlite beside the deployment), or " +
        "postgres://… shared with other verifiers (password in PGPASSWORD or ~/.pgpass)",
    )
    .option("--lifetime <seconds>", "how long the request can be answered", parsePositive, REQUEST_LIFETIME)
    .option("--encrypted", "ask for the answer encrypted to this request's own key (response mode direct_post.jwt)")
    .option("--json", "print the verdict as JSON")
    .action((options: RequestOptions) => runRequest(options, cli));
}

export const commands: CommandModule = { request: requestCommand };
