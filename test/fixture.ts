import { network } from "hardhat";
import { economyCode, schemaBitmap } from "../src/codes.ts";
import { CCRRegistry__factory } from "../types/ethers-contracts/index.js";

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
  const registry = await new CCRRegistry__factory(council).deploy(
    council.address,
    COUNCIL_DELAY,
    [SG, JP, AU],
    [authSG.address, authJP.address, authAU.address],
  );
  await registry.registerSchema("APEC CBPR Certification", "https://schemas.example/cbpr.json");
  await registry.registerSchema("Academic Diploma", "https://schemas.example/diploma.json");
  await registry.registerSchema("KYC Attestation", "https://schemas.example/kyc.json");
  const now = await networkHelpers.time.latest();
  await registry.connect(authSG).accreditIssuer(issuer.address, schemaBitmap([CBPR, KYC]), now, now + 3 * YEAR);
  await registry.connect(authAU).accreditIssuer(auIssuer.address, schemaBitmap([DIPLOMA]), now, 0);
  await registry.connect(issuer).addOperator(operator.address);
  return { registry, council, authSG, authJP, authAU, issuer, auIssuer, operator, stranger, other, now };
}

/** A fresh, random credential hash. */
export function randomHash(): string {
  return ethers.hexlify(ethers.randomBytes(32));
}

/** A single-credential verdict query. */
export function single(credential: string) {
  return { credential, batchRoot: ethers.ZeroHash, index: 0, proof: [] as string[] };
}
