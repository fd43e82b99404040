/**
 * The comparison of `ccr audit check`: every view call that reads back what the replayed history says (economies,
 * schemas, issuers and accreditations, offers, cancelled requests, operators, recognitions, records of credentials
 * and batches, batch member bits), each with the fields its answer must match, and the comparison of every single
 * credential's verdict with the one the history implies. Reading the chain is the caller's: these take answers.
 */
import type { Result } from "ethers";
import { ANCHOR_STATE, AnchorState, DECIDER, STATUS, economyCode } from "../codes.ts";
import type { ViewCall } from "../viewBatch.ts";
import { expectedVerdict, type ReplayedState } from "./replay.ts";

/** One difference between the replayed history and the contracts' own answer. */
export interface Discrepancy {
  item: string;
  field: string;
  history: string;
  chain: string;
}

/** Notes a discrepancy when the history's value and the chain's differ (compared as text). */
export type Compare = (item: string, field: string, history: unknown, chain: unknown) => void;

/** A comparison that collects what differs into `found`. */
export function collector(found: Discrepancy[]): Compare {
  return (item, field, history, chain) => {
    if (String(history) !== String(chain)) found.push({ item, field, history: String(history), chain: String(chain) });
  };
}

/** A view call and what its answer must match. */
export interface Probe {
  item: string;
  call: ViewCall;
  check: (answer: Result, compare: Compare) => void;
}

/** The struct a view returns, as named fields. */
const struct = (answer: Result): Record<string, unknown> => (answer[0] as Result).toObject();
/** Return value `i` of a view. */
const value = (answer: Result, i = 0): unknown => answer[i] as unknown;

type Probes = Probe[];
/**
 * The parts of a replayed state's key: `issuer:economy`, `issuer:digest`, `issuer:operator`, `economy:other` or
 * `issuer:root:word` (addresses, ISO codes, hashes and numbers, none of which holds a colon).
 */
const partsOf = <T extends string[]>(key: string): T => key.split(":") as T;
const probe = (item: string, method: string, args: readonly unknown[], check: Probe["check"]): Probe => ({
  item,
  call: { method, args },
  check,
});

function economyProbes(state: ReplayedState, probes: Probes): void {
  for (const [iso, e] of state.economies) {
    const item = `economy ${iso}`;
    probes.push(
      probe(item, "getEconomy", [economyCode(iso)], (answer, compare) => {
        const chain = struct(answer);
        compare(item, "authority", e.authority, chain.authority);
        compare(item, "member", e.member, chain.member);
        compare(item, "liveIssuers", e.liveIssuers, chain.liveIssuers);
      }),
    );
  }
  probes.push(
    probe("schemas", "schemaCount", [], (answer, compare) =>
      compare("schemas", "count", state.schemas.size, value(answer)),
    ),
  );
  for (const [id, s] of state.schemas) {
    const item = `schema ${id}`;
    probes.push(
      probe(item, "getSchema", [id], (answer, compare) => {
        const chain = struct(answer);
        compare(item, "name", s.name, chain.name);
        compare(item, "uri", s.uri, chain.uri);
        compare(item, "digest", s.digest, chain.digest);
        compare(item, "deprecated", s.deprecated, chain.deprecated);
      }),
    );
  }
}

function issuerProbes(state: ReplayedState, probes: Probes): void {
  probes.push(
    probe("issuers", "issuerCount", [], (answer, compare) =>
      compare("issuers", "count", state.accreditations.size, value(answer)),
    ),
  );
  for (const [address, i] of state.issuers) {
    const item = `issuer ${address}`;
    probes.push(
      probe(item, "getIssuer", [address], (answer, compare) => {
        const chain = struct(answer);
        compare(item, "id", i.id, chain.id);
        compare(item, "economy", economyCode(i.economy), chain.economy);
        compare(item, "standing", i.standing, chain.standing);
        compare(item, "schemas", i.schemas, chain.schemas);
        compare(item, "validFrom", i.validFrom, chain.validFrom);
        compare(item, "validUntil", i.validUntil, chain.validUntil);
      }),
    );
  }
  for (const [id, accreditation] of state.accreditations) {
    const item = `accreditation ${id}`;
    const i = state.released.get(id) ?? state.issuers.get(accreditation.account);
    probes.push(
      probe(item, "getIssuerMeta", [id], (answer, compare) => {
        const chain = struct(answer);
        compare(item, "account", accreditation.account, chain.account);
        compare(item, "economy", economyCode(accreditation.economy), chain.economy);
        compare(item, "changedAt", i?.changedAt ?? 0, chain.changedAt);
        compare(item, "compromisedAt", i?.compromisedAt ?? 0, chain.compromisedAt);
      }),
    );
  }
  for (const [pair, offer] of state.offers) {
    const [issuer, economy] = partsOf<[string, string]>(pair);
    const item = `offer of ${economy} to ${issuer}`;
    probes.push(
      probe(item, "getOffer", [issuer, economyCode(economy)], (answer, compare) => {
        const chain = struct(answer);
        compare(item, "authority", offer.authority, chain.authority);
        compare(item, "schemas", offer.schemas, chain.schemas);
        compare(item, "validFrom", offer.validFrom, chain.validFrom);
        compare(item, "validUntil", offer.validUntil, chain.validUntil);
      }),
    );
  }
}

function permissionProbes(state: ReplayedState, probes: Probes): void {
  for (const pair of state.cancelled) {
    const [issuer, digest] = partsOf<[string, string]>(pair);
    const item = `signed request ${digest} of ${issuer}`;
    probes.push(
      probe(item, "isRequestCancelled", [issuer, digest], (answer, compare) =>
        compare(item, "cancelled", true, value(answer)),
      ),
    );
  }
  for (const pair of state.operators) {
    const [issuer, operator] = partsOf<[string, string]>(pair);
    const item = `operator ${operator} of ${issuer}`;
    probes.push(
      probe(item, "isOperator", [issuer, operator], (answer, compare) => compare(item, "active", true, value(answer))),
    );
  }
  for (const [pair, bits] of state.recognitions) {
    const [economy, other] = partsOf<[string, string]>(pair);
    const item = `recognition of ${other} by ${economy}`;
    probes.push(
      probe(item, "recognisedSchemas", [economyCode(economy), economyCode(other)], (answer, compare) =>
        compare(item, "schemas", bits, value(answer)),
      ),
    );
  }
}

/**
 * Records of credentials and batches, and member bits. A single credential's verdict carries its record (issuer,
 * schema, times, and reason and time of a revocation or suspension), so a revoked or never-changed one is checked by
 * its verdict alone; a suspended one's verdict does not say whose suspension it is (SUSPENDED or HELD), a reinstated
 * one's not when it was reinstated: those records are read too.
 */
function anchorProbes(state: ReplayedState, probes: Probes): void {
  for (const a of state.anchors.values()) {
    const item = `${a.batch ? "batch" : "credential"} ${a.hash} of ${a.issuer}`;
    // A record never changed is active: its changedAt is 0 until its first change.
    if (!a.batch && (a.state === AnchorState.REVOKED || a.changedAt === 0)) continue;
    probes.push(
      probe(item, a.batch ? "getBatch" : "getCredential", [a.issuer, a.hash], (answer, compare) => {
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
      }),
    );
  }
  for (const [key, bits] of state.members) {
    const [issuer, root, word] = partsOf<[string, string, string]>(key);
    const item = `members of batch ${root} of ${issuer}, word ${word}`;
    probes.push(
      probe(item, "memberBits", [issuer, root, word], (answer, compare) => {
        compare(item, "revoked", bits.revoked, value(answer, 0));
        compare(item, "suspended", bits.suspended, value(answer, 1));
        compare(item, "held", bits.held, value(answer, 2));
      }),
    );
  }
}

/** Every view call the comparison needs, each with what its answer must match. */
export function registryProbes(state: ReplayedState): Probe[] {
  const probes: Probe[] = [];
  economyProbes(state, probes);
  issuerProbes(state, probes);
  permissionProbes(state, probes);
  anchorProbes(state, probes);
  return probes;
}

/** Compares each probe's answer (a revert is a discrepancy: the history says the item exists). */
export function compareAnswers(
  probes: readonly Probe[],
  answers: readonly ({ ok: true; result: Result } | { ok: false; reason?: string } | undefined)[],
  compare: Compare,
): void {
  probes.forEach(({ item, call, check }, i) => {
    const answer = answers[i];
    if (answer?.ok === true) check(answer.result, compare);
    else compare(item, call.method, "an answer", `a revert: ${answer?.reason ?? "none"}`);
  });
}

/** The keys of the single credentials (not batches), whose verdicts are compared one by one. */
export const singleCredentials = (state: ReplayedState): string[] =>
  [...state.anchors].filter(([, a]) => !a.batch).map(([key]) => key);

/** A verdict as the registry's `verdicts` view answers it. */
export interface ChainVerdict {
  status: bigint | number;
  decidedBy: bigint | number;
  decidedAt: bigint | number;
  reason: bigint | number;
  issuer: string;
  schema: bigint | number;
  anchoredAt: bigint | number;
  validFrom: bigint | number;
  validUntil: bigint | number;
}

/** Compares the chain's verdict of the single credential `key` at `now` with the one its history implies. */
export function compareVerdict(
  state: ReplayedState,
  key: string,
  verdict: ChainVerdict,
  now: number,
  compare: Compare,
): void {
  const a = state.anchors.get(key);
  if (a === undefined) return;
  const item = `credential ${a.hash} of ${a.issuer}`;
  const expected = expectedVerdict(state, key, now);
  compare(item, "verdict", expected.status, STATUS[Number(verdict.status)]);
  compare(item, "decidedBy", expected.decidedBy, DECIDER[Number(verdict.decidedBy)]);
  compare(item, "decidedAt", expected.decidedAt, verdict.decidedAt);
  compare(item, "reason", expected.reason, verdict.reason);
  compare(item, "issuer", a.issuer, verdict.issuer);
  compare(item, "schema", a.schema, verdict.schema);
  compare(item, "anchoredAt", a.anchoredAt, verdict.anchoredAt);
  compare(item, "validFrom", a.validFrom, verdict.validFrom);
  compare(item, "validUntil", a.validUntil, verdict.validUntil);
}
