import {
  Interface,
  isError,
  type JsonRpcProvider,
  type BlockTag,
  type ContractTransactionResponse,
  type Provider,
  type Signer,
} from "ethers";
import type { QueryStruct, VerdictStructOutput } from "../types/ethers-contracts/interfaces/ICCR.js";
import { ICCRNames__factory, ICCR__factory, type ICCR, type ICCRNames } from "../types/ethers-contracts/index.js";
import { ANCHOR_STATE, AnchorState, ISSUER_STANDING, economyIso } from "./codes.ts";
import type { Deployment } from "./deployment.ts";
import { encodeCall } from "./abiCodec.ts";
import { CCRError } from "./errors.ts";
import { HttpJsonRpcProvider } from "#json-rpc";
import { decodeStaticArray } from "./viewBatch.ts";
import { RPC_TIMEOUT_MS } from "./settings.ts";

export { RPC_TIMEOUT_MS };

/** A JSON-RPC provider for a known chain: no network detection loop, a bounded timeout per request. */
export function rpcProvider(url: string, chainId: number, timeoutMs = RPC_TIMEOUT_MS): JsonRpcProvider {
  return new HttpJsonRpcProvider(url, chainId, timeoutMs);
}

/** True for errors where the node answered: a revert is an answer, a refused connection is not. */
function isContractAnswer(error: unknown): boolean {
  return isError(error, "CALL_EXCEPTION") || error instanceof CCRError || refusedTransaction(error) !== undefined;
}

/** What it means when the node refuses a transaction itself (not the registry), or undefined for other errors. */
function refusedTransaction(error: unknown): string | undefined {
  if (isError(error, "NONCE_EXPIRED") || isError(error, "REPLACEMENT_UNDERPRICED")) {
    return "another transaction from the same key was sent at the same time (another ccr run or wallet using this key)";
  }
  if (isError(error, "INSUFFICIENT_FUNDS")) return "the sending account has too little ETH to pay for gas";
  if (isError(error, "TRANSACTION_REPLACED")) return "the transaction was replaced by another from the same key";
  return undefined;
}

/**
 * Runs an RPC call; any failure but a contract revert becomes CCRError("RPC_UNAVAILABLE") naming the endpoint and what
 * was being done, so that no caller reports an unreachable node as a property of a credential.
 */
export async function rpc<T>(endpoint: string, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    if (isContractAnswer(cause)) throw cause;
    throw unreachable(endpoint, doing, cause);
  }
}

/** An error's message without what ethers appends (the request, the raw transaction, the whole payload). */
function briefly(cause: unknown): string {
  if (cause instanceof Error) {
    const short = (cause as Error & { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" ? short : (cause.message.split("\n")[0] ?? "").replace(/ \(.*$/, "");
  }
  return String(cause);
}

function unreachable(endpoint: string, doing: string, cause: unknown): CCRError {
  const reason = briefly(cause);
  return new CCRError("RPC_UNAVAILABLE", `could not reach the RPC at ${endpoint} while ${doing}: ${reason}`, { cause });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Like `rpc`, for long jobs that should ride out a node's hiccups: failures that are not the node's answer are
 * retried with exponential backoff (0.4 s, doubling, at most 5 s between attempts) before the node is declared
 * unreachable. `isAnswer` names other errors that are answers to pass on at once (a refused block range, say).
 */
export async function rpcRetried<T>(
  endpoint: string,
  doing: string,
  call: () => Promise<T>,
  options: { attempts?: number; isAnswer?: (error: unknown) => boolean } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (isContractAnswer(error) || options.isAnswer?.(error) === true) throw error;
      if (attempt >= attempts) throw unreachable(endpoint, doing, error);
      await sleep(Math.min(200 * 2 ** attempt, 5_000));
    }
  }
}

/**
 * The registry's `verdicts` on `queries` at `blockTag`, encoded and decoded by abiCodec.ts (200 verdicts are 90 KB
 * of arguments and 180 KB of answer, which ethers' coder takes longer over than the node takes to compute them).
 */
export async function readVerdicts(
  connection: Pick<RegistryConnection, "registry" | "provider" | "reader">,
  queries: readonly QueryStruct[],
  verifierEconomy: string,
  blockTag: BlockTag,
): Promise<VerdictStructOutput[]> {
  const { registry, provider, reader } = connection;
  const data = encodeCall(registry.interface, "verdicts", [queries, verifierEconomy]);
  // Asked of the registry's own reader (the address the registry reports), which the registry would forward the
  // call to: the same answer, without a call frame that copies every query and verdict once more (half the time).
  const answer = await provider.call({ to: reader, data, blockTag });
  return decodeStaticArray(registry.interface, "verdicts", answer).map((item) => item[0] as VerdictStructOutput);
}

/**
 * The chain id the node itself reports: a provider made for a known chain (`rpcProvider`) answers `getNetwork` from
 * what it was told, so a deployment file with a wrong chain id would never be noticed.
 */
async function askChainId(provider: Provider): Promise<bigint> {
  const send = (provider as Partial<Pick<JsonRpcProvider, "send">>).send;
  if (typeof send !== "function") return (await provider.getNetwork()).chainId;
  return BigInt(String(await send.call(provider, "eth_chainId", [])));
}

/** A connection to one CCR registry, checked against its deployment file. */
export interface RegistryConnection {
  deployment: Deployment;
  rpcUrl: string;
  provider: Provider;
  /** The registry, read-only or connected to a signer. */
  registry: ICCR;
  /** The registry's VerdictReader, as the registry reports it. */
  reader: string;
  chainId: number;
  /** The hash of the chain's block 0: with the chain id, which chain this is (a restarted devnet is another). */
  genesisHash: string;
  /** The names contract, when the deployment has one (read-only or connected to the same signer). */
  names?: ICCRNames | undefined;
}

/**
 * Connects to the registry of `deployment` through `rpcUrl` (default: the deployment's) and checks that the node
 * serves the chain the file describes (chain id and genesis block) and that the address holds a CCR registry.
 */
export async function connectRegistry(
  deployment: Deployment,
  options: { rpcUrl?: string; provider?: Provider; signer?: Signer } = {},
): Promise<RegistryConnection> {
  const rpcUrl = options.rpcUrl ?? deployment.rpcUrl;
  const provider = options.provider ?? rpcProvider(rpcUrl, deployment.chainId);
  const [chainId, genesis, code] = await rpc(rpcUrl, "checking the deployment", () =>
    Promise.all([askChainId(provider), provider.getBlock(0), provider.getCode(deployment.registry.address)]),
  );
  if (chainId !== BigInt(deployment.chainId)) {
    throw new CCRError(
      "WRONG_CHAIN",
      `the RPC at ${rpcUrl} serves chain ${chainId}, the deployment file describes chain ${deployment.chainId}: ` +
        `check the deployment file's "chainId" and "rpcUrl" (or --rpc)`,
    );
  }
  if (deployment.genesisHash !== "" && genesis?.hash !== deployment.genesisHash) {
    throw new CCRError(
      "WRONG_CHAIN",
      `the chain at ${rpcUrl} is not the one the deployment file describes (genesis ${genesis?.hash ?? "none"}, ` +
        `expected ${deployment.genesisHash}); was the devnet restarted? Run "npm run devnet" again for a new file`,
    );
  }
  const registry = ICCR__factory.connect(deployment.registry.address, options.signer ?? provider);
  const [version, reader] =
    code === "0x"
      ? [undefined, undefined]
      : await Promise.all([
          registry.ccrVersion().catch(() => undefined),
          registry.verdictReader().catch(() => undefined),
        ]);
  if (version !== undefined && version !== "2") {
    throw new CCRError(
      "NOT_A_CCR_REGISTRY",
      `${deployment.registry.address} on chain ${deployment.chainId} is a CCR registry of interface version ` +
        `${version}; this ccr works with version 2 (deploy a new registry, or use the ccr of that version)`,
    );
  }
  if (version === undefined || reader === undefined) {
    throw new CCRError(
      "NOT_A_CCR_REGISTRY",
      `${deployment.registry.address} on chain ${deployment.chainId} is not a CCR registry`,
    );
  }
  const names =
    deployment.names === undefined
      ? undefined
      : ICCRNames__factory.connect(deployment.names.address, options.signer ?? provider);
  const genesisHash = genesis?.hash ?? deployment.genesisHash;
  return { deployment, rpcUrl, provider, registry, reader, chainId: deployment.chainId, genesisHash, names };
}

/**
 * The registry's refusal in words: the custom error's name and its arguments by name, e.g.
 * `IssuerNotAccredited(issuer=0x…, schema=2)`; undefined when `error` is not a decoded revert.
 */
export function describeRevert(error: unknown): string | undefined {
  if (!isError(error, "CALL_EXCEPTION")) return undefined;
  // ethers decodes reverts of calls, not of transactions (estimateGas): decode the data with the registry's ABI,
  // else with the names contract's.
  const data = typeof error.data === "string" ? error.data : undefined;
  const names = ICCRNames__factory.createInterface();
  const iface = data !== undefined && names.parseError(data) !== null ? names : ICCR__factory.createInterface();
  const revert = error.revert ?? (data === undefined ? null : iface.parseError(data));
  if (revert === null) return error.shortMessage;
  const fragment = iface.getError(revert.name);
  const named = revert.args.map((value: unknown, i) => `${fragment?.inputs[i]?.name ?? i}=${String(value)}`);
  const hint = HINTS[revert.name]?.(revert.args.map((value: unknown) => String(value)));
  return `${revert.name}(${named.join(", ")})${hint === undefined ? "" : `: ${hint}`}`;
}

const isoSeconds = (value: string | undefined): string =>
  new Date(Number(value) * 1000).toISOString().replace(".000Z", "Z");
const state = (value: string | undefined): string => ANCHOR_STATE[Number(value)] ?? String(value);
/** A hold is the economy authority's: say who can lift it. */
const held = (value: string | undefined): string =>
  Number(value) === AnchorState.HELD ? " (a hold by the economy's authority, which only it can lift)" : "";
const standing = (value: string | undefined): string => ISSUER_STANDING[Number(value)] ?? String(value);

/** What the most common refusals mean for the user, from the error's arguments. */
const HINTS: Record<string, (args: string[]) => string> = {
  AlreadyAnchored: () => "this issuer already anchored this hash",
  NotAnchored: ([issuer]) => `issuer ${issuer} anchored nothing under this hash`,
  InvalidTransition: ([, , current, requested]) =>
    `the credential is ${state(current)}; it cannot become ${state(requested)}${held(current)}`,
  InvalidMemberTransition: ([, , index, current, requested]) =>
    `member ${index} is ${state(current)}; it cannot become ${state(requested)}${held(current)}`,
  ValidityEnded: () => "the credentials' validity window has already ended (--valid-until is in the past)",
  ValidityOutsideAccreditation: ([, validFrom, from, until]) =>
    `the credentials' validity would start ${isoSeconds(validFrom)}, outside the issuer's accreditation ` +
    `(${isoSeconds(from)} to ${Number(until) === 0 ? "open end" : isoSeconds(until)}): --valid-from must lie inside it`,
  NameTaken: ([name, holder, economy]) =>
    `"${name}" already names ${holder}, an issuer of ${economyIso(economy ?? "0x0000")} (case aside)`,
  UntrimmedName: ([field]) => `the ${field} begins or ends with a space or a control character`,
  NoMatchingOffer: ([, economy]) =>
    `the economy ${economyIso(economy ?? "0x0000")} has no pending offer with these terms for this address`,
  IssuerAlreadyRegistered: ([, economy]) => `the address is already an issuer of ${economyIso(economy ?? "0x0000")}`,
  RequestCancelled: () => "the issuer cancelled this signed request",
  NotAllowedToManage: () => "only the issuer, its operators and its economy's authority may change this status",
  NotOperator: () => "this key is not an operator of the issuer (ccr framework operator add)",
  IssuerNotActive: ([, current]) => `the issuer's accreditation is ${standing(current)}`,
  NotAccreditedForSchema: () => "the issuer is not accredited for this credential type",
  OutsideAccreditationWindow: () => "now is outside the issuer's accreditation window",
  UnknownIssuer: () => "this account is not an accredited issuer",
  NotAnAuthority: () => "only an economy's authority may do this",
  AccessControlUnauthorizedAccount: () => "only the council may do this",
};

/** The registry's, the names contract's, the council Safe's and the DID registry's functions, for `describeCall`. */
const CALLS = [
  ICCR__factory.createInterface(),
  ICCRNames__factory.createInterface(),
  new Interface([
    "function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures)",
    "function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity)",
    "function revokeDelegate(address identity, bytes32 delegateType, address delegate)",
  ]),
];

/** A transaction in words: the function it calls and its first argument, e.g. `anchorBatch(0x12ab…)`. */
export function describeCall(request: { to?: string | null; data?: string | null }): string {
  const data = request.data ?? "0x";
  for (const iface of CALLS) {
    const call = data.length >= 10 ? iface.parseTransaction({ data }) : null;
    if (call === null) continue;
    if (call.name === "execTransaction") return `a council action through the Safe ${request.to ?? ""}`;
    const first = call.args.length > 0 ? String(call.args[0]) : "";
    return `${call.name}(${first.length > 14 ? `${first.slice(0, 12)}…` : first})`;
  }
  return `a transaction to ${request.to ?? "a new contract"}`;
}

/** A mined transaction: its hash and block. */
export interface Sent {
  transaction: string;
  blockNumber: number;
}

/**
 * Sends a registry transaction and waits for it to be mined. A revert (found when the node estimates the gas, before
 * anything is sent) becomes CCRError("REFUSED_BY_REGISTRY") with the custom error in words; an unreachable node,
 * CCRError("RPC_UNAVAILABLE").
 */
export async function send(
  connection: Pick<RegistryConnection, "rpcUrl">,
  doing: string,
  transaction: () => Promise<ContractTransactionResponse>,
): Promise<Sent> {
  try {
    return await rpc(connection.rpcUrl, doing, async () => {
      const response = await transaction();
      const receipt = await response.wait();
      if (receipt === null) throw new Error(`transaction ${response.hash} was dropped`);
      return { transaction: receipt.hash, blockNumber: receipt.blockNumber };
    });
  } catch (cause) {
    const node = refusedTransaction(cause);
    if (node !== undefined) {
      throw new CCRError(
        "TRANSACTION_REFUSED",
        `the node refused the transaction ${doing}: ${node}; nothing was lost, run the command again`,
        { cause },
      );
    }
    const refusal = describeRevert(cause);
    if (refusal === undefined) throw cause;
    throw new CCRError("REFUSED_BY_REGISTRY", `the registry refused ${doing}: ${refusal}`, { cause });
  }
}
