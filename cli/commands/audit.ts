/** `ccr audit`: the auditor's index of the event history (sync, check, history, report). */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Option, type Command } from "commander";
import { checkIndex, recordCheck } from "../../src/audit/check.ts";
import { printableLocation } from "../../src/audit/db.ts";
import { indexedAddress, timeline } from "../../src/audit/history.ts";
import { buildReport, reportCsv, reportHtml, reportTable } from "../../src/audit/report.ts";
import { syncIndex } from "../../src/audit/sync.ts";
import { readDeployment } from "../../src/deployment.ts";
import { CCRError } from "../../src/errors.ts";
import { credentialHash } from "../../src/vc/credential.ts";
import { readCredentialFile } from "../../src/vc/file.ts";
import type { CommandModule, Cli } from "../context.ts";
import { parseCount, parseDate, parsePositive } from "../parse.ts";

const DB_OPTION: [string, string] = [
  "--db <file|url>",
  "the index: an SQLite file or a postgres:// URL, its password in PGPASSWORD or ~/.pgpass " +
    "(default: $CCR_AUDIT_DB, else audit.sqlite next to the deployment file)",
];

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

/** The index: --db, else $CCR_AUDIT_DB (a file or a postgres:// URL), else audit.sqlite next to the deployment file. */
const defaultDb = (cli: Cli): string => process.env.CCR_AUDIT_DB ?? join(dirname(cli.deploymentFile()), "audit.sqlite");

/** `audit sync` and `audit check`: the index brought up to the chain, and compared with it. */
function syncAndCheck(audit: Command, cli: Cli): void {
  const { open, globals, progressBar } = cli;
  audit
    .command("sync")
    .description("read every registry event into the index, from the deployment block or the checkpoint")
    .option(...DB_OPTION)
    // The global --confirmations (`ccr audit sync --confirmations 3`) leaves the newest n blocks out (default: none).
    .option("--block-range <n>", "at most n blocks per eth_getLogs request (for providers with a limit)", parsePositive)
    .action(async (options: { db?: string; blockRange?: number }) => {
      const { connection } = await open(false);
      const file = options.db ?? defaultDb(cli);
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
      const read =
        result.blocks === 0
          ? `no new block since block ${result.toBlock}`
          : `blocks ${result.fromBlock}-${result.toBlock} (${result.blocks} block(s))`;
      console.log(
        `${printableLocation(file)}: ${read}, ${result.events} new event(s)` +
          `${result.rolledBack > 0 ? `, ${result.rolledBack} reorganised block(s) rolled back` : ""}, ${result.seconds.toFixed(1)} s`,
      );
    });

  audit
    .command("check")
    .description("replay the index into the full state and compare every item with the registry's view calls")
    .option(...DB_OPTION)
    .action(async (options: { db?: string }) => {
      const { connection } = await open(false);
      const file = options.db ?? defaultDb(cli);
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
}

/** `audit history` and `audit report`: what the index alone tells (no RPC). */
function historyAndReport(audit: Command, cli: Cli): void {
  const { deploymentFile } = cli;
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
        target = await indexedAddress(options.db ?? defaultDb(cli), deployment, subject);
      }
      const entries = await timeline(options.db ?? defaultDb(cli), deployment, target, member);
      if (options.json === true) {
        console.log(JSON.stringify(entries, null, 2));
        return;
      }
      for (const e of entries)
        console.log(`${e.time}  block ${e.block}  tx ${e.transaction}  by ${e.actorLabel}\n  ${e.change}`);
      console.log(`${entries.length} event(s) for ${target}${member === undefined ? "" : ` member ${member}`}`);
    });

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
      const db = options.db ?? defaultDb(cli);
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
}

function auditCommand(audit: Command, cli: Cli): void {
  syncAndCheck(audit, cli);
  historyAndReport(audit, cli);
}

export const commands: CommandModule = { audit: auditCommand };
