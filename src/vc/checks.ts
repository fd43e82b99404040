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
  const failure: CheckState = result.outcome === "undecided" ? "undecided" : "failed";
  /** Passed when `verifyReads` says so; failed when it decided the outcome; otherwise not made. */
  const stateOf = (check: CheckName): CheckState => {
    if (result.passed?.includes(check) === true) return "passed";
    if (result.check === check) return failure;
    return result.outcome === "undecided" ? "undecided" : "skipped";
  };
  const because = (check: CheckName, passed: string): string =>
    result.check === check ? result.reason : stateOf(check) === "passed" ? passed : notReached(result);
  const verdict = result.verdict;
  const lines: CheckLine[] = [
    {
      name: "format",
      title: "A readable credential",
      state: stateOf("format"),
      detail: because("format", `a W3C Verifiable Credential of type ${result.type ?? "unknown"}`),
    },
    {
      name: "registry",
      title: "Issued for this framework's registry",
      state: stateOf("registry"),
      detail: because("registry", "its status entry names this registry and chain"),
    },
    {
      name: "signature",
      title: "Signed by the issuer's DID",
      state: stateOf("signature"),
      detail: because("signature", `signed by a key of ${result.issuer ?? "the issuer"}`),
    },
    {
      name: "anchor",
      title: "Anchored by that issuer",
      state: stateOf("anchor"),
      detail: because(
        "anchor",
        `anchored${verdict?.anchoredAt === undefined ? "" : ` on ${day(verdict.anchoredAt)}`} by ${issuerLabel ?? verdict?.issuer ?? "its issuer"}, with the document's type and validity period`,
      ),
    },
  ];
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
    const [statusState, statusDetail] = status[verdict.status] ?? ["passed", "neither revoked nor suspended"];
    lines.push({ name: "status", title: "Not revoked or suspended", state: statusState, detail: statusDetail });

    const from = verdict.validFrom === undefined ? undefined : new Date(verdict.validFrom);
    const until = verdict.validUntil === undefined ? undefined : new Date(verdict.validUntil);
    const window = `valid from ${day(verdict.validFrom) || "anchoring"} ${until === undefined ? "with no end" : `until ${day(verdict.validUntil)}`}`;
    const early = verdict.status === "NOT_YET_VALID" || (from !== undefined && now < from);
    const late = verdict.status === "EXPIRED" || (until !== undefined && now > until);
    lines.push({
      name: "validity",
      title: "Within its validity period",
      state: early || late ? "failed" : "passed",
      detail: early ? `not yet valid: ${window}` : late ? `expired: ${window}` : window,
    });

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
    const [standingState, standingDetail] = standing[verdict.issuerStanding] ?? [
      "passed",
      `issuer standing ${verdict.issuerStanding} with ${verdict.economy}`,
    ];
    lines.push({ name: "accreditation", title: "Issuer accredited", state: standingState, detail: standingDetail });
  }
  if (economy === undefined || economy === "") {
    lines.push({
      name: "recognition",
      title: "Recognised by your economy",
      state: "skipped",
      detail: "choose your economy to check that it accepts the issuer's accreditation",
    });
  } else if (verdict === undefined || verdict.status === "UNKNOWN") {
    lines.push({
      name: "recognition",
      title: `Recognised by ${economy}`,
      state: result.outcome === "undecided" ? "undecided" : "skipped",
      detail: notReached(result),
    });
  } else {
    lines.push({
      name: "recognition",
      title: `Recognised by ${economy}`,
      state: verdict.recognised ? "passed" : "failed",
      detail: verdict.recognised
        ? verdict.economy === economy
          ? `issued in ${economy} itself`
          : `${economy} recognises ${verdict.economy}'s accreditations for this credential type`
        : `${economy} does not recognise ${verdict.economy}'s accreditations for this credential type`,
    });
  }
  return lines;
}

function notReached(result: VerificationResult): string {
  return result.outcome === "undecided" ? "could not be checked" : "not checked: an earlier check failed";
}
