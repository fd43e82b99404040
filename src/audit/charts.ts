/**
 * The audit report's charts as ECharts options: the same charts in `ccr audit report --format html` (rendered to SVG
 * on the server, no script in the file) and on `ccr serve`'s dashboard (rendered in the browser). Each has axes,
 * values on the bars and a legend.
 */
import type { Counts, Report } from "./reportData.ts";

export interface ChartSpec {
  id: string;
  title: string;
  /** An ECharts option, rendered by either side. */
  option: Record<string, unknown>;
}

const SERIES: { field: keyof Counts; name: string; color: string }[] = [
  { field: "issued", name: "Issued", color: "#2b6cb0" },
  { field: "revoked", name: "Revoked", color: "#c53030" },
  { field: "suspended", name: "Suspended", color: "#b7791f" },
];

/** Grouped bars of issued, revoked and suspended counts per category, with axes, values and a legend. */
function bars(title: string, categories: string[], counts: Counts[], horizontal = false): Record<string, unknown> {
  const category = { type: "category", data: categories, axisLabel: { interval: 0, width: 140, overflow: "truncate" } };
  const value = { type: "value", minInterval: 1, name: "credentials" };
  return {
    animation: false,
    aria: { enabled: true, label: { description: title } },
    legend: { top: 0, data: SERIES.map((s) => s.name) },
    tooltip: { trigger: "axis" },
    grid: { top: 40, left: horizontal ? 160 : 60, right: 30, bottom: 40, containLabel: false },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? { ...category, inverse: true } : value,
    series: SERIES.map((s) => ({
      name: s.name,
      type: "bar",
      color: s.color,
      label: {
        show: true,
        position: horizontal ? "right" : "top",
        formatter: (p: { value: number }) => (p.value === 0 ? "" : String(p.value)),
      },
      data: counts.map((c) => c[s.field]),
    })),
  };
}

const sorted = <T>(record: Record<string, T>): [string, T][] =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Issuance, revocations and suspensions over time and by economy, issuer and schema. */
export function reportCharts(report: Report): ChartSpec[] {
  const named = (names: Record<string, string>, key: string): string => names[key] ?? key;
  const days = sorted(report.byDay);
  const economies = sorted(report.byEconomy);
  const issuers = sorted(report.byIssuer);
  const schemas = sorted(report.bySchema);
  return [
    {
      id: "over-time",
      title: "Over time, by day",
      option: bars(
        "Over time, by day",
        days.map(([d]) => d),
        days.map(([, c]) => c),
      ),
    },
    {
      id: "by-economy",
      title: "By economy",
      option: bars(
        "By economy",
        economies.map(([e]) => (report.names.economies[e] === undefined ? e : `${report.names.economies[e]} (${e})`)),
        economies.map(([, c]) => c),
        true,
      ),
    },
    {
      id: "by-issuer",
      title: "By issuer",
      option: bars(
        "By issuer",
        issuers.map(([i]) => named(report.names.issuers, i)),
        issuers.map(([, c]) => c),
        true,
      ),
    },
    {
      id: "by-schema",
      title: "By credential type",
      option: bars(
        "By credential type",
        schemas.map(([s]) => s),
        schemas.map(([, c]) => c),
        true,
      ),
    },
  ];
}

/** Height for a chart of `count` categories (horizontal bars need room per category). */
export function chartHeight(spec: ChartSpec): number {
  const yAxis = spec.option.yAxis as { data?: unknown[] } | undefined;
  const categories = Array.isArray(yAxis?.data) ? yAxis.data.length : 0;
  return Math.max(260, 110 + categories * 46);
}
