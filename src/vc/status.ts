import { isHexString } from "ethers";
import { memberSets } from "../batch.ts";
import { REASONS, type ReasonName } from "../codes.ts";
import { CCRError } from "../errors.ts";
import { rpc, send, type RegistryConnection, type Sent } from "../registry.ts";
import { credentialHash, decodeCredential } from "./credential.ts";
import { readCredentialFile } from "./file.ts";

export type StatusAction = "revoke" | "suspend" | "reinstate";

/** What a status change applies to: a single credential, a whole batch, or batch members. */
export interface StatusTarget {
  /** The file or hash as the user named it. */
  label: string;
  kind: "credential" | "batch" | "member";
  hash: string;
  member?: { root: string; index: number };
}

/** A reason name (`keyCompromise`) or RFC 5280 code (`1`) -> the code the registry takes. */
export function reasonCode(reason: string): number {
  if (reason in REASONS) return REASONS[reason as ReasonName];
  const code = Number(reason);
  if (/^\d+$/.test(reason) && Object.values(REASONS).some((c) => c === code)) return code;
  throw new CCRError(
    "INVALID_ARGUMENT",
    `unknown reason "${reason}"; use one of ${Object.entries(REASONS)
      .map(([name, c]) => `${name} (${c})`)
      .join(", ")}`,
  );
}

/**
 * Reads what `items` name: credential files (a batch member's file names its member), or hashes, which the registry
 * tells apart (an anchored credential, or a batch root for the whole batch).
 */
export async function statusTargets(connection: RegistryConnection, items: readonly string[]): Promise<StatusTarget[]> {
  const targets: StatusTarget[] = [];
  for (const item of items) {
    if (isHexString(item, 32)) {
      const [credential, batch] = await rpc(connection.rpcUrl, `looking up ${item}`, () =>
        Promise.all([connection.registry.getCredential(item), connection.registry.getBatch(item)]),
      );
      if (credential.anchoredAt !== 0n) targets.push({ label: item, kind: "credential", hash: item });
      else if (batch.anchoredAt !== 0n) targets.push({ label: item, kind: "batch", hash: item });
      else {
        throw new CCRError("INVALID_ARGUMENT", `${item} is neither an anchored credential nor a batch root`);
      }
      continue;
    }
    const read = await readCredentialFile(item);
    const { credential } = decodeCredential(read.jws);
    const hash = credentialHash(read.jws);
    const batch = read.anchor?.batch;
    if (credential.credentialStatus.batch === undefined) targets.push({ label: item, kind: "credential", hash });
    else if (batch === undefined) {
      throw new CCRError("MALFORMED_CREDENTIAL", `${item}: a batch member's file needs its batch root`);
    } else targets.push({ label: item, kind: "member", hash, member: { root: batch.root, index: batch.index } });
  }
  return targets;
}

export interface StatusChange {
  targets: StatusTarget[];
  sent: Sent;
}

/**
 * Revokes, suspends or reinstates `targets`: one transaction per single credential or whole batch, and one per
 * batch for all its named members. The registry's refusal comes back as CCRError("REFUSED_BY_REGISTRY") in words.
 */
export async function changeStatus(
  connection: RegistryConnection,
  action: StatusAction,
  targets: readonly StatusTarget[],
  reason = 0,
): Promise<StatusChange[]> {
  const { registry } = connection;
  const changes: StatusChange[] = [];
  const members = new Map<string, StatusTarget[]>();
  for (const target of targets) {
    if (target.member !== undefined) {
      members.set(target.member.root, [...(members.get(target.member.root) ?? []), target]);
      continue;
    }
    const doing = `to ${action} ${target.kind} ${target.hash}`;
    const sent = await send(connection, doing, () => {
      if (target.kind === "batch") {
        if (action === "reinstate") return registry.reinstateBatch(target.hash);
        return action === "revoke"
          ? registry.revokeBatch(target.hash, reason)
          : registry.suspendBatch(target.hash, reason);
      }
      if (action === "reinstate") return registry.reinstateCredential(target.hash);
      return action === "revoke"
        ? registry.revokeCredential(target.hash, reason)
        : registry.suspendCredential(target.hash, reason);
    });
    changes.push({ targets: [target], sent });
  }
  for (const [root, group] of members) {
    const sets = memberSets(group.map((t) => t.member?.index ?? -1));
    const doing = `to ${action} ${group.length} member(s) of batch ${root}`;
    const sent = await send(connection, doing, () => {
      if (action === "reinstate") return registry.reinstateMembers(root, sets);
      return action === "revoke"
        ? registry.revokeMembers(root, sets, reason)
        : registry.suspendMembers(root, sets, reason);
    });
    changes.push({ targets: group, sent });
  }
  return changes;
}
