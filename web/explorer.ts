/** The framework explorer: economies, issuers, schemas, operators and the recognition matrix, read live from the chain. */
import type { FrameworkView } from "../src/server/framework.ts";
import { escape } from "./html.ts";

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = byId<HTMLParagraphElement>("status");

/** A link to a subject's timeline (the audit index's history of it). */
const timeline = (subject: string, text: string): string =>
  `<a href="./timeline.html?subject=${encodeURIComponent(subject)}">${escape(text)}</a>`;

function table(id: string, head: string[], rows: string[][]): void {
  byId<HTMLTableElement>(id).innerHTML =
    `<thead><tr>${head.map((h) => `<th scope="col">${escape(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody>`;
}

const day = (iso: string | undefined): string => (iso === undefined ? "open" : iso.slice(0, 10));

function render(framework: FrameworkView): void {
  const schemaName = new Map(framework.schemas.map((s) => [s.id, s.name]));
  const economyName = new Map(framework.economies.map((e) => [e.iso, e.name ?? e.iso]));
  status.textContent =
    `Registry ${framework.registry} on chain ${framework.chainId}, at block ${framework.block}: ` +
    `${framework.economies.filter((e) => e.member).length} member economies, ${framework.issuers.length} issuers, ` +
    `${framework.schemas.length} credential types.`;
  table(
    "economies",
    ["Economy", "Authority", "Member", "Live issuers"],
    framework.economies.map((e) => [
      timeline(e.iso, `${e.name ?? e.iso} (${e.iso})`),
      `${timeline(e.authority, e.authorityName ?? e.authority)}<br /><code>${escape(e.authorityDid)}</code>`,
      e.member ? "yes" : "no (removed)",
      String(e.liveIssuers),
    ]),
  );
  table(
    "issuers",
    ["Issuer", "Economy", "Accreditation", "Credential types", "Window", "Operators"],
    framework.issuers.map((i) => [
      `${timeline(i.address, i.name ?? i.address)}<br /><code>${escape(i.did)}</code>${
        i.website === undefined ? "" : `<br />${escape(i.website)}`
      }`,
      escape(economyName.get(i.economy) ?? i.economy),
      `<span class="standing ${escape(i.standing.toLowerCase())}">${escape(i.standing)}</span>`,
      escape(i.schemas.map((s) => schemaName.get(s) ?? String(s)).join(", ")),
      `${day(i.validFrom)} to ${day(i.validUntil)}`,
      i.operators.length === 0
        ? "none"
        : i.operators.map((o) => timeline(o, `${o.slice(0, 8)}…${o.slice(-4)}`)).join("<br />"),
    ]),
  );
  table(
    "schemas",
    ["Id", "Name", "Document", "SHA-256", "State"],
    framework.schemas.map((s) => [
      String(s.id),
      timeline(`schema:${s.id}`, s.name),
      `<code>${escape(s.uri)}</code>`,
      `<code>${escape(s.digest.slice(0, 18))}…</code>`,
      s.deprecated ? "deprecated" : "in use",
    ]),
  );
  const select = byId<HTMLSelectElement>("matrix-schema");
  if (select.options.length === 0) {
    select.innerHTML = framework.schemas.map((s) => `<option value="${s.id}">${escape(s.name)}</option>`).join("");
    const recognised = framework.recognitions[0]?.schemas[0];
    if (recognised !== undefined) select.value = String(recognised);
  }
  matrix(framework, Number(select.value));
}

/** Economies by economies for one schema: which accepts whose accreditations. */
function matrix(framework: FrameworkView, schema: number): void {
  const members = framework.economies.filter((e) => e.member).map((e) => e.iso);
  const accepts = new Set(
    framework.recognitions.filter((r) => r.schemas.includes(schema)).map((r) => `${r.economy}>${r.recognises}`),
  );
  const cell = (row: string, column: string): string => {
    if (row === column) return `<td class="self" aria-label="${row} accepts its own">·</td>`;
    return accepts.has(`${row}>${column}`)
      ? `<td class="yes" data-recognition="${row}>${column}" aria-label="${row} recognises ${column}">✓</td>`
      : `<td data-recognition-none="${row}>${column}" aria-label="${row} does not recognise ${column}"></td>`;
  };
  byId<HTMLTableElement>("matrix").innerHTML =
    `<thead><tr><th scope="col">recognises →</th>${members.map((m) => `<th scope="col">${m}</th>`).join("")}</tr></thead>` +
    `<tbody>${members
      .map((row) => `<tr><th scope="row">${row}</th>${members.map((column) => cell(row, column)).join("")}</tr>`)
      .join("")}</tbody>`;
}

let framework: FrameworkView | undefined;
async function load(): Promise<void> {
  const answer = await fetch("./api/framework");
  if (!answer.ok) {
    const problem = (await answer.json().catch(() => ({}))) as { detail?: string };
    status.textContent = `The registry cannot be read: ${problem.detail ?? answer.statusText}`;
    status.classList.add("down");
    return;
  }
  framework = (await answer.json()) as FrameworkView;
  render(framework);
  status.dataset.done = "true";
}
byId<HTMLSelectElement>("matrix-schema").addEventListener("change", (event) => {
  if (framework !== undefined) matrix(framework, Number((event.target as HTMLSelectElement).value));
});
void load();
