/**
 * The council as a Safe multisig (Safe's own audited contracts, `@safe-global/safe-smart-account`): its owners are the
 * member economies' representatives and a threshold of them must sign every council action. A proposal is a Safe
 * transaction in a file (`ccr-council-proposal/1`) that travels between the representatives (no hosted service):
 * one proposes, others sign (EIP-712 signatures over the Safe's transaction hash), anyone executes once the
 * threshold is met. Every read of a proposal checks it against the chain: its chain and Safe, that its transaction
 * hashes to what was signed, that every signer is an owner who signed once, and whether its nonce is still open.
 */
import { readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  Contract,
  ContractFactory,
  Interface,
  TypedDataEncoder,
  ZeroAddress,
  getAddress,
  verifyTypedData,
  type InterfaceAbi,
  type Log,
  type Signer,
} from "ethers";
import safeArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/SafeL2.sol/SafeL2.json" with { type: "json" };
import factoryArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json" with { type: "json" };
import handlerArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json" with { type: "json" };
import {
  decodeCouncilCall,
  RISKS,
  type CouncilTargets,
  type DecodedCall,
  type Risk,
  type SafeTransactionFields,
} from "./councilCalls.ts";
import { CCRError } from "./errors.ts";
import { schemaDigest } from "./schemaDocument.ts";
import { describeRevert, rpc, type RegistryConnection, type Sent } from "./registry.ts";
import { withHeadroom } from "./transactions.ts";

export const PROPOSAL_FORMAT = "ccr-council-proposal/1";

const SAFE_ABI = safeArtifact.abi as InterfaceAbi;
export const SAFE_INTERFACE = new Interface(SAFE_ABI);

/** The Safe's EIP-712 transaction type (Safe 1.3 and later). */
const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

/**
 * A Safe transaction (numbers as decimal strings). `ccr council propose` makes only calls (operation 0) with no value
 * and no gas refund; a file made otherwise is read as it is and refused for each risk it carries.
 */
export type SafeTransaction = SafeTransactionFields;

export interface CouncilProposal {
  format: typeof PROPOSAL_FORMAT;
  chainId: number;
  /** The hash of the chain's block 0: a restarted devnet (same id, same Safe address) is another chain. */
  genesisHash: string;
  safe: string;
  /** What it does, in words: always what `decodeCouncilCall` derives from `transaction` (checked on every read). */
  description: string;
  transaction: SafeTransaction;
  /** The Safe's EIP-712 hash of `transaction`: what every owner signs. */
  safeTxHash: string;
  signatures: { signer: string; signature: string }[];
  /**
   * For a schema's registration: the schema document's bytes (base64), so that every representative who signs or
   * executes it checks the digest registered and keeps the document where `ccr issue` finds it.
   */
  schemaDocument?: string | undefined;
}

/** What a council action calls: a contract (the registry, the names contract or the Safe) and its calldata. */
export interface CouncilCall {
  to: string;
  data: string;
  /** The document a schema registration registers (its bytes), carried in the proposal. */
  schemaDocument?: Uint8Array | undefined;
}

/** The chain a council's proposals are for: its id and genesis, and the contracts a proposal may call. */
export interface CouncilChain {
  chainId: number;
  genesisHash: string;
  registry: string;
  names?: string | undefined;
}

export const councilChainOf = (connection: RegistryConnection): CouncilChain => ({
  chainId: connection.chainId,
  genesisHash: connection.genesisHash,
  registry: connection.deployment.registry.address,
  names: connection.deployment.names?.address,
});

/** The contracts a proposal of the council Safe `safe` may call. */
const councilTargets = ({ registry, names }: CouncilChain, safe: string): CouncilTargets => ({ registry, names, safe });

const domain = (chainId: number, safe: string) => ({ chainId, verifyingContract: safe });

export function safeTxHash(chainId: number, safe: string, transaction: SafeTransaction): string {
  return TypedDataEncoder.hash(domain(chainId, safe), SAFE_TX_TYPES, transaction);
}

/** The council Safe's state: owners, threshold, next nonce. */
export interface CouncilSafe {
  address: string;
  owners: string[];
  threshold: number;
  nonce: number;
}

/**
 * The registry's council, when it is a Safe, or (`pending`) the Safe the council role is being handed to, which must
 * accept it through a proposal of its own; undefined when that address holds no contract.
 */
export async function councilSafe(
  connection: RegistryConnection,
  which: "current" | "pending" = "current",
): Promise<CouncilSafe | undefined> {
  const { provider, rpcUrl, registry } = connection;
  const address = await rpc(rpcUrl, "reading the council", async () =>
    which === "current" ? registry.defaultAdmin() : (await registry.pendingDefaultAdmin())[0],
  );
  if (address === ZeroAddress) return undefined;
  const code = await rpc(rpcUrl, "reading the council's code", () => provider.getCode(address));
  if (code === "0x") return undefined;
  const safe = new Contract(address, SAFE_ABI, provider);
  try {
    const [owners, threshold, nonce] = (await Promise.all([
      safe.getFunction("getOwners")(),
      safe.getFunction("getThreshold")(),
      safe.getFunction("nonce")(),
    ])) as [string[], bigint, bigint];
    return { address, owners: owners.map((o) => getAddress(o)), threshold: Number(threshold), nonce: Number(nonce) };
  } catch (cause) {
    if (describeRevert(cause) === undefined && !(cause instanceof Error && "code" in cause)) throw cause;
    throw new CCRError("INVALID_PROPOSAL", `the council ${address} is a contract but not a Safe`, { cause });
  }
}

/** The council Safe (or the pending one), or a clear refusal when it is a single account. */
export async function requireCouncilSafe(
  connection: RegistryConnection,
  which: "current" | "pending" = "current",
): Promise<CouncilSafe> {
  const safe = await councilSafe(connection, which);
  if (safe === undefined) {
    const [current, [pending]] = await Promise.all([
      connection.registry.defaultAdmin(),
      connection.registry.pendingDefaultAdmin(),
    ]);
    throw new CCRError(
      "INVALID_PROPOSAL",
      which === "pending"
        ? pending === ZeroAddress
          ? "the council role is not being handed over: the council proposes hand-over <Safe> first"
          : `the council role is being handed to ${pending}, which is not a Safe`
        : `the council is the single account ${current}, not a Safe multisig: it acts directly (ccr framework …)`,
    );
  }
  return safe;
}

/** The Safe transaction of a plain call at `nonce` (no value, no gas refund). */
function safeTransaction(call: { to: string; data: string }, nonce: number | bigint): SafeTransaction {
  return {
    to: getAddress(call.to),
    value: "0",
    data: call.data,
    operation: 0,
    safeTxGas: "0",
    baseGas: "0",
    gasPrice: "0",
    gasToken: ZeroAddress,
    refundReceiver: ZeroAddress,
    nonce: String(nonce),
  };
}

/** A new proposal of `call` at `nonce`, not yet signed. */
export function newProposal(chain: CouncilChain, safe: string, call: CouncilCall, nonce: number): CouncilProposal {
  const transaction = safeTransaction(call, nonce);
  return {
    format: PROPOSAL_FORMAT,
    chainId: chain.chainId,
    genesisHash: chain.genesisHash,
    safe,
    description: decodeCouncilCall(councilTargets(chain, safe), transaction).description,
    transaction,
    safeTxHash: safeTxHash(chain.chainId, safe, transaction),
    signatures: [],
    ...(call.schemaDocument === undefined
      ? {}
      : { schemaDocument: Buffer.from(call.schemaDocument).toString("base64") }),
  };
}

/** Signatures as `execTransaction` takes them: ordered by signer address, concatenated. */
function packed(signatures: { signer: string; signature: string }[]): string {
  const ordered = [...signatures].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
  return `0x${ordered.map((s) => s.signature.slice(2)).join("")}`;
}

/**
 * Sends `execTransaction` of `tx` with packed `signatures` from `sender`, and waits for it. A Safe that used its nonce
 * but whose call failed (possible only with safeTxGas or a refund set) emits ExecutionFailure: that is an error, not a
 * success.
 */
async function execute(safe: string, tx: SafeTransaction, signatures: string, sender: Signer): Promise<Sent> {
  const execTransaction = new Contract(safe, SAFE_ABI, sender).getFunction("execTransaction");
  const args = [
    tx.to,
    tx.value,
    tx.data,
    tx.operation,
    tx.safeTxGas,
    tx.baseGas,
    tx.gasPrice,
    tx.gasToken,
    tx.refundReceiver,
    signatures,
  ];
  // With safeTxGas 0 the Safe gives the call all but 1/64 of what is left; a call that costs more than it did in the
  // estimate's block then leaves the Safe itself out of gas, a revert with no reason: send with headroom.
  const gasLimit = withHeadroom(await execTransaction.estimateGas(...args));
  const response = (await execTransaction(...args, { gasLimit })) as {
    wait(): Promise<{ hash: string; blockNumber: number; logs: readonly Log[] } | null>;
  };
  const receipt = await response.wait();
  if (receipt === null) throw new Error("the transaction was dropped");
  const failure = SAFE_INTERFACE.getEvent("ExecutionFailure")?.topicHash;
  if (receipt.logs.some((log) => sameAddress(log.address, safe) && log.topics[0] === failure)) {
    throw new CCRError(
      "REFUSED_BY_REGISTRY",
      `the Safe used its nonce in transaction ${receipt.hash} (block ${receipt.blockNumber}), but the call itself ` +
        "failed (ExecutionFailure): nothing it proposed was done",
    );
  }
  return { transaction: receipt.hash, blockNumber: receipt.blockNumber };
}

const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Executes `call` from the Safe at `safe` with the signatures of `owners` (at least its threshold), sent by `sender`:
 * how a seed or a script whose keys are the owners' acts as the council, without proposal files.
 */
export async function executeAsSafe(
  safe: string,
  call: { to: string; data: string },
  owners: Signer[],
  sender: Signer,
): Promise<Sent> {
  const provider = sender.provider;
  if (provider === null) throw new Error("the sender has no provider");
  const chainId = (await provider.getNetwork()).chainId;
  const nonce = (await new Contract(safe, SAFE_ABI, provider).getFunction("nonce")()) as bigint;
  const tx = safeTransaction(call, nonce);
  const signatures = await Promise.all(
    owners.map(async (owner) => ({
      signer: await owner.getAddress(),
      signature: await owner.signTypedData(domain(Number(chainId), safe), SAFE_TX_TYPES, tx),
    })),
  );
  return execute(safe, tx, packed(signatures), sender);
}

/** The owner's EIP-712 signature of the proposal's Safe transaction. */
export async function signProposal(proposal: CouncilProposal, signer: Signer): Promise<CouncilProposal> {
  const address = getAddress(await signer.getAddress());
  if (proposal.signatures.some((s) => getAddress(s.signer) === address)) {
    throw new CCRError("INVALID_PROPOSAL", `${address} has already signed this proposal: an owner signs once`);
  }
  const signature = await signer.signTypedData(
    domain(proposal.chainId, proposal.safe),
    SAFE_TX_TYPES,
    proposal.transaction,
  );
  return { ...proposal, signatures: [...proposal.signatures, { signer: address, signature }] };
}

/** Where a proposal stands against the chain. */
export interface ProposalState {
  proposal: CouncilProposal;
  safe: CouncilSafe;
  /** Owners whose signatures hold, in the order they signed. */
  signers: string[];
  /** "open" (its nonce is the Safe's next), "queued" (an earlier nonce is still open), "executed" or "stale". */
  state: "open" | "queued" | "executed" | "stale";
  /** What its transaction does, decoded. */
  call: DecodedCall;
  /** The transaction that executed it, when it was. */
  executedIn?: string | undefined;
}

/** Why a proposal's transaction is malformed (a field missing or of the wrong form), or undefined. */
function malformed(tx: SafeTransaction | undefined): string | undefined {
  if (typeof tx !== "object" || tx === null) return "it has no transaction";
  const address = /^0x[0-9a-fA-F]{40}$/;
  for (const field of ["to", "gasToken", "refundReceiver"] as const) {
    if (typeof tx[field] !== "string" || !address.test(tx[field]))
      return `its transaction's ${field} is not an address`;
  }
  for (const field of ["value", "safeTxGas", "baseGas", "gasPrice", "nonce"] as const) {
    if (typeof tx[field] !== "string" || !/^\d{1,78}$/.test(tx[field])) {
      return `its transaction's ${field} is not a decimal number`;
    }
  }
  if (typeof tx.data !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(tx.data)) return "its transaction's data is not hex";
  if (tx.operation !== 0 && tx.operation !== 1) return "its transaction's operation is neither 0 (call) nor 1";
  return undefined;
}

/** What a proposal is checked against: its chain, the council Safe, and the Safe being handed the role, if any. */
export interface CouncilContext extends CouncilChain {
  current: CouncilSafe;
  pending?: CouncilSafe | undefined;
}

/**
 * The checks of a proposal read from `file` that need nothing more from the chain than `context`: refuses one for
 * another chain or Safe, one whose transaction is malformed or does not hash to what was signed (tampered), one whose
 * description is not what its transaction does, one that carries a risk not named in `allowed` (delegatecall, value,
 * refunds, safeTxGas, unknown targets or functions), a schema document that is not the one registered, a signature
 * that is not its signer's, a signer who is not an owner or signed twice.
 */
export function checkProposalWith(
  context: CouncilContext,
  proposal: CouncilProposal,
  file: string,
  allowed: ReadonlySet<Risk> = new Set(),
): Pick<ProposalState, "safe" | "signers" | "call"> {
  const refuse = (why: string): never => {
    throw new CCRError("INVALID_PROPOSAL", `${file}: ${why}`);
  };
  checkChain(context, proposal, refuse);
  const safe = proposalSafe(context, proposal, refuse);
  const why = malformed(proposal.transaction);
  if (why !== undefined) refuse(why);
  if (!Array.isArray(proposal.signatures)) refuse("its signatures are not a list");
  const hash = safeTxHash(proposal.chainId, safe.address, proposal.transaction);
  if (hash !== proposal.safeTxHash) {
    refuse(`its transaction was changed after it was proposed: it hashes to ${hash}, not ${proposal.safeTxHash}`);
  }
  const call = decodeCouncilCall(councilTargets(context, safe.address), proposal.transaction);
  if (proposal.description !== call.description) {
    refuse(
      `its description says "${String(proposal.description)}", but its transaction does something else: ` +
        `${call.description}`,
    );
  }
  for (const risk of call.risks) {
    if (!allowed.has(risk)) refuse(`${RISKS[risk]}; it is refused unless you name the risk: --allow-risk ${risk}`);
  }
  checkSchemaDocument(proposal, call, refuse);
  return { safe, signers: proposalSigners(proposal, safe, refuse), call };
}

/** A proposal must be of this format and for this chain: its id and its genesis (a restarted devnet is another). */
function checkChain(chain: CouncilChain, proposal: CouncilProposal, refuse: (why: string) => never): void {
  if ((proposal.format as string) !== PROPOSAL_FORMAT) refuse(`not a council proposal (format ${PROPOSAL_FORMAT})`);
  if (proposal.chainId !== chain.chainId) {
    refuse(`it was made for chain ${proposal.chainId}; this deployment's chain is ${chain.chainId}`);
  }
  if (typeof proposal.genesisHash !== "string") {
    refuse("it does not say which chain it was made for (no genesisHash: made by an older ccr); propose it again");
  }
  if (proposal.genesisHash.toLowerCase() !== chain.genesisHash.toLowerCase()) {
    refuse(
      `it was made for another chain with the same id ${proposal.chainId} (genesis ${proposal.genesisHash}); this ` +
        `chain's genesis is ${chain.genesisHash} (a restarted devnet is a new chain): it can never be executed here`,
    );
  }
}

/**
 * Checks a proposal read from `file` against the chain (`checkProposalWith`, with the council's Safes read now), and
 * says whether it is open, queued behind an earlier nonce, executed, or stale (its nonce was used by another proposal).
 */
export async function checkProposal(
  connection: RegistryConnection,
  proposal: CouncilProposal,
  file: string,
  allowed: ReadonlySet<Risk> = new Set(),
): Promise<ProposalState> {
  const context: CouncilContext = {
    ...councilChainOf(connection),
    current: await requireCouncilSafe(connection),
    pending: await councilSafe(connection, "pending"),
  };
  const { safe, signers, call } = checkProposalWith(context, proposal, file, allowed);
  const nonce = Number(proposal.transaction.nonce);
  if (nonce > safe.nonce) return { proposal, safe, signers, call, state: "queued" };
  if (nonce === safe.nonce) return { proposal, safe, signers, call, state: "open" };
  const executedIn = await executionOf(connection, safe.address, proposal.safeTxHash);
  return { proposal, safe, signers, call, state: executedIn === undefined ? "stale" : "executed", executedIn };
}

/**
 * The schema document a proposal carries must be the one its transaction registers (the digest): a registration's
 * document is what the representatives sign for, so a different one is refused; other proposals carry none.
 */
function checkSchemaDocument(proposal: CouncilProposal, call: DecodedCall, refuse: (why: string) => never): void {
  if (proposal.schemaDocument === undefined) return;
  if (call.functionName !== "registerSchema" || typeof proposal.schemaDocument !== "string") {
    refuse("it carries a schema document, but its transaction registers no schema");
  }
  const digest = schemaDigest(Buffer.from(proposal.schemaDocument, "base64"));
  const registered = call.args.find((a) => a.name === "digest")?.value;
  if (registered?.toLowerCase() !== digest) {
    refuse(`the schema document it carries has the digest ${digest}; its transaction registers ${String(registered)}`);
  }
}

/** The council's Safe, or the Safe the council role is being handed to (its proposal accepts the role). */
function proposalSafe(
  { current, pending }: CouncilContext,
  proposal: CouncilProposal,
  refuse: (why: string) => never,
): CouncilSafe {
  const safe = [current, pending].find(
    (c) =>
      c !== undefined && typeof proposal.safe === "string" && c.address.toLowerCase() === proposal.safe.toLowerCase(),
  );
  return (
    safe ?? refuse(`it was made for the Safe ${proposal.safe}; this registry's council is the Safe ${current.address}`)
  );
}

/** The owners whose signatures of the proposal hold, in the order they signed; refuses any other signature. */
function proposalSigners(proposal: CouncilProposal, safe: CouncilSafe, refuse: (why: string) => never): string[] {
  const signers: string[] = [];
  for (const { signer, signature } of proposal.signatures) {
    let recovered: string;
    try {
      recovered = verifyTypedData(
        domain(proposal.chainId, safe.address),
        SAFE_TX_TYPES,
        proposal.transaction,
        signature,
      );
    } catch {
      recovered = "";
    }
    if (recovered !== getAddress(signer))
      refuse(`the signature listed for ${signer} is not its signature of this proposal`);
    if (!safe.owners.includes(recovered)) refuse(`${recovered} signed it but is not an owner of the council Safe`);
    if (signers.includes(recovered)) refuse(`${recovered} signed it twice: an owner counts once`);
    signers.push(recovered);
  }
  return signers;
}

/** The transaction in which the Safe executed `hash`, from its ExecutionSuccess events. */
async function executionOf(connection: RegistryConnection, safe: string, hash: string): Promise<string | undefined> {
  const topic = SAFE_INTERFACE.getEvent("ExecutionSuccess")?.topicHash ?? "";
  // The Safe transaction's hash is the event's indexed first argument.
  const logs = await rpc(connection.rpcUrl, "reading the council's executions", () =>
    connection.provider.getLogs({
      address: safe,
      topics: [topic, hash],
      fromBlock: connection.deployment.registry.blockNumber,
    }),
  );
  return logs[0]?.transactionHash;
}

/** Why a proposal cannot be executed now, or undefined when it can. */
export function notExecutable(state: ProposalState, names: (address: string) => string = (a) => a): string | undefined {
  const { safe, signers, proposal } = state;
  if (state.state === "executed") return `it was executed already, in transaction ${state.executedIn}`;
  if (state.state === "stale") {
    return `its nonce ${proposal.transaction.nonce} was used by another proposal: it can never be executed; propose it again`;
  }
  if (state.state === "queued") {
    return `the council's next proposal is nonce ${safe.nonce}; this one (nonce ${proposal.transaction.nonce}) waits for it`;
  }
  if (signers.length < safe.threshold) {
    const missing = safe.owners.filter((o) => !signers.includes(o)).map(names);
    return (
      `${signers.length} of the ${safe.threshold} signatures it needs: ${safe.threshold - signers.length} more from ` +
      `${missing.join(", ")}`
    );
  }
  return undefined;
}

/**
 * Executes an executable proposal from `sender` (anyone may): first asks the node what the call itself would do from
 * the Safe (a refusal by the registry is said in words, nothing sent), then sends `execTransaction` with the
 * signatures ordered by owner address, and waits for it.
 */
export async function executeProposal(
  connection: RegistryConnection,
  state: ProposalState,
  sender: Signer,
): Promise<Sent> {
  const { proposal, safe } = state;
  const why = notExecutable(state);
  if (why !== undefined) throw new CCRError("INVALID_PROPOSAL", `cannot execute: ${why}`);
  const tx = proposal.transaction;
  try {
    // A delegatecall runs in the Safe's own context, which a call from its address does not reproduce.
    if (tx.operation === 0)
      await connection.provider.call({ from: safe.address, to: tx.to, data: tx.data, value: tx.value });
  } catch (cause) {
    const refusal = describeRevert(cause);
    if (refusal === undefined) throw cause;
    throw new CCRError("REFUSED_BY_REGISTRY", `the council's call would be refused: ${refusal}; nothing was sent`, {
      cause,
    });
  }
  const counted = proposal.signatures
    .filter((s) => state.signers.includes(getAddress(s.signer)))
    .slice(0, safe.threshold);
  return rpc(connection.rpcUrl, "executing the council's proposal", () =>
    execute(safe.address, tx, packed(counted), sender),
  );
}

// ------------------------------------------------------------------------------------------------ files

/** The folder where proposals are kept by default: `proposals/` next to the deployment file. */
export const proposalsFolder = (deploymentFile: string): string => join(deploymentFile, "..", "proposals");

export async function readProposal(file: string): Promise<CouncilProposal> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new CCRError("INVALID_ARGUMENT", `cannot read the proposal ${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text) as CouncilProposal;
  } catch (cause) {
    throw new CCRError("INVALID_PROPOSAL", `${file} is not valid JSON`, { cause });
  }
}

/** Writes a proposal atomically (a temporary file renamed over it): a signer interrupted never leaves half a file. */
export async function writeProposal(file: string, proposal: CouncilProposal): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(proposal, null, 2)}\n`);
  await rename(temporary, file);
}

/** The proposals in `folder` (files ending in .json), by nonce. */
export async function listProposals(folder: string): Promise<{ file: string; proposal: CouncilProposal }[]> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  const read = await Promise.all(
    names.map(async (name) => ({ file: join(folder, name), proposal: await readProposal(join(folder, name)) })),
  );
  return read
    .filter((r) => r.proposal.format === PROPOSAL_FORMAT)
    .sort((a, b) => Number(a.proposal.transaction.nonce) - Number(b.proposal.transaction.nonce));
}

// ------------------------------------------------------------------------------------------------ deployment

/** Safe's contracts as one framework needs them: the singleton (L2 variant: it emits every execution), the proxy
 * factory and the fallback handler. */
export interface SafeContracts {
  singleton: string;
  factory: string;
  fallbackHandler: string;
}

/** Deploys Safe's contracts from its npm artifacts (on a chain where they are not deployed yet, such as a devnet). */
export async function deploySafeContracts(deployer: Signer): Promise<SafeContracts> {
  const deploy = async (artifact: { abi: unknown; bytecode: string }): Promise<string> => {
    const contract = await new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, deployer).deploy();
    await contract.waitForDeployment();
    return contract.getAddress();
  };
  return {
    singleton: await deploy(safeArtifact),
    factory: await deploy(factoryArtifact),
    fallbackHandler: await deploy(handlerArtifact),
  };
}

/** Creates a Safe of `owners` with `threshold` through the factory; returns its address. */
export async function createSafe(
  contracts: SafeContracts,
  deployer: Signer,
  owners: string[],
  threshold: number,
  salt = 0n,
): Promise<string> {
  if (threshold < 1 || threshold > owners.length) {
    throw new CCRError("INVALID_ARGUMENT", `a threshold of ${threshold} for ${owners.length} owner(s) is impossible`);
  }
  const setup = SAFE_INTERFACE.encodeFunctionData("setup", [
    owners,
    threshold,
    ZeroAddress,
    "0x",
    contracts.fallbackHandler,
    ZeroAddress,
    0,
    ZeroAddress,
  ]);
  const factory = new Contract(contracts.factory, factoryArtifact.abi, deployer);
  const create = factory.getFunction("createProxyWithNonce");
  const address = (await create.staticCall(contracts.singleton, setup, salt)) as string;
  const response = (await create(contracts.singleton, setup, salt)) as { wait(): Promise<unknown> };
  await response.wait();
  return getAddress(address);
}

/** The default threshold for `owners` representatives: a majority (more than half), as consensus among economies. */
export const majority = (owners: number): number => Math.floor(owners / 2) + 1;
