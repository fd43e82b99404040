/**
 * `ccr framework`: the framework's administration by a single-key council (a Safe council proposes the same
 * actions with `ccr council`), its authorities and its issuers: economies, schemas, accreditation, operators,
 * recognition, names.
 */
import type { Command } from "commander";
import { economyCode } from "../../src/codes.ts";
import { ethrDid } from "../../src/did.ts";
import { CCRError } from "../../src/errors.ts";
import * as framework from "../../src/framework.ts";
import { NameBook, nameEconomy, nameIssuer, resolveAddress, setWebsite } from "../../src/names.ts";
import type { RegistryConnection } from "../../src/registry.ts";
import { keepSchemaDocument, readSchemaDocument, readSchemaRegistration } from "../../src/schemaResolver.ts";
import type { CommandModule, Cli } from "../context.ts";
import { parseDate } from "../parse.ts";

const shownTime = (iso: string | undefined): string => iso?.replace(".000Z", "Z") ?? "open";

/** A title line, then "  field: value" lines (fields without a value are left out). */
function printFields(title: string, fields: [string, string | undefined][]): void {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== "");
  const width = Math.max(...shown.map(([field]) => field.length)) + 1;
  console.log([title, ...shown.map(([field, value]) => `  ${`${field}:`.padEnd(width)} ${value}`)].join("\n"));
}

/** `--from`/`--until` of amend: a date, or "open" (no start, no end). */
interface AmendOptions {
  schemas?: string;
  from?: Date | "open";
  until?: Date | "open";
}

function parseBound(value: string): Date | "open" {
  return value === "open" ? "open" : parseDate(value);
}

/** An amended bound: unchanged when not given, none when "open". */
const bound = (given: Date | "open" | undefined, current: string | undefined): Date | undefined =>
  given === undefined ? (current === undefined ? undefined : new Date(current)) : given === "open" ? undefined : given;

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

/** `framework economy …`: member economies (council). */
function economyCommands(fw: Command, cli: Cli): void {
  const { open, withSigner, done } = cli;
  const economy = fw.command("economy").description("member economies (council)");
  economy
    .command("admit <iso> <authority>")
    .description("admit an economy with its authority (address or account name)")
    .action(async (iso: string, authority: string) => {
      const { connection } = await withSigner();
      done(
        `admitted ${iso}`,
        await framework.admitEconomy(connection, iso, await resolveAddress(connection, authority)),
      );
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
    .action(
      async (iso: string, options: { name: string; legalName: string; website: string; authorityName: string }) => {
        const { connection } = await withSigner();
        const profile = { name: options.name, legalName: options.legalName, website: options.website };
        done(`named ${iso} "${options.name}"`, await nameEconomy(connection, iso, profile, options.authorityName));
      },
    );
  economy
    .command("show <iso>")
    .description("an economy: its name, profile and authority")
    .option("--json", "print JSON")
    .action(async (iso: string, options: { json?: boolean }) => {
      const { connection } = await open(false);
      const record = await connection.registry.getEconomy(economyCode(iso));
      const profile = await new NameBook(connection).economy(iso);
      const shown = {
        economy: iso,
        member: record.member,
        authority: record.authority,
        liveIssuers: Number(record.liveIssuers),
        ...profile,
      };
      if (options.json === true) return console.log(JSON.stringify(shown, null, 2));
      printFields(profile === undefined ? iso : `${profile.name} (${iso})`, [
        ["member", record.member ? "yes" : "no (removed or never admitted)"],
        ["authority", `${profile?.authorityName ?? "unnamed"}, ${record.authority}`],
        ["legal name", profile?.legalName],
        ["website", profile?.website],
        ["live issuers", String(shown.liveIssuers)],
      ]);
    });
}

/** `framework schema …`: credential schemas (council). */
function schemaCommands(fw: Command, cli: Cli): void {
  const { open, withSigner, done } = cli;
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
      const { document, uri, name } = await readSchemaRegistration(file, options);
      const { connection } = await withSigner();
      const id = Number(await connection.registry.schemaCount());
      done(
        `registered schema ${id} "${name}" (${uri}, sha256 ${document.digest})`,
        await framework.registerSchema(connection, name, uri, document.digest),
      );
      const kept = await keepSchemaDocument(document, cli.schemaSources().cacheDir);
      console.log(`schema document kept in ${kept}: ccr issue --schema finds it there on this machine`);
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
      console.log(
        `${file} is the document of schema ${registered.id} "${registered.name}" (sha256 ${document.digest})`,
      );
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
}

/** `framework issuer …`: offers, acceptance, release; then its administration and profile. */
function issuerCommands(fw: Command, cli: Cli): void {
  const { withSigner, done } = cli;
  const issuer = fw
    .command("issuer")
    .description("issuer accreditation (offers and administration: the economy authority; accept: the issuer)");
  const accreditation = (command: Command): Command =>
    command
      .requiredOption("--schemas <list>", "comma-separated schema ids or keys, e.g. cbpr,prp")
      .option("--from <date>", "accreditation starts (default: immediately)", parseDate)
      .option("--until <date>", "accreditation ends (default: open-ended)", parseDate);
  accreditation(
    issuer
      .command("offer <issuer>")
      .alias("accredit")
      .description(
        "offer an address accreditation for schemas and a time window (it becomes an issuer when it accepts)",
      ),
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
  issuerAdministration(issuer, cli);
}

/** `framework issuer amend|suspend|reinstate|revoke`: an accreditation's administration (then its profile). */
function issuerAdministration(issuer: Command, cli: Cli): void {
  const { withSigner, done } = cli;
  issuer
    .command("amend <issuer>")
    .description("change an issuer's schemas or window: only what the options name changes")
    .option("--schemas <list>", "the schemas it is accredited for from now on (comma-separated ids or names)")
    .option("--from <date>", 'accreditation starts ("open": no start)', parseBound)
    .option("--until <date>", 'accreditation ends ("open": open-ended)', parseBound)
    .action(async (who: string, options: AmendOptions) => {
      if (options.schemas === undefined && options.from === undefined && options.until === undefined) {
        throw new CCRError("INVALID_ARGUMENT", "nothing to amend: name what changes with --schemas, --from or --until");
      }
      const { connection } = await withSigner();
      const address = await resolveAddress(connection, who);
      const now = await framework.issuerInfo(connection, address);
      const next = {
        schemas: options.schemas === undefined ? now.schemas : await schemaList(connection, options.schemas),
        validFrom: bound(options.from, now.validFrom),
        validUntil: bound(options.until, now.validUntil),
      };
      const date = (iso: string | undefined): Date | undefined => bound(undefined, iso);
      const shown = (d: Date | undefined): string => shownTime(d?.toISOString());
      const change = (what: string, before: string, after: string): string =>
        before === after ? `${what} ${after} (unchanged)` : `${what} ${before} -> ${after}`;
      const summary = [
        change("schemas", now.schemas.join(","), next.schemas.join(",")),
        change("from", shown(date(now.validFrom)), shown(next.validFrom)),
        change("until", shown(date(now.validUntil)), shown(next.validUntil)),
      ].join("; ");
      done(`amended ${address}: ${summary}`, await framework.amendAccreditation(connection, address, next));
    });
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
  issuerProfile(issuer, cli);
}

/** `framework issuer show|name|website`: an issuer's name, profile and accreditation. */
function issuerProfile(issuer: Command, cli: Cli): void {
  const { open, withSigner, done } = cli;
  issuer
    .command("show <issuer>")
    .description("show an issuer's name, profile and accreditation (the issuer by name, address or did:ethr)")
    .option("--json", "print JSON")
    .action(async (who: string, options: { json?: boolean }) => {
      const { connection } = await open(false);
      const address = await resolveAddress(connection, who);
      const book = new NameBook(connection);
      const profile = await book.issuer(address);
      const info = await framework.issuerInfo(connection, address);
      if (options.json === true) return console.log(JSON.stringify({ ...profile, ...info }, null, 2));
      const schemas = await framework.listSchemas(connection);
      const schemaName = (id: number): string => `${id} ("${schemas[id]?.name ?? "?"}")`;
      printFields(profile === undefined ? address : `${profile.name} (${info.economy})`, [
        ["address", `${address} (${ethrDid(connection.chainId, address)})`],
        ["legal name", profile?.legalName],
        ["website", profile?.website],
        ["economy", await book.labelEconomy(info.economy)],
        ["standing", info.standing],
        ["schemas", info.schemas.map(schemaName).join(", ") || "none"],
        ["window", `${shownTime(info.validFrom)} to ${shownTime(info.validUntil)}`],
        ["compromised", info.compromisedAt],
      ]);
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
}

/** `framework operator add|remove` (the issuer) and `framework recognise|withdraw-recognition` (an authority). */
function operatorAndRecognitionCommands(fw: Command, cli: Cli): void {
  const { withSigner, done } = cli;
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
}

function frameworkCommand(fw: Command, cli: Cli): void {
  economyCommands(fw, cli);
  schemaCommands(fw, cli);
  issuerCommands(fw, cli);
  operatorAndRecognitionCommands(fw, cli);
}

export const commands: CommandModule = { framework: frameworkCommand };
