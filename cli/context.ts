/**
 * What every command of `ccr` shares once it runs: the deployment file, the registry connection with the acting key
 * (a `ManagedSigner`), the line printed for a transaction, the progress bar. Imported by the command modules only, so
 * that `ccr --help` does not load the SDK.
 */
import { dirname, join } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { getAddress } from "ethers";
import { DEPLOYMENT_ENV, locateDeployment, readDeployment, type Deployment } from "../src/deployment.ts";
import { CCRError } from "../src/errors.ts";
import { loadSigningKeystore, loadWallet, type KeySource } from "../src/keys.ts";
import { connectRegistry, describeCall, rpcProvider, type RegistryConnection, type Sent } from "../src/registry.ts";
import type { SchemaSources } from "../src/schemaResolver.ts";
import { ManagedSigner, transactionPolicy } from "../src/transactions.ts";
import type { SigningAlg } from "../src/vc/jwsAlg.ts";

/** The global options (`ccr --help`). */
export interface GlobalOptions extends KeySource {
  rpc?: string;
  rpcTimeout: number;
  deployment?: string;
  confirmations?: number;
  txTimeout?: number;
  replaceAfter?: number;
  maxFee?: number;
}

/** What a command module gets from the program. */
/** What a command module exports: each command's name and the function that adds it to the program. */
export type CommandModule = Record<string, (command: Command, cli: Cli) => void>;

export interface Cli {
  globals: () => GlobalOptions;
  /** The deployment file this run uses (see `locateDeployment`). */
  deploymentFile: () => string;
  /** The registry, with the acting key when `withKey`. */
  open: (withKey: boolean) => Promise<{ connection: RegistryConnection; wallet?: ManagedSigner }>;
  /** The registry with the acting key, once whatever an earlier run of that key left pending is settled. */
  withSigner: () => Promise<{ connection: RegistryConnection; wallet: ManagedSigner }>;
  /** Prints what a transaction did, with its hash and block. */
  done: (what: string, sent: Sent) => void;
  /** A progress bar on a terminal; undefined when stderr is not one. */
  progressBar: () => SingleBar | undefined;
  /** Where `ccr` looks for schema documents: the `schemas` folder next to the deployment file (and its cache). */
  schemaSources: () => SchemaSources;
  /** An issuer's status register: `status-lists/<issuer address>.json` beside the deployment file. */
  defaultStatusRegister: (issuer: string) => string;
}

export function cliContext(program: Command): Cli {
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const deploymentFile = (): string => {
    const file = locateDeployment(globals().deployment);
    if (file === undefined) {
      throw new CCRError(
        "DEPLOYMENT_FILE",
        `no deployment file: none named with --deployment or $${DEPLOYMENT_ENV}, and no .devnet/deployment.json in ` +
          `${process.cwd()} or a folder above it (start the devnet with "npm run devnet" in the project folder)`,
      );
    }
    return file;
  };
  const open = async (withKey: boolean): Promise<{ connection: RegistryConnection; wallet?: ManagedSigner }> => {
    const options = globals();
    const deployment: Deployment = await readDeployment(deploymentFile());
    const rpcUrl = options.rpc ?? deployment.rpcUrl;
    const provider = rpcProvider(rpcUrl, deployment.chainId, options.rpcTimeout * 1000);
    const wallet = withKey
      ? new ManagedSigner(
          await loadWallet(deployment, provider, options),
          provider,
          transactionPolicy(deployment, options),
          { log: (line) => console.error(`ccr: ${line}`), describe: describeCall },
        )
      : undefined;
    const connection = await connectRegistry(deployment, {
      rpcUrl,
      provider,
      ...(wallet === undefined ? {} : { signer: wallet }),
    });
    return wallet === undefined ? { connection } : { connection, wallet };
  };
  return {
    globals,
    deploymentFile,
    open,
    withSigner: async () => {
      const { connection, wallet } = await open(true);
      if (wallet === undefined) throw new CCRError("KEY_UNAVAILABLE", "this command needs a key");
      await wallet.settle();
      return { connection, wallet };
    },
    done: (what, sent) => console.log(`${what} (transaction ${sent.transaction}, block ${sent.blockNumber})`),
    progressBar: () =>
      process.stderr.isTTY
        ? new SingleBar({
            format: "{phase} [{bar}] {value}/{total} {percentage}% eta {eta}s",
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: true,
          })
        : undefined,
    schemaSources: () => ({
      folders: [join(dirname(deploymentFile()), "schemas")],
      timeoutMs: globals().rpcTimeout * 1000,
    }),
    defaultStatusRegister: (issuer) => join(dirname(deploymentFile()), "status-lists", `${getAddress(issuer)}.json`),
  };
}

/**
 * The key that signs credentials and its algorithm: the acting key (ES256K), or with `keystore` a signing key of the
 * issuer's DID (secp256k1 or P-256; its password in $CCR_SIGNING_KEYSTORE_PASSWORD). `alg`, when given, must be the
 * key's: an ES256 run needs a P-256 keystore, and the other way round.
 */
export async function signingKeyOf(
  acting: { privateKey: string },
  keystore: string | undefined,
  alg?: SigningAlg,
): Promise<{ privateKey: string; alg: SigningAlg }> {
  const key =
    keystore === undefined
      ? { privateKey: acting.privateKey, alg: "ES256K" as const }
      : await loadSigningKeystore(keystore, "CCR_SIGNING_KEYSTORE_PASSWORD");
  if (alg !== undefined && alg !== key.alg) {
    const which = keystore === undefined ? "the acting key" : `the keystore ${keystore}`;
    const curve = key.alg === "ES256" ? "P-256" : "secp256k1";
    throw new CCRError(
      "KEY_UNAVAILABLE",
      `--alg ${alg} cannot sign with ${which}: it holds a ${curve} key (${key.alg}).` +
        (alg === "ES256"
          ? " Make a P-256 key (ccr key new --alg ES256 --out <file>), add it to the issuer's DID (ccr did add-key " +
            "<its public key>) and give it with --signing-keystore"
          : " Leave --alg out to sign with its own algorithm"),
    );
  }
  return key;
}
