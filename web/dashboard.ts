/**
 * The audit dashboard (`ccr serve --db`): issuance, revocations and suspensions over time and by economy, issuer and
 * credential type, as the same ECharts charts `ccr audit report --format html` draws; filters; the last audit check.
 */
import { BarChart } from "echarts/charts";
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { chartHeight, reportCharts } from "../src/audit/charts.ts";
import type { CheckRecord } from "../src/audit/check.ts";
import type { Report } from "../src/audit/reportData.ts";
import type { FrameworkView } from "../src/server/framework.ts";
import { escape } from "./html.ts";

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, AriaComponent, SVGRenderer]);

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = byId<HTMLParagraphElement>("status");
const filters = byId<HTMLFormElement>("filters");

interface AuditStatus {
  file: string;
  block?: number;
  syncedAt?: string;
  error?: string;
  lastCheck?: CheckRecord;
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const answer = await fetch(path, init);
  const body = (await answer.json().catch(() => ({}))) as T & { detail?: string };
  if (!answer.ok) throw new Error(body.detail ?? `the server answered ${answer.status}`);
  return body;
}

function options(select: string, items: [string, string][], all: string): void {
  const element = filters.elements.namedItem(select) as HTMLSelectElement;
  element.innerHTML =
    `<option value="">${escape(all)}</option>` +
    items.map(([value, text]) => `<option value="${escape(value)}">${escape(text)}</option>`).join("");
}

function showCheck(check: CheckRecord | undefined): void {
  const text = byId<HTMLParagraphElement>("check");
  if (check === undefined) {
    text.textContent = "The index has not been checked yet (ccr audit check, or the button below).";
    return;
  }
  const when = `${check.checkedAt.replace("T", " ").slice(0, 19)} UTC, at block ${check.block}`;
  text.className = check.consistent ? "check consistent" : "check inconsistent";
  text.innerHTML = check.consistent
    ? `<strong>Consistent</strong>: the registry's state follows from its event history (checked ${escape(when)}).`
    : `<strong>${check.count} discrepancies</strong> (checked ${escape(when)}):<br />` +
      check.discrepancies
        .slice(0, 10)
        .map(
          (d) =>
            `${escape(d.item)}: ${escape(d.field)} is ${escape(d.history)} in the history, ${escape(d.chain)} on chain`,
        )
        .join("<br />");
}

let charts: echarts.ECharts[] = [];
function showReport(report: Report): void {
  const { issued, revoked, suspended } = report.totals;
  byId("totals").textContent = `${issued} issued, ${revoked} revoked, ${suspended} suspended`;
  for (const chart of charts) chart.dispose();
  const box = byId<HTMLDivElement>("charts");
  box.innerHTML = "";
  charts = reportCharts(report).map((spec) => {
    const figure = document.createElement("figure");
    figure.id = `chart-${spec.id}`;
    figure.innerHTML = `<figcaption>${escape(spec.title)}</figcaption><div class="chart" role="img" aria-label="${escape(spec.title)}"></div>`;
    box.append(figure);
    const target = figure.querySelector("div") as HTMLDivElement;
    target.style.height = `${chartHeight(spec)}px`;
    const chart = echarts.init(target, null, { renderer: "svg" });
    chart.setOption(spec.option);
    return chart;
  });
  const reasons = Object.entries(report.revocationReasons);
  byId<HTMLTableElement>("reasons").innerHTML =
    `<thead><tr><th scope="col">Reason</th><th scope="col">Revoked</th></tr></thead><tbody>` +
    (reasons.length === 0
      ? `<tr><td colspan="2">none</td></tr>`
      : reasons.map(([reason, count]) => `<tr><td>${escape(reason)}</td><td>${count}</td></tr>`).join("")) +
    `</tbody>`;
}

async function refresh(): Promise<void> {
  const query = new URLSearchParams();
  for (const [key, value] of new FormData(filters))
    if (typeof value === "string" && value !== "") query.set(key, value);
  try {
    const [state, report] = await Promise.all([
      json<AuditStatus>("./api/audit/status"),
      json<Report>(`./api/audit/report?${query.toString()}`),
    ]);
    status.classList.toggle("down", state.error !== undefined);
    status.textContent =
      `Audit index ${state.file}, synced to block ${state.block ?? "none yet"}` +
      (state.syncedAt === undefined ? "" : ` at ${state.syncedAt.replace("T", " ").slice(0, 19)} UTC`) +
      (state.error === undefined ? "." : `; the last sync failed: ${state.error}`);
    showCheck(state.lastCheck);
    showReport(report);
    status.dataset.done = String(Number(status.dataset.done ?? 0) + 1);
  } catch (error) {
    status.classList.add("down");
    status.textContent = `The audit index cannot be read: ${(error as Error).message}`;
  }
}

async function start(): Promise<void> {
  try {
    const framework = await json<FrameworkView>("./api/framework");
    options(
      "economy",
      framework.economies.map((e) => [e.iso, `${e.name ?? e.iso} (${e.iso})`]),
      "every economy",
    );
    options(
      "issuer",
      framework.issuers.map((i) => [i.address, i.name ?? i.address]),
      "every issuer",
    );
    options(
      "schema",
      framework.schemas.map((s) => [String(s.id), s.name]),
      "every credential type",
    );
  } catch (error) {
    status.textContent = `The registry cannot be read: ${(error as Error).message}`;
  }
  await refresh();
}

filters.addEventListener("submit", (event) => {
  event.preventDefault();
  void refresh();
});
async function runCheck(button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  byId("check").textContent = "Checking every item of the history against the chain…";
  try {
    showCheck(
      await json<CheckRecord>("./api/audit/check", { method: "POST", headers: { "content-type": "application/json" } }),
    );
  } catch (error) {
    byId("check").textContent = `The check could not run: ${(error as Error).message}`;
  } finally {
    button.disabled = false;
  }
}
byId<HTMLButtonElement>("run-check").addEventListener("click", (event) => {
  void runCheck(event.target as HTMLButtonElement);
});
window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
void start();
