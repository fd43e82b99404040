import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { generateKeyPairSync } from "node:crypto";
import {
  Wallet,
  computeAddress,
  decryptKeystoreJson,
  encryptKeystoreJson,
  hexlify,
  type HDNodeWallet,
  type Provider,
} from "ethers";
import { devnetWallet } from "./devnet.ts";
import type { Deployment } from "./deployment.ts";
import { CCRError } from "./errors.ts";
import { KEYSTORE_PASSWORD_ENV } from "./settings.ts";
import { p256PublicKeyHex, type SigningAlg } from "./vc/jwsAlg.ts";

/** Where a key comes from; never the command line itself. */
export interface KeySource {
  /** A seeded devnet account by name (devnet deployments only). */
  as?: string | undefined;
  /** An encrypted JSON keystore (password from `passwordEnv`, else a prompt). */
  keystore?: string | undefined;
  /** The name of an environment variable holding a private key. */
  keyEnv?: string | undefined;
}

export { KEYSTORE_PASSWORD_ENV };

/** Asks for a password on the terminal without echoing it. */
export async function promptPassword(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CCRError(
      "KEY_UNAVAILABLE",
      `no terminal to ask for the keystore password; set ${KEYSTORE_PASSWORD_ENV} in the environment`,
    );
  }
  process.stderr.write(question);
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question("", resolve));
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}

/** The field a P-256 keystore names its algorithm in (ethers' keystore format otherwise, without an address). */
const ALG_FIELD = "ccr:alg";
/** The field holding a P-256 keystore's public key (uncompressed, hex), readable without the password. */
const PUBLIC_KEY_FIELD = "ccr:publicKey";

/** A new encrypted keystore (ethers' JSON format, scrypt) of a new key for `alg`, and its public name. */
export async function newKeystore(alg: SigningAlg, password: string): Promise<{ json: string; name: string }> {
  if (alg === "ES256K") {
    const wallet = Wallet.createRandom();
    return { json: await wallet.encrypt(password), name: wallet.address };
  }
  const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  const privateKey = hexlify(Buffer.from(jwk.d ?? "", "base64url"));
  const json = JSON.parse(
    await encryptKeystoreJson({ address: computeAddress(privateKey), privateKey }, password),
  ) as Record<string, unknown>;
  // Its secp256k1 address would name a key nobody uses: a P-256 keystore names its algorithm and public key instead.
  delete json.address;
  const publicKey = p256PublicKeyHex(privateKey);
  return { json: JSON.stringify({ ...json, [ALG_FIELD]: "ES256", [PUBLIC_KEY_FIELD]: publicKey }), name: publicKey };
}

async function readKeystore(file: string): Promise<{ json: string; alg: SigningAlg }> {
  let json: string;
  try {
    json = await readFile(file, "utf8");
  } catch (cause) {
    throw new CCRError("KEY_UNAVAILABLE", `cannot read keystore ${file}`, { cause });
  }
  let alg: unknown;
  try {
    alg = (JSON.parse(json) as Record<string, unknown>)[ALG_FIELD];
  } catch (cause) {
    throw new CCRError("KEY_UNAVAILABLE", `cannot open keystore ${file}: not a JSON keystore`, { cause });
  }
  if (alg !== undefined && alg !== "ES256") {
    throw new CCRError(
      "KEY_UNAVAILABLE",
      `keystore ${file} names the algorithm ${JSON.stringify(alg)}, which ccr does not know`,
    );
  }
  return { json, alg: alg ?? "ES256K" };
}

async function keystoreWallet(file: string, passwordEnv: string): Promise<Wallet | HDNodeWallet> {
  const { json, alg } = await readKeystore(file);
  if (alg === "ES256") {
    throw new CCRError(
      "KEY_UNAVAILABLE",
      `keystore ${file} holds a P-256 (ES256) signing key: it signs credentials (--signing-keystore), it cannot ` +
        "act on the chain; give an Ethereum account's keystore here",
    );
  }
  const password = process.env[passwordEnv] ?? (await promptPassword(`Password for ${file}: `));
  try {
    return await Wallet.fromEncryptedJson(json, password);
  } catch (cause) {
    throw new CCRError("KEY_UNAVAILABLE", `cannot open keystore ${file}: wrong password or not a JSON keystore`, {
      cause,
    });
  }
}

/**
 * The key that signs credentials from the keystore `file` (password in `passwordEnv`, else a prompt): a secp256k1
 * key (ES256K) or a P-256 one (ES256, see `newKeystore`), with its algorithm.
 */
export async function loadSigningKeystore(
  file: string,
  passwordEnv: string,
): Promise<{ privateKey: string; alg: SigningAlg }> {
  const { json, alg } = await readKeystore(file);
  const password = process.env[passwordEnv] ?? (await promptPassword(`Password for ${file}: `));
  try {
    return { privateKey: (await decryptKeystoreJson(json, password)).privateKey, alg };
  } catch (cause) {
    throw new CCRError("KEY_UNAVAILABLE", `cannot open keystore ${file}: wrong password or not a JSON keystore`, {
      cause,
    });
  }
}

/**
 * The wallet a command acts with, connected to `provider`: a devnet account by name (`--as`), an encrypted keystore
 * (`--keystore`), or a private key in a named environment variable (`--key-env`). Exactly one must be given.
 */
export async function loadWallet(
  deployment: Deployment,
  provider: Provider,
  source: KeySource,
  passwordEnv = KEYSTORE_PASSWORD_ENV,
): Promise<Wallet | HDNodeWallet> {
  const given = [source.as, source.keystore, source.keyEnv].filter((s) => s !== undefined);
  if (given.length !== 1) {
    throw new CCRError(
      "KEY_UNAVAILABLE",
      "this command needs a key: --as <devnet account>, --keystore <file> or --key-env <variable>, exactly one",
    );
  }
  if (source.as !== undefined) {
    const account = deployment.accounts[source.as];
    if (deployment.network !== "devnet" || account?.hdIndex === undefined) {
      const names = Object.keys(deployment.accounts).filter((n) => !n.startsWith("authority-"));
      throw new CCRError(
        "KEY_UNAVAILABLE",
        deployment.network === "devnet"
          ? `no devnet account "${source.as}"; accounts: ${names.join(", ")}, authority-<xx>`
          : "--as only works with the devnet's seeded accounts; use --keystore or --key-env",
      );
    }
    return devnetWallet(account.hdIndex, provider);
  }
  if (source.keystore !== undefined) return (await keystoreWallet(source.keystore, passwordEnv)).connect(provider);
  const variable = source.keyEnv ?? "";
  // A key pasted where the variable's name goes must not be echoed back (to a terminal, a CI log, a shell history).
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
    throw new CCRError(
      "KEY_UNAVAILABLE",
      `--key-env takes the name of an environment variable (e.g. CCR_KEY), not a key; what was given is not shown. ` +
        `If it was a private key, consider it exposed (shell history) and move it into a variable or a keystore`,
    );
  }
  const key = process.env[variable];
  if (key === undefined || key === "") {
    throw new CCRError("KEY_UNAVAILABLE", `the environment variable ${variable} holds no private key`);
  }
  try {
    return new Wallet(key, provider);
  } catch (cause) {
    throw new CCRError("KEY_UNAVAILABLE", `the environment variable ${variable} does not hold a private key`, {
      cause,
    });
  }
}
