import { ANCHOR_STATE, AnchorState, reasonName, schemaIds } from "../codes.ts";
import { CCRError } from "../errors.ts";
import { accountAddress } from "../did.ts";
import { NAME_EVENTS, labelAddresses, namesOf } from "./names.ts";
import type { Deployment } from "../deployment.ts";
import { readEvents, withIndex, type StoredEvent } from "./db.ts";

/** One entry of a timeline: when, where, who, and what changed in words. */
export interface TimelineEntry {
  time: string;
  block: number;
  transaction: string;
  /** The acting address (or addresses, for a relayed signed request). */
  actor: string;
  /** The actor with the names the history gives its addresses, as "Name (0x…)". */
  actorLabel: string;
  event: string;
  change: string;
}

const day = (seconds: string | undefined): string =>
  Number(seconds ?? 0) === 0 ? "open" : new Date(Number(seconds) * 1000).toISOString().replace(/\.000Z$/, "Z");
const window = (a: Record<string, string>): string => `${day(a.validFrom)} to ${day(a.validUntil)}`;
const schemas = (bitmap: string | undefined): string => schemaIds(BigInt(bitmap ?? 0)).join(",");
const state = (value: string | undefined): string => (ANCHOR_STATE[Number(value)] ?? "?").toLowerCase();
/** "revoked (superseded)", "suspended (certificateHold)", "active" (a reinstatement has no reason). */
const statusChange = (a: Record<string, string>): string =>
  `${state(a.state)}${Number(a.state) === AnchorState.ACTIVE ? "" : ` (${reasonName(a.reason)})`}`;

/** How an anchor was made: by the issuer's key, an operator, or the issuer's signed request and its relayer. */
const how = (a: Record<string, string>): string => {
  if (a.mode === "OPERATOR") return ` through operator ${a.actor}`;
  if (a.mode === "SIGNED") return ` (its signed request, relayed by ${a.actor})`;
  return "";
};

/**
 * Who acted: the event's actor where it names one (anchors: the key that sent it, in the packed terms; a name: the
 * authority in `by`); the issuer for what only an issuer can do; the council for the council's acts. The index alone
 * answers: no RPC needed.
 */
export function actorOf({ name, args: a }: Pick<StoredEvent, "name" | "args">): string {
  if (name === "CredentialAnchored" || name === "BatchAnchored") {
    return a.mode === "SIGNED" ? `${a.issuer} (signed; relayed by ${a.actor})` : (a.actor ?? "unknown");
  }
  if (a.actor !== undefined && a.actor !== "") return a.actor;
  // The issuer's authority names it; the issuer itself sets its website and manages its operators.
  if (name === "IssuerNamed") return a.by ?? "";
  if (["OperatorAdded", "OperatorRemoved", "AnchorRequestCancelled", "IssuerWebsiteSet"].includes(name)) {
    return a.issuer ?? "";
  }
  return "council";
}

/** What an event changed, in words. */
export function describeEvent({ name, args: a }: Pick<StoredEvent, "name" | "args">): string {
  switch (name) {
    case "EconomyAdmitted":
      return `economy ${a.economy} admitted, authority ${a.authority}`;
    case "EconomyRemoved":
      return `economy ${a.economy} removed`;
    case "AuthorityChanged":
      return `authority of ${a.economy}: ${a.previousAuthority} -> ${a.newAuthority}`;
    case "SchemaRegistered":
      return `schema ${a.schema} registered: ${a.name} (${a.uri}, sha256 ${a.digest})`;
    case "SchemaDeprecated":
      return `schema ${a.schema} deprecated`;
    case "AccreditationOffered":
      return `${a.economy} offered ${a.issuer} accreditation for schemas ${schemas(a.schemas)}, ${window(a)}`;
    case "AccreditationOfferWithdrawn":
      return `${a.economy} withdrew its offer of accreditation to ${a.issuer}`;
    case "IssuerAccredited":
      return `issuer ${a.issuer} accepted accreditation in ${a.economy} for schemas ${schemas(a.schemas)}, ${window(a)}`;
    case "IssuerReleased":
      return `the council released ${a.issuer} from accreditation ${a.id} of ${a.economy}`;
    case "AnchorRequestCancelled":
      return `${a.issuer} cancelled its signed anchoring request ${a.digest}`;
    case "AccreditationAmended":
      return `accreditation of ${a.issuer} amended: schemas ${schemas(a.schemas)}, ${window(a)}`;
    case "IssuerSuspended":
      return `issuer ${a.issuer} suspended`;
    case "IssuerReinstated":
      return `issuer ${a.issuer} reinstated`;
    case "IssuerRevoked":
      return `issuer ${a.issuer} revoked${Number(a.compromisedAt) === 0 ? "" : `, key compromised since ${day(a.compromisedAt)}`}`;
    case "OperatorAdded":
      return `operator ${a.operator} added for ${a.issuer}`;
    case "OperatorRemoved":
      return `operator ${a.operator} removed for ${a.issuer}`;
    case "RecognitionGranted":
      return `${a.economy} recognises ${a.recognised} for schema ${a.schema}`;
    case "RecognitionWithdrawn":
      return `${a.economy} no longer recognises ${a.recognised} for schema ${a.schema}`;
    case "CredentialAnchored":
      return `credential ${a.credential} anchored by ${a.issuer}${how(a)}, schema ${a.schema}, valid ${window(a)}`;
    case "BatchAnchored":
      return `batch ${a.root} of ${a.size} anchored by ${a.issuer}${how(a)}, schema ${a.schema}, valid ${window(a)}`;
    case "CredentialStatusChanged":
      return `credential ${a.credential} ${statusChange(a)}`;
    case "BatchStatusChanged":
      return `batch ${a.root} ${statusChange(a)}`;
    case "MembersStatusChanged": {
      const word = BigInt(a.word ?? 0);
      const bits = BigInt(a.bits ?? 0);
      const members: number[] = [];
      for (let b = 0n; b < 256n; b++) if ((bits >> b) & 1n) members.push(Number(word * 256n + b));
      const list = members.length > 8 ? `${members.slice(0, 8).join(", ")} … (${members.length})` : members.join(", ");
      return `members ${list} of batch ${a.root} ${statusChange(a)}`;
    }
    case "EconomyNamed":
      return `economy ${a.economy} named "${a.name}" (legal name "${a.legalName}", website ${a.website || "none"}), its authority "${a.authorityName}"`;
    case "IssuerNamed":
      return `issuer ${a.issuer} named "${a.name}" (legal name "${a.legalName}", website ${a.website || "none"}) by ${a.by}`;
    case "IssuerWebsiteSet":
      return `issuer ${a.issuer} set its website to ${a.website || "none"}`;
    default:
      return `${name} ${JSON.stringify(a)}`;
  }
}

/** The index keys a subject is known by: a hash (credential or batch), an address (issuer or account), an economy. */
function keysFor(subject: string): string[] {
  if (/^0x[0-9a-fA-F]{64}$/.test(subject))
    return [`credential:${subject.toLowerCase()}`, `batch:${subject.toLowerCase()}`];
  if (/^0x[0-9a-fA-F]{40}$/.test(subject)) return [`issuer:${subject}`, `account:${subject}`];
  if (/^[A-Z]{2}$/.test(subject)) return [`economy:${subject}`];
  if (/^schema:\d+$/.test(subject)) return [subject];
  throw new CCRError(
    "INVALID_ARGUMENT",
    `"${subject}" is not a credential or batch hash, an address (or account name, did:ethr), an economy code or schema:<id>`,
  );
}

/**
 * The address `who` stands for, from the index alone: an address, a did:ethr, an account of the deployment file, or
 * a name the history gave an issuer.
 */
export async function indexedAddress(location: string, deployment: Deployment, who: string): Promise<string> {
  try {
    return accountAddress(deployment, who);
  } catch (error) {
    if (!(error instanceof CCRError)) throw error;
    const named = namesOf(await withIndex(location, deployment, (store) => readEvents(store, { names: NAME_EVENTS })));
    const scoped = /^[A-Z]{2}\//.test(who);
    const matches = [...named.qualified].filter(([, q]) => (scoped ? q : q.slice(3)) === who).map(([a]) => a);
    if (matches.length > 1) {
      const which = matches.map((a) => `"${named.qualified.get(a) ?? a}"`).join(" or ");
      throw new CCRError("INVALID_ARGUMENT", `"${who}" names issuers of several economies: say which, as ${which}`);
    }
    const found = matches[0];
    if (found === undefined) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `"${who}" is neither an address, a did:ethr, an account of the deployment nor an issuer's name in the index`,
      );
    }
    return found;
  }
}

/**
 * The full timeline of a credential or batch (by hash; a batch member by its root and `member` index), an issuer or
 * account (by checksummed address), an economy (ISO code) or a schema (`schema:<id>`), from the index alone.
 */
export async function timeline(
  location: string,
  deployment: Deployment,
  subject: string,
  member?: number,
): Promise<TimelineEntry[]> {
  const { names, events } = await withIndex(location, deployment, async (store) => {
    const keys = keysFor(subject);
    // An economy's timeline includes what its issuers did (their anchors and status changes carry no economy).
    if (/^[A-Z]{2}$/.test(subject)) keys.push(...(await store.issuersOf(subject)).map((i) => `issuer:${i}`));
    return {
      // Names as the history leaves them: addresses in the timeline are shown with the name they were given.
      names: namesOf(await readEvents(store, { names: NAME_EVENTS })),
      events: await readEvents(store, { keys }),
    };
  });
  const relevant = events.filter((e) => {
    if (member === undefined || e.name !== "MembersStatusChanged") return true;
    return (
      BigInt(e.args.word ?? 0) === BigInt(member >> 8) &&
      ((BigInt(e.args.bits ?? 0) >> BigInt(member & 255)) & 1n) === 1n
    );
  });
  return relevant.map((event) => ({
    time: new Date(event.timestamp * 1000).toISOString().replace(/\.000Z$/, "Z"),
    block: event.block,
    transaction: event.txHash,
    actor: actorOf(event),
    actorLabel: labelAddresses(actorOf(event), names),
    event: event.name,
    change: labelAddresses(describeEvent(event), names),
  }));
}
