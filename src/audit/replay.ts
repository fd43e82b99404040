/**
 * The registry's state rebuilt from its events alone (`replayEvents`), and the verdict a single credential must have
 * by the documented precedence (`expectedVerdict`): the auditor's side of `ccr audit check`, which no chain answer
 * feeds.
 */
import { AnchorState, IssuerStanding, decodeAnchorTerms } from "../codes.ts";
import { CCRError } from "../errors.ts";
import type { StoredEvent } from "./store.ts";

/** An issuer's accreditation as replayed. */
export interface IssuerReplay {
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

export interface AnchorReplay {
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

/**
 * One event as a replay step sees it: the state so far and the event. Its lookups are strict: a registry never emits
 * an event without its arguments, or about an economy, issuer, schema or record that does not exist, so an index that
 * holds one is damaged (or not a registry's history), and the replay says which event it is instead of guessing.
 */
class ReplayStep {
  readonly state: ReplayedState;
  readonly event: StoredEvent;

  constructor(state: ReplayedState, event: StoredEvent) {
    this.state = state;
    this.event = event;
  }

  get name(): string {
    return this.event.name;
  }

  get timestamp(): number {
    return this.event.timestamp;
  }

  refuse(what: string): never {
    const { name, block, logIndex } = this.event;
    throw new CCRError(
      "INDEX_FILE",
      `the index's event ${name} (block ${block}, log ${logIndex}) ${what}: no registry emits that; the index is damaged, sync it again from an empty file`,
    );
  }

  /** Argument `key`, as the index keeps it (decimal numbers, ISO economy codes, checksummed addresses, hex). */
  arg(key: string): string {
    return this.event.args[key] ?? this.refuse(`has no argument "${key}"`);
  }

  num(key: string): number {
    return Number(this.arg(key));
  }

  /** The economy the event names in `key`. */
  economy(key = "economy"): ReplayedState["economies"] extends Map<string, infer E> ? E : never {
    const iso = this.arg(key);
    return this.state.economies.get(iso) ?? this.refuse(`names economy ${iso}, which was never admitted`);
  }

  /** The current accreditation of the event's issuer. */
  issuer(): IssuerReplay {
    const address = this.arg("issuer");
    return this.state.issuers.get(address) ?? this.refuse(`names ${address}, which is not an accredited issuer`);
  }

  /** The record of the credential or batch the event names. */
  anchor(): AnchorReplay {
    const key = `${this.arg("issuer")}:${this.hash()}`;
    return (
      this.state.anchors.get(key) ?? this.refuse(`names ${this.hash()}, which ${this.arg("issuer")} never anchored`)
    );
  }

  /** The credential's hash or the batch's root the event names. */
  hash(): string {
    return this.arg(this.name.startsWith("Batch") ? "root" : "credential");
  }

  /** `${a}:${b}` of two arguments: the key of a pair (an issuer's offer, operator, recognition, request). */
  pair(a: string, b: string): string {
    return `${this.arg(a)}:${this.arg(b)}`;
  }
}

function economyAdmitted(step: ReplayStep): void {
  step.state.economies.set(step.arg("economy"), { authority: step.arg("authority"), member: true, liveIssuers: 0 });
}

function economyRemoved(step: ReplayStep): void {
  Object.assign(step.economy(), { member: false, authority: "0x0000000000000000000000000000000000000000" });
  // Every recognition it gave or received ends with it (and does not return on readmission).
  const iso = step.arg("economy");
  for (const pair of [...step.state.recognitions.keys()]) {
    if (pair.split(":").includes(iso)) step.state.recognitions.delete(pair);
  }
}

function schemaRegistered(step: ReplayStep): void {
  step.state.schemas.set(step.num("schema"), {
    name: step.arg("name"),
    uri: step.arg("uri"),
    digest: step.arg("digest"),
    deprecated: false,
  });
}

function schemaDeprecated(step: ReplayStep): void {
  const schema = step.state.schemas.get(step.num("schema"));
  (schema ?? step.refuse(`names schema ${step.num("schema")}, which was never registered`)).deprecated = true;
}

function accreditationOffered(step: ReplayStep): void {
  step.state.offers.set(step.pair("issuer", "economy"), {
    authority: step.arg("actor"),
    schemas: BigInt(step.arg("schemas")),
    validFrom: step.num("validFrom"),
    validUntil: step.num("validUntil"),
  });
}

function issuerAccredited(step: ReplayStep): void {
  const { state } = step;
  state.offers.delete(step.pair("issuer", "economy"));
  state.issuers.set(step.arg("issuer"), {
    id: step.num("id"),
    economy: step.arg("economy"),
    standing: IssuerStanding.ACTIVE,
    schemas: BigInt(step.arg("schemas")),
    validFrom: step.num("validFrom"),
    validUntil: step.num("validUntil"),
    compromisedAt: 0,
    changedAt: step.timestamp,
  });
  state.accreditations.set(step.num("id"), { account: step.arg("issuer"), economy: step.arg("economy") });
  step.economy().liveIssuers++;
}

function accreditationAmended(step: ReplayStep): void {
  Object.assign(step.issuer(), {
    schemas: BigInt(step.arg("schemas")),
    validFrom: step.num("validFrom"),
    validUntil: step.num("validUntil"),
  });
}

function issuerReleased(step: ReplayStep): void {
  const { state } = step;
  const issuer = step.issuer();
  // A release ends an accreditation that was not revoked yet as a revocation, now.
  if (issuer.standing !== IssuerStanding.REVOKED) {
    step.economy().liveIssuers--;
    issuer.changedAt = step.timestamp;
  }
  // The released accreditation keeps its times for its credentials; the address is free again.
  state.released.set(step.num("id"), { ...issuer, standing: IssuerStanding.REVOKED });
  state.issuers.delete(step.arg("issuer"));
  const operators = `${step.arg("issuer")}:`;
  for (const pair of [...state.operators]) if (pair.startsWith(operators)) state.operators.delete(pair);
}

function issuerStanding(step: ReplayStep, standing: number): void {
  Object.assign(step.issuer(), { standing, changedAt: step.timestamp });
}

function issuerRevoked(step: ReplayStep): void {
  Object.assign(step.issuer(), {
    standing: IssuerStanding.REVOKED,
    compromisedAt: step.num("compromisedAt"),
    changedAt: step.timestamp,
  });
  step.economy().liveIssuers--;
}

function recognitionChanged(step: ReplayStep, granted: boolean): void {
  const key = step.pair("economy", "recognised");
  const bit = 1n << BigInt(step.arg("schema"));
  const bits = step.state.recognitions.get(key) ?? 0n;
  step.state.recognitions.set(key, granted ? bits | bit : bits & ~bit);
}

function anchored(step: ReplayStep): void {
  const terms = decodeAnchorTerms(BigInt(step.arg("terms")));
  const batch = step.name === "BatchAnchored";
  step.state.anchors.set(`${step.arg("issuer")}:${step.hash()}`, {
    batch,
    hash: step.hash(),
    issuer: step.arg("issuer"),
    issuerId: step.issuer().id,
    schema: terms.schema,
    state: AnchorState.ACTIVE,
    reason: 0,
    size: batch ? step.num("size") : 0,
    anchoredAt: step.timestamp,
    validFrom: terms.validFrom,
    validUntil: terms.validUntil,
    changedAt: 0,
  });
}

function statusChanged(step: ReplayStep): void {
  Object.assign(step.anchor(), { state: step.num("state"), reason: step.num("reason"), changedAt: step.timestamp });
}

function membersChanged(step: ReplayStep): void {
  const key = `${step.pair("issuer", "root")}:${step.arg("word")}`;
  const bits = BigInt(step.arg("bits"));
  const m = step.state.members.get(key) ?? { revoked: 0n, suspended: 0n, held: 0n };
  const changed = step.num("state");
  if (changed === AnchorState.REVOKED) m.revoked |= bits;
  if (changed === AnchorState.SUSPENDED || changed === AnchorState.HELD) m.suspended |= bits;
  if (changed === AnchorState.HELD) m.held |= bits;
  if (changed === AnchorState.ACTIVE) {
    m.suspended &= ~bits;
    m.held &= ~bits;
  }
  step.state.members.set(key, m);
}

/** What each event does to the replayed state (events not named here change nothing the auditor checks). */
function replayStep(step: ReplayStep): void {
  const { state } = step;
  switch (step.name) {
    case "EconomyAdmitted":
      return economyAdmitted(step);
    case "EconomyRemoved":
      return economyRemoved(step);
    case "AuthorityChanged":
      step.economy().authority = step.arg("newAuthority");
      return;
    case "SchemaRegistered":
      return schemaRegistered(step);
    case "SchemaDeprecated":
      return schemaDeprecated(step);
    case "AccreditationOffered":
      return accreditationOffered(step);
    case "AccreditationOfferWithdrawn":
      state.offers.delete(step.pair("issuer", "economy"));
      return;
    case "IssuerAccredited":
      return issuerAccredited(step);
    case "IssuerReleased":
      return issuerReleased(step);
    case "AccreditationAmended":
      return accreditationAmended(step);
    case "IssuerSuspended":
      return issuerStanding(step, IssuerStanding.SUSPENDED);
    case "IssuerReinstated":
      return issuerStanding(step, IssuerStanding.ACTIVE);
    case "IssuerRevoked":
      return issuerRevoked(step);
    case "OperatorAdded":
      state.operators.add(step.pair("issuer", "operator"));
      return;
    case "OperatorRemoved":
      state.operators.delete(step.pair("issuer", "operator"));
      return;
    case "RecognitionGranted":
    case "RecognitionWithdrawn":
      return recognitionChanged(step, step.name === "RecognitionGranted");
    case "AnchorRequestCancelled":
      state.cancelled.add(step.pair("issuer", "digest"));
      return;
    case "CredentialAnchored":
    case "BatchAnchored":
      return anchored(step);
    case "CredentialStatusChanged":
    case "BatchStatusChanged":
      return statusChanged(step);
    case "MembersStatusChanged":
      return membersChanged(step);
  }
}

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
  for await (const event of events) replayStep(new ReplayStep(state, event));
  return state;
}

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
