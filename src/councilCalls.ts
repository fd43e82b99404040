/**
 * What a council proposal does, read from its Safe transaction alone: the call decoded against the ABIs CCR knows
 * (the registry, the names contract, the council Safe itself), a description derived from it (never taken from the
 * proposal file), and the risks a representative must name before signing (delegatecall, value, gas refunds, a
 * `safeTxGas` that lets a failed call still use the nonce, unknown targets or functions). A Safe transaction that
 * changes the Safe itself (owners, threshold, modules, guards, fallback handler) is a council change: shown as such,
 * with a warning.
 */
import { Interface, ZeroAddress, getAddress, type ParamType, type TransactionDescription } from "ethers";
import safeArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/SafeL2.sol/SafeL2.json" with { type: "json" };
import { ICCRNames__factory, ICCR__factory } from "../types/ethers-contracts/index.js";
import { economyIso } from "./codes.ts";

/** A Safe transaction as a proposal file holds it. Numbers as decimal strings. */
export interface SafeTransactionFields {
  to: string;
  value: string;
  data: string;
  operation: number;
  safeTxGas: string;
  baseGas: string;
  gasPrice: string;
  gasToken: string;
  refundReceiver: string;
  nonce: string;
}

/** The risks a proposal may carry; each is refused unless the representative names it (`--allow-risk`). */
export const RISKS = {
  delegatecall: "it is a delegatecall: the target's code runs as the Safe itself and can change anything in it",
  value: "it sends value from the Safe",
  refund: "it pays a gas refund from the Safe (baseGas, gasPrice, gasToken or refundReceiver set)",
  gas: "it sets safeTxGas: the Safe uses its nonce even when the call fails",
  "unknown-target": "it calls a contract that is neither the registry, the names contract nor the council Safe",
  "unknown-function": "it calls a function that is not a council action",
} as const;
export type Risk = keyof typeof RISKS;

export function isRisk(name: string): name is Risk {
  return Object.hasOwn(RISKS, name);
}

/** The contracts a council proposal may call. */
export interface CouncilTargets {
  registry: string;
  names?: string | undefined;
  safe: string;
}

/** One decoded argument: its name, its ABI type and its raw value as text. */
export interface CallArgument {
  name: string;
  type: string;
  value: string;
}

export interface DecodedCall {
  /** What it does, in words; a proposal's description must be exactly this. */
  description: string;
  /** "the registry", "the names contract", "the council Safe itself" or "an unknown contract". */
  target: string;
  /** The function's name, when it is known. */
  functionName?: string | undefined;
  args: CallArgument[];
  risks: Risk[];
  /** Set for a change of the council Safe itself. */
  warning?: string | undefined;
}

const SAFE_CHANGE_WARNING =
  "WARNING: this changes the council Safe itself (who its owners are, how many must sign, or what may act for it " +
  "without their signatures): sign it only when the representatives agreed on exactly this";

const REGISTRY = ICCR__factory.createInterface();
const NAMES = ICCRNames__factory.createInterface();
const SAFE = new Interface(safeArtifact.abi);

type Words = (args: TransactionDescription["args"]) => string;
const iso = (code: unknown): string => economyIso(String(code));
const quoted = (text: unknown): string => JSON.stringify(String(text));

/** The council's actions on the registry, in words. */
const REGISTRY_ACTIONS: Record<string, Words> = {
  admitEconomy: ([economy, authority]) => `admit ${iso(economy)} with authority ${String(authority)}`,
  removeEconomy: ([economy]) => `remove ${iso(economy)}`,
  appointAuthority: ([economy, authority]) => `appoint ${String(authority)} as the authority of ${iso(economy)}`,
  registerSchema: ([name, uri, digest]) => `register schema ${quoted(name)} (${String(uri)}, sha256 ${String(digest)})`,
  deprecateSchema: ([schema]) => `deprecate schema ${String(schema)}`,
  releaseIssuer: ([issuer]) => `release ${String(issuer)}`,
  beginDefaultAdminTransfer: ([next]) => `begin handing the council over to ${String(next)}`,
  cancelDefaultAdminTransfer: () => "cancel handing the council over",
  acceptDefaultAdminTransfer: () => "accept the council role for this Safe",
  changeDefaultAdminDelay: ([delay]) => `change the council hand-over delay to ${String(delay)} s`,
  rollbackDefaultAdminDelay: () => "cancel the change of the council hand-over delay",
};

/** The council's actions on the names contract, in words. */
const NAMES_ACTIONS: Record<string, Words> = {
  nameEconomy: ([economy, name, legalName, website, authorityName]) =>
    `name ${iso(economy)} ${quoted(name)}, its authority ${quoted(authorityName)}` +
    (String(legalName) === "" ? "" : `, legal name ${quoted(legalName)}`) +
    (String(website) === "" ? "" : `, website ${String(website)}`),
};

/** Changes of the council Safe itself, in words. */
const SAFE_CHANGES: Record<string, Words> = {
  addOwnerWithThreshold: ([owner, threshold]) =>
    `council change: add owner ${String(owner)} and require ${String(threshold)} signature(s)`,
  removeOwner: ([, owner, threshold]) =>
    `council change: remove owner ${String(owner)} and require ${String(threshold)} signature(s)`,
  swapOwner: ([, oldOwner, newOwner]) => `council change: replace owner ${String(oldOwner)} with ${String(newOwner)}`,
  changeThreshold: ([threshold]) => `council change: require ${String(threshold)} signature(s)`,
  enableModule: ([module]) => `council change: enable module ${String(module)}, which may act without signatures`,
  disableModule: ([, module]) => `council change: disable module ${String(module)}`,
  setGuard: ([guard]) => `council change: set the transaction guard to ${String(guard)}`,
  setModuleGuard: ([guard]) => `council change: set the module guard to ${String(guard)}`,
  setFallbackHandler: ([handler]) => `council change: set the fallback handler to ${String(handler)}`,
};

const isZero = (n: string): boolean => {
  try {
    return BigInt(n) === 0n;
  } catch {
    return false;
  }
};

/** The risks of a transaction's own fields (not of its call). */
function fieldRisks(tx: SafeTransactionFields): Risk[] {
  const risks: Risk[] = [];
  if (Number(tx.operation) !== 0) risks.push("delegatecall");
  if (!isZero(tx.value)) risks.push("value");
  const refund =
    !isZero(tx.baseGas) ||
    !isZero(tx.gasPrice) ||
    tx.gasToken.toLowerCase() !== ZeroAddress ||
    tx.refundReceiver.toLowerCase() !== ZeroAddress;
  if (refund) risks.push("refund");
  if (!isZero(tx.safeTxGas)) risks.push("gas");
  return risks;
}

const sameAddress = (a: string | undefined, b: string): boolean =>
  a !== undefined && a.toLowerCase() === b.toLowerCase();

function parse(iface: Interface, data: string): TransactionDescription | undefined {
  try {
    return iface.parseTransaction({ data }) ?? undefined;
  } catch {
    return undefined;
  }
}

function argumentsOf(call: TransactionDescription): CallArgument[] {
  return call.fragment.inputs.map((input: ParamType, i) => ({
    name: input.name,
    type: input.type,
    value: String(call.args[i]),
  }));
}

/**
 * Decodes `tx` against the contracts a council proposal may call. The description says the call and, after it, each
 * risky field (a delegatecall, value sent, refunds), so that it is never less than what the transaction does.
 */
export function decodeCouncilCall(targets: CouncilTargets, tx: SafeTransactionFields): DecodedCall {
  const known: [string, string | undefined, Interface, Record<string, Words>][] = [
    ["the registry", targets.registry, REGISTRY, REGISTRY_ACTIONS],
    ["the names contract", targets.names, NAMES, NAMES_ACTIONS],
    ["the council Safe itself", targets.safe, SAFE, SAFE_CHANGES],
  ];
  const risks = fieldRisks(tx);
  const match = known.find(([, address]) => sameAddress(address, tx.to));
  const call = match === undefined ? undefined : parse(match[2], tx.data);
  const words = call === undefined || match === undefined ? undefined : match[3][call.name];
  let description: string;
  if (match === undefined) {
    risks.push("unknown-target");
    description = `call the unknown contract ${tx.to} with ${(tx.data.length - 2) / 2} byte(s) of data`;
  } else if (call === undefined || words === undefined) {
    risks.push("unknown-function");
    const what = call === undefined ? `the unknown function ${tx.data.slice(0, 10)}` : `${call.name}`;
    description = `call ${what} of ${match[0]} ${tx.to}`;
  } else {
    description = words(call.args);
  }
  if (risks.includes("delegatecall")) description += ", as a delegatecall";
  if (risks.includes("value")) description += `, sending ${tx.value} wei`;
  if (risks.includes("refund")) description += ", paying a gas refund";
  const isSafeChange = match?.[2] === SAFE && words !== undefined;
  return {
    description,
    target: match?.[0] ?? "an unknown contract",
    functionName: call?.name,
    args: call === undefined ? [] : argumentsOf(call),
    risks,
    warning: isSafeChange ? SAFE_CHANGE_WARNING : undefined,
  };
}

/** How a proposal's parts are shown with names: an address, an economy code, a schema id. */
export interface CallLabels {
  address: (address: string) => Promise<string>;
  economy: (iso: string) => Promise<string>;
  schema: (id: number) => Promise<string>;
}

async function shownArgument(arg: CallArgument, labels: CallLabels): Promise<string> {
  if (arg.type === "address") return labels.address(getAddress(arg.value));
  if (arg.type === "bytes2") return labels.economy(iso(arg.value));
  if (arg.type === "uint8" && arg.name === "schema") return labels.schema(Number(arg.value));
  if (arg.type === "string") return quoted(arg.value);
  return arg.value;
}

const orNone = (address: string): string => (address.toLowerCase() === ZeroAddress ? "none" : address);

/**
 * The lines a representative reads before signing: what it does, the target, the function with every argument named
 * (economies, schemas and addresses with their names), the operation, value and gas/refund fields, the warning of a
 * council change, and the Safe transaction hash that is signed.
 */
export async function describeProposalLines(
  decoded: DecodedCall,
  tx: SafeTransactionFields,
  safeTxHash: string,
  labels: CallLabels,
): Promise<string[]> {
  const lines = [`  does:       ${decoded.description}`, `  target:     ${decoded.target} ${tx.to}`];
  if (decoded.functionName !== undefined) {
    lines.push(`  function:   ${decoded.functionName}`);
    for (const arg of decoded.args) lines.push(`    ${arg.name}: ${await shownArgument(arg, labels)}`);
  } else {
    lines.push(`  data:       ${tx.data}`);
  }
  lines.push(
    `  operation:  ${Number(tx.operation) === 0 ? "call" : "DELEGATECALL"}; value ${tx.value} wei`,
    `  gas:        safeTxGas ${tx.safeTxGas}, baseGas ${tx.baseGas}, gasPrice ${tx.gasPrice}, ` +
      `gasToken ${orNone(tx.gasToken)}, refundReceiver ${orNone(tx.refundReceiver)}`,
  );
  for (const risk of decoded.risks) lines.push(`  RISK (${risk}): ${RISKS[risk]}`);
  if (decoded.warning !== undefined) lines.push(`  ${decoded.warning}`);
  lines.push(`  Safe transaction hash (what is signed): ${safeTxHash}`);
  return lines;
}
