/** Names as the event history records them (the names contract's events): the latest one of each issuer and economy. */
import type { StoredEvent } from "./db.ts";

export interface IndexedNames {
  issuers: Map<string, string>;
  economies: Map<string, string>;
}

/** The names `events` leave in force, read in order. */
export function namesOf(events: readonly Pick<StoredEvent, "name" | "args">[]): IndexedNames {
  const names: IndexedNames = { issuers: new Map(), economies: new Map() };
  for (const { name, args } of events) {
    if (name === "IssuerNamed" && args.issuer !== undefined) names.issuers.set(args.issuer, args.name ?? "");
    if (name === "EconomyNamed" && args.economy !== undefined) names.economies.set(args.economy, args.name ?? "");
  }
  return names;
}

/** `text` with every named address as "Name (0x…)". */
export function labelAddresses(text: string, names: IndexedNames): string {
  return text.replace(/0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g, (address) => {
    const name = names.issuers.get(address);
    return name === undefined ? address : `${name} (${address})`;
  });
}
