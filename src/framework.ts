import { ZeroAddress, type BlockTag } from "ethers";
import { ISSUER_STANDING, economyCode, economyIso, schemaBitmap, schemaIds } from "./codes.ts";
import { CCRError } from "./errors.ts";
import { rpc, send, type RegistryConnection, type Sent } from "./registry.ts";
import type { SchemaDocument } from "./schemaDocument.ts";

/**
 * Framework administration over the registry, each call one transaction sent by the connection's signer: the council
 * (economies, schemas), an economy's authority (issuers, recognition) or an issuer (operators). Economies are ISO
 * codes, schemas registry ids, times Dates (`undefined` = open-ended).
 */
const seconds = (date: Date | undefined): number => (date === undefined ? 0 : Math.floor(date.getTime() / 1000));

export const admitEconomy = (c: RegistryConnection, iso: string, authority: string): Promise<Sent> =>
  send(c, `to admit ${iso}`, () => c.registry.admitEconomy(economyCode(iso), authority));

export const removeEconomy = (c: RegistryConnection, iso: string): Promise<Sent> =>
  send(c, `to remove ${iso}`, () => c.registry.removeEconomy(economyCode(iso)));

export const appointAuthority = (c: RegistryConnection, iso: string, authority: string): Promise<Sent> =>
  send(c, `to appoint ${authority} for ${iso}`, () => c.registry.appointAuthority(economyCode(iso), authority));

/** Registers a schema: its name, where its JSON Schema document is published, and that document's digest. */
export const registerSchema = (c: RegistryConnection, name: string, uri: string, digest: string): Promise<Sent> =>
  send(c, `to register schema "${name}"`, () => c.registry.registerSchema(name, uri, digest));

export const deprecateSchema = (c: RegistryConnection, schema: number): Promise<Sent> =>
  send(c, `to deprecate schema ${schema}`, () => c.registry.deprecateSchema(schema));

/** What an accreditation covers: schema ids and a window (`undefined` = from now on / open-ended). */
export interface AccreditationTerms {
  schemas: number[];
  validFrom?: Date | undefined;
  validUntil?: Date | undefined;
}

const terms = ({ schemas, validFrom, validUntil }: AccreditationTerms) =>
  [schemaBitmap(schemas), seconds(validFrom), seconds(validUntil)] as const;

/** The authority offers `issuer` an accreditation; it takes effect when the issuer accepts it. */
export const offerAccreditation = (c: RegistryConnection, issuer: string, accreditation: AccreditationTerms) =>
  send(c, `to offer ${issuer} accreditation`, () => c.registry.offerAccreditation(issuer, ...terms(accreditation)));

/** The authority withdraws its economy's pending offer to `issuer`. */
export const withdrawOffer = (c: RegistryConnection, issuer: string): Promise<Sent> =>
  send(c, `to withdraw the offer to ${issuer}`, () => c.registry.withdrawOffer(issuer));

/** An economy's pending offer to an address, as terms; undefined when there is none. */
export async function pendingOffer(
  c: RegistryConnection,
  issuer: string,
  economy: string,
): Promise<Required<AccreditationTerms> | undefined> {
  const offer = await rpc(c.rpcUrl, `reading ${economy}'s offer to ${issuer}`, () =>
    c.registry.getOffer(issuer, economyCode(economy)),
  );
  if (offer.authority === ZeroAddress) return undefined;
  const date = (s: bigint): Date | undefined => (s === 0n ? undefined : new Date(Number(s) * 1000));
  return { schemas: schemaIds(offer.schemas), validFrom: date(offer.validFrom), validUntil: date(offer.validUntil) };
}

/**
 * The acting account accepts `economy`'s pending offer and becomes its issuer. The terms sent are the ones read here:
 * if the authority changes its offer meanwhile, the registry refuses the acceptance (NoMatchingOffer).
 */
export async function acceptAccreditation(
  c: RegistryConnection,
  economy: string,
  issuer: string,
): Promise<{ sent: Sent; terms: Required<AccreditationTerms> }> {
  const offer = await pendingOffer(c, issuer, economy);
  if (offer === undefined) {
    throw new CCRError("REFUSED_BY_REGISTRY", `${economy} has no pending offer of accreditation to ${issuer}`);
  }
  const sent = await send(c, `to accept ${economy}'s accreditation`, () =>
    c.registry.acceptAccreditation(economyCode(economy), ...terms(offer)),
  );
  return { sent, terms: offer };
}

/** The council releases an address an authority claimed but that never used its accreditation. */
export const releaseIssuer = (c: RegistryConnection, issuer: string): Promise<Sent> =>
  send(c, `to release ${issuer}`, () => c.registry.releaseIssuer(issuer));

export const amendAccreditation = (c: RegistryConnection, issuer: string, accreditation: AccreditationTerms) =>
  send(c, `to amend the accreditation of ${issuer}`, () =>
    c.registry.amendAccreditation(issuer, ...terms(accreditation)),
  );

export const suspendIssuer = (c: RegistryConnection, issuer: string): Promise<Sent> =>
  send(c, `to suspend ${issuer}`, () => c.registry.suspendIssuer(issuer));

export const reinstateIssuer = (c: RegistryConnection, issuer: string): Promise<Sent> =>
  send(c, `to reinstate ${issuer}`, () => c.registry.reinstateIssuer(issuer));

/** Revokes an issuer; with `compromisedAt`, its credentials anchored from that time on are reported ISSUER_REVOKED. */
export const revokeIssuer = (c: RegistryConnection, issuer: string, compromisedAt?: Date): Promise<Sent> =>
  send(c, `to revoke ${issuer}`, () => c.registry.revokeIssuer(issuer, seconds(compromisedAt)));

export const addOperator = (c: RegistryConnection, operator: string): Promise<Sent> =>
  send(c, `to add operator ${operator}`, () => c.registry.addOperator(operator));

export const removeOperator = (c: RegistryConnection, operator: string): Promise<Sent> =>
  send(c, `to remove operator ${operator}`, () => c.registry.removeOperator(operator));

export const recognise = (c: RegistryConnection, other: string, schema: number): Promise<Sent> =>
  send(c, `to recognise ${other} for schema ${schema}`, () => c.registry.recognise(economyCode(other), schema));

export const withdrawRecognition = (c: RegistryConnection, other: string, schema: number): Promise<Sent> =>
  send(c, `to withdraw the recognition of ${other} for schema ${schema}`, () =>
    c.registry.withdrawRecognition(economyCode(other), schema),
  );

export interface SchemaInfo {
  id: number;
  name: string;
  uri: string;
  /** SHA-256 of the schema document's bytes, 0x-hex. */
  digest: string;
  deprecated: boolean;
}

/** The registered schemas, at `blockTag` (default: the latest block). */
export async function listSchemas(c: RegistryConnection, blockTag: BlockTag = "latest"): Promise<SchemaInfo[]> {
  return rpc(c.rpcUrl, "reading the schemas", async () => {
    const count = Number(await c.registry.schemaCount({ blockTag }));
    return Promise.all(
      Array.from({ length: count }, async (_, id): Promise<SchemaInfo> => {
        const { name, uri, digest, deprecated } = await c.registry.getSchema(id, { blockTag });
        return { id, name, uri, digest, deprecated };
      }),
    );
  });
}

/** A schema given as an id, a demo key (`diploma`) or a name -> its id. */
export async function schemaId(c: RegistryConnection, schema: string): Promise<number> {
  return (await findSchema(c, schema)).id;
}

/** A registered schema given as an id, a name, a URI or the last part of its URI (`diploma` for …/diploma.json). */
export async function findSchema(c: RegistryConnection, schema: string): Promise<SchemaInfo> {
  return schemaIn(await listSchemas(c), schema);
}

/** `schema` (an id, a name, a URI or its last part) among `schemas`; INVALID_SCHEMA_ID naming them all when absent. */
export function schemaIn(schemas: SchemaInfo[], schema: string): SchemaInfo {
  const found = schemas.find(
    (s) => String(s.id) === schema || s.name === schema || s.uri.endsWith(`/${schema}.json`) || s.uri === schema,
  );
  if (found === undefined) {
    throw new CCRError(
      "INVALID_SCHEMA_ID",
      `no schema "${schema}"; schemas: ${schemas.map((s) => `${s.id} ${s.name}`).join(", ")}`,
    );
  }
  return found;
}

export interface IssuerInfo {
  address: string;
  economy: string;
  standing: string;
  schemas: number[];
  validFrom?: string | undefined;
  validUntil?: string | undefined;
  compromisedAt?: string | undefined;
}

const iso = (s: bigint): string | undefined => (s === 0n ? undefined : new Date(Number(s) * 1000).toISOString());

/** `issuer`'s accreditation at `blockTag` (default: the latest block). */
export async function issuerInfo(
  c: RegistryConnection,
  issuer: string,
  blockTag: BlockTag = "latest",
): Promise<IssuerInfo> {
  return rpc(c.rpcUrl, `reading issuer ${issuer}`, async () => {
    const record = await c.registry.getIssuer(issuer, { blockTag });
    if (record.id === 0n) throw new CCRError("INVALID_ARGUMENT", `${issuer} is not an issuer of this framework`);
    const meta = await c.registry.getIssuerMeta(record.id, { blockTag });
    return {
      address: issuer,
      economy: economyIso(record.economy),
      standing: ISSUER_STANDING[Number(record.standing)] ?? "NONE",
      schemas: schemaIds(record.schemas),
      validFrom: iso(record.validFrom),
      validUntil: iso(record.validUntil),
      compromisedAt: iso(meta.compromisedAt),
    };
  });
}

/**
 * Checks a schema document (as fetched by whoever holds it) against what the registry records for `schema`: throws
 * SCHEMA_MISMATCH with both digests when they differ.
 */
export async function checkSchemaDocument(
  c: RegistryConnection,
  schema: number,
  document: SchemaDocument,
): Promise<SchemaInfo> {
  const registered = (await listSchemas(c)).find((s) => s.id === schema);
  if (registered === undefined) throw new CCRError("INVALID_SCHEMA_ID", `schema ${schema} is not registered`);
  if (registered.digest !== document.digest) {
    throw new CCRError(
      "SCHEMA_MISMATCH",
      `${document.source} is not the document of schema ${schema} ("${registered.name}", ${registered.uri}): ` +
        `its SHA-256 digest is ${document.digest}, the registry's is ${registered.digest}`,
    );
  }
  return registered;
}
