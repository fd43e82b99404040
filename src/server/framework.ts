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

/** Reads the whole framework at `at` (a block number; default: the latest block). */
export async function readFramework(
  connection: RegistryConnection,
  names: NameBook,
  at?: number,
): Promise<FrameworkView> {
  const { registry, rpcUrl, deployment, chainId } = connection;
  const from = deployment.registry.blockNumber;
  const block = at ?? (await rpc(rpcUrl, "reading the latest block", () => connection.provider.getBlockNumber()));
  const [admitted, accepted, operatorsAdded, granted] = await rpc(rpcUrl, "reading the registry's events", () =>
    Promise.all([
      registry.queryFilter(registry.filters.EconomyAdmitted(), from, block),
      registry.queryFilter(registry.filters.IssuerAccredited(), from, block),
      registry.queryFilter(registry.filters.OperatorAdded(), from, block),
      registry.queryFilter(registry.filters.RecognitionGranted(), from, block),
    ]),
  );
  const codes = [...new Set(admitted.map((e) => economyIso(e.args.economy)))].sort();
  const economies = await Promise.all(
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
  const addresses = [...new Set(accepted.map((e) => e.args.issuer))];
  const issuers = (
    await Promise.all(
      addresses.map(async (address): Promise<IssuerView | undefined> => {
        // Released since: no longer an issuer. Any other failure (an unreachable node) fails the whole answer.
        const info = await issuerInfo(connection, address, block).catch((error: unknown) => {
          if (error instanceof CCRError && error.code === "INVALID_ARGUMENT") return undefined;
          throw error;
        });
        if (info === undefined) return undefined;
        const candidates = [
          ...new Set(operatorsAdded.filter((e) => e.args.issuer === address).map((e) => e.args.operator)),
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
      }),
    )
  ).filter((issuer): issuer is IssuerView => issuer !== undefined);
  const pairs = [
    ...new Set(granted.map((e) => `${economyIso(e.args.economy)}>${economyIso(e.args.recognised)}`)),
  ].sort();
  const recognitions = (
    await Promise.all(
      pairs.map(async (pair) => {
        const [economy = "", recognises = ""] = pair.split(">");
        const bitmap = await rpc(rpcUrl, "reading recognitions", () =>
          registry.recognisedSchemas(economyCode(economy), economyCode(recognises), { blockTag: block }),
        );
        return { economy, recognises, schemas: schemaIds(bitmap) };
      }),
    )
  ).filter((r) => r.schemas.length > 0);
  return {
    chainId,
    registry: deployment.registry.address,
    names: deployment.names?.address,
    block,
    economies,
    issuers,
    schemas: await listSchemas(connection, block),
    recognitions,
  };
}
