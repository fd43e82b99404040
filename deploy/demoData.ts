import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEVNET_MNEMONIC, devnetWallet } from "../src/devnet.ts";
import { packageFile } from "../src/packageFiles.ts";
import { HDNodeWallet, ZeroAddress, ZeroHash, keccak256, toUtf8Bytes, type Provider, type Signer } from "ethers";
import type { ICCR, ICCRNames } from "../types/ethers-contracts/index.js";
import { APEC_ECONOMIES } from "./apec.ts";
import { buildBatch, memberSets } from "../src/batch.ts";
import { REASONS, economyCode, schemaBitmap } from "../src/codes.ts";
import type { DeploymentAccount } from "../src/deployment.ts";
import { parseSchemaDocument, schemaDigest } from "../src/schemaDocument.ts";
import type { CredentialTypeRef } from "../src/vc/credential.ts";
import { typeOf, type CredentialType } from "../src/vc/credentialType.ts";

/** The demo framework's credential schemas, registered in this order (ids 0..5). */
export const DEMO_SCHEMAS = [
  {
    key: "cbpr",
    name: "APEC CBPR Certification",
    uri: "https://schemas.ccr.example/cbpr.json",
  },
  {
    key: "prp",
    name: "APEC PRP Certification",
    uri: "https://schemas.ccr.example/prp.json",
  },
  {
    key: "diploma",
    name: "Academic Diploma",
    uri: "https://schemas.ccr.example/diploma.json",
  },
  {
    key: "origin",
    name: "Certificate of Origin",
    uri: "https://schemas.ccr.example/origin.json",
  },
  {
    key: "kyc",
    name: "KYC Attestation",
    uri: "https://schemas.ccr.example/kyc.json",
  },
  {
    key: "device",
    name: "IoT Device Identity",
    uri: "https://schemas.ccr.example/device.json",
  },
] as const;
export type DemoSchemaKey = (typeof DEMO_SCHEMAS)[number]["key"];

export { DEVNET_MNEMONIC, devnetWallet };

/**
 * Index 0 deploys the contracts (and is the single-key council of a framework deployed without a Safe); 1..21 are
 * the APEC authorities in {APEC_ECONOMIES} order.
 */
export const COUNCIL_INDEX = 0;

/**
 * The devnet council's owners: representatives of three member economies, of whom a majority (two) must sign every
 * council action. A framework of sovereign economies would make every member's representative an owner.
 */
export const DEMO_REPRESENTATIVES = [
  { name: "council-sg", economy: "SG", label: "Singapore's representative on the council", hdIndex: 30 },
  { name: "council-jp", economy: "JP", label: "Japan's representative on the council", hdIndex: 31 },
  { name: "council-au", economy: "AU", label: "Australia's representative on the council", hdIndex: 32 },
] as const;

/** A council action: a call from the council to a contract of the framework (the registry, the names contract). */
export type CouncilActor = (call: { to: string; data: string }) => Promise<void>;

/** A council that is one key (a test chain's, or a framework deployed without a Safe): it sends the call itself. */
export const singleKeyCouncil =
  (signer: Signer): CouncilActor =>
  async (call) => {
    await (await signer.sendTransaction(call)).wait();
  };
export const authorityIndex = (position: number): number => 1 + position;

interface DemoIssuer {
  name: string;
  label: string;
  economy: string;
  schemas: DemoSchemaKey[];
  hdIndex: number;
}

/** A handful of issuers in different economies. */
export const DEMO_ISSUERS: readonly DemoIssuer[] = [
  {
    name: "sg-agent",
    label: "Singapore CBPR accountability agent",
    economy: "SG",
    schemas: ["cbpr", "prp"],
    hdIndex: 22,
  },
  { name: "jp-agent", label: "Japan CBPR accountability agent", economy: "JP", schemas: ["cbpr", "prp"], hdIndex: 23 },
  { name: "au-university", label: "University in Australia", economy: "AU", schemas: ["diploma"], hdIndex: 24 },
  { name: "cl-chamber", label: "Chamber of commerce in Chile", economy: "CL", schemas: ["origin"], hdIndex: 26 },
  { name: "kr-devicemaker", label: "Device maker in Korea", economy: "KR", schemas: ["device"], hdIndex: 27 },
  { name: "ca-bank", label: "Bank in Canada (KYC)", economy: "CA", schemas: ["kyc"], hdIndex: 28 },
];
/** The university's registrar, an operator key of "au-university". */
export const DEMO_OPERATOR = { name: "au-registrar", issuer: "au-university", hdIndex: 25 } as const;

/** Holders of the demo: keys that present credentials (devnet keys; they send no transactions). */
export const DEMO_HOLDERS = [
  { name: "graduate-aiko", label: "Aiko Tanaka, graduate of the university in Australia", hdIndex: 40 },
  { name: "customer-ken", label: "Ken Sato, customer of the bank in Canada", hdIndex: 41 },
] as const;

export interface DemoCredential {
  label: string;
  hash: string;
  issuer: string;
  schema: number;
  batch?: { root: string; index: number; proof: string[] };
  expected: "VALID" | "REVOKED" | "SUSPENDED";
}

export interface DemoResult {
  accounts: Record<string, DeploymentAccount>;
  schemas: { id: number; key: string; name: string; uri: string }[];
  credentials: DemoCredential[];
  recognitions: { economy: string; recognises: string; schema: string }[];
}

const YEAR = 365 * 24 * 3600;

/** The hash of a demo credential: keccak256 of its descriptor (real VC documents come with the `ccr` toolkit). */
export function demoHash(descriptor: object): string {
  return keccak256(toUtf8Bytes(JSON.stringify(descriptor)));
}

/** The accounts of the demo framework, by name. */
export function demoAccounts(provider: Provider): Record<string, DeploymentAccount> {
  const accounts: Record<string, DeploymentAccount> = {
    deployer: {
      address: devnetWallet(COUNCIL_INDEX, provider).address,
      role: "deployer",
      label: "deploys the contracts (not the council)",
      hdIndex: COUNCIL_INDEX,
    },
  };
  for (const representative of DEMO_REPRESENTATIVES) {
    accounts[representative.name] = {
      address: devnetWallet(representative.hdIndex, provider).address,
      role: "representative",
      economy: representative.economy,
      label: representative.label,
      hdIndex: representative.hdIndex,
    };
  }
  APEC_ECONOMIES.forEach(({ iso, name }, i) => {
    accounts[`authority-${iso.toLowerCase()}`] = {
      address: devnetWallet(authorityIndex(i), provider).address,
      role: "authority",
      economy: iso,
      label: `Authority of ${name}`,
      hdIndex: authorityIndex(i),
    };
  });
  for (const issuer of DEMO_ISSUERS) {
    accounts[issuer.name] = {
      address: devnetWallet(issuer.hdIndex, provider).address,
      role: "issuer",
      economy: issuer.economy,
      label: issuer.label,
      hdIndex: issuer.hdIndex,
    };
  }
  accounts[DEMO_OPERATOR.name] = {
    address: devnetWallet(DEMO_OPERATOR.hdIndex, provider).address,
    role: "operator",
    economy: "AU",
    label: "Registrar of the university in Australia (operator key)",
    hdIndex: DEMO_OPERATOR.hdIndex,
  };
  for (const holder of DEMO_HOLDERS) {
    const { address } = devnetWallet(holder.hdIndex, provider);
    accounts[holder.name] = { address, role: "holder", label: holder.label, hdIndex: holder.hdIndex };
  }
  return accounts;
}

/**
 * Seeds the demo framework on a registry whose council acts through `council` and whose first economies are
 * the 21 APEC economies with their devnet authorities: schemas, issuers, an operator, credentials, one batch, one
 * revocation, one suspension and one mutual recognition. Funds the demo accounts with `hardhat_setBalance`.
 */
export async function seedDemo(
  registry: ICCR,
  provider: Provider & { send(m: string, p: unknown[]): Promise<unknown> },
  council: CouncilActor,
): Promise<DemoResult> {
  const accounts = demoAccounts(provider);
  const wallet = (name: string): HDNodeWallet => {
    const account = accounts[name];
    if (account?.hdIndex === undefined) throw new Error(`demo account ${name} is not defined`);
    return devnetWallet(account.hdIndex, provider);
  };
  for (const account of Object.values(accounts)) {
    await provider.send("hardhat_setBalance", [account.address, "0x56BC75E2D63100000"]); // 100 ETH
  }
  const as = (name: string): ICCR => registry.connect(wallet(name));
  const address = (name: string): string => wallet(name).address;
  const send = async (tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> => {
    await (await tx).wait();
  };

  const schemas = DEMO_SCHEMAS.map((schema, id) => ({ id, ...schema }));
  for (const schema of schemas) {
    const digest = schemaDigest(demoSchemaDocument(schema.key));
    const data = registry.interface.encodeFunctionData("registerSchema", [schema.name, schema.uri, digest]);
    await council({ to: await registry.getAddress(), data });
  }
  const schemaId = (key: DemoSchemaKey): number => DEMO_SCHEMAS.findIndex((s) => s.key === key);

  const block = await provider.getBlock("latest");
  const now = block?.timestamp ?? Math.floor(Date.now() / 1000);
  for (const issuer of DEMO_ISSUERS) {
    // Accreditation takes the issuer's consent: the authority offers, the issuer accepts the same terms.
    const terms = [schemaBitmap(issuer.schemas.map(schemaId)), now - 3600, now + 3 * YEAR] as const;
    await send(
      as(`authority-${issuer.economy.toLowerCase()}`).offerAccreditation(
        accounts[issuer.name]?.address ?? "",
        ...terms,
      ),
    );
    await send(as(issuer.name).acceptAccreditation(economyCode(issuer.economy), ...terms));
  }
  await send(as("au-university").addOperator(accounts[DEMO_OPERATOR.name]?.address ?? ""));

  const credentials: DemoCredential[] = [];
  const single = async (
    issuer: string,
    key: DemoSchemaKey,
    label: string,
    subject: object,
    years: number,
  ): Promise<DemoCredential> => {
    const hash = demoHash({ type: key, issuer, subject });
    const schema = schemaId(key);
    await send(as(issuer).anchor(hash, schema, now, now + years * YEAR));
    const credential: DemoCredential = { label, hash, issuer, schema, expected: "VALID" };
    credentials.push(credential);
    return credential;
  };
  await single(
    "sg-agent",
    "cbpr",
    "CBPR certification of Lion City Data Pte Ltd",
    { company: "Lion City Data Pte Ltd" },
    1,
  );
  const review = await single(
    "jp-agent",
    "cbpr",
    "CBPR certification of Sakura Cloud KK",
    { company: "Sakura Cloud KK" },
    1,
  );
  await single(
    "sg-agent",
    "prp",
    "PRP certification of Merlion Processing Pte Ltd",
    { company: "Merlion Processing Pte Ltd" },
    1,
  );
  const superseded = await single(
    "cl-chamber",
    "origin",
    "Certificate of origin CL-2026-0001 (copper cathodes)",
    { shipment: "CL-2026-0001" },
    1,
  );
  await single(
    "cl-chamber",
    "origin",
    "Certificate of origin CL-2026-0002 (copper cathodes, corrected)",
    { shipment: "CL-2026-0002" },
    1,
  );
  await single("kr-devicemaker", "device", "Device identity of sensor KR-SN-000042", { serial: "KR-SN-000042" }, 10);
  await single("ca-bank", "kyc", "KYC attestation of customer 7f3a", { customer: "7f3a" }, 1);

  // One batch: eight diplomas anchored by the university's registrar (an operator key).
  const graduates = [
    "Ava Nguyen",
    "Ben Carter",
    "Chloe Tan",
    "Dev Patel",
    "Ella Brown",
    "Finn Walker",
    "Grace Lee",
    "Hugo Silva",
  ];
  const diplomaHashes = graduates.map((graduate) => demoHash({ type: "diploma", issuer: "au-university", graduate }));
  const batch = buildBatch(diplomaHashes);
  const diploma = schemaId("diploma");
  await send(
    as(DEMO_OPERATOR.name).anchorBatchFor(
      accounts["au-university"]?.address ?? "",
      batch.root,
      batch.size,
      diploma,
      now,
      0,
    ),
  );
  graduates.forEach((graduate, index) =>
    credentials.push({
      label: `Diploma of ${graduate}`,
      hash: diplomaHashes[index] ?? "",
      issuer: "au-university",
      schema: diploma,
      batch: { root: batch.root, index, proof: batch.proof(index) },
      expected: "VALID",
    }),
  );

  // One revocation (superseded by a corrected certificate), one suspension (under review), one batch member revoked.
  await send(as("cl-chamber").revokeCredential(address("cl-chamber"), superseded.hash, REASONS.superseded));
  superseded.expected = "REVOKED";
  await send(as("jp-agent").suspendCredential(address("jp-agent"), review.hash, REASONS.certificateHold));
  review.expected = "SUSPENDED";
  const withdrawn = credentials.find((c) => c.label === "Diploma of Hugo Silva");
  if (withdrawn?.batch) {
    await send(
      as("au-university").revokeMembers(
        address("au-university"),
        batch.root,
        memberSets([withdrawn.batch.index]),
        REASONS.privilegeWithdrawn,
      ),
    );
    withdrawn.expected = "REVOKED";
  }

  // One mutual recognition: Singapore and Japan recognise each other's CBPR accreditations.
  const cbpr = schemaId("cbpr");
  await send(as("authority-sg").recognise(economyCode("JP"), cbpr));
  await send(as("authority-jp").recognise(economyCode("SG"), cbpr));
  const recognitions = [
    { economy: "SG", recognises: "JP", schema: "cbpr" },
    { economy: "JP", recognises: "SG", schema: "cbpr" },
  ];
  return { accounts, schemas, credentials, recognitions };
}

/** The registry query (`Query` in CCRTypes.sol) that asks for the verdict on a demo credential. */
export function demoQuery(
  credential: DemoCredential,
  accounts: Record<string, DeploymentAccount>,
): {
  issuer: string;
  credential: string;
  batchRoot: string;
  index: number;
  proof: string[];
} {
  return {
    issuer: accounts[credential.issuer]?.address ?? ZeroAddress,
    credential: credential.hash,
    batchRoot: credential.batch?.root ?? ZeroHash,
    index: credential.batch?.index ?? 0,
    proof: credential.batch?.proof ?? [],
  };
}

/** The constructor arguments that admit the 21 APEC economies with their devnet authorities. */
export function apecEconomyParameters(provider: Provider): { economies: string[]; authorities: string[] } {
  return {
    economies: APEC_ECONOMIES.map(({ iso }) => economyCode(iso)),
    authorities: APEC_ECONOMIES.map((_, i) => devnetWallet(authorityIndex(i), provider).address),
  };
}

/** The folder of the demo framework's schema documents (examples/schemas). */
export const DEMO_SCHEMA_FOLDER = packageFile("examples", "schemas");

/** The bytes of the demo schema document of `key` (examples/schemas/<key>.json), as registered by the seed. */
export function demoSchemaDocument(key: DemoSchemaKey): Buffer {
  return readFileSync(join(DEMO_SCHEMA_FOLDER, `${key}.json`));
}

/** The credential type a demo schema's credentials name, for tests and examples that build credentials by hand. */
export function demoCredentialType(key: DemoSchemaKey): CredentialTypeRef {
  const schema = DEMO_SCHEMAS.find((s) => s.key === key);
  const document = parseSchemaDocument(`${key}.json`, demoSchemaDocument(key));
  if (schema === undefined || document.credentialType === undefined) throw new Error(`no demo schema ${key}`);
  return { vcType: document.credentialType, uri: schema.uri, digest: document.digest };
}

/** The credential type of a demo schema as the demo seed registers it (its document from examples/schemas). */
export async function demoType(key: DemoSchemaKey): Promise<CredentialType> {
  const id = DEMO_SCHEMAS.findIndex((s) => s.key === key);
  const { name, uri } = DEMO_SCHEMAS[id] ?? { name: "", uri: "" };
  const digest = schemaDigest(demoSchemaDocument(key));
  return typeOf({ id, name, uri, digest, deprecated: false }, { folders: [DEMO_SCHEMA_FOLDER] });
}

/**
 * Names the demo framework through its names contract: the council names the 21 economies and their authorities,
 * each authority its demo issuers, and the university adds its own website.
 */
export async function seedNames(names: ICCRNames, provider: Provider, council: CouncilActor): Promise<void> {
  const send = async (tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> => {
    await (await tx).wait();
  };
  for (const { iso, name } of APEC_ECONOMIES) {
    const data = names.interface.encodeFunctionData("nameEconomy", [
      economyCode(iso),
      name,
      name,
      "",
      `Credential authority of ${name}`,
    ]);
    await council({ to: await names.getAddress(), data });
  }
  for (const issuer of DEMO_ISSUERS) {
    const position = APEC_ECONOMIES.findIndex(({ iso }) => iso === issuer.economy);
    const authority = names.connect(devnetWallet(authorityIndex(position), provider));
    const address = devnetWallet(issuer.hdIndex).address;
    await send(authority.nameIssuer(address, issuer.label, `${issuer.label} (demo)`, `https://${issuer.name}.example`));
  }
  const university = DEMO_ISSUERS.find((i) => i.name === "au-university");
  if (university !== undefined) {
    await send(names.connect(devnetWallet(university.hdIndex, provider)).setWebsite("https://university.example/au"));
  }
}
