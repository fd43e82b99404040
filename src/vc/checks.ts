/**
 * A verification result as a list of checks in plain words, for people (the web verifier page): what was checked,
 * whether it passed, and what the registry says, so that a refusal is explained and a success is shown in full.
 */
import type { CheckName, VerificationResult } from "./verify.ts";

/** passed / failed; undecided: could not be checked (node unreachable, unreadable input); skipped: not reached. */
export type CheckState = "passed" | "failed" | "undecided" | "skipped";

export interface CheckLine {
  name: CheckName | "validity" | "accreditation" | "holder";
  title: string;
  state: CheckState;
  detail: string;
}

const day = (iso: string | undefined): string => (iso === undefined ? "" : iso.replace(/\.000Z$/, "Z"));

/** Passed when `verifyReads` says so; failed (or undecided) when it decided the outcome; otherwise not made. */
function stateOf(result: VerificationResult, check: CheckName): CheckState {
  if (result.passed?.includes(check) === true) return "passed";
  if (result.check === check) return result.outcome === "undecided" ? "undecided" : "failed";
  return result.outcome === "undecided" ? "undecided" : "skipped";
}

/** The checks made before the registry's verdict: format, registry, signature, anchor. */
function documentLines(result: VerificationResult, issuerLabel: string | undefined): CheckLine[] {
  const because = (check: CheckName, passed: string): string =>
    result.check === check ? result.reason : stateOf(result, check) === "passed" ? passed : notReached(result);
  const verdict = result.verdict;
  const line = (name: CheckName, title: string, passed: string): CheckLine => ({
    name,
    title,
    state: stateOf(result, name),
    detail: because(name, passed),
  });
  return [
    line("format", "A readable credential", `a W3C Verifiable Credential of type ${result.type ?? "unknown"}`),
    line("registry", "Issued for this framework's registry", "its status entry names this registry and chain"),
    line("signature", "Signed by the issuer's DID", `signed by a key of ${result.issuer ?? "the issuer"}`),
    line(
      "anchor",
      "Anchored by that issuer",
      `anchored${verdict?.anchoredAt === undefined ? "" : ` on ${day(verdict.anchoredAt)}`} by ${issuerLabel ?? verdict?.issuer ?? "its issuer"}, with the document's type and validity period`,
    ),
  ];
}

type Verdict = NonNullable<VerificationResult["verdict"]>;

/** Whether the credential is revoked or suspended, itself, with its batch, or through its issuer's compromise. */
function statusLine(verdict: Verdict): CheckLine {
  const on = (word: string): string => (verdict.since === undefined ? "" : ` ${word} ${day(verdict.since)}`);
  const reason = verdict.reason === undefined ? "" : `, reason: ${verdict.reason}`;
  const whole = verdict.decidedBy === "BATCH" ? " with its whole batch" : "";
  const status: Record<string, [CheckState, string]> = {
    REVOKED: ["failed", `revoked${whole}${on("on")}${reason}`],
    SUSPENDED: ["failed", `suspended${whole}${on("since")}${reason} (a suspension can be lifted)`],
    ISSUER_REVOKED: [
      "failed",
      `the issuer's key was compromised on ${day(verdict.compromisedAt)}, before this credential was anchored`,
    ],
    EXPIRED: ["passed", "not revoked"],
  };
  const [state, detail] = status[verdict.status] ?? ["passed", "neither revoked nor suspended"];
  return { name: "status", title: "Not revoked or suspended", state, detail };
}

/** Whether `now` is inside the credential's validity period. */
function validityLine(verdict: Verdict, now: Date): CheckLine {
  const from = verdict.validFrom === undefined ? undefined : new Date(verdict.validFrom);
  const until = verdict.validUntil === undefined ? undefined : new Date(verdict.validUntil);
  const window = `valid from ${day(verdict.validFrom) || "anchoring"} ${until === undefined ? "with no end" : `until ${day(verdict.validUntil)}`}`;
  const early = verdict.status === "NOT_YET_VALID" || (from !== undefined && now < from);
  const late = verdict.status === "EXPIRED" || (until !== undefined && now > until);
  return {
    name: "validity",
    title: "Within its validity period",
    state: early || late ? "failed" : "passed",
    detail: early ? `not yet valid: ${window}` : late ? `expired: ${window}` : window,
  };
}

/** The issuer's standing with its accrediting economy, and what it means for this credential. */
function accreditationLine(verdict: Verdict): CheckLine {
  const standing: Record<string, [CheckState, string]> = {
    ACTIVE: ["passed", `accredited by ${verdict.economy} for this credential type`],
    SUSPENDED: ["failed", `the issuer's accreditation by ${verdict.economy} is suspended`],
    REVOKED:
      verdict.status === "ISSUER_REVOKED"
        ? ["failed", `the issuer's accreditation by ${verdict.economy} was revoked after a key compromise`]
        : [
            "passed",
            `the issuer's accreditation by ${verdict.economy} was revoked after this credential was anchored; what it issued before stays valid`,
          ],
    LAPSED: [
      "passed",
      `the issuer's accreditation by ${verdict.economy} has lapsed; what it issued while accredited stays valid`,
    ],
  };
  const [state, detail] = standing[verdict.issuerStanding] ?? [
    "passed",
    `issuer standing ${verdict.issuerStanding} with ${verdict.economy}`,
  ];
  return { name: "accreditation", title: "Issuer accredited", state, detail };
}

/** Whether the verifier's economy recognises the issuer's accreditation (skipped when no economy is chosen). */
function recognitionLine(result: VerificationResult, economy: string | undefined): CheckLine {
  const verdict = result.verdict;
  if (economy === undefined || economy === "") {
    return {
      name: "recognition",
      title: "Recognised by your economy",
      state: "skipped",
      detail: "choose your economy to check that it accepts the issuer's accreditation",
    };
  }
  if (verdict === undefined || verdict.status === "UNKNOWN") {
    return {
      name: "recognition",
      title: `Recognised by ${economy}`,
      state: result.outcome === "undecided" ? "undecided" : "skipped",
      detail: notReached(result),
    };
  }
  return {
    name: "recognition",
    title: `Recognised by ${economy}`,
    state: verdict.recognised ? "passed" : "failed",
    detail: verdict.recognised
      ? verdict.economy === economy
        ? `issued in ${economy} itself`
        : `${economy} recognises ${verdict.economy}'s accreditations for this credential type`
      : `${economy} does not recognise ${verdict.economy}'s accreditations for this credential type`,
  };
}

/**
 * The checks of `result`, in the order they are made. `economy` is the verifier's economy (recognition is only
 * checked for one); `now` the time of the verification.
 */
export function checkLines(
  result: VerificationResult,
  economy?: string,
  now: Date = new Date(),
  /** The issuer as people read it ("University in Australia (AU), 0x…"), where its name is known. */
  issuerLabel?: string,
): CheckLine[] {
  const verdict = result.verdict;
  const lines = documentLines(result, issuerLabel);
  if (verdict === undefined || verdict.status === "UNKNOWN") {
    const state: CheckState = result.outcome === "undecided" ? "undecided" : "skipped";
    for (const [name, title] of [
      ["status", "Not revoked or suspended"],
      ["validity", "Within its validity period"],
      ["accreditation", "Issuer accredited"],
    ] as const) {
      lines.push({ name, title, state, detail: notReached(result) });
    }
  } else {
    lines.push(statusLine(verdict), validityLine(verdict, now), accreditationLine(verdict));
  }
  lines.push(recognitionLine(result, economy));
  return lines;
}

function notReached(result: VerificationResult): string {
  return result.outcome === "undecided" ? "could not be checked" : "not checked: an earlier check failed";
}
