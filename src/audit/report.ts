import { AnchorState, ISSUER_STANDING, IssuerStanding, reasonName, schemaIds } from "../codes.ts";
import * as echarts from "echarts";
import { CCRError } from "../errors.ts";
import { chartHeight, reportCharts, type ChartSpec } from "./charts.ts";
import type { Counts, Report } from "./reportData.ts";
import type { Deployment } from "../deployment.ts";
import { replayEvents, type AnchorReplay, type ReplayedState } from "./replay.ts";
import { NAME_EVENTS, namesOf } from "./names.ts";
import { readEvents, withIndex, type IndexStore, type StoredEvent } from "./db.ts";

export type { Counts, Report } from "./reportData.ts";

export interface ReportOptions {
  /** Only issuers of this economy (and recognitions that involve it). */
  economy?: string | undefined;
  /** Only this issuer's credentials (an address). */
  issuer?: string | undefined;
  /** Only credentials of this schema (its id, or its registered name). */
  schema?: number | string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** The time issuer standings are reported at (PENDING and LAPSED depend on it); default: now. */
  now?: Date | undefined;
}

function popcount(value: bigint): number {
  let count = 0;
  for (let v = value; v > 0n; v >>= 1n) count += Number(v & 1n);
  return count;
}

/** The schema id a report is limited to: an id or a name registered in the history; undefined for every schema. */
function reportSchema(schemas: Map<number, { name: string }>, wanted: number | string | undefined): number | undefined {
  if (wanted === undefined) return undefined;
  const id = typeof wanted === "number" || /^\d+$/.test(wanted) ? Number(wanted) : undefined;
  const found = id ?? [...schemas].find(([, s]) => s.name === wanted)?.[0];
  if (found === undefined || !schemas.has(found)) {
    const known = [...schemas].map(([i, s]) => `${i} ${s.name}`).join(", ");
    throw new CCRError("INVALID_ARGUMENT", `--schema ${wanted} is none of the history's schemas (${known})`);
  }
  return found;
}

/**
 * Counts issuance and revocation by economy, issuer, schema and month, revocation reasons, issuers by accreditation
 * state and recognitions between economies, from the index alone.
 */
export async function buildReport(
  location: string,
  deployment: Deployment,
  options: ReportOptions = {},
): Promise<Report> {
  return withIndex(location, deployment, (store) => reportOf(store, deployment, options));
}

/** The schema the report is for, after refusing an economy or issuer the history does not know. */
function checkFilters(state: ReplayedState, options: ReportOptions): number | undefined {
  if (options.economy !== undefined && !state.economies.has(options.economy)) {
    const known = [...state.economies.keys()].sort().join(", ");
    throw new CCRError(
      "INVALID_ARGUMENT",
      `--economy ${options.economy} is none of the history's economies (${known})`,
    );
  }
  const schema = reportSchema(state.schemas, options.schema);
  if (options.issuer !== undefined && !state.issuers.has(options.issuer)) {
    throw new CCRError("INVALID_ARGUMENT", `--issuer ${options.issuer} has never been offered an accreditation`);
  }
  return schema;
}

const empty = (): Counts => ({ issued: 0, revoked: 0, suspended: 0 });

/** What the report's events are counted under, and whether an issuer is in it. */
interface Scope {
  state: ReplayedState;
  options: ReportOptions;
  schema: number | undefined;
  from: number;
  to: number;
  economyOf: (issuer: string) => string;
  included: (issuer: string) => boolean;
}

/** Counts `count` credentials of an event (issued, revoked or suspended) in every bucket it belongs to. */
function count(report: Report, scope: Scope, event: StoredEvent, anchor: AnchorReplay, field: keyof Counts, n: number) {
  const { state, options, schema, from, to } = scope;
  const { issuer } = anchor;
  if (!scope.included(issuer) || event.timestamp < from || event.timestamp > to || n === 0) return;
  if (options.issuer !== undefined && issuer !== options.issuer) return;
  if (schema !== undefined && anchor.schema !== schema) return;
  const day = new Date(event.timestamp * 1000).toISOString().slice(0, 10);
  const month = day.slice(0, 7);
  const economy = scope.economyOf(issuer);
  const buckets: Counts[] = [
    report.totals,
    (report.byEconomy[economy] ??= empty()),
    (report.byIssuer[issuer] ??= { ...empty(), economy }),
    (report.bySchema[state.schemas.get(anchor.schema)?.name ?? `schema ${anchor.schema}`] ??= empty()),
    (report.byMonth[month] ??= empty()),
    (report.byDay[day] ??= empty()),
  ];
  for (const bucket of buckets) bucket[field] += n;
  if (field === "revoked") {
    const reason = reasonName(event.args.reason);
    report.revocationReasons[reason] = (report.revocationReasons[reason] ?? 0) + n;
  }
}

/** The second pass: each anchoring and status event counted under its anchor's issuer, schema and size. */
async function countEvents(store: IndexStore, report: Report, scope: Scope): Promise<void> {
  // An anchor's issuer, schema and size never change: the replayed state attributes every event of its history.
  for await (const event of store.events()) {
    const a = event.args;
    const anchor = scope.state.anchors.get(`${a.issuer}:${a.credential ?? a.root ?? ""}`);
    if (anchor === undefined) continue;
    const size = anchor.batch ? anchor.size : 1;
    if (event.name === "CredentialAnchored" || event.name === "BatchAnchored") {
      count(report, scope, event, anchor, "issued", size);
      continue;
    }
    const changed = Number(a.state);
    const suspension = changed === AnchorState.SUSPENDED || changed === AnchorState.HELD;
    const field = changed === AnchorState.REVOKED ? "revoked" : suspension ? "suspended" : undefined;
    if (field === undefined) continue;
    const n = event.name === "MembersStatusChanged" ? popcount(BigInt(a.bits ?? 0)) : size;
    count(report, scope, event, anchor, field, n);
  }
}

/** Issuers by standing now (an active accreditation before its window is PENDING, after it LAPSED); recognitions. */
function standingsAndRecognitions(report: Report, scope: Scope, now: number): void {
  const { state, options } = scope;
  for (const [address, issuer] of state.issuers) {
    if (!scope.included(address)) continue;
    let standing = issuer.standing;
    if (standing === IssuerStanding.ACTIVE && issuer.validFrom > now) standing = IssuerStanding.PENDING;
    else if (standing === IssuerStanding.ACTIVE && issuer.validUntil !== 0 && issuer.validUntil < now) {
      standing = IssuerStanding.LAPSED;
    }
    (report.issuersByStanding[ISSUER_STANDING[standing] ?? "NONE"] ??= []).push(address);
  }
  for (const [pair, bits] of state.recognitions) {
    const [economy = "", recognises = ""] = pair.split(":");
    if (bits === 0n) continue;
    if (options.economy !== undefined && economy !== options.economy && recognises !== options.economy) continue;
    report.recognitions.push({ economy, recognises, schemas: schemaIds(bits) });
  }
}

/**
 * The report from `store` in two passes over its events: the first replays the state (every anchor's issuer, schema
 * and size), the second counts each event under them. Neither keeps the events, so a history of millions fits.
 */
async function reportOf(store: IndexStore, deployment: Deployment, options: ReportOptions): Promise<Report> {
  const state = await replayEvents(store.events());
  const schema = checkFilters(state, options);
  const economyOf = (issuer: string): string => state.issuers.get(issuer)?.economy ?? "";
  const scope: Scope = {
    state,
    options,
    schema,
    from: options.from === undefined ? -Infinity : options.from.getTime() / 1000,
    to: options.to === undefined ? Infinity : options.to.getTime() / 1000,
    economyOf,
    included: (issuer) => options.economy === undefined || economyOf(issuer) === options.economy,
  };
  const names = namesOf(await readEvents(store, { names: NAME_EVENTS }));
  const report: Report = {
    generatedAt: new Date().toISOString(),
    chainId: deployment.chainId,
    registry: deployment.registry.address,
    economy: options.economy ?? null,
    issuer: options.issuer ?? null,
    schema: schema ?? null,
    from: options.from?.toISOString() ?? null,
    to: options.to?.toISOString() ?? null,
    totals: empty(),
    ...{ byEconomy: {}, byIssuer: {}, bySchema: {}, byMonth: {}, byDay: {}, revocationReasons: {} },
    issuersByStanding: {},
    recognitions: [],
    names: { issuers: Object.fromEntries(names.issuers), economies: Object.fromEntries(names.economies) },
  };
  await countEvents(store, report, scope);
  standingsAndRecognitions(report, scope, Math.floor((options.now ?? new Date()).getTime() / 1000));
  return report;
}

const countHeader = ["issued", "revoked", "suspended"];
const countCells = (c: Counts): string[] => [String(c.issued), String(c.revoked), String(c.suspended)];

/** The report's sections as rows: [section, key, issued, revoked, suspended] and the lists. */
function sections(report: Report): { title: string; header: string[]; rows: string[][] }[] {
  const named = (names: Record<string, string>, key: string): string => {
    const name = names[key];
    return name === undefined ? key : `${name} (${key})`;
  };
  const issuer = (address: string): string => named(report.names.issuers, address);
  const economy = (iso: string): string => named(report.names.economies, iso);
  const counts = (title: string, key: string, record: Record<string, Counts>, label = (k: string) => k) => ({
    title,
    header: [key, ...countHeader],
    rows: Object.entries(record)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, c]) => [label(k), ...countCells(c)]),
  });
  return [
    { title: "Totals", header: ["", ...countHeader], rows: [["all", ...countCells(report.totals)]] },
    counts("By economy", "economy", report.byEconomy, economy),
    {
      title: "By issuer",
      header: ["issuer", "economy", ...countHeader],
      rows: Object.entries(report.byIssuer).map(([k, c]) => [issuer(k), c.economy, ...countCells(c)]),
    },
    counts("By schema", "schema", report.bySchema),
    counts("By month", "month", report.byMonth),
    {
      title: "Revocation reasons",
      header: ["reason", "revoked"],
      rows: Object.entries(report.revocationReasons).map(([k, n]) => [k, String(n)]),
    },
    {
      title: "Issuers by accreditation state",
      header: ["state", "issuers"],
      rows: Object.entries(report.issuersByStanding).map(([k, list]) => [
        k,
        `${list.length}: ${list.map(issuer).join(", ")}`,
      ]),
    },
    {
      title: "Recognitions",
      header: ["economy", "recognises", "schemas"],
      rows: report.recognitions.map((r) => [r.economy, r.recognises, r.schemas.join(" ")]),
    },
  ];
}

export function reportTable(report: Report): string {
  const lines = [
    `CCR report, chain ${report.chainId}, registry ${report.registry}` +
      `${report.economy === null ? "" : `, economy ${report.economy}`}` +
      `${report.from === null && report.to === null ? "" : `, ${report.from ?? "start"} to ${report.to ?? "now"}`}`,
  ];
  for (const { title, header, rows } of sections(report)) {
    lines.push("", title);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const format = (cells: string[]): string =>
      `  ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
    lines.push(format(header), ...(rows.length === 0 ? ["  (none)"] : rows.map(format)));
  }
  return lines.join("\n");
}

const csvCell = (value: string): string => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

export function reportCsv(report: Report): string {
  const lines = ["section,key,issued,revoked,suspended,detail"];
  for (const { title, header, rows } of sections(report)) {
    for (const row of rows) {
      const counts = header.slice(-3).join() === countHeader.join() ? row.slice(-3) : ["", "", ""];
      const key = row[0] ?? "";
      const detail =
        header.slice(-3).join() === countHeader.join() ? row.slice(1, -3).join(" ") : row.slice(1).join(" ");
      lines.push([title, key, ...counts, detail].map(csvCell).join(","));
    }
  }
  return `${lines.join("\n")}\n`;
}

const escape = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** A chart rendered to SVG on the server (ECharts' server-side rendering): no script in the page. */
function svgChart(spec: ChartSpec): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: 760, height: chartHeight(spec) });
  chart.setOption(spec.option);
  const svg = chart.renderToSVGString();
  chart.dispose();
  return `<figure><figcaption>${escape(spec.title)}</figcaption>${svg.replace("<svg ", `<svg role="img" aria-label="${escape(spec.title)}" `)}</figure>`;
}

/** One self-contained HTML file (no scripts, no external resources) with charts and every table. */
export function reportHtml(report: Report): string {
  const tables = sections(report)
    .map(
      ({ title, header, rows }) =>
        `<h2>${escape(title)}</h2><table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>` +
        (rows.length === 0
          ? `<tr><td colspan="${header.length}">none</td></tr>`
          : rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join("")}</tr>`).join("")) +
        `</tbody></table>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CCR report</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin-bottom:1rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;font-variant-numeric:tabular-nums}th{background:#f0f4f8}
figure{margin:1rem 0}figcaption{font-weight:600}</style></head><body>
<h1>CCR report</h1>
<p>Chain ${report.chainId}, registry <code>${escape(report.registry)}</code>${report.economy === null ? "" : `, economy ${escape(report.economy)}`}; generated ${escape(report.generatedAt)} from the event history.</p>
${reportCharts(report).map(svgChart).join("\n")}
${tables}
</body></html>
`;
}
