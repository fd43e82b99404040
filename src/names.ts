/**
 * Names and profiles (the CCRNames contract beside the registry): economies and their authorities named by the
 * council, issuers by their economy's authority, an issuer's own website. Read once per run and cached; every
 * output that shows an address can show the name beside it.
 */
import { getAddress } from "ethers";
import { economyCode } from "./codes.ts";
import { CCRError } from "./errors.ts";
import { accountAddress } from "./did.ts";
import { rpc, send, type RegistryConnection, type Sent } from "./registry.ts";

export interface Profile {
  name: string;
  legalName: string;
  website: string;
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
  private readonly issuers = new Map<string, Promise<Profile | undefined>>();
  private readonly economies = new Map<string, Promise<EconomyProfile | undefined>>();

  constructor(private readonly connection: RegistryConnection) {}

  /** `issuer`'s profile, or undefined when it has none. */
  issuer(issuer: string): Promise<Profile | undefined> {
    const key = issuer.toLowerCase();
    let found = this.issuers.get(key);
    if (found === undefined) {
      const contract = this.connection.names;
      found =
        contract === undefined
          ? Promise.resolve(undefined)
          : rpc(this.connection.rpcUrl, "reading an issuer's name", async () => {
              const { name, legalName, website } = await contract.issuerProfile(issuer);
              return name === "" ? undefined : { name, legalName, website };
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

  /** "University in Australia (did:ethr:…)", or the identifier alone when the issuer has no name. */
  async labelIssuer(issuer: string, id: string = issuer): Promise<string> {
    const profile = await this.issuer(issuer);
    return profile === undefined ? id : `${profile.name} (${id})`;
  }

  /** "Australia (AU)", or the code alone. */
  async labelEconomy(iso: string): Promise<string> {
    const profile = await this.economy(iso);
    return profile === undefined ? iso : `${profile.name} (${iso})`;
  }
}

/**
 * The address `who` stands for: an address, a did:ethr, an account of the deployment file, or an issuer's name as
 * the names contract records it.
 */
export async function resolveAddress(connection: RegistryConnection, who: string): Promise<string> {
  try {
    return accountAddress(connection.deployment, who);
  } catch (error) {
    const contract = connection.names;
    if (!(error instanceof CCRError) || contract === undefined) throw error;
    const named = await rpc(connection.rpcUrl, "looking up an issuer by name", () => contract.issuerNamed(who));
    if (/^0x0{40}$/.test(named)) {
      throw new CCRError(
        "INVALID_ARGUMENT",
        `"${who}" is neither an address, a did:ethr, an account of the deployment nor an issuer's name`,
      );
    }
    return getAddress(named);
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
    contract.nameEconomy(economyCode(iso), profile.name, profile.legalName, profile.website, authorityName),
  );
}

/** The authority of `issuer`'s economy names it. */
export function nameIssuer(connection: RegistryConnection, issuer: string, profile: Profile): Promise<Sent> {
  const contract = names(connection);
  return send(connection, `naming issuer ${issuer}`, () =>
    contract.nameIssuer(issuer, profile.name, profile.legalName, profile.website),
  );
}

/** The acting issuer sets its own website. */
export function setWebsite(connection: RegistryConnection, website: string): Promise<Sent> {
  const contract = names(connection);
  return send(connection, "setting the issuer's website", () => contract.setWebsite(website));
}
