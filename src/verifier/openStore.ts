/** Opens the verifier's store named on the command line: a PostgreSQL URL, else an SQLite file. */
import { isPostgres } from "../audit/store.ts";
import { openPostgresVerifierStore } from "./postgresStore.ts";
import { openSqliteVerifierStore } from "./sqliteStore.ts";
import type { VerifierStore } from "./store.ts";

export const openVerifierStore = (location: string): Promise<VerifierStore> =>
  isPostgres(location) ? openPostgresVerifierStore(location) : Promise.resolve(openSqliteVerifierStore(location));
