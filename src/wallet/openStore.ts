/** Opens the issuer service's store named on the command line: a PostgreSQL URL, else an SQLite file. */
import { isPostgres } from "../audit/store.ts";
import { openPostgresStore } from "./postgresStore.ts";
import { openSqliteStore } from "./sqliteStore.ts";
import type { IssuerStore } from "./store.ts";

export const openIssuerStore = (location: string): Promise<IssuerStore> =>
  isPostgres(location) ? openPostgresStore(location) : Promise.resolve(openSqliteStore(location));
