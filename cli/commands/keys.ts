/** `ccr key` (encrypted keystores) and `ccr did` (the acting key's DID, and signing keys of its did:ethr document). */
import { constants } from "node:fs";
import { chmod, copyFile, mkdir, rename, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { Option, type Command } from "commander";
import { readDeployment } from "../../src/deployment.ts";
import { ethrDid } from "../../src/did.ts";
import { addSigningKey, revokeSigningKey, signingKeyRef } from "../../src/didKeys.ts";
import { CCRError } from "../../src/errors.ts";
import { HOLDER_DID_METHODS, holderDidOf } from "../../src/holder.ts";
import { KEYSTORE_PASSWORD_ENV, loadWallet, newKeystore, promptPassword } from "../../src/keys.ts";
import { rpcProvider } from "../../src/registry.ts";
import { SIGNING_ALGS, type SigningAlg } from "../../src/vc/jwsAlg.ts";
import type { CommandModule, Cli } from "../context.ts";
import { parsePositive } from "../parse.ts";

function keyCommand(key: Command): void {
  key
    .command("new")
    .description(`create an encrypted JSON keystore with a new key (password: $${KEYSTORE_PASSWORD_ENV} or prompt)`)
    .requiredOption("--out <file>", "where to write the keystore (an existing file is never overwritten)")
    .option("--replace", "replace an existing keystore at --out, keeping it as <file>.bak-<time> (its key is not lost)")
    .addOption(
      new Option(
        "--alg <alg>",
        "ES256K: an Ethereum account (acts on the chain, signs ES256K); ES256: a P-256 key that only signs " +
          "credentials, once added to an issuer's DID (ccr did add-key <its public key>)",
      )
        .choices([...SIGNING_ALGS])
        .default("ES256K"),
    )
    .action(async (options: { out: string; replace?: boolean; alg: SigningAlg }) => {
      const existing = await stat(options.out).catch(() => undefined);
      if (existing !== undefined && options.replace !== true) {
        throw new CCRError(
          "INVALID_ARGUMENT",
          `${options.out} exists: a keystore there would lose its key. Choose another --out, or --replace to keep ` +
            "it as a backup beside the new one",
        );
      }
      const password = process.env[KEYSTORE_PASSWORD_ENV] ?? (await promptPassword("Password for the new keystore: "));
      if (password.length < 8)
        throw new CCRError("INVALID_ARGUMENT", "the keystore password needs at least 8 characters");
      const { json: encrypted, name } = await newKeystore(options.alg, password);
      await mkdir(dirname(options.out), { recursive: true });
      let backup = "";
      if (existing !== undefined) {
        backup = `${options.out}.bak-${new Date().toISOString().replace(/[:.]/g, "-")}`;
        await copyFile(options.out, backup, constants.COPYFILE_EXCL);
        await chmod(backup, 0o600);
      }
      // Written beside it and renamed: readable by its owner only (0600), whatever mode a file there had.
      const temporary = `${options.out}.${process.pid}.tmp`;
      await writeFile(temporary, encrypted, { mode: 0o600, flag: "wx" });
      await chmod(temporary, 0o600);
      await rename(temporary, options.out);
      const what = options.alg === "ES256" ? `the P-256 signing key ${name}` : name;
      console.log(
        `created ${options.out} for ${what}` + (backup === "" ? "" : `; the keystore it replaced is ${backup}`),
      );
    });
}

function didCommand(did: Command, cli: Cli): void {
  const { withSigner, deploymentFile, globals } = cli;
  did
    .command("show")
    .description("the DID of the acting key (--as, --keystore or --key-env): the holder DID to give an issuer")
    .option("--method <method>", `the DID method: ${HOLDER_DID_METHODS.join(", ")}`, "ethr")
    .action(async (options: { method: string }) => {
      const method = HOLDER_DID_METHODS.find((m) => m === options.method);
      if (method === undefined) {
        throw new CCRError(
          "INVALID_ARGUMENT",
          `--method ${options.method} is not one of ${HOLDER_DID_METHODS.join(", ")}`,
        );
      }
      const deployment = await readDeployment(deploymentFile());
      const wallet = await loadWallet(deployment, rpcProvider(deployment.rpcUrl, deployment.chainId), globals());
      console.log(holderDidOf(method, wallet.privateKey, deployment.chainId));
    });
  did
    .command("add-key <key>")
    .description(
      "add a signing key to the acting account's DID: an address (secp256k1, ES256K; a veriKey delegate) or a " +
        "P-256 public key 0x04… (ES256; as ccr key new --alg ES256 prints it)",
    )
    .option("--days <n>", "how long the key is valid", parsePositive, 365)
    .action(async (key: string, options: { days: number }) => {
      const { connection, wallet } = await withSigner();
      const { alg, value } = signingKeyRef(key);
      const tx = await addSigningKey(connection.deployment.didRegistry.address, wallet, value, options.days * 86_400);
      console.log(
        `${ethrDid(connection.chainId, wallet.address)}: added ${alg} signing key ${value} for ${options.days} days (transaction ${tx})`,
      );
    });
  did
    .command("revoke-key <key>")
    .description(
      "revoke a signing key (address or P-256 public key) of the acting account's DID (credentials it signed " +
        "before stay valid)",
    )
    .action(async (key: string) => {
      const { connection, wallet } = await withSigner();
      const { alg, value } = signingKeyRef(key);
      const tx = await revokeSigningKey(connection.deployment.didRegistry.address, wallet, value);
      console.log(
        `${ethrDid(connection.chainId, wallet.address)}: revoked ${alg} signing key ${value} (transaction ${tx})`,
      );
    });
}

export const commands: CommandModule = { key: keyCommand, did: didCommand };
