/** Names as the event history records them (the names contract's events): the latest one of each issuer and economy. */
import type { StoredEvent } from "./db.ts";

export interface IndexedNames {
  /** issuer address -> its name with its economy, "Lion City Certifiers (SG)" (a name is unique in its economy). */
  issuers: Map<string, string>;
  /** issuer address -> "SG/Lion City Certifiers": its name as `ccr` takes it, unambiguous. */
  qualified: Map<string, string>;
  economies: Map<string, string>;
}

/** The events `namesOf` reads. */
export const NAME_EVENTS = ["IssuerAccredited", "IssuerReleased", "IssuerNamed", "EconomyNamed"];

/** The names `events` leave in force, read in order; a released issuer's name ends with its accreditation. */
export function namesOf(events: readonly Pick<StoredEvent, "name" | "args">[]): IndexedNames {
  const names: IndexedNames = { issuers: new Map(), qualified: new Map(), economies: new Map() };
  const economyOf = new Map<string, string>();
  for (const { name, args } of events) {
    if (name === "IssuerAccredited" && args.issuer !== undefined) economyOf.set(args.issuer, args.economy ?? "");
    if (name === "IssuerReleased" && args.issuer !== undefined) {
      names.issuers.delete(args.issuer);
      names.qualified.delete(args.issuer);
    }
    if (name === "IssuerNamed" && args.issuer !== undefined) {
      const economy = economyOf.get(args.issuer) ?? "";
      names.issuers.set(args.issuer, `${args.name ?? ""} (${economy})`);
      names.qualified.set(args.issuer, `${economy}/${args.name ?? ""}`);
    }
    if (name === "EconomyNamed" && args.economy !== undefined) names.economies.set(args.economy, args.name ?? "");
  }
  return names;
}

/** `text` with every named address as "Name (SG) (0x…)". */
export function labelAddresses(text: string, names: IndexedNames): string {
  return text.replace(/0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g, (address) => {
    const name = names.issuers.get(address);
    return name === undefined ? address : `${name} (${address})`;
  });
}
