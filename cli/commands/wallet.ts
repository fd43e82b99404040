/**
 * `ccr offer` and `ccr issuer-service`: credentials for holders' wallets over OpenID4VCI 1.0. `offer` checks the rows
 * as `ccr issue` does and makes one offer per row; `issuer-service` serves the endpoints wallets take them at.
 */
import { createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Jwk } from "@openid4vc/oauth2";
import { dirname, join } from "node:path";
import { Option, type Command } from "commander";
import { getAddress } from "ethers";
import { ethrDid, ethrDidResolver } from "../../src/did.ts";
import { signingMethodId } from "../../src/didKeys.ts";
import { CCRError } from "../../src/errors.ts";
import { NameBook, resolveAddress } from "../../src/names.ts";
import type { RegistryConnection } from "../../src/registry.ts";
import { credentialType } from "../../src/vc/credentialType.ts";
import { INPUT_ENCODINGS, formatProblem, readSubjects, type InputEncoding } from "../../src/vc/input.ts";
import { ANCHOR_WITHIN, startIssuerService, storeIdentity } from "../../src/wallet/app.ts";
import { PROOF_ALGORITHMS, publicJwk } from "../../src/wallet/jwt.ts";
import { makeOffers } from "../../src/wallet/offers.ts";
import { metadataFor } from "../../src/wallet/setup.ts";
import type { ServiceSigner } from "../../src/wallet/sign.ts";
import { signingAlg, type SigningAlg } from "../../src/vc/jwsAlg.ts";
import { openIssuerStore } from "../../src/wallet/openStore.ts";
import { signingKeyOf, type CommandModule, type Cli } from "../context.ts";
import { parseCount, parseDuration, parsePositive, readText } from "../parse.ts";

/** Where an issuer's service keeps its state unless told: `issuer-service/<issuer>.sqlite` beside the deployment. */
const defaultStore = (cli: Cli, issuer: string): string =>
  join(dirname(cli.deploymentFile()), "issuer-service", `${getAddress(issuer)}.sqlite`);

const ISSUER_URL = "the service's public https URL, its Credential Issuer Identifier (as wallets reach it)";

/** The issuer acted for: `--issuer`, else the acting key's account. */
async function issuerOf(connection: RegistryConnection, given: string | undefined, own: string): Promise<string> {
  return getAddress(given === undefined ? own : await resolveAddress(connection, given));
}

interface OfferOptions {
  schema?: string;
  input?: string;
  out?: string;
  issuerUrl?: string;
  issuer?: string;
  store?: string;
  pin?: boolean;
  expiresIn: number;
  skipInvalid?: boolean;
  encoding?: InputEncoding;
  withdraw?: string;
}

function offerCommand(offer: Command, cli: Cli): void {
  offer
    .option("--schema <schema>", "the credential type: a registered schema's id, name or URI")
    .option("--input <file>", "subjects without holders (no id column): a .csv or a .json array")
    .option("--out <dir>", "where offers.json, the QR codes and pins.json go")
    .option("--issuer-url <url>", ISSUER_URL)
    .option("--issuer <issuer>", "the issuer, when acting as its operator (name, address or did:ethr)")
    .option(
      "--store <file|url>",
      "the issuer service's store (default: issuer-service/<issuer>.sqlite beside the deployment; or postgres://…)",
    )
    .option("--pin", "give each offer a 6-digit PIN (tx_code), written to pins.json for another channel")
    .option("--expires-in <duration>", "how long an offer can be taken (s, m, h, d)", parseDuration, 7 * 86_400)
    .option("--skip-invalid", "offer the valid rows and report the bad ones")
    .addOption(
      new Option("--encoding <encoding>", "the input's encoding, when not UTF-8").choices([...INPUT_ENCODINGS]),
    )
    .option("--withdraw <offer>", "withdraw an offer (its id in offers.json): its code is refused from then on")
    .action(async (options: OfferOptions) => {
      const { connection, wallet } = await cli.open(true);
      const issuer = await issuerOf(connection, options.issuer, wallet?.address ?? "");
      const store = await openIssuerStore(options.store ?? defaultStore(cli, issuer));
      try {
        if (options.withdraw !== undefined) {
          const was = await store.withdrawOffer(options.withdraw);
          if (was === undefined)
            throw new CCRError("INVALID_ARGUMENT", `${store.location} has no offer ${options.withdraw}`);
          console.log(
            was === "open"
              ? `withdrew offer ${options.withdraw}: its code is refused from now on`
              : `offer ${options.withdraw} was ${was} already; nothing changed`,
          );
          return;
        }
        const { schema, input: file, out, issuerUrl } = options;
        if (schema === undefined || file === undefined || out === undefined || issuerUrl === undefined) {
          throw new CCRError("INVALID_ARGUMENT", "an offer needs --schema, --input, --out and --issuer-url");
        }
        const type = await credentialType(connection, schema, cli.schemaSources());
        const metadata = await metadataFor(connection, issuer, issuerUrl, cli.schemaSources());
        await store.bind(storeIdentity(connection, issuer, metadata));
        if (![...metadata.configurations.values()].some((c) => c.type.id === type.id)) {
          throw new CCRError("INVALID_ARGUMENT", `${issuer} is not accredited for "${type.name}": it cannot offer it`);
        }
        const input = await readSubjects(file, type, options.encoding, "wallet");
        const result = await makeOffers({
          store,
          metadata,
          type,
          input,
          outDir: out,
          pin: options.pin === true,
          expiresIn: options.expiresIn,
          skipInvalid: options.skipInvalid,
        });
        for (const problem of result.skipped) console.error(`skipped ${file} ${formatProblem(problem)}`);
        console.log(
          `offered ${result.offers.length} "${type.name}" credential(s) from ${ethrDid(connection.chainId, issuer)}, ` +
            `valid until ${result.offers[0]?.expiresAt ?? "-"}: ${result.file}` +
            (result.pins === undefined ? "" : `; PINs in ${result.pins} (send them another way)`),
        );
      } finally {
        await store.close();
      }
    });
}

interface ServiceOptions {
  issuerUrl: string;
  issuer?: string;
  store?: string;
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  batchSize: number;
  window: number;
  lifetime?: number;
  signingKeystore?: string;
  signingAlg?: string[];
  anchorWithin?: number;
  instance?: string;
  lease?: number;
}

/** `--signing-alg <configuration>=<alg>`, repeated: the algorithm of each configuration named. */
function chosenAlgs(given: readonly string[]): Map<string, SigningAlg> {
  const chosen = new Map<string, SigningAlg>();
  for (const value of given) {
    const [id = "", alg, ...rest] = value.split("=");
    if (id === "" || alg === undefined || rest.length > 0) {
      throw new CCRError("INVALID_ARGUMENT", `--signing-alg ${value}: write <configuration>=<ES256|ES256K>`);
    }
    chosen.set(id, signingAlg(alg));
  }
  return chosen;
}

/**
 * The keys the service signs with, and each configuration's algorithm: the signing keystore's (or the acting key's)
 * unless `--signing-alg` says otherwise; ES256K is signed with the acting key when the keystore holds a P-256 key.
 */
async function serviceSigning(
  connection: RegistryConnection,
  acting: { privateKey: string },
  issuer: string,
  options: ServiceOptions,
): Promise<{ keys: ServiceSigner["keys"]; algOf: (configurationId: string) => SigningAlg; chosen: Set<string> }> {
  const stored = await signingKeyOf(acting, options.signingKeystore);
  const held: Partial<Record<SigningAlg, string>> = { ES256K: acting.privateKey, [stored.alg]: stored.privateKey };
  const chosen = chosenAlgs(options.signingAlg ?? []);
  const resolver = ethrDidResolver(connection.chainId, connection.deployment.didRegistry.address, connection.provider);
  const keys: ServiceSigner["keys"] = {};
  for (const alg of new Set([stored.alg, ...chosen.values()])) {
    const signingKey = held[alg];
    if (signingKey === undefined) {
      throw new CCRError(
        "KEY_UNAVAILABLE",
        `--signing-alg asks for ${alg}, and the service holds no P-256 key: make one (ccr key new --alg ES256), ` +
          "add it to the issuer's DID (ccr did add-key) and give it with --signing-keystore",
      );
    }
    const kid = await signingMethodId(resolver, ethrDid(connection.chainId, issuer), signingKey, alg);
    keys[alg] = { signingKey, kid };
  }
  return { keys, algOf: (id) => chosen.get(id) ?? stored.alg, chosen: new Set(chosen.keys()) };
}

/** The TLS key and certificate the service serves with; wallets insist on HTTPS. */
async function tlsOf(options: ServiceOptions): Promise<{ key: string; cert: string } | undefined> {
  if (options.tlsCert === undefined && options.tlsKey === undefined) return undefined;
  if (options.tlsCert === undefined || options.tlsKey === undefined) {
    throw new CCRError("INVALID_ARGUMENT", "--tls-cert and --tls-key go together");
  }
  return { cert: await readText(options.tlsCert), key: await readText(options.tlsKey) };
}

function issuerServiceCommand(command: Command, cli: Cli): void {
  command
    .requiredOption("--issuer-url <url>", ISSUER_URL)
    .option("--issuer <issuer>", "the issuer, when acting as its operator (name, address or did:ethr)")
    .option(
      "--store <file|url>",
      "the service's store: an SQLite file (default: issuer-service/<issuer>.sqlite beside the deployment), or " +
        "postgres://… for several service processes sharing one (password in PGPASSWORD or ~/.pgpass)",
    )
    .option(
      "--instance <name>",
      "this process's name among those sharing the store: the same when it starts again (default: host:port)",
    )
    .option(
      "--lease <seconds>",
      "seconds after which a process sharing the store and not heard from is taken for gone: its batches are " +
        "closed and anchored by the others (default: 30)",
      parsePositive,
    )
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option("--port <port>", "the port to listen on (0: any free one)", parseCount, 8443)
    .option("--tls-cert <file>", "the certificate chain to serve HTTPS with (PEM)")
    .option("--tls-key <file>", "its private key (PEM)")
    .option("--batch-size <n>", "credentials per Merkle batch at most", parsePositive, 1000)
    .option("--window <seconds>", "seconds a batch stays open before it is anchored", parsePositive, 2)
    .option(
      "--anchor-within <seconds>",
      "a credential handed out is anchored within this many seconds (more than --window); while the anchoring lags " +
        `behind that, wallets are told to come back for their credentials (deferred) (default: ${ANCHOR_WITHIN}, or ` +
        "three windows when that is more)",
      parsePositive,
    )
    .option("--lifetime <duration>", "how long credentials are valid (s, m, h, d; default: no expiry)", parseDuration)
    .option(
      "--signing-keystore <file>",
      "sign with this keystore (a signing key of the issuer's DID: secp256k1 signs ES256K, P-256 ES256, as the " +
        "metadata says)",
    )
    .option(
      "--signing-alg <configuration=alg>",
      "sign one credential configuration with ES256 or ES256K (repeatable; default: the signing keystore's " +
        "algorithm; ES256K signs with the acting key when the keystore is P-256)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action((options: ServiceOptions) => runIssuerService(options, cli));
}

/** Refuses `--signing-alg` for a configuration the service does not offer, naming those it does. */
function checkChosen(chosen: ReadonlySet<string>, configurations: ReadonlyMap<string, unknown>): void {
  const unknown = [...chosen].filter((id) => !configurations.has(id));
  if (unknown.length > 0) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `--signing-alg names ${unknown.join(", ")}, which this service does not offer; its configurations: ` +
        [...configurations.keys()].join(", "),
    );
  }
}

/** `ccr issuer-service`: serves until SIGINT or SIGTERM, then anchors what it handed out (or says what is left). */
async function runIssuerService(options: ServiceOptions, cli: Cli): Promise<void> {
  const { connection, wallet } = await cli.withSigner();
  const issuer = await issuerOf(connection, options.issuer, wallet.address);
  const signing = await serviceSigning(connection, wallet, issuer, options);
  const metadata = await metadataFor(connection, issuer, options.issuerUrl, cli.schemaSources(), signing.algOf);
  checkChosen(signing.chosen, metadata.configurations);
  const store = await openIssuerStore(options.store ?? defaultStore(cli, issuer));
  const service = await startIssuerService({
    connection,
    metadata,
    store,
    signer: {
      chainId: connection.chainId,
      registry: connection.deployment.registry.address,
      issuer,
      keys: signing.keys,
    },
    anchorer: wallet.address,
    policy: { size: options.batchSize, window: options.window, lifetime: options.lifetime ?? 0 },
    anchorWithin: options.anchorWithin,
    instance: options.instance,
    lease: options.lease,
    listen: { host: options.host, port: options.port, tls: await tlsOf(options) },
    log: (line) => console.error(`ccr issuer-service: ${line}`),
  });
  console.log(
    `ccr issuer-service: ${metadata.endpoints.credentialIssuer} (listening on ${service.url}) issues ` +
      `${[...metadata.configurations.keys()].join(", ")} for ${ethrDid(connection.chainId, issuer)}; store ${store.location}`,
  );
  process.removeAllListeners("SIGINT");
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, resolve);
  });
  const left = await service.close();
  await store.close();
  console.log(
    left === 0
      ? "ccr issuer-service: stopped; every credential it handed out is anchored"
      : `ccr issuer-service: stopped with ${left} batch(es) not anchored yet: the next start anchors them first`,
  );
}

/** A public key from a file: a JWK (JSON) or a PEM public key; a private key is refused. */
async function publicKeyFile(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, "utf8").catch((cause: unknown) => {
    throw new CCRError("INVALID_ARGUMENT", `cannot read ${file}: ${String(cause)}`, { cause });
  });
  let jwk: Record<string, unknown>;
  try {
    jwk = text.trim().startsWith("{")
      ? (JSON.parse(text) as Record<string, unknown>)
      : createPublicKey(text).export({ format: "jwk" });
  } catch (cause) {
    throw new CCRError("INVALID_ARGUMENT", `${file} is neither a JWK nor a PEM public key`, { cause });
  }
  if ("d" in jwk) throw new CCRError("INVALID_ARGUMENT", `${file} holds a private key: register its public key only`);
  const { kty, crv } = jwk;
  if (!Object.values(PROOF_ALGORITHMS).some((a) => a.kty === kty && a.crv === crv)) {
    throw new CCRError(
      "INVALID_ARGUMENT",
      `${file}: a ${String(kty)} ${String(crv)} key; use P-256, secp256k1 or Ed25519`,
    );
  }
  return publicJwk(jwk as Jwk);
}

function attesterCommand(attester: Command, cli: Cli): void {
  const storeOf = async (options: { issuer?: string; store?: string }) => {
    const { connection, wallet } = await cli.open(true);
    const issuer = await issuerOf(connection, options.issuer, wallet?.address ?? "");
    return { connection, issuer, store: await openIssuerStore(options.store ?? defaultStore(cli, issuer)) };
  };
  const common = (command: Command): Command =>
    command
      .option("--issuer <issuer>", "the issuer (the device maker), when acting as its operator")
      .option(
        "--store <file|url>",
        "the issuer service's store (default: issuer-service/<issuer>.sqlite beside the deployment; or postgres://…)",
      );
  common(
    attester
      .command("add <kid> <public-key-file>")
      .description("register a key that attests devices' keys (a JWK or PEM public key); its attestations name <kid>")
      .option("--schema <schema>", "the credential its devices get", "device")
      .option("--manufacturer <name>", "the manufacturer its devices' credentials name (default: the issuer's name)"),
  ).action(
    async (
      kid: string,
      file: string,
      options: { issuer?: string; store?: string; schema: string; manufacturer?: string },
    ) => {
      const { connection, issuer, store } = await storeOf(options);
      try {
        const jwk = await publicKeyFile(file);
        const type = await credentialType(connection, options.schema, cli.schemaSources());
        const manufacturer = options.manufacturer ?? (await new NameBook(connection).issuer(issuer))?.name ?? issuer;
        if ((await store.attester(kid)) !== undefined) {
          throw new CCRError("INVALID_ARGUMENT", `${store.location} has an attestation key "${kid}" already`);
        }
        await store.addAttester({
          kid,
          jwk,
          schemaId: type.id,
          manufacturer,
          registeredAt: Math.floor(Date.now() / 1000),
        });
        console.log(
          `registered attestation key "${kid}" (${String(jwk.crv)}): its devices get "${type.name}" credentials from ${manufacturer}`,
        );
      } finally {
        await store.close();
      }
    },
  );
  common(
    attester.command("revoke <kid>").description("revoke an attestation key: its attestations are refused from now on"),
  ).action(async (kid: string, options: { issuer?: string; store?: string }) => {
    const { store } = await storeOf(options);
    try {
      if (!(await store.revokeAttester(kid, Math.floor(Date.now() / 1000)))) {
        throw new CCRError("INVALID_ARGUMENT", `${store.location} has no unrevoked attestation key "${kid}"`);
      }
      console.log(`revoked attestation key "${kid}": devices it attested are refused from now on`);
    } finally {
      await store.close();
    }
  });
  common(attester.command("list").description("the registered attestation keys")).action(
    async (options: { issuer?: string; store?: string }) => {
      const { store } = await storeOf(options);
      try {
        for (const a of await store.attesters()) {
          const revoked = a.revokedAt === undefined ? "" : `, revoked ${new Date(a.revokedAt * 1000).toISOString()}`;
          console.log(`${a.kid}  ${String(a.jwk.crv)}  schema ${a.schemaId}  ${a.manufacturer}${revoked}`);
        }
      } finally {
        await store.close();
      }
    },
  );
}

export const commands: CommandModule = {
  offer: offerCommand,
  "issuer-service": issuerServiceCommand,
  attester: attesterCommand,
};
