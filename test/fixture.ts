import { network } from "hardhat";
import { economyCode, schemaBitmap } from "../src/codes.ts";
import type { Signer } from "ethers";
import { CCRRegistry__factory, ICCR__factory, type ICCR } from "../types/ethers-contracts/index.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;
export const { time } = networkHelpers;

/** Runs `fixture` once per chain snapshot and reverts to it on later calls (network helpers' loadFixture). */
export async function loadFixture<T>(fixture: () => Promise<T>): Promise<T> {
  return networkHelpers.loadFixture(fixture);
}

export const SG = economyCode("SG");
export const JP = economyCode("JP");
export const AU = economyCode("AU");
export const NONE = "0x0000";
export const CBPR = 0;
export const DIPLOMA = 1;
export const KYC = 2;
export const DAY = 24 * 3600;
export const YEAR = 365 * DAY;
export const COUNCIL_DELAY = 3 * DAY;

/** A framework of three economies and three schemas, with an SG issuer (CBPR) and an AU issuer (diploma). */
export async function frameworkFixture() {
  const [council, authSG, authJP, authAU, issuer, auIssuer, operator, stranger, other] = await ethers.getSigners();
  if (other === undefined) throw new Error("not enough test accounts");
  const deployed = await new CCRRegistry__factory(council).deploy(
    council.address,
    COUNCIL_DELAY,
    [SG, JP, AU],
    [authSG.address, authJP.address, authAU.address],
  );
  // The registry's whole ABI, verdicts (answered through its fallback) included, is ICCR's.
  const registry = ICCR__factory.connect(await deployed.getAddress(), council);
  await registry.registerSchema("APEC CBPR Certification", "https://schemas.example/cbpr.json", ethers.id("cbpr"));
  await registry.registerSchema("Academic Diploma", "https://schemas.example/diploma.json", ethers.id("diploma"));
  await registry.registerSchema("KYC Attestation", "https://schemas.example/kyc.json", ethers.id("kyc"));
  const now = await networkHelpers.time.latest();
  await accredit(registry, authSG, issuer, SG, schemaBitmap([CBPR, KYC]), now, now + 3 * YEAR);
  await accredit(registry, authAU, auIssuer, AU, schemaBitmap([DIPLOMA]), now, 0);
  await registry.connect(issuer).addOperator(operator.address);
  return { registry, deployed, council, authSG, authJP, authAU, issuer, auIssuer, operator, stranger, other, now };
}

/** Accreditation with consent: `authority` offers, `issuer` accepts the same terms. */
export async function accredit(
  registry: ICCR,
  authority: Signer,
  issuer: Signer,
  economy: string,
  schemas: bigint,
  validFrom: number,
  validUntil: number,
): Promise<void> {
  await registry.connect(authority).offerAccreditation(await issuer.getAddress(), schemas, validFrom, validUntil);
  await registry.connect(issuer).acceptAccreditation(economy, schemas, validFrom, validUntil);
}

/** A fresh, random credential hash. */
export function randomHash(): string {
  return ethers.hexlify(ethers.randomBytes(32));
}

/** A single-credential verdict query about `issuer`'s credential. */
export function single(issuer: { address: string } | string, credential: string) {
  const address = typeof issuer === "string" ? issuer : issuer.address;
  return { issuer: address, credential, batchRoot: ethers.ZeroHash, index: 0, proof: [] as string[] };
}
