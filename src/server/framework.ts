/**
 * The framework as it stands on the chain, for the explorer and the TRQP metadata: economies with their authorities,
 * issuers with their accreditation, schemas, operators and the recognition matrix, with names where they exist.
 * Lists come from the registry's events (the registry keeps no list of economies or operators), and every item's
 * state from its view functions.
 */
import { economyCode, economyIso, schemaIds } from "../codes.ts";
import { issuerInfo, listSchemas, type IssuerInfo, type SchemaInfo } from "../framework.ts";
import type { NameBook } from "../names.ts";
import { rpc, type RegistryConnection } from "../registry.ts";
import { ethrDid } from "../did.ts";
import { CCRError } from "../errors.ts";

export interface EconomyView {
  iso: string;
  name?: string | undefined;
  member: boolean;
  authority: string;
  authorityName?: string | undefined;
  /** The authority's did:ethr, as TRQP names it. */
  authorityDid: string;
  liveIssuers: number;
}

export interface IssuerView extends IssuerInfo {
  did: string;
  name?: string | undefined;
  website?: string | undefined;
  operators: string[];
}

export interface FrameworkView {
  chainId: number;
  registry: string;
  names?: string | undefined;
  block: number;
  economies: EconomyView[];
  issuers: IssuerView[];
  schemas: SchemaInfo[];
  /** economy -> the economies whose accreditations it recognises -> schema ids. */
  recognitions: { economy: string; recognises: string; schemas: number[] }[];
}

type Events = Awaited<ReturnType<typeof frameworkEvents>>;

/** The events that list the framework's economies, issuers, operators and recognitions up to `block`. */
function frameworkEvents(connection: RegistryConnection, block: number) {
  const { registry, rpcUrl, deployment } = connection;
  const from = deployment.registry.blockNumber;
  return rpc(rpcUrl, "reading the registry's events", async () => {
    const [admitted, accepted, operatorsAdded, granted] = await Promise.all([
      registry.queryFilter(registry.filters.EconomyAdmitted(), from, block),
      registry.queryFilter(registry.filters.IssuerAccredited(), from, block),
      registry.queryFilter(registry.filters.OperatorAdded(), from, block),
      registry.queryFilter(registry.filters.RecognitionGranted(), from, block),
    ]);
    return { admitted, accepted, operatorsAdded, granted };
  });
}

/** Every economy ever admitted, as it stands at `block`, with its names. */
function economiesAt(connection: RegistryConnection, names: NameBook, events: Events, block: number) {
  const { registry, rpcUrl, chainId } = connection;
  const codes = [...new Set(events.admitted.map((e) => economyIso(e.args.economy)))].sort();
  return Promise.all(
    codes.map(async (iso): Promise<EconomyView> => {
      const [record, profile] = await Promise.all([
        rpc(rpcUrl, `reading economy ${iso}`, () => registry.getEconomy(economyCode(iso), { blockTag: block })),
        names.economy(iso),
      ]);
      return {
        iso,
        name: profile?.name,
        member: record.member,
        authority: record.authority,
        authorityName: profile?.authorityName,
        authorityDid: ethrDid(chainId, record.authority),
        liveIssuers: Number(record.liveIssuers),
      };
    }),
  );
}

/** An issuer at `block` with its current operators and names; undefined when it was released since. */
async function issuerAt(
  connection: RegistryConnection,
  names: NameBook,
  events: Events,
  address: string,
  block: number,
): Promise<IssuerView | undefined> {
  const { registry, rpcUrl, chainId } = connection;
  // Released since: no longer an issuer. Any other failure (an unreachable node) fails the whole answer.
  const info = await issuerInfo(connection, address, block).catch((error: unknown) => {
    if (error instanceof CCRError && error.code === "INVALID_ARGUMENT") return undefined;
    throw error;
  });
  if (info === undefined) return undefined;
  const candidates = [
    ...new Set(events.operatorsAdded.filter((e) => e.args.issuer === address).map((e) => e.args.operator)),
  ];
  const current = await Promise.all(
    candidates.map((operator) =>
      rpc(rpcUrl, "reading operators", () => registry.isOperator(address, operator, { blockTag: block })),
    ),
  );
  const profile = await names.issuer(address);
  return {
    ...info,
    did: ethrDid(chainId, address),
    name: profile?.name,
    website: profile?.website || undefined,
    operators: candidates.filter((_, i) => current[i] === true),
  };
}

/** Every recognition ever granted that still covers a schema at `block`. */
async function recognitionsAt(connection: RegistryConnection, events: Events, block: number) {
  const { registry, rpcUrl } = connection;
  const pairs = [
    ...new Set(events.granted.map((e) => `${economyIso(e.args.economy)}>${economyIso(e.args.recognised)}`)),
  ].sort();
  const recognitions = await Promise.all(
    pairs.map(async (pair) => {
      const [economy = "", recognises = ""] = pair.split(">");
      const bitmap = await rpc(rpcUrl, "reading recognitions", () =>
        registry.recognisedSchemas(economyCode(economy), economyCode(recognises), { blockTag: block }),
      );
      return { economy, recognises, schemas: schemaIds(bitmap) };
    }),
  );
  return recognitions.filter((r) => r.schemas.length > 0);
}

/** Reads the whole framework at `at` (a block number; default: the latest block). */
export async function readFramework(
  connection: RegistryConnection,
  names: NameBook,
  at?: number,
): Promise<FrameworkView> {
  const { rpcUrl, deployment, chainId } = connection;
  const block = at ?? (await rpc(rpcUrl, "reading the latest block", () => connection.provider.getBlockNumber()));
  const events = await frameworkEvents(connection, block);
  const addresses = [...new Set(events.accepted.map((e) => e.args.issuer))];
  const issuers = await Promise.all(addresses.map((address) => issuerAt(connection, names, events, address, block)));
  return {
    chainId,
    registry: deployment.registry.address,
    names: deployment.names?.address,
    block,
    economies: await economiesAt(connection, names, events, block),
    issuers: issuers.filter((issuer): issuer is IssuerView => issuer !== undefined),
    schemas: await listSchemas(connection, block),
    recognitions: await recognitionsAt(connection, events, block),
  };
}
