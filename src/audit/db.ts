import type { Deployment } from "../deployment.ts";
import { CCRError } from "../errors.ts";
import {
  identityOf,
  isPostgres,
  printableLocation,
  type EventFilter,
  type IndexStore,
  type StoredEvent,
} from "./store.ts";

export * from "./store.ts";

/**
 * Opens (or, for a sync, creates) the index at `location` for `deployment`: an SQLite file, or a PostgreSQL database
 * given as a `postgres://` URL (its password best kept in `PGPASSWORD` or `~/.pgpass`, not in the URL). Refuses an
 * index built for another chain or registry.
 */
export async function openIndex(
  location: string,
  deployment: Deployment,
  use: "sync" | "read" = "read",
): Promise<IndexStore> {
  const expected = identityOf(deployment);
  let opened: { store: IndexStore; meta: Map<string, string> };
  try {
    opened = isPostgres(location)
      ? await (await import("./postgres.ts")).openPostgres(location, expected)
      : (await import("./sqlite.ts")).openSqlite(location, expected, use);
  } catch (error) {
    throw indexFailure(printableLocation(location), error) ?? error;
  }
  const { store, meta } = opened;
  for (const [key, value] of Object.entries(expected)) {
    if (meta.get(key) === value) continue;
    await store.close();
    const was = meta.get(key) ?? "none";
    throw new CCRError(
      "WRONG_CHAIN",
      key === "genesisHash"
        ? `the index ${store.location} belongs to another chain (genesis ${was}, now ${value}): the chain was ` +
            `restarted since it was built. Nothing was merged; ${store.removeHint} or use another --db to index this chain`
        : `the index ${store.location} was built for another ${key} (${was}, this deployment: ${value}); nothing ` +
            `was merged, use another --db`,
    );
  }
  return store;
}

/** Runs `work` on the index at `location` and closes it after, whatever happens; storage failures in words. */
export async function withIndex<T>(
  location: string,
  deployment: Deployment,
  work: (store: IndexStore) => Promise<T>,
  use: "sync" | "read" = "read",
): Promise<T> {
  const store = await openIndex(location, deployment, use);
  try {
    return await work(store);
  } catch (error) {
    throw indexFailure(printableLocation(location), error) ?? error;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * A storage failure of the index at `location` as a sentence naming the index and what to do (a full disk, damaged
 * pages, a lock held too long); undefined for anything else. Every command and the web server say these alike.
 */
export function indexFailure(location: string, error: unknown): CCRError | undefined {
  if (error instanceof CCRError) return undefined;
  const reason = error instanceof Error ? error.message : String(error);
  const raw = (error as { code?: unknown } | undefined)?.code;
  const code = typeof raw === "string" ? raw : "";
  if (
    /database or disk is full|SQLITE_FULL|ENOSPC|could not extend file|No space left on device/i.test(reason) ||
    code === "53100"
  ) {
    return new CCRError(
      "INDEX_FILE",
      `the audit index ${location} could not be written: its disk is full (${reason}). Nothing was half-written ` +
        `(the index keeps its last checkpoint): free some space and run "ccr audit sync" again to go on from there`,
      { cause: error },
    );
  }
  if (/malformed|not a database|SQLITE_CORRUPT|SQLITE_NOTADB|disk I\/O error/i.test(reason)) {
    return new CCRError(
      "INDEX_FILE",
      `the audit index ${location} is damaged (${reason}): remove it and run "ccr audit sync" to rebuild it from ` +
        `the chain (the chain keeps every event; nothing is lost)`,
      { cause: error },
    );
  }
  if (/database is locked|SQLITE_BUSY/i.test(reason)) {
    return new CCRError(
      "INDEX_FILE",
      `the audit index ${location} stayed locked by another program for more than 10 s (${reason}): run the ` +
        `command again once that program is done`,
      { cause: error },
    );
  }
  return undefined;
}

/** All of an index's events matching `filter`, in memory (for the small selections of timelines and tests). */
export async function readEvents(store: IndexStore, filter?: EventFilter): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of store.events(filter)) events.push(event);
  return events;
}
