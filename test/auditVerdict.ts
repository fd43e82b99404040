/**
 * The auditor's own verdict (src/audit/replay.ts, expectedVerdict): what a single credential's status must be from
 * replayed state alone, by the registry's documented precedence, at each boundary. `ccr audit check` compares the
 * chain's answers with these; a wrong rule here would call a faithful registry faulty, or a faulty one faithful.
 */
import { expect } from "chai";
import { AnchorState, IssuerStanding } from "../src/codes.ts";
import { expectedVerdict, replayEvents, type ReplayedState } from "../src/audit/replay.ts";

const ISSUER = "0x00000000000000000000000000000000000000a1";
const KEY = `${ISSUER}:0x${"11".repeat(32)}`;
const T = 1_800_000_000;

type Issuer = Parameters<ReplayedState["issuers"]["set"]>[1];
type Anchor = Parameters<ReplayedState["anchors"]["set"]>[1];

const issuer = (change: Partial<Issuer> = {}): Issuer => ({
  id: 1,
  economy: "AU",
  standing: IssuerStanding.ACTIVE ?? 1,
  schemas: 1n,
  validFrom: 0,
  validUntil: 0,
  compromisedAt: 0,
  changedAt: T - 500,
  ...change,
});
const anchor = (change: Partial<Anchor> = {}): Anchor => ({
  batch: false,
  hash: `0x${"11".repeat(32)}`,
  issuer: ISSUER,
  issuerId: 1,
  schema: 0,
  state: AnchorState.ACTIVE ?? 1,
  reason: 0,
  size: 0,
  anchoredAt: T - 100,
  validFrom: 0,
  validUntil: 0,
  changedAt: T - 100,
  ...change,
});

/** The verdict at `now` with one issuer and one anchor, as "STATUS by DECIDER at TIME reason R". */
async function verdict(issuerChange: Partial<Issuer> | undefined, anchorChange: Partial<Anchor>, now = T) {
  const state = await replayEvents([]);
  if (issuerChange !== undefined) state.issuers.set(ISSUER, issuer(issuerChange));
  state.anchors.set(KEY, anchor(anchorChange));
  const v = expectedVerdict(state, KEY, now);
  return `${v.status} by ${v.decidedBy} at ${v.decidedAt} reason ${v.reason}`;
}

const state = (name: keyof typeof AnchorState): number => AnchorState[name] ?? -1;
const standing = (name: keyof typeof IssuerStanding): number => IssuerStanding[name] ?? -1;

describe("the auditor's expected verdict (src/audit/replay.ts)", function () {
  it("is VALID for an active credential of an active issuer, UNKNOWN for no anchor or a batch's root", async function () {
    expect(await verdict({}, {})).to.equal("VALID by NONE at 0 reason 0");
    const empty = await replayEvents([]);
    expect(expectedVerdict(empty, KEY, T)).to.deep.equal({
      status: "UNKNOWN",
      decidedBy: "NONE",
      decidedAt: 0,
      reason: 0,
    });
    expect(await verdict({}, { batch: true, size: 4 })).to.equal("UNKNOWN by NONE at 0 reason 0");
  });

  it("catches credentials anchored at or after a revoked issuer's compromise, not before it, and not without one", async function () {
    const revoked = { standing: standing("REVOKED"), compromisedAt: T - 100, changedAt: T - 50 };
    expect(await verdict(revoked, { anchoredAt: T - 100 })).to.equal("ISSUER_REVOKED by ISSUER at 1799999950 reason 0");
    expect(await verdict(revoked, { anchoredAt: T - 99 })).to.match(/^ISSUER_REVOKED /);
    expect(await verdict(revoked, { anchoredAt: T - 101 })).to.equal("VALID by NONE at 0 reason 0");
    expect(await verdict({ ...revoked, compromisedAt: 0 }, {})).to.equal("VALID by NONE at 0 reason 0");
    // A suspended issuer with a compromise time on record is suspended, not revoked.
    expect(await verdict({ ...revoked, standing: standing("SUSPENDED") }, {})).to.match(
      /^ISSUER_SUSPENDED by ISSUER at 1799999950/,
    );
  });

  it("reads an anchor under the accreditation it was made under: a released one, not the address's new one", async function () {
    const state = await replayEvents([]);
    state.issuers.set(ISSUER, issuer({ id: 2 }));
    state.released.set(1, issuer({ id: 1, standing: standing("REVOKED"), compromisedAt: T - 200, changedAt: T - 10 }));
    state.anchors.set(KEY, anchor({ issuerId: 1 }));
    expect(expectedVerdict(state, KEY, T).status).to.equal("ISSUER_REVOKED");
    // The same anchor made under the current accreditation: valid.
    state.anchors.set(KEY, anchor({ issuerId: 2 }));
    expect(expectedVerdict(state, KEY, T).status).to.equal("VALID");
    // An accreditation neither current nor released: no issuer rules apply.
    state.anchors.set(KEY, anchor({ issuerId: 3 }));
    expect(expectedVerdict(state, KEY, T).status).to.equal("VALID");
  });

  it("ends validity after validUntil's last second, starts it at validFrom's first, and never for 0", async function () {
    expect(await verdict({}, { validUntil: T })).to.equal("VALID by NONE at 0 reason 0");
    expect(await verdict({}, { validUntil: T - 1 })).to.equal(`EXPIRED by VALIDITY at ${T - 1} reason 0`);
    expect(await verdict({}, { validFrom: T })).to.equal("VALID by NONE at 0 reason 0");
    expect(await verdict({}, { validFrom: T + 1 })).to.equal(`NOT_YET_VALID by VALIDITY at ${T + 1} reason 0`);
    expect(await verdict({}, { validFrom: 0, validUntil: 0 }, 1)).to.equal("VALID by NONE at 0 reason 0");
  });

  it("names the record that decided: revoked or suspended (held too) with its time and reason", async function () {
    expect(await verdict({}, { state: state("REVOKED"), reason: 1, changedAt: T - 7 })).to.equal(
      `REVOKED by CREDENTIAL at ${T - 7} reason 1`,
    );
    expect(await verdict({}, { state: state("SUSPENDED"), reason: 6, changedAt: T - 8 })).to.equal(
      `SUSPENDED by CREDENTIAL at ${T - 8} reason 6`,
    );
    expect(await verdict({}, { state: state("HELD"), reason: 6, changedAt: T - 9 })).to.equal(
      `SUSPENDED by CREDENTIAL at ${T - 9} reason 6`,
    );
    expect(await verdict({ standing: standing("SUSPENDED"), changedAt: T - 3 }, {})).to.equal(
      `ISSUER_SUSPENDED by ISSUER at ${T - 3} reason 0`,
    );
    expect(await verdict(undefined, {})).to.equal("VALID by NONE at 0 reason 0");
  });

  it("applies the precedence ISSUER_REVOKED > REVOKED > EXPIRED > SUSPENDED > ISSUER_SUSPENDED > NOT_YET_VALID", async function () {
    const compromised = { standing: standing("REVOKED"), compromisedAt: T - 1000 };
    const revoked = { state: state("REVOKED"), reason: 4 };
    const expired = { validUntil: T - 1 };
    const suspended = { state: state("SUSPENDED") };
    const issuerSuspended = { standing: standing("SUSPENDED") };
    const early = { validFrom: T + 1 };
    expect(await verdict(compromised, { ...revoked, ...expired, ...early })).to.match(/^ISSUER_REVOKED /);
    expect(await verdict({}, { ...revoked, ...expired, ...early })).to.match(/^REVOKED /);
    expect(await verdict({}, { ...expired, ...suspended, ...early })).to.match(/^EXPIRED /);
    expect(await verdict(issuerSuspended, { ...suspended, ...early })).to.match(/^SUSPENDED /);
    expect(await verdict(issuerSuspended, early)).to.match(/^ISSUER_SUSPENDED /);
    expect(await verdict({}, early)).to.match(/^NOT_YET_VALID /);
  });
});
