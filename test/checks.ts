/**
 * src/vc/checks.ts on its own: a verification result as the lines of checks the verifier page shows, for a valid
 * credential, each refusal, a credential the registry does not know, and an undecided one.
 */
import { expect } from "chai";
import { checkLines, type CheckLine } from "../src/vc/checks.ts";
import type { VerdictSummary, VerificationResult } from "../src/vc/verify.ts";

const ALL = ["format", "registry", "signature", "anchor", "status"] as const;

const verdict = (change: Partial<VerdictSummary> = {}): VerdictSummary => ({
  status: "VALID",
  issuerStanding: "ACTIVE",
  recognised: true,
  issuer: "0x00000000000000000000000000000000000000a1",
  economy: "AU",
  schema: 2,
  anchoredAt: "2026-11-24T08:00:00.000Z",
  validFrom: "2026-11-24T08:00:00.000Z",
  decidedBy: "NONE",
  ...change,
});

/** A result with `change`; a `verdict: undefined` leaves the verdict out. */
const result = (
  change: { [K in keyof VerificationResult]?: VerificationResult[K] | undefined } = {},
): VerificationResult =>
  withoutUndefined({
    file: "c.json",
    outcome: "valid",
    reason: "valid",
    passed: [...ALL, "recognition"],
    issuer: "did:ethr:0x7a69:0xa1",
    type: "AcademicDiploma",
    verdict: verdict(),
    ...change,
  });

/** `value` without its undefined fields. */
function withoutUndefined(value: Record<string, unknown>): VerificationResult {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as unknown as VerificationResult;
}

const shown = (lines: CheckLine[]): string[] => lines.map((l) => `${l.name} ${l.state}: ${l.detail}`);
const NOW = new Date("2026-12-01T00:00:00Z");

describe("verification checks in words (src/vc/checks.ts)", function () {
  it("shows every check of a valid credential passed, in order, with what was found", function () {
    expect(shown(checkLines(result(), "AU", NOW, "University in Australia (AU)"))).to.deep.equal([
      "format passed: a W3C Verifiable Credential of type AcademicDiploma",
      "registry passed: its status entry names this registry and chain",
      "signature passed: signed by a key of did:ethr:0x7a69:0xa1",
      "anchor passed: anchored on 2026-11-24T08:00:00Z by University in Australia (AU), with the document's type and validity period",
      "status passed: neither revoked nor suspended",
      "validity passed: valid from 2026-11-24T08:00:00Z with no end",
      "accreditation passed: accredited by AU for this credential type",
      "recognition passed: issued in AU itself",
    ]);
    const lines = checkLines(result(), undefined, NOW);
    expect(lines.at(-1)).to.deep.equal({
      name: "recognition",
      title: "Recognised by your economy",
      state: "skipped",
      detail: "choose your economy to check that it accepts the issuer's accreditation",
    });
    expect(lines[3]?.detail).to.contain("by 0x00000000000000000000000000000000000000a1");
  });

  it("names what the registry says: revoked with its batch, suspended, a compromised issuer, expired, not recognised", function () {
    const lines = (v: Partial<VerdictSummary>, economy = "JP") =>
      shown(checkLines(result({ outcome: "invalid", verdict: verdict(v) }), economy, NOW)).slice(4);
    expect(
      lines({ status: "REVOKED", decidedBy: "BATCH", since: "2026-11-30T00:00:00.000Z", reason: "keyCompromise" }),
    ).to.include("status failed: revoked with its whole batch on 2026-11-30T00:00:00Z, reason: keyCompromise");
    expect(lines({ status: "SUSPENDED", decidedBy: "CREDENTIAL", since: "2026-11-29T00:00:00.000Z" })).to.include(
      "status failed: suspended since 2026-11-29T00:00:00Z (a suspension can be lifted)",
    );
    expect(lines({ status: "REVOKED", decidedBy: "CREDENTIAL" })[0]).to.equal("status failed: revoked");
    // The registry's word counts even where its clock and this page's differ.
    expect(lines({ status: "EXPIRED", validUntil: "2026-12-30T00:00:00.000Z" })[1]).to.match(
      /^validity failed: expired/,
    );
    const compromised = lines({
      status: "ISSUER_REVOKED",
      issuerStanding: "REVOKED",
      compromisedAt: "2026-11-20T00:00:00.000Z",
    });
    expect(compromised).to.include(
      "status failed: the issuer's key was compromised on 2026-11-20T00:00:00Z, before this credential was anchored",
    );
    expect(compromised).to.include(
      "accreditation failed: the issuer's accreditation by AU was revoked after a key compromise",
    );
    expect(lines({ issuerStanding: "REVOKED" })).to.include(
      "accreditation passed: the issuer's accreditation by AU was revoked after this credential was anchored; what it issued before stays valid",
    );
    expect(lines({ issuerStanding: "SUSPENDED" })).to.include(
      "accreditation failed: the issuer's accreditation by AU is suspended",
    );
    expect(lines({ issuerStanding: "LAPSED" })[2]).to.match(/^accreditation passed: .* has lapsed/);
    expect(lines({ issuerStanding: "PENDING" })[2]).to.equal("accreditation passed: issuer standing PENDING with AU");
    const expired = lines({ status: "EXPIRED", validUntil: "2026-11-30T00:00:00.000Z" });
    expect(expired.slice(0, 2)).to.deep.equal([
      "status passed: not revoked",
      "validity failed: expired: valid from 2026-11-24T08:00:00Z until 2026-11-30T00:00:00Z",
    ]);
    // The window is checked against `now` as well as the registry's status.
    expect(lines({ validFrom: "2026-12-02T00:00:00.000Z" })[1]).to.match(/^validity failed: not yet valid: /);
    expect(lines({ validUntil: "2026-11-30T00:00:00.000Z" })[1]).to.match(/^validity failed: expired: /);
    expect(lines({ status: "NOT_YET_VALID" })[1]).to.match(/^validity failed: not yet valid: /);
    expect(lines({ recognised: true })[3]).to.equal(
      "recognition passed: JP recognises AU's accreditations for this credential type",
    );
    expect(lines({ recognised: false })[3]).to.equal(
      "recognition failed: JP does not recognise AU's accreditations for this credential type",
    );
  });

  it("marks the check that failed, the ones passed before it, and the rest as not reached", function () {
    const refused = result({
      outcome: "invalid",
      check: "signature",
      reason: "the signature is not the issuer's",
      passed: ["format", "registry"],
      verdict: undefined,
    });
    expect(checkLines(refused, "AU", NOW).map((l) => `${l.name} ${l.state}`)).to.deep.equal([
      "format passed",
      "registry passed",
      "signature failed",
      "anchor skipped",
      "status skipped",
      "validity skipped",
      "accreditation skipped",
      "recognition skipped",
    ]);
    expect(checkLines(refused, "AU", NOW)[2]?.detail).to.equal("the signature is not the issuer's");
    expect(checkLines(refused, "AU", NOW)[4]?.detail).to.equal("not checked: an earlier check failed");
    // A registry that could not be asked: nothing after it is a "no".
    const unreachable = result({
      outcome: "undecided",
      check: "anchor",
      reason: "node down",
      passed: [...ALL.slice(0, 3)],
    });
    const states = checkLines({ ...unreachable, verdict: verdict({ status: "UNKNOWN" }) }, "AU", NOW);
    expect(states.map((l) => l.state)).to.deep.equal([
      "passed",
      "passed",
      "passed",
      "undecided",
      "undecided",
      "undecided",
      "undecided",
      "undecided",
    ]);
    expect(states[5]?.detail).to.equal("could not be checked");
    expect(states[7]?.title).to.equal("Recognised by AU");
    // Undecided before the anchor was asked: the checks after the undecided one are undecided too, not skipped.
    const early = result({ outcome: "undecided", check: "registry", reason: "node down", passed: ["format"] });
    expect(
      checkLines(result({ ...early, verdict: undefined }), "AU", NOW)
        .map((l) => l.state)
        .slice(0, 4),
    ).to.deep.equal(["passed", "undecided", "undecided", "undecided"]);
  });

  it("titles each check, takes the window's own seconds as inside it, and an empty economy as none chosen", function () {
    const lines = checkLines(result(), "JP", NOW);
    expect(lines.map((l) => l.title)).to.deep.equal([
      "A readable credential",
      "Issued for this framework's registry",
      "Signed by the issuer's DID",
      "Anchored by that issuer",
      "Not revoked or suspended",
      "Within its validity period",
      "Issuer accredited",
      "Recognised by JP",
    ]);
    const at = (v: Partial<VerdictSummary>, now: Date) => checkLines(result({ verdict: verdict(v) }), "AU", now)[5];
    const second = new Date("2026-12-01T00:00:00.000Z");
    expect(at({ validFrom: second.toISOString() }, second)?.state).to.equal("passed");
    expect(at({ validUntil: second.toISOString() }, second)?.state).to.equal("passed");
    expect(at({ validFrom: undefined }, second)?.detail).to.equal("valid from anchoring with no end");
    expect(checkLines(result(), "", NOW).at(-1)?.title).to.equal("Recognised by your economy");
    // A result that lists no passed checks (an unreadable file): nothing passed, the failed check named.
    const unreadable: VerificationResult = { file: "c.json", outcome: "invalid", check: "format", reason: "not JSON" };
    const states = checkLines(unreadable, "AU", NOW).map((l) => `${l.name} ${l.state}: ${l.detail}`);
    expect(states.slice(0, 2)).to.deep.equal([
      "format failed: not JSON",
      "registry skipped: not checked: an earlier check failed",
    ]);
    expect(
      checkLines(result({ type: undefined, issuer: undefined }), "AU", NOW)
        .map((l) => l.detail)
        .slice(0, 3),
    ).to.deep.equal([
      "a W3C Verifiable Credential of type unknown",
      "its status entry names this registry and chain",
      "signed by a key of the issuer",
    ]);
    const unanchored = checkLines(result({ verdict: verdict({ anchoredAt: undefined }) }), "AU", NOW)[3];
    expect(unanchored?.detail).to.match(/^anchored by 0x0{38}a1,/);
    const unnamed = checkLines(result({ verdict: undefined }), "AU", NOW)[3];
    expect(unnamed?.detail).to.equal("anchored by its issuer, with the document's type and validity period");
  });
});
