/** Debian's Chromium, headless, driven by playwright-core: for the web pages' tests and benchmark (never a download). */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.CCR_CHROMIUM ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CCR_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

/** Drops files on an element as a user's drag and drop does (a DataTransfer holding the files' contents). */
export async function dropFiles(page: Page, selector: string, files: { name: string; text: string }[]): Promise<void> {
  // Runs in the page, where DataTransfer exists (this file is compiled without the DOM's types).
  const transfer = await page.evaluateHandle((items) => {
    const { DataTransfer } = globalThis as unknown as {
      DataTransfer: new () => { items: { add(file: File): void } };
    };
    const data = new DataTransfer();
    for (const item of items) data.items.add(new File([item.text], item.name, { type: "application/json" }));
    return data;
  }, files);
  await page.dispatchEvent(selector, "drop", { dataTransfer: transfer });
}
