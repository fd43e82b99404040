/**
 * Credential offers (OpenID4VCI 1.0 §4): one per row of an input checked as `ccr issue` checks it, each with a
 * pre-authorized code (and, when asked, a PIN, the `tx_code`, that reaches the holder another way). The offers go
 * into the service's store first, then into the output folder: `offers.json` (row, offer, link, expiry, QR image),
 * one `openid-credential-offer://` link and PNG QR code per offer, and `pins.json` (readable by its owner only).
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { access, chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import QRCode from "qrcode";
import { CCRError } from "../errors.ts";
import type { CredentialType } from "../vc/credentialType.ts";
import { writeFileAtomic, writeJsonAtomic } from "../vc/file.ts";
import { formatProblem, type RowProblem, type SubjectInput } from "../vc/input.ts";
import { lockOutput } from "../vc/journal.ts";
import { configurationId, libraryIssuer, WALLET_FORMATS, type ServiceMetadata, type WalletFormat } from "./metadata.ts";
import { secretDigest, type IssuerStore, type OfferRecord } from "./store.ts";

/** Digits of a PIN (`tx_code`). */
export const PIN_LENGTH = 6;

export interface OfferRequest {
  store: IssuerStore;
  metadata: ServiceMetadata;
  type: CredentialType;
  /** Rows checked with `readSubjects(…, "wallet")`. */
  input: SubjectInput;
  outDir: string;
  /** Give each offer a PIN (`tx_code`), written to `pins.json` for delivery by another channel. */
  pin: boolean;
  /** Seconds an offer can be taken. */
  expiresIn: number;
  skipInvalid?: boolean | undefined;
  now?: Date | undefined;
}

/** One offer as `offers.json` lists it. */
export interface OfferEntry {
  row: number;
  offer: string;
  link: string;
  qr: string;
  expiresAt: string;
  pinRequired: boolean;
}

export interface OfferResult {
  offers: OfferEntry[];
  /** `offers.json`, and `pins.json` when the offers have PINs. */
  file: string;
  pins?: string | undefined;
  skipped: RowProblem[];
}

/** The link of an offer (by value): what a wallet scans. */
async function offerLink(metadata: ServiceMetadata, type: CredentialType, code: string, pin: boolean): Promise<string> {
  const { credentialOffer } = await libraryIssuer().createCredentialOffer({
    issuerMetadata: metadata.result,
    credentialConfigurationIds: (Object.keys(WALLET_FORMATS) as WalletFormat[]).map((f) => configurationId(type, f)),
    grants: {
      "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
        "pre-authorized_code": code,
        ...(pin
          ? {
              tx_code: {
                input_mode: "numeric",
                length: PIN_LENGTH,
                description: "the code your issuer sent you separately",
              },
            }
          : {}),
      },
    },
  });
  return credentialOffer;
}

/** The rows of `request` to offer: all of them, or the valid ones with `skipInvalid`; refused when any is bad. */
function rowsToOffer(request: OfferRequest): Set<number> {
  const { input } = request;
  if (input.problems.length > 0 && request.skipInvalid !== true) {
    throw new CCRError(
      "INVALID_INPUT",
      `${input.file}: ${input.problems.length} problem(s); no offer was made (fix them, or pass --skip-invalid)`,
      { details: input.problems.map(formatProblem) },
    );
  }
  const bad = new Set(input.problems.map((p) => p.row));
  const rows = new Set(input.rows.map((r) => r.row).filter((row) => !bad.has(row)));
  if (rows.size === 0) throw new CCRError("INVALID_INPUT", `${input.file}: no valid row to offer`);
  return rows;
}

/**
 * Makes one offer per row of `request.input`: stored (all in one transaction) before anything is written, so that a
 * link in the folder always works. A folder that already holds offers is refused: offers are made once.
 */
export async function makeOffers(request: OfferRequest): Promise<OfferResult> {
  const { store, metadata, type, input, outDir } = request;
  const rows = rowsToOffer(request);
  const release = await lockOutput(outDir);
  try {
    const file = join(outDir, "offers.json");
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    ) {
      throw new CCRError(
        "OUTPUT_PROBLEM",
        `${outDir} already holds offers (offers.json): offers are made once. Withdraw them with "ccr offer ` +
          `withdraw", or write new ones to another folder`,
      );
    }
    const now = Math.floor((request.now ?? new Date()).getTime() / 1000);
    const expiresAt = now + request.expiresIn;
    const records: OfferRecord[] = [];
    const entries: OfferEntry[] = [];
    const pinList: { row: number; offer: string; pin: string }[] = [];
    for await (const { row, subject } of input.subjects()) {
      if (!rows.has(row)) continue;
      const code = randomBytes(32).toString("base64url");
      const pin = request.pin ? String(randomInt(0, 10 ** PIN_LENGTH)).padStart(PIN_LENGTH, "0") : undefined;
      const id = randomUUID();
      records.push({
        id,
        codeDigest: secretDigest(code),
        pinDigest: pin === undefined ? undefined : secretDigest(pin),
        schemaId: type.id,
        subject,
        source: input.file,
        row,
        createdAt: now,
        expiresAt,
        state: "open",
        pinFailures: 0,
      });
      const link = await offerLink(metadata, type, code, pin !== undefined);
      const qr = `offer-${String(row).padStart(5, "0")}.png`;
      entries.push({
        row,
        offer: id,
        link,
        qr,
        expiresAt: new Date(expiresAt * 1000).toISOString(),
        pinRequired: pin !== undefined,
      });
      if (pin !== undefined) pinList.push({ row, offer: id, pin });
    }
    await store.addOffers(records);
    for (const entry of entries) {
      await writeFileAtomic(join(outDir, entry.qr), await QRCode.toBuffer(entry.link, { type: "png" }));
    }
    await writeJsonAtomic(file, entries);
    const pins = request.pin ? join(outDir, "pins.json") : undefined;
    if (pins !== undefined) {
      // Written readable by its owner only, from the first byte: the PINs reach the holders another way.
      await writeFile(pins, `${JSON.stringify(pinList, null, 2)}\n`, { mode: 0o600, flag: "w" });
      await chmod(pins, 0o600);
    }
    const skipped = input.problems;
    return { offers: entries, file, pins, skipped };
  } finally {
    await release().catch(() => undefined);
  }
}
