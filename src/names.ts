/**
 * Names and profiles (the CCRNames contract beside the registry): economies and their authorities named by the
 * council, issuers by their economy's authority, an issuer's own website. Read once per run and cached; every
 * output that shows an address can show the name beside it.
 */
import { getAddress } from "ethers";
import { economyCode, economyIso } from "./codes.ts";
import { CCRError } from "./errors.ts";
import { accountAddress } from "./did.ts";
import { rpc, send, type RegistryConnection, type Sent } from "./registry.ts";

export interface Profile {
  name: string;
  legalName: string;
  website: string;
}

/** An issuer's profile and the economy that accredited it (its name is unique there). */
export interface IssuerProfile extends Profile {
  economy: string;
}

export interface EconomyProfile extends Profile {
  /** The display name of the economy's authority. */
  authorityName: string;
}

function names(connection: RegistryConnection) {
  const contract = connection.names;
  if (contract === undefined) {
    throw new CCRError(
      "DEPLOYMENT_FILE",
      `the deployment file names no names contract ("names"): this framework was deployed without one`,
    );
  }
  return contract;
}

/** Looks names up once per run. Without a names contract every answer is "no name". */
export class NameBook {
  private readonly issuers = new Map<string, Promise<IssuerProfile | undefined>>();
  private readonly economies = new Map<string, Promise<EconomyProfile | undefined>>();

  constructor(private readonly connection: RegistryConnection) {}

  /** `issuer`'s profile with its economy, or undefined when it has no name. */
  issuer(issuer: string): Promise<IssuerProfile | undefined> {
    const key = issuer.toLowerCase();
    let found = this.issuers.get(key);
    if (found === undefined) {
      const contract = this.connection.names;
      const { registry } = this.connection;
      found =
        contract === undefined
          ? Promise.resolve(undefined)
          : rpc(this.connection.rpcUrl, "reading an issuer's name", async () => {
              const [{ name, legalName, website }, record] = await Promise.all([
                contract.issuerProfile(issuer),
                registry.getIssuer(issuer),
              ]);
              return name === "" ? undefined : { name, legalName, website, economy: economyIso(record.economy) };
            });
      this.issuers.set(key, found);
    }
    return found;
  }

  /** `iso`'s profile and its authority's name, or undefined when it has none. */
  economy(iso: string): Promise<EconomyProfile | undefined> {
    let found = this.economies.get(iso);
    if (found === undefined) {
      const contract = this.connection.names;
      found =
        contract === undefined
          ? Promise.resolve(undefined)
          : rpc(this.connection.rpcUrl, "reading an economy's name", async () => {
              const [{ name, legalName, website }, authorityName] = await contract.economyProfile(economyCode(iso));
              return name === "" ? undefined : { name, legalName, website, authorityName };
            });
      this.economies.set(iso, found);
    }
    return found;
  }

  /**
   * "University in Australia (did:ethr:…)", or with `withEconomy` "University in Australia (AU), did:ethr:…" (a name
   * is unique only within its economy); the identifier alone when the issuer has no name.
   */
  async labelIssuer(issuer: string, id: string = issuer, withEconomy = false): Promise<string> {
    const profile = await this.issuer(issuer);
    if (profile === undefined) return id;
    return withEconomy ? `${profile.name} (${profile.economy}), ${id}` : `${profile.name} (${id})`;
  }

  /** "Australia (AU)", or the code alone. */
  async labelEconomy(iso: string): Promise<string> {
    const profile = await this.economy(iso);
    return profile === undefined ? iso : `${profile.name} (${iso})`;
  }
}

/**
 * The address `who` stands for: an address, a did:ethr, an account of the deployment file, or an issuer's name as the
 * names contract records it, as `<economy>/<name>` ("SG/Lion City Certifiers") or a name alone when only one
 * economy's issuer has it.
 */
export async function resolveAddress(connection: RegistryConnection, who: string): Promise<string> {
  try {
    return accountAddress(connection.deployment, who);
  } catch (error) {
    if (!(error instanceof CCRError) || connection.names === undefined) throw error;
    const qualified = /^([A-Z]{2})\/(.+)$/s.exec(who);
    const name = normaliseName(qualified?.[2] ?? who);
    const economies = qualified?.[1] === undefined ? await memberEconomies(connection) : [qualified[1]];
    const found = (
      await Promise.all(economies.map(async (iso) => ({ iso, issuer: await issuerNamed(connection, iso, name) })))
    ).filter((f) => f.issuer !== undefined);
    const [only] = found;
    if (only?.issuer !== undefined && found.length === 1) return only.issuer;
    if (found.length > 1) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `"${who}" names issuers of ${found.map((f) => f.iso).join(" and ")}: say which, as ` +
          found.map((f) => `"${f.iso}/${name}"`).join(" or "),
      );
    }
    throw new CCRError(
      "INVALID_ARGUMENT",
      `"${who}" is neither an address, a did:ethr, an account of the deployment nor an issuer's name` +
        (qualified === null ? "" : ` in ${qualified[1]}`),
    );
  }
}

/** The issuer of `iso` named `name`, or undefined. */
async function issuerNamed(connection: RegistryConnection, iso: string, name: string): Promise<string | undefined> {
  const contract = names(connection);
  const named = await rpc(connection.rpcUrl, "looking up an issuer by name", () =>
    contract.issuerNamed(economyCode(iso), name),
  );
  return /^0x0{40}$/.test(named) ? undefined : getAddress(named);
}

/** The economies that are members now, from the registry's admissions. */
async function memberEconomies(connection: RegistryConnection): Promise<string[]> {
  const { registry, rpcUrl, deployment } = connection;
  const admitted = await rpc(rpcUrl, "reading the registry's economies", () =>
    registry.queryFilter(registry.filters.EconomyAdmitted(), deployment.registry.blockNumber),
  );
  const codes = [...new Set(admitted.map((e) => economyIso(e.args.economy)))];
  const members = await Promise.all(
    codes.map(async (iso) => ((await registry.getEconomy(economyCode(iso))).member ? iso : undefined)),
  );
  return members.filter((iso): iso is string => iso !== undefined);
}

/** A name as it is recorded: Unicode NFC, without spaces around it. */
export const normaliseName = (name: string): string => name.normalize("NFC").trim();

/** The form in which two names are the same name: NFC, trimmed, case-folded (beyond the contract's ASCII folding). */
const nameKey = (name: string): string => normaliseName(name).toLocaleLowerCase("und").normalize("NFC");

/**
 * Refuses `name` for `issuer` when another current issuer of the same economy has a name that differs from it only
 * in Unicode normalisation or case (which the contract, folding ASCII letters only, cannot see).
 */
async function refuseLookAlike(connection: RegistryConnection, issuer: string, name: string): Promise<void> {
  const contract = names(connection);
  const [named, record] = await rpc(connection.rpcUrl, "reading the issuers' names", () =>
    Promise.all([
      contract.queryFilter(contract.filters.IssuerNamed(), connection.deployment.registry.blockNumber),
      connection.registry.getIssuer(issuer),
    ]),
  );
  const iso = economyIso(record.economy);
  for (const event of named) {
    const other = getAddress(event.args.issuer);
    if (other === getAddress(issuer) || nameKey(event.args.name) !== nameKey(name)) continue;
    if ((await issuerNamed(connection, iso, event.args.name)) === other) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `the name "${name}" is too like "${event.args.name}", the name of ${other}, an issuer of ${iso}: ` +
          "names in one economy must differ by more than case or Unicode form",
      );
    }
  }
}

/** The council names `iso` and its authority. */
export function nameEconomy(
  connection: RegistryConnection,
  iso: string,
  profile: Profile,
  authorityName: string,
): Promise<Sent> {
  const contract = names(connection);
  return send(connection, `naming economy ${iso}`, () =>
    contract.nameEconomy(
      economyCode(iso),
      normaliseName(profile.name),
      normaliseName(profile.legalName),
      profile.website.trim(),
      normaliseName(authorityName),
    ),
  );
}

/**
 * The authority of `issuer`'s economy names it. The name is recorded in Unicode NFC without spaces around it, and
 * refused when another issuer of the economy has a name that differs from it only in case or Unicode form.
 */
export async function nameIssuer(connection: RegistryConnection, issuer: string, profile: Profile): Promise<Sent> {
  const contract = names(connection);
  const name = normaliseName(profile.name);
  await refuseLookAlike(connection, issuer, name);
  return send(connection, `naming issuer ${issuer}`, () =>
    contract.nameIssuer(issuer, name, normaliseName(profile.legalName), profile.website.trim()),
  );
}

/** The acting issuer sets its own website. */
export function setWebsite(connection: RegistryConnection, website: string): Promise<Sent> {
  const contract = names(connection);
  return send(connection, "setting the issuer's website", () => contract.setWebsite(website));
}
