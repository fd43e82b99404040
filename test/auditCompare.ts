/**
 * The auditor's replay and comparison on their own (src/audit/replay.ts, src/audit/compare.ts): a history of every
 * kind of registry event is replayed, and the view calls `ccr audit check` makes are answered with what a faithful
 * registry answers after that history, written out by hand below. Then no discrepancy may be found, and any single
 * field the chain answers differently must be exactly one discrepancy naming its item and field. `test/audit.ts`
 * runs the same check against a chain; these run without one, so `npm run mutation` can break each rule.
 */
import { expect } from "chai";
import { getAddress, type Interface, type Result } from "ethers";
import { encodeAnchorTerms, economyCode } from "../src/codes.ts";
import {
  collector,
  compareAnswers,
  compareVerdict,
  registryProbes,
  singleCredentials,
  type ChainVerdict,
  type Discrepancy,
  type Probe,
} from "../src/audit/compare.ts";
import { replayEvents, type ReplayedState } from "../src/audit/replay.ts";
import type { StoredEvent } from "../src/audit/store.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.ts";

/** The registry's ABI, by function name (the probes name views as text). */
const registry = ICCR__factory.createInterface() as unknown as Interface;
const T = 1_800_000_000;
const address = (n: number): string => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const bytes32 = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;
const ZERO = address(0);

const AUTHORITY = { AU: address(0xa1), JP: address(0xa2), JP2: address(0xa3), NZ: address(0xa4), SG: address(0xa5) };
const ISSUER = {
  university: address(0xb1),
  pending: address(0xb2),
  withdrawn: address(0xb3),
  reinstated: address(0xb4),
  revoked: address(0xb5),
  released: address(0xb6),
  suspended: address(0xb7),
};
const OPERATOR = { kept: address(0xc1), removed: address(0xc2), ofReleased: address(0xc3) };
const [C1, C2, C3, C4, C5, C6, ROOT, DIGEST] = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => bytes32(0xd0 + n)) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const SCHEMA_DIGEST = [bytes32(0xe1), bytes32(0xe2)];

const terms = (schema: number, validFrom: number, validUntil: number, actor: string): string =>
  String(encodeAnchorTerms({ actor, schema, validFrom, validUntil, mode: "ISSUER" }));

/** One event of the history, at `T + at` seconds. */
const event = (at: number, name: string, args: Record<string, string | number>): StoredEvent => ({
  block: at,
  logIndex: 0,
  txHash: bytes32(at),
  name,
  args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, String(v)])),
  timestamp: T + at,
});

/** An IssuerAccredited event (the events of accreditation carry the window; 0 is no bound). */
const accredited = (at: number, issuer: string, economy: string, id: number, schemas = 1, from = 0, until = 0) =>
  event(at, "IssuerAccredited", { issuer, economy, id, schemas, validFrom: from, validUntil: until, actor: ZERO });

/** Every kind of event the auditor replays, in chain order. */
const HISTORY: StoredEvent[] = [
  event(1, "EconomyAdmitted", { economy: "AU", authority: AUTHORITY.AU }),
  event(1, "EconomyAdmitted", { economy: "JP", authority: AUTHORITY.JP }),
  event(1, "EconomyAdmitted", { economy: "NZ", authority: AUTHORITY.NZ }),
  event(1, "EconomyAdmitted", { economy: "SG", authority: AUTHORITY.SG }),
  event(2, "AuthorityChanged", { economy: "JP", previousAuthority: AUTHORITY.JP, newAuthority: AUTHORITY.JP2 }),
  event(3, "SchemaRegistered", { schema: 0, name: "Diploma", uri: "https://s/0", digest: SCHEMA_DIGEST[0] ?? "" }),
  event(3, "SchemaRegistered", { schema: 1, name: "KYC", uri: "https://s/1", digest: SCHEMA_DIGEST[1] ?? "" }),
  event(4, "SchemaDeprecated", { schema: 1 }),
  event(5, "AccreditationOffered", {
    issuer: ISSUER.university,
    economy: "AU",
    schemas: 1,
    validFrom: T,
    validUntil: T + 5000,
    actor: AUTHORITY.AU,
  }),
  accredited(10, ISSUER.university, "AU", 1, 1, T, T + 5000),
  event(11, "AccreditationOffered", {
    issuer: ISSUER.pending,
    economy: "JP",
    schemas: 2,
    validFrom: T + 100,
    validUntil: 0,
    actor: AUTHORITY.JP2,
  }),
  event(12, "AccreditationOffered", {
    issuer: ISSUER.withdrawn,
    economy: "JP",
    schemas: 1,
    validFrom: 0,
    validUntil: 0,
    actor: AUTHORITY.JP2,
  }),
  event(13, "AccreditationOfferWithdrawn", { issuer: ISSUER.withdrawn, economy: "JP" }),
  accredited(20, ISSUER.reinstated, "NZ", 2),
  event(30, "IssuerSuspended", { issuer: ISSUER.reinstated, economy: "NZ" }),
  event(40, "IssuerReinstated", { issuer: ISSUER.reinstated, economy: "NZ" }),
  accredited(50, ISSUER.revoked, "NZ", 3),
  event(52, "CredentialAnchored", { credential: C4, issuer: ISSUER.revoked, terms: terms(0, 0, 0, ISSUER.revoked) }),
  event(57, "CredentialAnchored", { credential: C5, issuer: ISSUER.revoked, terms: terms(0, 0, 0, ISSUER.revoked) }),
  event(60, "IssuerRevoked", { issuer: ISSUER.revoked, economy: "NZ", compromisedAt: T + 55 }),
  accredited(70, ISSUER.released, "AU", 4),
  event(71, "OperatorAdded", { issuer: ISSUER.released, operator: OPERATOR.ofReleased }),
  event(75, "CredentialAnchored", { credential: C3, issuer: ISSUER.released, terms: terms(0, 0, 0, ISSUER.released) }),
  event(85, "AccreditationAmended", {
    issuer: ISSUER.university,
    economy: "AU",
    schemas: 3,
    validFrom: T,
    validUntil: T + 9000,
  }),
  event(86, "OperatorAdded", { issuer: ISSUER.university, operator: OPERATOR.kept }),
  event(86, "OperatorAdded", { issuer: ISSUER.university, operator: OPERATOR.removed }),
  event(87, "OperatorRemoved", { issuer: ISSUER.university, operator: OPERATOR.removed }),
  event(88, "RecognitionGranted", { economy: "JP", recognised: "AU", schema: 0 }),
  event(88, "RecognitionGranted", { economy: "JP", recognised: "AU", schema: 1 }),
  event(89, "RecognitionWithdrawn", { economy: "JP", recognised: "AU", schema: 1 }),
  event(89, "RecognitionGranted", { economy: "NZ", recognised: "AU", schema: 1 }),
  event(89, "RecognitionGranted", { economy: "SG", recognised: "AU", schema: 0 }),
  event(89, "RecognitionGranted", { economy: "AU", recognised: "SG", schema: 0 }),
  event(90, "EconomyRemoved", { economy: "SG", authority: AUTHORITY.SG }),
  event(91, "AnchorRequestCancelled", { issuer: ISSUER.university, digest: DIGEST }),
  // Released after the other issuer's operators came and went: only its own operator goes with it.
  event(92, "IssuerReleased", { issuer: ISSUER.released, economy: "AU", id: 4 }),
  // Released once revoked: the revocation's time stays, and the economy's count of live issuers is not cut twice.
  event(95, "IssuerReleased", { issuer: ISSUER.revoked, economy: "NZ", id: 3 }),
  accredited(96, ISSUER.suspended, "JP", 5),
  event(97, "IssuerSuspended", { issuer: ISSUER.suspended, economy: "JP" }),
  event(100, "CredentialAnchored", {
    credential: C1,
    issuer: ISSUER.university,
    terms: terms(0, T + 100, T + 4000, OPERATOR.kept),
  }),
  event(101, "CredentialAnchored", { credential: C2, issuer: ISSUER.university, terms: terms(1, 0, 0, OPERATOR.kept) }),
  event(102, "CredentialAnchored", { credential: C6, issuer: ISSUER.university, terms: terms(0, 0, 0, OPERATOR.kept) }),
  event(110, "CredentialStatusChanged", { credential: C2, issuer: ISSUER.university, state: 2, reason: 4 }),
  event(112, "CredentialStatusChanged", { credential: C6, issuer: ISSUER.university, state: 2, reason: 4 }),
  event(113, "CredentialStatusChanged", { credential: C6, issuer: ISSUER.university, state: 1, reason: 0 }),
  event(111, "CredentialStatusChanged", { credential: C1, issuer: ISSUER.university, state: 3, reason: 1 }),
  event(130, "BatchAnchored", { root: ROOT, issuer: ISSUER.university, size: 100, terms: terms(1, 0, T + 7000, ZERO) }),
  event(131, "MembersStatusChanged", { root: ROOT, issuer: ISSUER.university, word: 0, bits: 0b1010, state: 3 }),
  event(132, "MembersStatusChanged", { root: ROOT, issuer: ISSUER.university, word: 0, bits: 0b0100, state: 4 }),
  event(133, "MembersStatusChanged", { root: ROOT, issuer: ISSUER.university, word: 0, bits: 0b0001, state: 2 }),
  event(134, "MembersStatusChanged", { root: ROOT, issuer: ISSUER.university, word: 0, bits: 0b0001, state: 1 }),
  event(135, "MembersStatusChanged", { root: ROOT, issuer: ISSUER.university, word: 1, bits: 0b0001, state: 4 }),
  event(136, "MembersStatusChanged", { root: ROOT, issuer: ISSUER.university, word: 1, bits: 0b0001, state: 1 }),
  event(137, "MembersStatusChanged", { root: ROOT, issuer: ISSUER.university, word: 2, bits: 0b1000, state: 2 }),
  event(140, "BatchStatusChanged", { root: ROOT, issuer: ISSUER.university, state: 2, reason: 3 }),
  event(150, "SomethingElse", { issuer: ISSUER.university }),
];

/**
 * What a faithful registry answers after HISTORY, by probe item: a struct's fields in its order, or the values a view
 * returns. Written from the contracts' rules, not from the replay.
 */
const CHAIN: Record<string, readonly unknown[]> = {
  "economy AU": [AUTHORITY.AU, true, 1],
  "economy JP": [AUTHORITY.JP2, true, 1],
  "economy NZ": [AUTHORITY.NZ, true, 1],
  "economy SG": [ZERO, false, 0],
  schemas: [2],
  "schema 0": ["Diploma", "https://s/0", SCHEMA_DIGEST[0], false],
  "schema 1": ["KYC", "https://s/1", SCHEMA_DIGEST[1], true],
  issuers: [5],
  [`issuer ${ISSUER.university}`]: [1, economyCode("AU"), 1, T, T + 9000, 3],
  [`issuer ${ISSUER.reinstated}`]: [2, economyCode("NZ"), 1, 0, 0, 1],
  [`issuer ${ISSUER.suspended}`]: [5, economyCode("JP"), 2, 0, 0, 1],
  "accreditation 1": [ISSUER.university, T + 10, 0, economyCode("AU")],
  "accreditation 2": [ISSUER.reinstated, T + 40, 0, economyCode("NZ")],
  "accreditation 3": [ISSUER.revoked, T + 60, T + 55, economyCode("NZ")],
  "accreditation 4": [ISSUER.released, T + 92, 0, economyCode("AU")],
  "accreditation 5": [ISSUER.suspended, T + 97, 0, economyCode("JP")],
  [`offer of JP to ${ISSUER.pending}`]: [AUTHORITY.JP2, T + 100, 0, 2],
  [`signed request ${DIGEST} of ${ISSUER.university}`]: [true],
  [`operator ${OPERATOR.kept} of ${ISSUER.university}`]: [true],
  "recognition of AU by JP": [1],
  "recognition of AU by NZ": [2],
  [`credential ${C2} of ${ISSUER.university}`]: [1, 1, 2, 4, 0, T + 101, 0, 0, T + 110],
  [`credential ${C6} of ${ISSUER.university}`]: [1, 0, 1, 0, 0, T + 102, 0, 0, T + 113],
  [`batch ${ROOT} of ${ISSUER.university}`]: [1, 1, 2, 3, 100, T + 130, 0, T + 7000, T + 140],
  [`members of batch ${ROOT} of ${ISSUER.university}, word 0`]: [0b1010, 0b0100, 0b0100],
  [`members of batch ${ROOT} of ${ISSUER.university}, word 1`]: [0, 0, 0],
  [`members of batch ${ROOT} of ${ISSUER.university}, word 2`]: [0, 0b1000, 0],
};

/** The registry's verdicts of the single credentials at NOW (the verdicts view, verifier economy none). */
const NOW = T + 200;
const VERDICTS: Record<string, ChainVerdict> = {
  [C1]: verdict(5, 1, T + 111, 1, ISSUER.university, 0, T + 100, T + 100, T + 4000),
  [C2]: verdict(4, 1, T + 110, 4, ISSUER.university, 1, T + 101, 0, 0),
  [C3]: verdict(1, 0, 0, 0, ISSUER.released, 0, T + 75, 0, 0),
  [C4]: verdict(1, 0, 0, 0, ISSUER.revoked, 0, T + 52, 0, 0),
  [C5]: verdict(7, 4, T + 60, 0, ISSUER.revoked, 0, T + 57, 0, 0),
  [C6]: verdict(1, 0, 0, 0, ISSUER.university, 0, T + 102, 0, 0),
};

function verdict(
  status: number,
  decidedBy: number,
  decidedAt: number,
  reason: number,
  issuer: string,
  schema: number,
  anchoredAt: number,
  validFrom: number,
  validUntil: number,
): ChainVerdict {
  return { status, decidedBy, decidedAt, reason, issuer, schema, anchoredAt, validFrom, validUntil };
}

/** A view's answer, encoded and decoded by the registry's ABI as the chain's would be. */
function answer(method: string, values: readonly unknown[]): Result {
  const outputs = registry.getFunction(method)?.outputs ?? [];
  const wrapped = outputs.length === 1 && outputs[0]?.baseType === "tuple" ? [values] : values;
  return registry.decodeFunctionResult(method, registry.encodeFunctionResult(method, wrapped));
}

/** The discrepancies found when each probe is answered from `chain`. */
function differences(probes: readonly Probe[], chain: Record<string, readonly unknown[]>): Discrepancy[] {
  const found: Discrepancy[] = [];
  const answers = probes.map((p) => {
    const values = chain[p.item];
    if (values === undefined) throw new Error(`the test has no answer for ${p.item}`);
    return { ok: true as const, result: answer(p.call.method, values) };
  });
  compareAnswers(probes, answers, collector(found));
  return found;
}

/** What a discrepancy calls value `i` of `method`'s answer: its name in the ABI, or the view's one value. */
function fieldName(method: string, i: number): string {
  const single: Record<string, string> = {
    schemaCount: "count",
    issuerCount: "count",
    isRequestCancelled: "cancelled",
    isOperator: "active",
    recognisedSchemas: "schemas",
  };
  const outputs = registry.getFunction(method)?.outputs ?? [];
  const fields = outputs.length === 1 && outputs[0]?.baseType === "tuple" ? (outputs[0].components ?? []) : outputs;
  return single[method] ?? fields[i]?.name ?? "?";
}

/** A value of the same ABI type that differs from `value`. */
function other(value: unknown): unknown {
  if (typeof value === "boolean") return !value;
  if (typeof value === "number") return value + 1;
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) return address(0xf00);
  if (typeof value === "string" && /^0x[0-9a-f]{4}$/.test(value)) return economyCode("KR");
  if (typeof value === "string" && /^0x[0-9a-f]{64}$/.test(value)) return bytes32(0xf00);
  return `${String(value)}!`;
}

describe("the auditor's replay and comparison (src/audit/replay.ts, src/audit/compare.ts)", function () {
  // Each test replays the history itself: a mutant of the replay must meet every test, not only the first.
  async function replayed(): Promise<{ state: ReplayedState; probes: Probe[] }> {
    async function* streamed(): AsyncIterable<StoredEvent> {
      // As an index's store reads them: one at a time, asynchronously.
      for (const e of HISTORY) yield await Promise.resolve(e);
    }
    const state = await replayEvents(streamed());
    return { state, probes: registryProbes(state) };
  }

  it("asks the registry about every item the history names, each once", async function () {
    const { probes } = await replayed();
    expect(probes.map((p) => p.item)).to.have.members(Object.keys(CHAIN));
    expect(probes.length).to.equal(Object.keys(CHAIN).length);
    const calls = Object.fromEntries(probes.map((p) => [p.item, `${p.call.method}(${p.call.args.join(",")})`]));
    expect(calls).to.include({
      "economy AU": `getEconomy(${economyCode("AU")})`,
      schemas: "schemaCount()",
      issuers: "issuerCount()",
      [`issuer ${ISSUER.suspended}`]: `getIssuer(${ISSUER.suspended})`,
      "schema 1": "getSchema(1)",
      "accreditation 4": "getIssuerMeta(4)",
      [`offer of JP to ${ISSUER.pending}`]: `getOffer(${ISSUER.pending},${economyCode("JP")})`,
      [`signed request ${DIGEST} of ${ISSUER.university}`]: `isRequestCancelled(${ISSUER.university},${DIGEST})`,
      [`operator ${OPERATOR.kept} of ${ISSUER.university}`]: `isOperator(${ISSUER.university},${OPERATOR.kept})`,
      "recognition of AU by NZ": `recognisedSchemas(${economyCode("NZ")},${economyCode("AU")})`,
      [`credential ${C2} of ${ISSUER.university}`]: `getCredential(${ISSUER.university},${C2})`,
      [`batch ${ROOT} of ${ISSUER.university}`]: `getBatch(${ISSUER.university},${ROOT})`,
      [`members of batch ${ROOT} of ${ISSUER.university}, word 1`]: `memberBits(${ISSUER.university},${ROOT},1)`,
    });
  });

  it("finds no discrepancy when the registry answers as the history says", async function () {
    const { probes } = await replayed();
    expect(differences(probes, CHAIN)).to.deep.equal([]);
  });

  it("finds each field the registry answers differently, as one discrepancy naming its item and field", async function () {
    const { probes } = await replayed();
    let fields = 0;
    for (const probe of probes) {
      const values = CHAIN[probe.item] ?? [];
      values.forEach((value, i) => {
        const changed = values.map((v, j) => (j === i ? other(v) : v));
        const found = differences([probe], { [probe.item]: changed });
        expect(found, `${probe.item}, value ${i}`).to.have.lengthOf(1);
        expect(found[0]?.item).to.equal(probe.item);
        expect(found[0]?.field, `${probe.item}, value ${i}`).to.equal(fieldName(probe.call.method, i));
        fields++;
      });
    }
    expect(fields).to.equal(Object.values(CHAIN).reduce((sum, values) => sum + values.length, 0));
  });

  it("names the field, the history's value and the chain's", async function () {
    const { probes } = await replayed();
    const item = `issuer ${ISSUER.university}`;
    const probe = probes.find((p) => p.item === item);
    if (probe === undefined) throw new Error("no probe");
    const names = ["id", "economy", "standing", "validFrom", "validUntil", "schemas"];
    names.forEach((field, i) => {
      const changed = (CHAIN[item] ?? []).map((v, j) => (j === i ? other(v) : v));
      const [found] = differences([probe], { [item]: changed });
      expect(found?.field).to.equal(field);
      expect(found?.chain).to.equal(String(i === 1 ? economyCode("KR") : other(CHAIN[item]?.[i])));
    });
    const state2 = `credential ${C2} of ${ISSUER.university}`;
    const credential = probes.find((p) => p.item === state2);
    if (credential === undefined) throw new Error("no probe");
    const [found] = differences([credential], { [state2]: [1, 1, 3, 4, 0, T + 101, 0, 0, T + 110] });
    expect(found).to.deep.equal({ item: state2, field: "state", history: "SUSPENDED", chain: "REVOKED" });
  });

  it("counts a view that reverts as a discrepancy: the history says the item exists", async function () {
    const { probes } = await replayed();
    const found: Discrepancy[] = [];
    const [first] = probes;
    if (first === undefined) throw new Error("no probe");
    compareAnswers([first], [{ ok: false, reason: "UnknownEconomy(0x4155)" }], collector(found));
    expect(found).to.deep.equal([
      { item: "economy AU", field: "getEconomy", history: "an answer", chain: "a revert: UnknownEconomy(0x4155)" },
    ]);
    const unanswered: Discrepancy[] = [];
    compareAnswers([first], [undefined], collector(unanswered));
    expect(unanswered[0]?.chain).to.equal("a revert: none");
  });

  it("compares the verdict of every single credential, and of no batch", async function () {
    const { state } = await replayed();
    const singles = singleCredentials(state);
    expect(singles).to.have.members([
      `${ISSUER.university}:${C1}`,
      `${ISSUER.university}:${C2}`,
      `${ISSUER.released}:${C3}`,
      `${ISSUER.revoked}:${C4}`,
      `${ISSUER.revoked}:${C5}`,
      `${ISSUER.university}:${C6}`,
    ]);
    const found: Discrepancy[] = [];
    for (const key of singles) {
      const chain = VERDICTS[key.split(":")[1] ?? ""];
      if (chain === undefined) throw new Error(`the test has no verdict for ${key}`);
      compareVerdict(state, key, chain, NOW, collector(found));
    }
    expect(found).to.deep.equal([]);
  });

  it("finds each verdict field the registry answers differently", async function () {
    const { state } = await replayed();
    const key = `${ISSUER.university}:${C1}`;
    const base = VERDICTS[C1];
    if (base === undefined) throw new Error("no verdict");
    for (const field of Object.keys(base) as (keyof ChainVerdict)[]) {
      const found: Discrepancy[] = [];
      compareVerdict(state, key, { ...base, [field]: other(base[field]) }, NOW, collector(found));
      expect(found, field).to.have.lengthOf(1);
      expect(found[0]).to.include({
        item: `credential ${C1} of ${ISSUER.university}`,
        field: field === "status" ? "verdict" : field,
      });
    }
    const found: Discrepancy[] = [];
    compareVerdict(state, key, { ...base, status: 1, decidedBy: 0 }, NOW, collector(found));
    expect(found.slice(0, 2)).to.deep.equal([
      { item: `credential ${C1} of ${ISSUER.university}`, field: "verdict", history: "REVOKED", chain: "VALID" },
      { item: `credential ${C1} of ${ISSUER.university}`, field: "decidedBy", history: "CREDENTIAL", chain: "NONE" },
    ]);
  });

  it("reads nothing for a credential it has no history of", async function () {
    const { state } = await replayed();
    const found: Discrepancy[] = [];
    compareVerdict(state, `${ISSUER.university}:${bytes32(0x99)}`, VERDICTS[C1], NOW, collector(found));
    expect(found).to.deep.equal([]);
  });
  it("refuses a history no registry emits, naming the event: a missing argument, an unknown economy, issuer, schema or record", async function () {
    const refusal = async (events: StoredEvent[]): Promise<string> => {
      try {
        await replayEvents(events);
      } catch (error) {
        expect(error).to.have.property("code", "INDEX_FILE");
        return (error as Error).message;
      }
      throw new Error("replayed");
    };
    const admitted = event(1, "EconomyAdmitted", { economy: "AU", authority: AUTHORITY.AU });
    expect(await refusal([event(7, "EconomyAdmitted", { economy: "AU" })])).to.equal(
      'the index\'s event EconomyAdmitted (block 7, log 0) has no argument "authority": no registry emits that; ' +
        "the index is damaged, sync it again from an empty file",
    );
    expect(await refusal([event(2, "AuthorityChanged", { economy: "JP", newAuthority: AUTHORITY.JP })])).to.contain(
      "AuthorityChanged (block 2, log 0) names economy JP, which was never admitted",
    );
    expect(await refusal([admitted, accredited(3, ISSUER.university, "JP", 1)])).to.contain(
      "names economy JP, which was never admitted",
    );
    expect(
      await refusal([admitted, event(4, "IssuerSuspended", { issuer: ISSUER.pending, economy: "AU" })]),
    ).to.contain(`IssuerSuspended (block 4, log 0) names ${ISSUER.pending}, which is not an accredited issuer`);
    expect(
      await refusal([event(5, "CredentialAnchored", { credential: C1, issuer: ISSUER.university, terms: "0" })]),
    ).to.contain(`names ${ISSUER.university}, which is not an accredited issuer`);
    expect(await refusal([event(6, "SchemaDeprecated", { schema: 3 })])).to.contain(
      "names schema 3, which was never registered",
    );
    const university = accredited(3, ISSUER.university, "AU", 1);
    const status = { credential: C1, issuer: ISSUER.university, state: 3, reason: 1 };
    expect(await refusal([admitted, university, event(8, "CredentialStatusChanged", status)])).to.contain(
      `names ${C1}, which ${ISSUER.university} never anchored`,
    );
    const batch = { root: C1, issuer: ISSUER.university, state: 3, reason: 1 };
    expect(await refusal([admitted, university, event(8, "BatchStatusChanged", batch)])).to.contain(
      `BatchStatusChanged (block 8, log 0) names ${C1}, which`,
    );
  });

  it("replays the registry's events only: others change nothing", async function () {
    const state = await replayEvents([event(1, "RoleGranted", { role: DIGEST, account: ZERO, sender: ZERO })]);
    expect(Object.values(state).every((part: Map<unknown, unknown> | Set<unknown>) => part.size === 0)).to.equal(true);
  });
});
