import { ZeroHash, type Result } from "ethers";
import { ANCHOR_STATE, AnchorState, IssuerStanding, STATUS, economyCode } from "../codes.ts";
import { CCRError } from "../errors.ts";
import { chunked, mapPooled } from "../pool.ts";
import { readVerdicts, rpcRetried, type RegistryConnection } from "../registry.ts";
import { readViews, type ViewCall } from "../viewBatch.ts";
import { checkpoint, openIndex, readEvents, type StoredEvent } from "./db.ts";

/** The registry's state rebuilt from its events alone. */
export interface ReplayedState {
  economies: Map<string, { authority: string; member: boolean; liveIssuers: number }>;
  schemas: Map<number, { name: string; uri: string; deprecated: boolean }>;
  issuers: Map<
    string,
    {
      id: number;
      economy: string;
      standing: number;
      schemas: bigint;
      validFrom: number;
      validUntil: number;
      compromisedAt: number;
    }
  >;
  operators: Set<string>;
  recognitions: Map<string, bigint>;
  anchors: Map<string, AnchorReplay>;
  /** `${root}:${word}` -> member bits. */
  members: Map<string, { revoked: bigint; suspended: bigint }>;
}

interface AnchorReplay {
  batch: boolean;
  issuer: string;
  schema: number;
  state: number;
  reason: number;
  size: number;
  anchoredAt: number;
  validFrom: number;
  validUntil: number;
  changedAt: number;
}

/** Rebuilds the state from the index's events. */
export function replay(file: string, connection: RegistryConnection): ReplayedState & { block?: number } {
  const db = openIndex(file, connection.deployment);
  try {
    const point = checkpoint(db);
    return { ...replayEvents(readEvents(db)), ...(point === undefined ? {} : { block: point.block }) };
  } finally {
    db.close();
  }
}

/** Rebuilds the state from `events`, in chain order. */
export function replayEvents(events: readonly StoredEvent[]): ReplayedState {
  const state: ReplayedState = {
    economies: new Map(),
    schemas: new Map(),
    issuers: new Map(),
    operators: new Set(),
    recognitions: new Map(),
    anchors: new Map(),
    members: new Map(),
  };
  let schemaCount = 0;
  const n = (value: string | undefined): number => Number(value ?? 0);
  for (const { name, args: a, timestamp } of events) {
    const issuer = a.issuer === undefined ? undefined : state.issuers.get(a.issuer);
    const economy = (iso: string | undefined) => state.economies.get(iso ?? "");
    switch (name) {
      case "EconomyAdmitted":
        state.economies.set(a.economy ?? "", { authority: a.authority ?? "", member: true, liveIssuers: 0 });
        break;
      case "EconomyRemoved": {
        const e = economy(a.economy);
        if (e !== undefined)
          Object.assign(e, { member: false, authority: "0x0000000000000000000000000000000000000000" });
        break;
      }
      case "AuthorityChanged": {
        const e = economy(a.economy);
        if (e !== undefined) e.authority = a.newAuthority ?? "";
        break;
      }
      case "SchemaRegistered":
        state.schemas.set(schemaCount++, { name: a.name ?? "", uri: a.uri ?? "", deprecated: false });
        break;
      case "SchemaDeprecated": {
        const s = state.schemas.get(n(a.schema));
        if (s !== undefined) s.deprecated = true;
        break;
      }
      case "IssuerAccredited": {
        state.issuers.set(a.issuer ?? "", {
          id: n(a.id),
          economy: a.economy ?? "",
          standing: IssuerStanding.ACTIVE,
          schemas: BigInt(a.schemas ?? 0),
          validFrom: n(a.validFrom),
          validUntil: n(a.validUntil),
          compromisedAt: 0,
        });
        const e = economy(a.economy);
        if (e !== undefined) e.liveIssuers++;
        break;
      }
      case "AccreditationAmended":
        if (issuer !== undefined) {
          Object.assign(issuer, {
            schemas: BigInt(a.schemas ?? 0),
            validFrom: n(a.validFrom),
            validUntil: n(a.validUntil),
          });
        }
        break;
      case "IssuerSuspended":
        if (issuer !== undefined) issuer.standing = IssuerStanding.SUSPENDED;
        break;
      case "IssuerReinstated":
        if (issuer !== undefined) issuer.standing = IssuerStanding.ACTIVE;
        break;
      case "IssuerRevoked": {
        if (issuer !== undefined)
          Object.assign(issuer, { standing: IssuerStanding.REVOKED, compromisedAt: n(a.compromisedAt) });
        const e = economy(a.economy);
        if (e !== undefined) e.liveIssuers--;
        break;
      }
      case "OperatorAdded":
        state.operators.add(`${a.issuer}:${a.operator}`);
        break;
      case "OperatorRemoved":
        state.operators.delete(`${a.issuer}:${a.operator}`);
        break;
      case "RecognitionGranted":
      case "RecognitionWithdrawn": {
        const key = `${a.economy}:${a.recognised}`;
        const bit = 1n << BigInt(a.schema ?? 0);
        const bits = state.recognitions.get(key) ?? 0n;
        state.recognitions.set(key, name === "RecognitionGranted" ? bits | bit : bits & ~bit);
        break;
      }
      case "CredentialAnchored":
      case "BatchAnchored":
        state.anchors.set(a.credential ?? a.root ?? "", {
          batch: name === "BatchAnchored",
          issuer: a.issuer ?? "",
          schema: n(a.schema),
          state: AnchorState.ACTIVE,
          reason: 0,
          size: n(a.size),
          anchoredAt: timestamp,
          validFrom: n(a.validFrom),
          validUntil: n(a.validUntil),
          changedAt: 0,
        });
        break;
      case "CredentialStatusChanged":
      case "BatchStatusChanged": {
        const anchor = state.anchors.get(a.credential ?? a.root ?? "");
        if (anchor !== undefined) {
          Object.assign(anchor, { state: n(a.state), reason: n(a.reason), changedAt: timestamp });
        }
        break;
      }
      case "MembersStatusChanged": {
        const key = `${a.root}:${a.word}`;
        const bits = BigInt(a.bits ?? 0);
        const m = state.members.get(key) ?? { revoked: 0n, suspended: 0n };
        const changed = n(a.state);
        if (changed === AnchorState.REVOKED) m.revoked |= bits;
        if (changed === AnchorState.SUSPENDED) m.suspended |= bits;
        if (changed === AnchorState.ACTIVE || changed === AnchorState.REVOKED) m.suspended &= ~bits;
        state.members.set(key, m);
        break;
      }
    }
  }
  return state;
}

/** The verdict status a single credential must have at `now`, by the documented precedence, from replayed state. */
export function expectedStatus(state: ReplayedState, hash: string, now: number): string {
  const anchor = state.anchors.get(hash);
  if (anchor === undefined || anchor.batch) return "UNKNOWN";
  const issuer = state.issuers.get(anchor.issuer);
  if (
    issuer?.standing === IssuerStanding.REVOKED &&
    issuer.compromisedAt !== 0 &&
    anchor.anchoredAt >= issuer.compromisedAt
  ) {
    return "ISSUER_REVOKED";
  }
  if (anchor.state === AnchorState.REVOKED) return "REVOKED";
  if (anchor.validUntil !== 0 && now > anchor.validUntil) return "EXPIRED";
  if (anchor.state === AnchorState.SUSPENDED) return "SUSPENDED";
  if (issuer?.standing === IssuerStanding.SUSPENDED) return "ISSUER_SUSPENDED";
  if (anchor.validFrom !== 0 && now < anchor.validFrom) return "NOT_YET_VALID";
  return "VALID";
}

const VERDICTS_PER_CALL = 200;
const calls = (probes: readonly { call: ViewCall }[]): ViewCall[] => probes.map((p) => p.call);

/** The struct a view returns, as named fields. */
const struct = (answer: Result): Record<string, unknown> => (answer[0] as Result).toObject();
/** Return value `i` of a view. */
const value = (answer: Result, i = 0): unknown => answer[i] as unknown;

/** One difference between the replayed history and the contracts' own answer. */
export interface Discrepancy {
  item: string;
  field: string;
  history: string;
  chain: string;
}

/**
 * Replays the index into the full state and compares every item with the registry's view calls: economies,
 * schemas, issuers (record and compromise time), operators, recognitions, credentials and batches (every field of
 * their records), batch member bits, and the verdict of every single credential, all as of the index's last block.
 * Returns that block and every discrepancy.
 */
export async function checkIndex(
  file: string,
  connection: RegistryConnection,
): Promise<{ block: number; discrepancies: Discrepancy[] }> {
  const state = replay(file, connection);
  const { registry, rpcUrl, provider } = connection;
  const found: Discrepancy[] = [];
  const compare = (item: string, field: string, history: unknown, chain: unknown): void => {
    if (String(history) !== String(chain)) found.push({ item, field, history: String(history), chain: String(chain) });
  };
  // The chain is read as of the index's last block: what happened since is not in the history yet.
  if (state.block === undefined) {
    throw new CCRError("INDEX_FILE", `the index ${file} is empty: run ccr audit sync first`);
  }
  const blockTag = state.block;
  const block = await rpcRetried(rpcUrl, `reading block ${blockTag}`, () => provider.getBlock(blockTag));
  const now = block?.timestamp ?? 0;

  // Every view call the comparison needs, each with what to compare its answer with; then all of them in a few
  // hundred requests, every one at the same block.
  const probes: { item: string; call: ViewCall; check: (answer: Result) => void }[] = [];
  const probe = (item: string, method: string, args: readonly unknown[], check: (answer: Result) => void): void => {
    probes.push({ item, call: { method, args }, check });
  };
  for (const [iso, e] of state.economies) {
    probe(`economy ${iso}`, "getEconomy", [economyCode(iso)], (answer: Result) => {
      const chain = struct(answer);
      compare(`economy ${iso}`, "authority", e.authority, chain.authority);
      compare(`economy ${iso}`, "member", e.member, chain.member);
      compare(`economy ${iso}`, "liveIssuers", e.liveIssuers, chain.liveIssuers);
    });
  }
  probe("schemas", "schemaCount", [], (answer: Result) =>
    compare("schemas", "count", state.schemas.size, value(answer)),
  );
  for (const [id, s] of state.schemas) {
    probe(`schema ${id}`, "getSchema", [id], (answer: Result) => {
      const chain = struct(answer);
      compare(`schema ${id}`, "name", s.name, chain.name);
      compare(`schema ${id}`, "uri", s.uri, chain.uri);
      compare(`schema ${id}`, "deprecated", s.deprecated, chain.deprecated);
    });
  }
  probe("issuers", "issuerCount", [], (answer: Result) =>
    compare("issuers", "count", state.issuers.size, value(answer)),
  );
  const issuerIds = new Map<string, number>();
  for (const [address, i] of state.issuers) {
    issuerIds.set(address, i.id);
    const item = `issuer ${address}`;
    probe(item, "getIssuer", [address], (answer: Result) => {
      const chain = struct(answer);
      compare(item, "id", i.id, chain.id);
      compare(item, "economy", economyCode(i.economy), chain.economy);
      compare(item, "standing", i.standing, chain.standing);
      compare(item, "schemas", i.schemas, chain.schemas);
      compare(item, "validFrom", i.validFrom, chain.validFrom);
      compare(item, "validUntil", i.validUntil, chain.validUntil);
    });
    probe(item, "getIssuerMeta", [i.id], (answer: Result) =>
      compare(item, "compromisedAt", i.compromisedAt, struct(answer).compromisedAt),
    );
  }
  for (const pair of state.operators) {
    const [issuer = "", operator = ""] = pair.split(":");
    const item = `operator ${operator} of ${issuer}`;
    probe(item, "isOperator", [issuer, operator], (answer: Result) => compare(item, "active", true, value(answer)));
  }
  for (const [pair, bits] of state.recognitions) {
    const [economy = "", other = ""] = pair.split(":");
    const item = `recognition of ${other} by ${economy}`;
    probe(item, "recognisedSchemas", [economyCode(economy), economyCode(other)], (answer: Result) =>
      compare(item, "schemas", bits, value(answer)),
    );
  }
  // A single credential's verdict carries its record (issuer, schema, times, and reason and time of a revocation or
  // suspension): one call checks both. Only a reinstated credential's record says more (when it was reinstated).
  const singles: string[] = [];
  for (const [hash, a] of state.anchors) {
    const item = `${a.batch ? "batch" : "credential"} ${hash}`;
    if (!a.batch) singles.push(hash);
    if (!a.batch && (a.state !== AnchorState.ACTIVE || a.changedAt === 0)) continue;
    probe(item, a.batch ? "getBatch" : "getCredential", [hash], (answer: Result) => {
      const chain = struct(answer);
      compare(item, "issuerId", issuerIds.get(a.issuer) ?? 0, chain.issuerId);
      compare(item, "schema", a.schema, chain.schema);
      compare(item, "state", ANCHOR_STATE[a.state], ANCHOR_STATE[Number(chain.state)]);
      compare(item, "reason", a.reason, chain.reason);
      compare(item, "size", a.size, chain.size);
      compare(item, "anchoredAt", a.anchoredAt, chain.anchoredAt);
      compare(item, "validFrom", a.validFrom, chain.validFrom);
      compare(item, "validUntil", a.validUntil, chain.validUntil);
      compare(item, "changedAt", a.changedAt, chain.changedAt);
    });
  }
  for (const [key, bits] of state.members) {
    const [root = "", word = "0"] = key.split(":");
    const item = `members of batch ${root}, word ${word}`;
    probe(item, "memberBits", [root, word], (answer: Result) => {
      compare(item, "revoked", bits.revoked, value(answer, 0));
      compare(item, "suspended", bits.suspended, value(answer, 1));
    });
  }

  const read = <T>(doing: string, request: () => Promise<T>): Promise<T> => rpcRetried(rpcUrl, doing, request);
  const answers = await readViews(provider, await registry.getAddress(), registry.interface, calls(probes), {
    blockTag,
    read,
  });
  probes.forEach(({ item, call, check }, i) => {
    const answer = answers[i];
    if (answer?.ok === true) check(answer.result);
    else compare(item, call.method, "an answer", `a revert: ${answer?.reason ?? "none"}`);
  });

  const verdicts = (
    await mapPooled(chunked(singles, VERDICTS_PER_CALL), 4, (chunk) => {
      const queries = chunk.map((credential) => ({ credential, batchRoot: ZeroHash, index: 0, proof: [] }));
      return read(`reading the verdicts of ${chunk.length} credentials`, () =>
        readVerdicts(connection, queries, "0x0000", blockTag),
      );
    })
  ).flat();
  singles.forEach((hash, i) => {
    const a = state.anchors.get(hash);
    const v = verdicts[i];
    const item = `credential ${hash}`;
    if (a === undefined || v === undefined) return;
    const changed = a.state === AnchorState.REVOKED || a.state === AnchorState.SUSPENDED;
    compare(item, "verdict", expectedStatus(state, hash, now), STATUS[Number(v.status)]);
    compare(item, "issuer", a.issuer, v.issuer);
    compare(item, "schema", a.schema, v.schema);
    compare(item, "anchoredAt", a.anchoredAt, v.anchoredAt);
    compare(item, "validFrom", a.validFrom, v.validFrom);
    compare(item, "validUntil", a.validUntil, v.validUntil);
    compare(item, "revokedAt", changed ? a.changedAt : 0, v.revokedAt);
    compare(item, "reason", changed ? a.reason : 0, v.reason);
  });
  return { block: blockTag, discrepancies: found };
}
