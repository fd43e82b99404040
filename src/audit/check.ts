import { ZeroAddress, ZeroHash, type Result } from "ethers";
import {
  ANCHOR_STATE,
  AnchorState,
  DECIDER,
  IssuerStanding,
  STATUS,
  decodeAnchorTerms,
  economyCode,
} from "../codes.ts";
import type { Deployment } from "../deployment.ts";
import { CCRError } from "../errors.ts";
import { chunked, mapPooled } from "../pool.ts";
import { readVerdicts, rpcRetried, type RegistryConnection } from "../registry.ts";
import { readViews, type ViewCall } from "../viewBatch.ts";
import { withIndex, type StoredEvent } from "./db.ts";

/** An issuer's accreditation as replayed. */
interface IssuerReplay {
  id: number;
  economy: string;
  standing: number;
  schemas: bigint;
  validFrom: number;
  validUntil: number;
  compromisedAt: number;
  changedAt: number;
}

/** The registry's state rebuilt from its events alone. */
export interface ReplayedState {
  economies: Map<string, { authority: string; member: boolean; liveIssuers: number }>;
  schemas: Map<number, { name: string; uri: string; digest: string; deprecated: boolean }>;
  /** The current accreditation of each address. */
  issuers: Map<string, IssuerReplay>;
  /** Accreditations the council released, by id: their credentials keep them. */
  released: Map<number, IssuerReplay>;
  /** Accreditations by id: what outlives an address the council released. */
  accreditations: Map<number, { account: string; economy: string }>;
  /** `${issuer}:${economy}` -> the pending offer. */
  offers: Map<string, { authority: string; schemas: bigint; validFrom: number; validUntil: number }>;
  operators: Set<string>;
  recognitions: Map<string, bigint>;
  /** `${issuer}:${digest}` of cancelled signed requests. */
  cancelled: Set<string>;
  /** `${issuer}:${hash}` -> the record (records are kept per issuer). */
  anchors: Map<string, AnchorReplay>;
  /** `${issuer}:${root}:${word}` -> member bits. */
  members: Map<string, { revoked: bigint; suspended: bigint; held: bigint }>;
}

interface AnchorReplay {
  batch: boolean;
  hash: string;
  issuer: string;
  issuerId: number;
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
export function replay(location: string, connection: RegistryConnection): Promise<ReplayedState & { block?: number }> {
  return withIndex(location, connection.deployment, async (store) => {
    const point = await store.checkpoint();
    return { ...(await replayEvents(store.events())), ...(point === undefined ? {} : { block: point.block }) };
  });
}

/** One event as a replay step sees it: the state so far, its arguments, its block's time, and its issuer's record. */
interface ReplayStep {
  state: ReplayedState;
  name: string;
  a: Record<string, string | undefined>;
  timestamp: number;
  /** The current accreditation of the event's `issuer` argument, if any. */
  issuer: IssuerReplay | undefined;
}

const n = (value: string | undefined): number => Number(value ?? 0);
const economyOf = (state: ReplayedState, iso: string | undefined) => state.economies.get(iso ?? "");

function economyRemoved({ state, a }: ReplayStep): void {
  const e = economyOf(state, a.economy);
  if (e !== undefined) Object.assign(e, { member: false, authority: "0x0000000000000000000000000000000000000000" });
  // Every recognition it gave or received ends with it (and does not return on readmission).
  for (const pair of [...state.recognitions.keys()]) {
    if (pair.split(":").includes(a.economy ?? "")) state.recognitions.delete(pair);
  }
}

function issuerAccredited({ state, a, timestamp }: ReplayStep): void {
  state.offers.delete(`${a.issuer}:${a.economy}`);
  state.issuers.set(a.issuer ?? "", {
    id: n(a.id),
    economy: a.economy ?? "",
    standing: IssuerStanding.ACTIVE,
    schemas: BigInt(a.schemas ?? 0),
    validFrom: n(a.validFrom),
    validUntil: n(a.validUntil),
    compromisedAt: 0,
    changedAt: timestamp,
  });
  state.accreditations.set(n(a.id), { account: a.issuer ?? "", economy: a.economy ?? "" });
  const e = economyOf(state, a.economy);
  if (e !== undefined) e.liveIssuers++;
}

function issuerReleased({ state, a, timestamp, issuer }: ReplayStep): void {
  // A release ends an accreditation that was not revoked yet as a revocation, now.
  if (issuer !== undefined && issuer.standing !== IssuerStanding.REVOKED) {
    const e = economyOf(state, a.economy);
    if (e !== undefined) e.liveIssuers--;
    issuer.changedAt = timestamp;
  }
  // The released accreditation keeps its times for its credentials; the address is free again.
  state.released.set(n(a.id), { ...(issuer ?? emptyIssuer()), standing: IssuerStanding.REVOKED });
  state.issuers.delete(a.issuer ?? "");
  for (const pair of [...state.operators]) if (pair.startsWith(`${a.issuer}:`)) state.operators.delete(pair);
}

function issuerRevoked({ state, a, timestamp, issuer }: ReplayStep): void {
  if (issuer !== undefined) {
    Object.assign(issuer, {
      standing: IssuerStanding.REVOKED,
      compromisedAt: n(a.compromisedAt),
      changedAt: timestamp,
    });
  }
  const e = economyOf(state, a.economy);
  if (e !== undefined) e.liveIssuers--;
}

function recognitionChanged({ state, a, name }: ReplayStep): void {
  const key = `${a.economy}:${a.recognised}`;
  const bit = 1n << BigInt(a.schema ?? 0);
  const bits = state.recognitions.get(key) ?? 0n;
  state.recognitions.set(key, name === "RecognitionGranted" ? bits | bit : bits & ~bit);
}

function anchored({ state, a, timestamp, issuer, name }: ReplayStep): void {
  const hash = a.credential ?? a.root ?? "";
  const terms = decodeAnchorTerms(BigInt(a.terms ?? 0));
  state.anchors.set(`${a.issuer}:${hash}`, {
    batch: name === "BatchAnchored",
    hash,
    issuer: a.issuer ?? "",
    issuerId: issuer?.id ?? 0,
    schema: terms.schema,
    state: AnchorState.ACTIVE,
    reason: 0,
    size: n(a.size),
    anchoredAt: timestamp,
    validFrom: terms.validFrom,
    validUntil: terms.validUntil,
    changedAt: 0,
  });
}

function statusChanged({ state, a, timestamp }: ReplayStep): void {
  const anchor = state.anchors.get(`${a.issuer}:${a.credential ?? a.root ?? ""}`);
  if (anchor !== undefined) Object.assign(anchor, { state: n(a.state), reason: n(a.reason), changedAt: timestamp });
}

function membersChanged({ state, a }: ReplayStep): void {
  const key = `${a.issuer}:${a.root}:${a.word}`;
  const bits = BigInt(a.bits ?? 0);
  const m = state.members.get(key) ?? { revoked: 0n, suspended: 0n, held: 0n };
  const changed = n(a.state);
  if (changed === AnchorState.REVOKED) m.revoked |= bits;
  if (changed === AnchorState.SUSPENDED || changed === AnchorState.HELD) m.suspended |= bits;
  if (changed === AnchorState.HELD) m.held |= bits;
  if (changed === AnchorState.ACTIVE) {
    m.suspended &= ~bits;
    m.held &= ~bits;
  }
  state.members.set(key, m);
}

/** What each event does to the replayed state (events not named here change nothing the auditor checks). */
const REPLAY = new Map<string, (step: ReplayStep) => void>([
  [
    "EconomyAdmitted",
    ({ state, a }) =>
      state.economies.set(a.economy ?? "", { authority: a.authority ?? "", member: true, liveIssuers: 0 }),
  ],
  ["EconomyRemoved", economyRemoved],
  [
    "AuthorityChanged",
    ({ state, a }) => {
      const e = economyOf(state, a.economy);
      if (e !== undefined) e.authority = a.newAuthority ?? "";
    },
  ],
  [
    "SchemaRegistered",
    // Schemas are numbered in the order they are registered, and never removed.
    ({ state, a }) =>
      state.schemas.set(state.schemas.size, {
        name: a.name ?? "",
        uri: a.uri ?? "",
        digest: a.digest ?? "",
        deprecated: false,
      }),
  ],
  [
    "SchemaDeprecated",
    ({ state, a }) => {
      const s = state.schemas.get(n(a.schema));
      if (s !== undefined) s.deprecated = true;
    },
  ],
  [
    "AccreditationOffered",
    ({ state, a }) =>
      state.offers.set(`${a.issuer}:${a.economy}`, {
        authority: a.actor ?? "",
        schemas: BigInt(a.schemas ?? 0),
        validFrom: n(a.validFrom),
        validUntil: n(a.validUntil),
      }),
  ],
  ["AccreditationOfferWithdrawn", ({ state, a }) => state.offers.delete(`${a.issuer}:${a.economy}`)],
  ["IssuerAccredited", issuerAccredited],
  ["IssuerReleased", issuerReleased],
  [
    "AccreditationAmended",
    ({ a, issuer }) => {
      if (issuer === undefined) return;
      Object.assign(issuer, {
        schemas: BigInt(a.schemas ?? 0),
        validFrom: n(a.validFrom),
        validUntil: n(a.validUntil),
      });
    },
  ],
  [
    "IssuerSuspended",
    ({ issuer, timestamp }) => {
      if (issuer !== undefined) Object.assign(issuer, { standing: IssuerStanding.SUSPENDED, changedAt: timestamp });
    },
  ],
  [
    "IssuerReinstated",
    ({ issuer, timestamp }) => {
      if (issuer !== undefined) Object.assign(issuer, { standing: IssuerStanding.ACTIVE, changedAt: timestamp });
    },
  ],
  ["IssuerRevoked", issuerRevoked],
  ["OperatorAdded", ({ state, a }) => state.operators.add(`${a.issuer}:${a.operator}`)],
  ["OperatorRemoved", ({ state, a }) => state.operators.delete(`${a.issuer}:${a.operator}`)],
  ["RecognitionGranted", recognitionChanged],
  ["RecognitionWithdrawn", recognitionChanged],
  ["AnchorRequestCancelled", ({ state, a }) => state.cancelled.add(`${a.issuer}:${a.digest}`)],
  ["CredentialAnchored", anchored],
  ["BatchAnchored", anchored],
  ["CredentialStatusChanged", statusChanged],
  ["BatchStatusChanged", statusChanged],
  ["MembersStatusChanged", membersChanged],
]);

/** Rebuilds the state from `events`, in chain order (read as they come: a long history is never all in memory). */
export async function replayEvents(events: AsyncIterable<StoredEvent> | Iterable<StoredEvent>): Promise<ReplayedState> {
  const state: ReplayedState = {
    economies: new Map(),
    schemas: new Map(),
    issuers: new Map(),
    released: new Map(),
    accreditations: new Map(),
    offers: new Map(),
    operators: new Set(),
    recognitions: new Map(),
    cancelled: new Set(),
    anchors: new Map(),
    members: new Map(),
  };
  for await (const { name, args: a, timestamp } of events) {
    const issuer = a.issuer === undefined ? undefined : state.issuers.get(a.issuer);
    REPLAY.get(name)?.({ state, name, a, timestamp, issuer });
  }
  return state;
}

const emptyIssuer = (): IssuerReplay => ({
  id: 0,
  economy: "",
  standing: IssuerStanding.NONE,
  schemas: 0n,
  validFrom: 0,
  validUntil: 0,
  compromisedAt: 0,
  changedAt: 0,
});

/** The accreditation an anchor was made under: the address's current one, or one the council released since. */
function accreditationOf(state: ReplayedState, anchor: AnchorReplay): IssuerReplay | undefined {
  const current = state.issuers.get(anchor.issuer);
  if (current !== undefined && current.id === anchor.issuerId) return current;
  return state.released.get(anchor.issuerId);
}

/**
 * The verdict a single credential must have at `now` from replayed state, by the documented precedence: its status,
 * the entry that decided it, and that entry's time and reason.
 */
export function expectedVerdict(
  state: ReplayedState,
  key: string,
  now: number,
): { status: string; decidedBy: string; decidedAt: number; reason: number } {
  const none = { decidedBy: "NONE", decidedAt: 0, reason: 0 };
  const anchor = state.anchors.get(key);
  if (anchor === undefined || anchor.batch) return { status: "UNKNOWN", ...none };
  const issuer = accreditationOf(state, anchor);
  const record = { decidedBy: "CREDENTIAL", decidedAt: anchor.changedAt, reason: anchor.reason };
  const byIssuer = { decidedBy: "ISSUER", decidedAt: issuer?.changedAt ?? 0, reason: 0 };
  if (
    issuer?.standing === IssuerStanding.REVOKED &&
    issuer.compromisedAt !== 0 &&
    anchor.anchoredAt >= issuer.compromisedAt
  ) {
    return { status: "ISSUER_REVOKED", ...byIssuer };
  }
  if (anchor.state === AnchorState.REVOKED) return { status: "REVOKED", ...record };
  if (anchor.validUntil !== 0 && now > anchor.validUntil) {
    return { status: "EXPIRED", decidedBy: "VALIDITY", decidedAt: anchor.validUntil, reason: 0 };
  }
  if (anchor.state === AnchorState.SUSPENDED || anchor.state === AnchorState.HELD) {
    return { status: "SUSPENDED", ...record };
  }
  if (issuer?.standing === IssuerStanding.SUSPENDED) return { status: "ISSUER_SUSPENDED", ...byIssuer };
  if (anchor.validFrom !== 0 && now < anchor.validFrom) {
    return { status: "NOT_YET_VALID", decidedBy: "VALIDITY", decidedAt: anchor.validFrom, reason: 0 };
  }
  return { status: "VALID", ...none };
}

const VERDICTS_PER_CALL = 200;
/** With CCR_PROFILE=1 (the auditor's bench sets it), the check's phases and their times go to stderr. */
const phase = (line: string): void => {
  if (process.env.CCR_PROFILE === "1") console.error(line);
};
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
  const state = await replay(file, connection);
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
      compare(`schema ${id}`, "digest", s.digest, chain.digest);
      compare(`schema ${id}`, "deprecated", s.deprecated, chain.deprecated);
    });
  }
  probe("issuers", "issuerCount", [], (answer: Result) =>
    compare("issuers", "count", state.accreditations.size, value(answer)),
  );
  for (const [address, i] of state.issuers) {
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
  }
  for (const [id, accreditation] of state.accreditations) {
    const item = `accreditation ${id}`;
    const i = state.released.get(id) ?? state.issuers.get(accreditation.account);
    probe(item, "getIssuerMeta", [id], (answer: Result) => {
      const chain = struct(answer);
      compare(item, "account", accreditation.account, chain.account);
      compare(item, "economy", economyCode(accreditation.economy), chain.economy);
      compare(item, "changedAt", i?.changedAt ?? 0, chain.changedAt);
      compare(item, "compromisedAt", i?.compromisedAt ?? 0, chain.compromisedAt);
    });
  }
  for (const [pair, offer] of state.offers) {
    const [issuer = "", economy = ""] = pair.split(":");
    const item = `offer of ${economy} to ${issuer}`;
    probe(item, "getOffer", [issuer, economyCode(economy)], (answer: Result) => {
      const chain = struct(answer);
      compare(item, "authority", offer.authority, chain.authority);
      compare(item, "schemas", offer.schemas, chain.schemas);
      compare(item, "validFrom", offer.validFrom, chain.validFrom);
      compare(item, "validUntil", offer.validUntil, chain.validUntil);
    });
  }
  for (const pair of state.cancelled) {
    const [issuer = "", digest = ""] = pair.split(":");
    const item = `signed request ${digest} of ${issuer}`;
    probe(item, "isRequestCancelled", [issuer, digest], (answer: Result) =>
      compare(item, "cancelled", true, value(answer)),
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
  // suspension): one call checks both, except where the record says more (see below).
  const singles: string[] = [];
  for (const [key, a] of state.anchors) {
    const item = `${a.batch ? "batch" : "credential"} ${a.hash} of ${a.issuer}`;
    if (!a.batch) singles.push(key);
    // A revoked or never-changed credential's verdict carries its whole record; a suspended one's does not say whose
    // suspension it is (SUSPENDED or HELD), a reinstated one's not when it was reinstated.
    if (!a.batch && (a.state === AnchorState.REVOKED || (a.state === AnchorState.ACTIVE && a.changedAt === 0)))
      continue;
    probe(item, a.batch ? "getBatch" : "getCredential", [a.issuer, a.hash], (answer: Result) => {
      const chain = struct(answer);
      compare(item, "issuerId", a.issuerId, chain.issuerId);
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
    const [issuer = "", root = "", word = "0"] = key.split(":");
    const item = `members of batch ${root} of ${issuer}, word ${word}`;
    probe(item, "memberBits", [issuer, root, word], (answer: Result) => {
      compare(item, "revoked", bits.revoked, value(answer, 0));
      compare(item, "suspended", bits.suspended, value(answer, 1));
      compare(item, "held", bits.held, value(answer, 2));
    });
  }

  const read = <T>(doing: string, request: () => Promise<T>): Promise<T> => rpcRetried(rpcUrl, doing, request);
  const t0 = performance.now();
  phase(`probes ${probes.length}, singles ${singles.length}`);
  const answers = await readViews(provider, await registry.getAddress(), registry.interface, calls(probes), {
    blockTag,
    read,
  });
  probes.forEach(({ item, call, check }, i) => {
    const answer = answers[i];
    if (answer?.ok === true) check(answer.result);
    else compare(item, call.method, "an answer", `a revert: ${answer?.reason ?? "none"}`);
  });

  phase(`views ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = performance.now();
  const verdicts = (
    await mapPooled(chunked(singles, VERDICTS_PER_CALL), 4, (chunk) => {
      const queries = chunk.map((key) => {
        const a = state.anchors.get(key);
        return {
          issuer: a?.issuer ?? ZeroAddress,
          credential: a?.hash ?? ZeroHash,
          batchRoot: ZeroHash,
          index: 0,
          proof: [],
        };
      });
      return read(`reading the verdicts of ${chunk.length} credentials`, () =>
        readVerdicts(connection, queries, "0x0000", blockTag),
      );
    })
  ).flat();
  phase(`verdicts ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  singles.forEach((key, i) => {
    const a = state.anchors.get(key);
    const v = verdicts[i];
    if (a === undefined || v === undefined) return;
    const item = `credential ${a.hash} of ${a.issuer}`;
    const expected = expectedVerdict(state, key, now);
    compare(item, "verdict", expected.status, STATUS[Number(v.status)]);
    compare(item, "decidedBy", expected.decidedBy, DECIDER[Number(v.decidedBy)]);
    compare(item, "decidedAt", expected.decidedAt, v.decidedAt);
    compare(item, "reason", expected.reason, v.reason);
    compare(item, "issuer", a.issuer, v.issuer);
    compare(item, "schema", a.schema, v.schema);
    compare(item, "anchoredAt", a.anchoredAt, v.anchoredAt);
    compare(item, "validFrom", a.validFrom, v.validFrom);
    compare(item, "validUntil", a.validUntil, v.validUntil);
  });
  return { block: blockTag, discrepancies: found };
}

/** What the last `audit check` of an index found, kept in the index for the dashboard. */
export interface CheckRecord {
  checkedAt: string;
  block: number;
  consistent: boolean;
  /** How many discrepancies there were (only the first 100 are kept). */
  count: number;
  discrepancies: Discrepancy[];
}

/** Keeps a check's result in the index (the first 100 discrepancies and their count are enough to show). */
export async function recordCheck(
  location: string,
  deployment: Deployment,
  result: { block: number; discrepancies: Discrepancy[] },
): Promise<CheckRecord> {
  const record: CheckRecord = {
    checkedAt: new Date().toISOString(),
    block: result.block,
    consistent: result.discrepancies.length === 0,
    count: result.discrepancies.length,
    discrepancies: result.discrepancies.slice(0, 100),
  };
  await withIndex(location, deployment, (store) => store.setMeta("lastCheck", JSON.stringify(record)));
  return record;
}

/** The last check kept in the index, or undefined if it was never checked. */
export async function lastCheck(location: string, deployment: Deployment): Promise<CheckRecord | undefined> {
  const value = await withIndex(location, deployment, (store) => store.meta("lastCheck"));
  return value === undefined ? undefined : (JSON.parse(value) as CheckRecord);
}
