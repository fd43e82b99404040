/** A subject's timeline from the audit index: a credential, batch, issuer, account or economy, with names. */
import type { TimelineAnswer } from "../src/server/audit.ts";
import { escape } from "./html.ts";

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = byId<HTMLParagraphElement>("status");

async function load(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const subject = query.get("subject") ?? "";
  byId("title").textContent = `Timeline of ${subject}`;
  document.title = `CCR timeline of ${subject}`;
  const answer = await fetch(`./api/audit/timeline?${query.toString()}`);
  const body = (await answer.json().catch(() => ({}))) as TimelineAnswer & { detail?: string };
  if (!answer.ok) {
    status.classList.add("down");
    status.textContent = `No timeline: ${body.detail ?? answer.statusText}`;
    return;
  }
  status.textContent = `${body.entries.length} event(s) for ${body.subject}${
    body.member === undefined ? "" : ` member ${body.member}`
  }, from the audit index.`;
  byId<HTMLTableElement>("entries").innerHTML =
    `<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Block</th><th scope="col">By</th>` +
    `<th scope="col">What changed</th></tr></thead><tbody>` +
    body.entries
      .map(
        (e) =>
          `<tr><td>${escape(e.time.replace("T", " ").replace("Z", ""))}</td>` +
          `<td title="transaction ${escape(e.transaction)}">${e.block}</td>` +
          `<td>${escape(e.actorLabel)}</td><td>${escape(e.change)}</td></tr>`,
      )
      .join("") +
    `</tbody>`;
  status.dataset.done = "true";
}
void load();
