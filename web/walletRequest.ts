/**
 * The verifier page's "Request from a wallet" (OpenID4VP): the official picks a registered credential type and the
 * claims to disclose; the page asks the server's verifier (`/oid4vp`, present when `ccr serve` runs one) for a
 * request, shows it as a QR code and a link, and shows the verdict as soon as the wallet has answered (the page asks
 * the server every second; nothing is reloaded). The answer is checked by the server with the same SDK checks as a
 * dropped file.
 */
import QRCode from "qrcode";
import type { SchemaLabels } from "../src/server/schemaLabels.ts";
import type { RequestResult } from "../src/verifier/service.ts";
import { escape } from "./html.ts";

export interface WalletRequestPage {
  /** The economy whose recognition counts (the page's choice), or none. */
  economy(): string | undefined;
  /** Shows a request's outcome as the page shows verified credentials. */
  show(result: RequestResult): Promise<void>;
}

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
};

/** Shows the section when the server runs a verifier; fills the credential types and their claims. */
export async function setUpWalletRequests(page: WalletRequestPage, schemas: () => SchemaLabels[]): Promise<void> {
  const info = await fetch("./oid4vp")
    .then((r) => (r.ok ? (r.json() as Promise<{ clientId: string; walletUrl: string }>) : undefined))
    .catch(() => undefined);
  if (info === undefined) return;
  const section = element<HTMLElement>("wallet");
  const select = element<HTMLSelectElement>("wallet-schema");
  const claims = element<HTMLFieldSetElement>("wallet-claims");
  const status = element<HTMLParagraphElement>("wallet-status");
  const fillClaims = (): void => {
    const schema = schemas().find((s) => String(s.id) === select.value);
    const boxes = Object.entries(schema?.fields ?? {})
      .filter(([field]) => field !== "id")
      .map(
        ([field, title]) =>
          `<label><input type="checkbox" name="claim" value="${escape(field)}" /> ${escape(title)}</label>`,
      );
    claims.innerHTML = `<legend>Claims to disclose</legend>${boxes.join("")}`;
  };
  select.innerHTML = schemas()
    .map((s) => `<option value="${s.id}">${escape(s.name)}</option>`)
    .join("");
  fillClaims();
  select.addEventListener("change", fillClaims);
  section.hidden = false;
  status.textContent = `Wallets answer this verifier at ${info.walletUrl} (client id ${info.clientId}).`;
  element<HTMLButtonElement>("wallet-ask").addEventListener("click", () => {
    const chosen = [...claims.querySelectorAll<HTMLInputElement>("input[name=claim]:checked")].map((c) => c.value);
    const encrypted = element<HTMLInputElement>("wallet-encrypted").checked;
    void ask(page, select.value, chosen, encrypted).catch((error: unknown) => {
      status.textContent = `The request could not be made: ${error instanceof Error ? error.message : String(error)}`;
    });
  });
}

/** Asks the server for a request, shows it, and waits for its answer. */
async function ask(page: WalletRequestPage, schema: string, claims: string[], encrypted: boolean): Promise<void> {
  const status = element<HTMLParagraphElement>("wallet-status");
  if (claims.length === 0) {
    status.textContent = "Choose at least one claim to ask for.";
    return;
  }
  const economy = page.economy();
  const response = await fetch("./oid4vp/requests", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ schema, claims, encrypted, ...(economy === undefined ? {} : { economy }) }),
  });
  const made = (await response.json()) as {
    id: string;
    link: string;
    resultKey: string;
    expiresAt: string;
    error_description?: string;
  };
  if (!response.ok) throw new Error(made.error_description ?? `HTTP ${response.status}`);
  element<HTMLDivElement>("wallet-qr").innerHTML = await QRCode.toString(made.link, { type: "svg", margin: 1 });
  const link = element<HTMLAnchorElement>("wallet-link");
  link.href = made.link;
  link.dataset.request = made.link;
  element<HTMLElement>("wallet-code").hidden = false;
  status.textContent = `Waiting for the wallet's answer (the request expires at ${made.expiresAt}).`;
  for (;;) {
    const answer = await fetch(`./oid4vp/result/${made.id}`, { headers: { "x-result-key": made.resultKey } });
    const result = (await answer.json()) as RequestResult;
    if (result.state !== "open") {
      status.textContent =
        result.state === "expired" ? "No wallet answered before the request expired." : "The wallet has answered.";
      element<HTMLElement>("wallet-code").hidden = true;
      await page.show(result);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
