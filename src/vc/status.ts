import { getAddress, isHexString } from "ethers";
import { ethrDidAddress } from "../did.ts";
import { memberSets } from "../batch.ts";
import { REASONS, type ReasonName } from "../codes.ts";
import { CCRError } from "../errors.ts";
import { rpc, send, type RegistryConnection, type Sent } from "../registry.ts";
import { credentialHash, decodeCredential, registryStatus } from "./credential.ts";
import { readCredentialFile } from "./file.ts";

export type StatusAction = "revoke" | "suspend" | "reinstate";

/** What a status change applies to: a single credential, a whole batch, or batch members, of one issuer. */
export interface StatusTarget {
  /** The file or hash as the user named it. */
  label: string;
  kind: "credential" | "batch" | "member";
  /** The issuer whose record it is (records are kept per issuer). */
  issuer: string;
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
 * Reads what `items` name: credential files (their issuer is the credential's; a batch member's file names its
 * member), or hashes of `issuer`'s records (default: `hashIssuer`), which the registry tells apart (an anchored
 * credential, or a batch root for the whole batch). A file whose issuer is not `issuer`, when one is given, is refused.
 */
export async function statusTargets(
  connection: RegistryConnection,
  items: readonly string[],
  options: { issuer?: string | undefined; hashIssuer?: string | undefined } = {},
): Promise<StatusTarget[]> {
  const targets: StatusTarget[] = [];
  for (const item of items) {
    if (isHexString(item, 32)) {
      const issuer = options.issuer ?? options.hashIssuer;
      if (issuer === undefined) {
        throw new CCRError("INVALID_ARGUMENT", `${item}: name the issuer whose record it is (--issuer)`);
      }
      const [credential, batch] = await rpc(connection.rpcUrl, `looking up ${item}`, () =>
        Promise.all([connection.registry.getCredential(issuer, item), connection.registry.getBatch(issuer, item)]),
      );
      if (credential.anchoredAt !== 0n) targets.push({ label: item, kind: "credential", issuer, hash: item });
      else if (batch.anchoredAt !== 0n) targets.push({ label: item, kind: "batch", issuer, hash: item });
      else {
        throw new CCRError(
          "INVALID_ARGUMENT",
          `${item} is neither a credential nor a batch root anchored by issuer ${issuer}`,
        );
      }
      continue;
    }
    const read = await readCredentialFile(item);
    const { credential } = decodeCredential(read.jws);
    const fileIssuer = ethrDidAddress(credential.issuer);
    if (fileIssuer === undefined) {
      throw new CCRError("MALFORMED_CREDENTIAL", `${item}: the issuer "${credential.issuer}" is not a did:ethr`);
    }
    if (options.issuer !== undefined && getAddress(fileIssuer) !== getAddress(options.issuer)) {
      throw new CCRError("INVALID_ARGUMENT", `${item} was issued by ${fileIssuer}, not by ${options.issuer}`);
    }
    const hash = credentialHash(read.jws);
    const batch = read.anchor?.batch;
    const base = { label: item, issuer: getAddress(fileIssuer), hash };
    if (registryStatus(credential).batch === undefined) targets.push({ ...base, kind: "credential" });
    else if (batch === undefined) {
      throw new CCRError("MALFORMED_CREDENTIAL", `${item}: a batch member's file needs its batch root`);
    } else targets.push({ ...base, kind: "member", member: { root: batch.root, index: batch.index } });
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
      const key = `${target.issuer}:${target.member.root}`;
      members.set(key, [...(members.get(key) ?? []), target]);
      continue;
    }
    const { issuer, hash } = target;
    const doing = `${action.replace(/e?$/, "ing")} ${target.kind} ${hash}`;
    const sent = await send(connection, doing, () => {
      if (target.kind === "batch") {
        if (action === "reinstate") return registry.reinstateBatch(issuer, hash);
        return action === "revoke"
          ? registry.revokeBatch(issuer, hash, reason)
          : registry.suspendBatch(issuer, hash, reason);
      }
      if (action === "reinstate") return registry.reinstateCredential(issuer, hash);
      return action === "revoke"
        ? registry.revokeCredential(issuer, hash, reason)
        : registry.suspendCredential(issuer, hash, reason);
    });
    changes.push({ targets: [target], sent });
  }
  for (const group of members.values()) {
    const [first] = group;
    if (first?.member === undefined) continue;
    const { issuer, member } = first;
    const sets = memberSets(group.map((t) => t.member?.index ?? -1));
    const doing = `${action.replace(/e?$/, "ing")} ${group.length} member(s) of batch ${member.root}`;
    const sent = await send(connection, doing, () => {
      if (action === "reinstate") return registry.reinstateMembers(issuer, member.root, sets);
      return action === "revoke"
        ? registry.revokeMembers(issuer, member.root, sets, reason)
        : registry.suspendMembers(issuer, member.root, sets, reason);
    });
    changes.push({ targets: group, sent });
  }
  return changes;
}
