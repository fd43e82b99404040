/** `ccr present`: a holder's presentation of credentials for one verifier and one request. */
import type { Command } from "commander";
import { readDeployment } from "../../src/deployment.ts";
import { loadWallet } from "../../src/keys.ts";
import { rpcProvider } from "../../src/registry.ts";
import { credentialFiles, readCredentialFile, writeFileAtomic } from "../../src/vc/file.ts";
import { PRESENTATION_LIFETIME, presentCredentials } from "../../src/vc/presentation.ts";
import type { CommandModule, Cli } from "../context.ts";
import { parsePositive } from "../parse.ts";

function presentCommand(present: Command, cli: Cli): void {
  const { deploymentFile, globals } = cli;
  present
    .requiredOption("--audience <verifier>", "the verifier the presentation is for (as it names itself)")
    .requiredOption("--nonce <value>", "the challenge the verifier gave you")
    .option("--disclose <fields>", "SD-JWT only: the fields to disclose, comma-separated (default: all)", (v: string) =>
      v.split(",").map((f) => f.trim()),
    )
    .option("--lifetime <seconds>", "how long the presentation stays valid", parsePositive, PRESENTATION_LIFETIME)
    .option("--out <file>", "write the presentation to this file (default: print it)")
    .action(
      async (
        paths: string[],
        options: { audience: string; nonce: string; disclose?: string[]; lifetime: number; out?: string },
      ) => {
        const files = await credentialFiles(paths);
        const credentials = await Promise.all(files.map(readCredentialFile));
        const deployment = await readDeployment(deploymentFile());
        const holder = await loadWallet(deployment, rpcProvider(deployment.rpcUrl, deployment.chainId), globals());
        const presented = await presentCredentials({
          credentials,
          holderKey: holder.privateKey,
          audience: options.audience,
          nonce: options.nonce,
          lifetime: options.lifetime,
          disclose: options.disclose,
        });
        if (options.out === undefined) console.log(presented.text);
        else {
          await writeFileAtomic(options.out, `${presented.text}\n`);
          console.log(
            `presented ${files.length} credential(s) of ${presented.holder} to ${options.audience}: ${options.out}`,
          );
        }
      },
    );
}

export const commands: CommandModule = { present: presentCommand };
