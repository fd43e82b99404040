import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { Contract, Wallet, ZeroAddress, type HDNodeWallet } from "ethers";
import {
  PROPOSAL_FORMAT,
  SAFE_INTERFACE,
  createSafe,
  deploySafeContracts,
  executeAsSafe,
  majority,
  safeTxHash,
  signProposal,
  type CouncilProposal,
  type SafeContracts,
  type SafeTransaction,
} from "../src/council.ts";
import { ISSUER_STANDING, economyCode } from "../src/codes.ts";
import { COUNCIL_INDEX, devnetWallet } from "../deploy/demoData.ts";
import { readDeployment, type Deployment } from "../src/deployment.ts";
import { rpcProvider } from "../src/registry.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";
import { councilAction, runCcr, type CcrRun } from "../scripts/lib/ccr-process.ts";
import { startDevnet, type RunningDevnet } from "../scripts/lib/devnet-process.ts";

describe("ccr council: a Safe multisig of the economies' representatives (end to end, against a Hardhat node)", function () {
  this.timeout(300_000);
  let devnet: RunningDevnet;
  let deployment: Deployment;
  let safe = "";
  let contracts: SafeContracts;
  /** Three representatives (owners of the council Safe, 2 of 3 sign) and a stranger. */
  const owners = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];
  const stranger = Wallet.createRandom();
  const keys: Record<string, string> = {
    CCR_OWNER_A: owners[0]?.privateKey ?? "",
    CCR_OWNER_B: owners[1]?.privateKey ?? "",
    CCR_OWNER_C: owners[2]?.privateKey ?? "",
    CCR_STRANGER: stranger.privateKey,
  };
  /** `ccr` acting with the key in environment variable `key` (never on the command line). */
  const as = (key: string, args: string[]): Promise<CcrRun> =>
    runCcr(join(devnet.dir, "deployment.json"), ["--key-env", key, ...args], keys);
  const proposals = () => join(devnet.dir, "proposals");
  const registry = () =>
    ICCR__factory.connect(deployment.registry.address, rpcProvider(deployment.rpcUrl, deployment.chainId));

  before(async function () {
    devnet = await startDevnet();
    deployment = await readDeployment(join(devnet.dir, "deployment.json"));
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const deployer: HDNodeWallet = devnetWallet(COUNCIL_INDEX, provider);
    for (const wallet of [...owners, stranger])
      await provider.send("hardhat_setBalance", [wallet.address, "0x56BC75E2D63100000"]);
    contracts = await deploySafeContracts(deployer);
    safe = await createSafe(
      contracts,
      deployer,
      owners.map((o) => o.address),
      majority(owners.length),
    );
    // The devnet's council Safe (council-sg, council-jp, council-au; 2 of 3) begins handing its role to the new Safe;
    // after the delay the new Safe accepts it.
    const handOver = await councilAction(join(devnet.dir, "deployment.json"), ["hand-over", safe]);
    expect(handOver.stdout, handOver.stderr).to.match(
      new RegExp(`^executed: begin handing the council over to ${safe} `),
    );
    await provider.send("evm_increaseTime", [3_601]);
    await provider.send("evm_mine", []);
  });

  after(function () {
    devnet?.stop();
  });

  it("takes the council role through a proposal two of three representatives sign, then shows who governs", async function () {
    const proposed = await as("CCR_OWNER_A", ["council", "propose", "accept-council"]);
    expect(proposed.code, proposed.stderr).to.equal(0);
    const file = join(proposals(), "0-accept-council.json");
    const hash = (JSON.parse(await readFile(file, "utf8")) as CouncilProposal).safeTxHash;
    expect(proposed.stdout).to.equal(
      [
        "proposed (nonce 0): accept the council role for this Safe",
        `${file}: signed by ${owners[0]?.address}; 1 more signature(s) needed`,
        "  does:       accept the council role for this Safe",
        `  target:     the registry ${deployment.registry.address}`,
        "  function:   acceptDefaultAdminTransfer",
        "  operation:  call; value 0 wei",
        "  gas:        safeTxGas 0, baseGas 0, gasPrice 0, gasToken none, refundReceiver none",
        `  Safe transaction hash (what is signed): ${hash}`,
        "",
      ].join("\n"),
    );
    const early = await as("CCR_OWNER_C", ["council", "execute", file]);
    expect(early.code).to.equal(1);
    expect(early.stderr).to.equal(
      `ccr: cannot execute: 1 of the 2 signatures it needs: 1 more from ${owners[1]?.address}, ${owners[2]?.address}\n`,
    );
    const signed = await as("CCR_OWNER_B", ["council", "sign", file]);
    expect(signed.code, signed.stderr).to.equal(0);
    expect(signed.stdout).to.include(
      `2 of 2 signatures (${owners[0]?.address}, ${owners[1]?.address}); ready to execute`,
    );
    // Anyone may send it once it is signed: here the third representative.
    const executed = await as("CCR_OWNER_C", ["council", "execute", file]);
    expect(executed.code, executed.stderr).to.equal(0);
    expect(executed.stdout).to.match(
      /^executed: accept the council role for this Safe \(transaction 0x[0-9a-f]{64}, block \d+\)\n {2}does: /,
    );
    expect(await registry().defaultAdmin()).to.equal(safe);

    const again = await as("CCR_OWNER_C", ["council", "execute", file]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/^ccr: cannot execute: it was executed already, in transaction 0x[0-9a-f]{64}\n$/);

    const shown = await as("CCR_OWNER_A", ["council", "show"]);
    expect(shown.stdout).to.equal(
      [`council Safe ${safe}: 2 of 3 owners must sign, next nonce 1`, ...owners.map((o) => `  ${o.address}`), ""].join(
        "\n",
      ),
    );
  });

  it("admits an economy through the Safe; refuses strangers, double signatures, tampering, other chains and Safes", async function () {
    const authority = Wallet.createRandom().address;
    const proposed = await as("CCR_OWNER_A", ["council", "propose", "admit", "IN", authority]);
    expect(proposed.code, proposed.stderr).to.equal(0);
    const file = join(proposals(), "1-admit.json");
    const original = JSON.parse(await readFile(file, "utf8")) as CouncilProposal;

    const twice = await as("CCR_OWNER_A", ["council", "sign", file]);
    expect(twice.code).to.equal(1);
    expect(twice.stderr).to.equal(`ccr: ${owners[0]?.address} has already signed this proposal: an owner signs once\n`);
    const outsider = await as("CCR_STRANGER", ["council", "sign", file]);
    expect(outsider.stderr).to.equal(`ccr: ${stranger.address} is not an owner of the council Safe ${safe}\n`);
    const outsiderProposal = await as("CCR_STRANGER", ["council", "propose", "remove", "AU"]);
    expect(outsiderProposal.stderr).to.equal(
      `ccr: ${stranger.address} is not an owner of the council Safe ${safe}: only its owners propose and sign\n`,
    );

    /** Writes a changed copy of the proposal and returns what `ccr council execute` says of it. */
    const refusal = async (name: string, change: (p: CouncilProposal) => CouncilProposal): Promise<string> => {
      const changed = join(devnet.dir, `${name}.json`);
      await writeFile(changed, JSON.stringify(change(structuredClone(original))));
      const run = await as("CCR_OWNER_B", ["council", "sign", changed]);
      expect(run.code, name).to.equal(1);
      return run.stderr;
    };
    const evil = Wallet.createRandom().address;
    expect(
      await refusal("tampered", (p) => ({
        ...p,
        transaction: {
          ...p.transaction,
          data: p.transaction.data.replace(authority.slice(2).toLowerCase(), evil.slice(2).toLowerCase()),
        },
      })),
    ).to.match(
      /^ccr: \S+tampered\.json: its transaction was changed after it was proposed: it hashes to 0x[0-9a-f]{64}, not 0x/,
    );
    expect(await refusal("chain", (p) => ({ ...p, chainId: 1 }))).to.match(
      /chain\.json: it was made for chain 1; this deployment's chain is 31337\n$/,
    );
    expect(await refusal("safe", (p) => ({ ...p, safe: evil }))).to.include(
      `safe.json: it was made for the Safe ${evil}; this registry's council is the Safe ${safe}\n`,
    );
    expect(await refusal("double", (p) => ({ ...p, signatures: [...p.signatures, ...p.signatures] }))).to.include(
      `double.json: ${owners[0]?.address} signed it twice: an owner counts once\n`,
    );
    expect(
      await refusal("forged", (p) => ({
        ...p,
        signatures: [{ signer: owners[1]?.address ?? "", signature: p.signatures[0]?.signature ?? "" }],
      })),
    ).to.include(`forged.json: the signature listed for ${owners[1]?.address} is not its signature of this proposal\n`);

    expect((await as("CCR_OWNER_C", ["council", "sign", file])).code).to.equal(0);
    const pending = await as("CCR_OWNER_A", ["council", "pending"]);
    expect(pending.stdout).to.include(
      `nonce 1: 1-admit.json: 2 of 2 signatures (${owners[0]?.address}, ${owners[2]?.address}); ready to execute\n` +
        `  does:       admit IN with authority ${authority}\n`,
    );
    expect(pending.stdout).to.include(`    economy: IN\n    authority: ${authority}\n`);
    const executed = await as("CCR_STRANGER", ["council", "execute", file]);
    expect(executed.code, executed.stderr).to.equal(0);
    const record = await registry().getEconomy(economyCode("IN"));
    expect(record.member).to.equal(true);
    expect(record.authority).to.equal(authority);
    expect((await as("CCR_OWNER_A", ["council", "pending"])).stdout).to.match(/^0 proposal\(s\) in /);
  });

  it("refuses a proposal the registry would refuse before sending, and one whose nonce another proposal used", async function () {
    const existing = await as("CCR_OWNER_A", ["council", "propose", "admit", "AU", Wallet.createRandom().address]);
    const file = join(proposals(), "2-admit.json");
    expect(existing.code, existing.stderr).to.equal(0);
    expect((await as("CCR_OWNER_B", ["council", "sign", file])).code).to.equal(0);
    const refused = await as("CCR_OWNER_B", ["council", "execute", file]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /^ccr: the council's call would be refused: EconomyAlreadyMember\(economy=0x4155\)[^\n]*; nothing was sent\n$/,
    );

    // Two proposals for the same nonce: the first executed makes the other stale.
    const first = await as("CCR_OWNER_A", [
      "council",
      "propose",
      "deprecate-schema",
      "0",
      "--nonce",
      "2",
      "--out",
      join(devnet.dir, "a.json"),
    ]);
    const second = await as("CCR_OWNER_A", [
      "council",
      "propose",
      "deprecate-schema",
      "1",
      "--nonce",
      "2",
      "--out",
      join(devnet.dir, "b.json"),
    ]);
    expect([first.code, second.code]).to.deep.equal([0, 0]);
    for (const name of ["a", "b"])
      expect((await as("CCR_OWNER_C", ["council", "sign", join(devnet.dir, `${name}.json`)])).code).to.equal(0);
    expect((await as("CCR_OWNER_C", ["council", "execute", join(devnet.dir, "a.json")])).code).to.equal(0);
    expect((await registry().getSchema(0)).deprecated).to.equal(true);
    const stale = await as("CCR_OWNER_C", ["council", "execute", join(devnet.dir, "b.json")]);
    expect(stale.stderr).to.equal(
      "ccr: cannot execute: its nonce 2 was used by another proposal: it can never be executed; propose it again\n",
    );
    expect((await registry().getSchema(1)).deprecated).to.equal(false);
    // Neither the devnet's deployer nor its former council Safe's representatives act for the council any more.
    const direct = await runCcr(join(devnet.dir, "deployment.json"), [
      "--as",
      "deployer",
      "framework",
      "schema",
      "deprecate",
      "1",
    ]);
    expect(direct.code).to.equal(1);
    expect(direct.stderr).to.include("AccessControlUnauthorizedAccount");
    const former = await councilAction(join(devnet.dir, "deployment.json"), ["deprecate-schema", "1"]);
    expect(former.code).to.equal(1);
    expect(former.stderr).to.include("is not an owner of the council Safe");
  });

  it("lets an economy's authority be a Safe of its own: two officials sign its offer and its suspension", async function () {
    const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
    const [a, b] = owners.map((o) => o.connect(provider));
    if (a === undefined || b === undefined) throw new Error("no owners");
    const authority = await createSafe(contracts, a, [a.address, b.address], 2, 7n);
    // The council (the Safe that took the role above) appoints it as India's authority.
    const proposed = await as("CCR_OWNER_A", [
      "council",
      "propose",
      "appoint",
      "IN",
      authority,
      "--out",
      join(devnet.dir, "appoint.json"),
    ]);
    expect(proposed.code, proposed.stderr).to.equal(0);
    expect((await as("CCR_OWNER_B", ["council", "sign", join(devnet.dir, "appoint.json")])).code).to.equal(0);
    expect((await as("CCR_OWNER_B", ["council", "execute", join(devnet.dir, "appoint.json")])).code).to.equal(0);
    expect((await registry().getEconomy(economyCode("IN"))).authority).to.equal(authority);

    const issuer = Wallet.createRandom();
    await provider.send("hardhat_setBalance", [issuer.address, "0x56BC75E2D63100000"]);
    const iface = registry().interface;
    const offer = iface.encodeFunctionData("offerAccreditation", [issuer.address, 1n << 2n, 0, 0]);
    // One official alone cannot act for the authority.
    const alone = await executeAsSafe(authority, { to: deployment.registry.address, data: offer }, [a], a).then(
      () => "sent",
      (error: Error) => error.message,
    );
    expect(alone).to.include("GS020"); // Safe: "signatures data too short" (one of the two signatures)
    await executeAsSafe(authority, { to: deployment.registry.address, data: offer }, [a, b], a);
    const accepted = await runCcr(
      join(devnet.dir, "deployment.json"),
      ["--key-env", "CCR_ISSUER", "framework", "issuer", "accept", "--economy", "IN"],
      { CCR_ISSUER: issuer.privateKey },
    );
    expect(accepted.stdout, accepted.stderr).to.match(
      new RegExp(`^${issuer.address} is now an issuer of IN for schemas 2`),
    );
    const suspend = iface.encodeFunctionData("suspendIssuer", [issuer.address]);
    await executeAsSafe(authority, { to: deployment.registry.address, data: suspend }, [b, a], b);
    expect(ISSUER_STANDING[Number((await registry().getIssuer(issuer.address)).standing)]).to.equal("SUSPENDED");
    provider.destroy();
  });
  /** The council Safe's threshold, owners and next nonce, read from the chain. */
  const safeState = async (): Promise<{ threshold: bigint; owners: string[]; nonce: bigint }> => {
    const contract = new Contract(safe, SAFE_INTERFACE, rpcProvider(deployment.rpcUrl, deployment.chainId));
    const [threshold, owners, nonce] = (await Promise.all([
      contract.getFunction("getThreshold")(),
      contract.getFunction("getOwners")(),
      contract.getFunction("nonce")(),
    ])) as [bigint, string[], bigint];
    return { threshold, owners, nonce };
  };

  /**
   * A proposal written by hand as an attacker would (not by `ccr council propose`): `change` sets its transaction's
   * fields, `description` is whatever the attacker claims; signed by the first representative; returns its file.
   */
  const forge = async (
    name: string,
    change: Partial<SafeTransaction>,
    description: string | ((call: string) => string),
  ): Promise<string> => {
    const transaction: SafeTransaction = {
      to: deployment.registry.address,
      value: "0",
      data: registry().interface.encodeFunctionData("admitEconomy", [economyCode("XQ"), owners[0]?.address ?? ""]),
      operation: 0,
      safeTxGas: "0",
      baseGas: "0",
      gasPrice: "0",
      gasToken: ZeroAddress,
      refundReceiver: ZeroAddress,
      nonce: String((await safeState()).nonce),
      ...change,
    };
    const unsigned: CouncilProposal = {
      format: PROPOSAL_FORMAT,
      chainId: deployment.chainId,
      genesisHash: deployment.genesisHash,
      safe,
      description: typeof description === "string" ? description : description(""),
      transaction,
      safeTxHash: safeTxHash(deployment.chainId, safe, transaction),
      signatures: [],
    };
    const signer = owners[0];
    if (signer === undefined) throw new Error("no owner");
    // Outside the proposals folder (whose files' nonces the next proposal skips), but for the attack `pending` lists.
    const file = join(name === "attack" ? proposals() : devnet.dir, `${name}.json`);
    await writeFile(file, JSON.stringify(await signProposal(unsigned, signer)));
    return file;
  };

  it("refuses a proposal described as one action whose transaction is another (changeThreshold(1) as 'admit XQ')", async function () {
    const claim = `admit XQ with authority ${owners[0]?.address}`;
    const file = await forge(
      "attack",
      { to: safe, data: SAFE_INTERFACE.encodeFunctionData("changeThreshold", [1]) },
      claim,
    );
    const refusal =
      `ccr: ${file}: its description says "${claim}", but its transaction does something else: ` +
      "council change: require 1 signature(s)\n";
    const sign = await as("CCR_OWNER_B", ["council", "sign", file]);
    expect(sign.code).to.equal(1);
    expect(sign.stderr).to.equal(refusal);
    const execute = await as("CCR_OWNER_C", ["council", "execute", file]);
    expect(execute.code).to.equal(1);
    expect(execute.stderr).to.equal(refusal);
    const pending = await as("CCR_OWNER_C", ["council", "pending"]);
    expect(pending.stdout).to.include(`attack.json: REFUSED: ${refusal.slice("ccr: ".length)}`);
    // Nothing was signed and the council still needs two of its three representatives.
    const stored = JSON.parse(await readFile(file, "utf8")) as CouncilProposal;
    expect(stored.signatures.map((s) => s.signer)).to.deep.equal([owners[0]?.address]);
    expect((await safeState()).threshold).to.equal(2n);
    await rm(file);
  });

  it("refuses each risky kind of transaction unless the signer names the risk", async function () {
    const admit = `admit XQ with authority ${owners[0]?.address}`;
    const cases: [string, Partial<SafeTransaction>, string, string][] = [
      [
        "delegatecall",
        { operation: 1 },
        `${admit}, as a delegatecall`,
        "it is a delegatecall: the target's code runs as the Safe itself and can change anything in it",
      ],
      ["value", { value: "1000" }, `${admit}, sending 1000 wei`, "it sends value from the Safe"],
      [
        "refund",
        { gasPrice: "1", refundReceiver: stranger.address },
        `${admit}, paying a gas refund`,
        "it pays a gas refund from the Safe (baseGas, gasPrice, gasToken or refundReceiver set)",
      ],
      ["gas", { safeTxGas: "100000" }, admit, "it sets safeTxGas: the Safe uses its nonce even when the call fails"],
      [
        "unknown-target",
        { to: stranger.address, data: "0x12345678" },
        `call the unknown contract ${stranger.address} with 4 byte(s) of data`,
        "it calls a contract that is neither the registry, the names contract nor the council Safe",
      ],
      [
        "unknown-function",
        { data: registry().interface.encodeFunctionData("suspendIssuer", [stranger.address]) },
        `call suspendIssuer of the registry ${deployment.registry.address}`,
        "it calls a function that is not a council action",
      ],
    ];
    for (const [risk, change, description, why] of cases) {
      const file = await forge(`risk-${risk}`, change, description);
      const refused = await as("CCR_OWNER_B", ["council", "sign", file]);
      expect(refused.code, risk).to.equal(1);
      expect(refused.stderr, risk).to.equal(
        `ccr: ${file}: ${why}; it is refused unless you name the risk: --allow-risk ${risk}\n`,
      );
      const execute = await as("CCR_OWNER_B", ["council", "execute", file]);
      expect(execute.stderr, risk).to.include(`--allow-risk ${risk}\n`);
      // Named, the risk is shown and the proposal can be signed.
      const named = await as("CCR_OWNER_B", ["council", "sign", file, "--allow-risk", risk]);
      expect(named.code, named.stderr).to.equal(0);
      expect(named.stdout, risk).to.include(`  does:       ${description}\n`);
      expect(named.stdout, risk).to.include(`  RISK (${risk}): ${why}\n`);
    }
    const unknown = await as("CCR_OWNER_B", ["council", "pending", "--allow-risk", "everything"]);
    expect(unknown.stderr).to.equal(
      "ccr: --allow-risk everything: not a risk; the risks are delegatecall, value, refund, gas, unknown-target, unknown-function\n",
    );
    expect((await safeState()).threshold).to.equal(2n);
  });

  it("shows a change of the council Safe itself as a council change with a warning, decoded for the signer", async function () {
    const proposed = await as("CCR_OWNER_A", ["council", "propose", "add-owner", stranger.address, "--threshold", "2"]);
    expect(proposed.code, proposed.stderr).to.equal(0);
    const nonce = (await safeState()).nonce;
    const file = join(proposals(), `${nonce}-add-owner.json`);
    const sign = await as("CCR_OWNER_B", ["council", "sign", file]);
    expect(sign.code, sign.stderr).to.equal(0);
    const hash = (JSON.parse(await readFile(file, "utf8")) as CouncilProposal).safeTxHash;
    expect(sign.stdout).to.equal(
      [
        `${file}: nonce ${nonce}`,
        `  does:       council change: add owner ${stranger.address} and require 2 signature(s)`,
        `  target:     the council Safe itself ${safe}`,
        "  function:   addOwnerWithThreshold",
        `    owner: ${stranger.address}`,
        "    _threshold: 2",
        "  operation:  call; value 0 wei",
        `  gas:        safeTxGas 0, baseGas 0, gasPrice 0, gasToken none, refundReceiver none`,
        "  WARNING: this changes the council Safe itself (who its owners are, how many must sign, or what may act " +
          "for it without their signatures): sign it only when the representatives agreed on exactly this",
        `  Safe transaction hash (what is signed): ${hash}`,
        `signed by ${owners[1]?.address}`,
        `2 of 2 signatures (${owners[0]?.address}, ${owners[1]?.address}); ready to execute`,
        "",
      ].join("\n"),
    );
    const executed = await as("CCR_OWNER_C", ["council", "execute", file]);
    expect(executed.code, executed.stderr).to.equal(0);
    expect(executed.stdout).to.match(
      new RegExp(
        `^executed: council change: add owner ${stranger.address} and require 2 signature\\(s\\) \\(transaction`,
      ),
    );
    const after = await safeState();
    expect(after.owners).to.include(stranger.address);
    expect(after.threshold).to.equal(2n);
  });
});
