/** The credentials of a run: each row's unsigned credential, and the file it is written to. */
import { randomUUID } from "node:crypto";
import { ethrDid } from "../../did.ts";
import { buildCredential, type Credential } from "../credential.ts";
import { statusListEntries } from "../statusList.ts";
import type { RunRecord } from "./model.ts";

/** The file of row `row` of an input of `rows` rows (numbered with at least five digits, all alike). */
export function fileName(row: number, rows: number): string {
  return `credential-${String(row).padStart(Math.max(5, String(rows).length), "0")}.json`;
}

/**
 * The credential of one subject of `run` by `issuer`, unsigned: its place in the run (`group`, `index`) names its
 * batch and its status list indices.
 */
export function credentialOf(
  run: RunRecord,
  issuer: string,
  subject: Record<string, unknown>,
  group: number,
  index: number,
): Credential {
  const lists = run.statusLists;
  return buildCredential({
    schema: run.type,
    issuer: ethrDid(run.chainId, issuer),
    subject,
    id: `urn:uuid:${randomUUID()}`,
    validFrom: new Date(run.validFrom * 1000),
    validUntil: run.validUntil === 0 ? undefined : new Date(run.validUntil * 1000),
    status: {
      chainId: run.chainId,
      registry: run.registry,
      batch: run.single ? undefined : { id: `urn:ccr:batch:${run.runId}:${group}`, index },
    },
    statusLists:
      lists === undefined ? undefined : statusListEntries(lists.baseUrl, lists.start + group * run.batchSize + index),
  });
}
