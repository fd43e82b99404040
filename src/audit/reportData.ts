/** What a report holds: the counts and lists that `buildReport` makes and the charts and pages show. */

/** Issued, revoked and suspended credential counts (a batch counts its members). */
export interface Counts {
  issued: number;
  revoked: number;
  suspended: number;
}

export interface Report {
  generatedAt: string;
  chainId: number;
  registry: string;
  economy: string | null;
  issuer: string | null;
  schema: number | null;
  from: string | null;
  to: string | null;
  totals: Counts;
  byEconomy: Record<string, Counts>;
  byIssuer: Record<string, Counts & { economy: string }>;
  bySchema: Record<string, Counts>;
  byMonth: Record<string, Counts>;
  byDay: Record<string, Counts>;
  revocationReasons: Record<string, number>;
  issuersByStanding: Record<string, string[]>;
  recognitions: { economy: string; recognises: string; schemas: number[] }[];
  /** Issuer and economy names as the history leaves them. */
  names: { issuers: Record<string, string>; economies: Record<string, string> };
}
