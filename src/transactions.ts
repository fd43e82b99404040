/**
 * Transactions on networks that are not a devnet: blocks take seconds, fees move, transactions wait in a pool, get
 * dropped or are reorganised out of the chain. `ManagedSigner` wraps the key a command acts with and, for every
 * transaction it sends:
 *
 * 1. estimates the gas (a revert is found here, before anything is sent) and prices it as an EIP-1559 transaction at
 *    the market's fee;
 * 2. checks that the account can pay for it (else: INSUFFICIENT_FUNDS, nothing sent);
 * 3. takes the next nonce from its own counter, so several transactions can be in flight at once;
 * 4. records the signed transaction in a pending file before it is broadcast, so that a run that is interrupted (or
 *    gives up waiting) can be continued by the next one without sending anything twice;
 * 5. waits until it is mined under `confirmations` blocks, sending it again when it left the pool (a reorganisation
 *    drops it) and replacing it at a higher fee when it sits below the market's; after `timeoutMs` it gives up with
 *    TRANSACTION_PENDING (the outcome is unknown, and the record stays for the next run).
 *
 * The first transaction of a run waits, first, for whatever an earlier run with the same key on the same chain left
 * pending (`settle`).
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import {
  AbstractSigner,
  Transaction,
  formatUnits,
  isError,
  parseUnits,
  type HDNodeWallet,
  type Provider,
  type TransactionReceipt,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
  type Wallet,
} from "ethers";
import { CCRError } from "./errors.ts";

/**
 * A gas estimate with a fifth more on top. An estimate holds for the block it was made on; the block the transaction
 * lands in can cost more (a storage slot written with another timestamp, another account's transaction before it),
 * and a Safe's `execTransaction` then fails for want of the last few thousand gas.
 */
export const withHeadroom = (estimate: bigint): bigint => (estimate * 6n) / 5n;

/** How a signer waits for its transactions. */
export interface TransactionPolicy {
  /** Blocks a transaction must be under (its own included) before it counts as done: 1 is "mined". */
  confirmations: number;
  /** How long to wait for a transaction before giving up with TRANSACTION_PENDING. */
  timeoutMs: number;
  /** How long a transaction may stay unmined before it is sent again at the market's fee. */
  replaceAfterMs: number;
  /** Never pay more than this per gas (wei), replacements included; undefined: no cap. */
  maxFeePerGas?: bigint | undefined;
  /** How often the node is asked about a transaction in flight. */
  pollMs: number;
}

/** A devnet mines at once: one confirmation, quick polls. */
export const DEVNET_POLICY: TransactionPolicy = {
  confirmations: 1,
  timeoutMs: 120_000,
  replaceAfterMs: 30_000,
  pollMs: 50,
};

/** Other networks: two confirmations, a replacement after 45 s without a block for it, give up after 10 minutes. */
export const NETWORK_POLICY: TransactionPolicy = {
  confirmations: 2,
  timeoutMs: 600_000,
  replaceAfterMs: 45_000,
  pollMs: 1_000,
};

/** What a deployment file or the command line may set (seconds, gwei); anything unset keeps the network's default. */
export interface PolicySettings {
  confirmations?: number | undefined;
  txTimeout?: number | undefined;
  replaceAfter?: number | undefined;
  maxFee?: number | undefined;
}

/**
 * The policy of a run: the devnet's or other networks' defaults, then the deployment file's `transactions`, then
 * the command line's options.
 */
export function transactionPolicy(
  deployment: { network: string; transactions?: PolicySettings | undefined },
  options: PolicySettings,
): TransactionPolicy {
  const policy = { ...(deployment.network === "devnet" ? DEVNET_POLICY : NETWORK_POLICY) };
  for (const settings of [deployment.transactions ?? {}, options]) {
    if (settings.confirmations !== undefined) policy.confirmations = settings.confirmations;
    if (settings.txTimeout !== undefined) policy.timeoutMs = settings.txTimeout * 1000;
    if (settings.replaceAfter !== undefined) policy.replaceAfterMs = settings.replaceAfter * 1000;
    if (settings.maxFee !== undefined) policy.maxFeePerGas = parseUnits(String(settings.maxFee), "gwei");
  }
  return policy;
}

/** Where pending transactions are recorded: `$CCR_STATE_DIR`, else `$XDG_STATE_HOME/ccr`, else `~/.local/state/ccr`. */
export function stateDir(): string {
  const named = process.env.CCR_STATE_DIR;
  if (named !== undefined && named !== "") return named;
  const xdg = process.env.XDG_STATE_HOME;
  return join(xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".local", "state"), "ccr");
}

/** A transaction sent and not yet confirmed, as its pending file records it. */
export interface PendingTransaction {
  nonce: number;
  /** Every hash sent for this nonce: the first and its replacements (any of them may be the one mined). */
  hashes: string[];
  /** The latest signed transaction, sent again when the pool dropped it. */
  raw: string;
  /** What it does, in words (the called function), for messages. */
  doing: string;
  sentAt: string;
}

/**
 * Reads and writes one account's pending file on one chain; writes are serialised and atomic. The chain is its id and
 * its genesis block's hash: a restarted devnet (same id, same accounts, new genesis) or another devnet on the same
 * machine has a file of its own, so that no transaction signed for one chain is ever sent to another.
 */
class PendingFile {
  readonly file: string;
  readonly #genesisHash: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(chainId: bigint, genesisHash: string, address: string) {
    this.#genesisHash = genesisHash.toLowerCase();
    this.file = join(stateDir(), `pending-${chainId}-${this.#genesisHash.slice(2, 14)}-${address.toLowerCase()}.json`);
  }

  /**
   * A file of this account and chain id from before pending files were bound to a genesis (`pending-<id>-<address>`)
   * is set aside, said with a sentence: which chain its transactions were signed for is unknown.
   */
  static async setAsideUnbound(chainId: bigint, address: string, log: (line: string) => void): Promise<void> {
    const legacy = join(stateDir(), `pending-${chainId}-${address.toLowerCase()}.json`);
    const aside = `${legacy}.unbound-${Date.now()}`;
    try {
      await rename(legacy, aside);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new CCRError("OUTPUT_PROBLEM", `cannot set aside the pending transactions file ${legacy}`, { cause });
    }
    log(
      `${legacy} recorded transactions of chain ${chainId} without saying which chain's genesis they were signed for: ` +
        `set aside as ${aside}, not sent again (a restarted devnet is another chain with the same id)`,
    );
  }

  async read(): Promise<PendingTransaction[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new CCRError("OUTPUT_PROBLEM", `cannot read the pending transactions file ${this.file}`, { cause });
    }
    let value: { genesisHash?: unknown; transactions?: PendingTransaction[] };
    try {
      value = JSON.parse(text) as { genesisHash?: unknown; transactions?: PendingTransaction[] };
    } catch (cause) {
      throw new CCRError(
        "OUTPUT_PROBLEM",
        `the pending transactions file ${this.file} is not valid JSON; move it away if no transaction of this ` +
          `account is in flight`,
        { cause },
      );
    }
    if (value.genesisHash !== this.#genesisHash) {
      throw new CCRError(
        "OUTPUT_PROBLEM",
        `the pending transactions file ${this.file} was written for the chain whose genesis is ` +
          `${String(value.genesisHash)}, not this one's (${this.#genesisHash}): nothing in it is sent here; move it away`,
      );
    }
    return Array.isArray(value.transactions) ? value.transactions : [];
  }

  /** Applies `change` to the recorded transactions (read, change, write atomically), one change at a time. */
  update(change: (transactions: PendingTransaction[]) => PendingTransaction[]): Promise<void> {
    const next = this.#queue.then(async () => {
      const transactions = change(await this.read());
      await mkdir(dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${randomUUID()}.tmp`;
      const content = { genesisHash: this.#genesisHash, transactions };
      await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`);
      await rename(temporary, this.file);
    });
    this.#queue = next.catch(() => undefined);
    return next.catch((cause: unknown) => {
      if (cause instanceof CCRError) throw cause;
      throw new CCRError("OUTPUT_PROBLEM", `cannot write the pending transactions file ${this.file}`, { cause });
    });
  }

  record(pending: PendingTransaction): Promise<void> {
    return this.update((all) => [...all.filter((p) => p.nonce !== pending.nonce), pending]);
  }

  forget(nonce: number): Promise<void> {
    return this.update((all) => all.filter((p) => p.nonce !== nonce));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const gwei = (wei: bigint): string => `${Number(formatUnits(wei, "gwei")).toPrecision(4)} gwei`;
/** At least 12.5 % more: what nodes require of a replacement (geth: 10 %). */
const bumped = (wei: bigint): bigint => (wei * 1125n) / 1000n + 1n;
const max = (...values: bigint[]): bigint => values.reduce((a, b) => (a > b ? a : b));

/** Failures of the RPC itself (no answer), as opposed to the node's answers. */
function isTransient(error: unknown): boolean {
  return (
    isError(error, "TIMEOUT") ||
    isError(error, "NETWORK_ERROR") ||
    isError(error, "SERVER_ERROR") ||
    typeof (error as NodeJS.ErrnoException | undefined)?.syscall === "string"
  );
}

/** One account's next nonce, shared by every signer of that account in this process. */
/** An RPC error's message with the node's own (ethers wraps a refusal it does not know as "could not coalesce error"). */
function describeRpcError(error: unknown): string {
  const nested = (error as { error?: { message?: unknown } } | null | undefined)?.error?.message;
  const own = error instanceof Error ? error.message : String(error);
  return typeof nested === "string" ? `${own}: ${nested}` : own;
}

const nonceCounters = new Map<string, { next?: number; queue: Promise<unknown> }>();

/** Names a transaction's function for messages, from its selector (the caller may know better: `describe`). */
export type Describe = (request: { to?: string | null; data?: string | null }) => string;

/**
 * The key a command acts with, sending every transaction as described in this module's comment. It signs messages
 * and typed data as the wrapped wallet does, and exposes its `address` and `privateKey`.
 */
export class ManagedSigner extends AbstractSigner<Provider> {
  readonly wallet: Wallet | HDNodeWallet;
  readonly policy: TransactionPolicy;
  readonly #log: (line: string) => void;
  readonly #describe: Describe;
  #pending: PendingFile | undefined;
  #settled: Promise<void> | undefined;
  /** What `settle` confirmed of an earlier run: the same call asked for again is that transaction, not a new one. */
  readonly #finished: { to: string; data: string; receipt: TransactionReceipt }[] = [];

  constructor(
    wallet: Wallet | HDNodeWallet,
    provider: Provider,
    policy: TransactionPolicy,
    options: { log?: (line: string) => void; describe?: Describe } = {},
  ) {
    super(provider);
    this.wallet = wallet.connect(provider);
    this.policy = policy;
    this.#log = options.log ?? (() => undefined);
    this.#describe = options.describe ?? ((request) => `a transaction to ${request.to ?? "a new contract"}`);
  }

  get address(): string {
    return this.wallet.address;
  }

  get privateKey(): string {
    return this.wallet.privateKey;
  }

  override getAddress(): Promise<string> {
    return Promise.resolve(this.wallet.address);
  }

  override connect(provider: Provider): ManagedSigner {
    return new ManagedSigner(this.wallet, provider, this.policy, { log: this.#log, describe: this.#describe });
  }

  override signTransaction(tx: TransactionRequest): Promise<string> {
    return this.wallet.signTransaction(tx);
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.wallet.signMessage(message);
  }

  override signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    return this.wallet.signTypedData(domain, types, value);
  }

  async #pendingFile(): Promise<PendingFile> {
    if (this.#pending === undefined) {
      const { chainId } = await this.provider.getNetwork();
      const genesis = await this.provider.getBlock(0);
      if (genesis?.hash == null) throw new Error("the node does not answer for its genesis block");
      await PendingFile.setAsideUnbound(chainId, this.address, this.#log);
      this.#pending ??= new PendingFile(chainId, genesis.hash, this.address);
    }
    return this.#pending;
  }

  /** Where this account's pending transactions are recorded. */
  async pendingFile(): Promise<string> {
    return (await this.#pendingFile()).file;
  }

  /**
   * Waits for whatever an earlier run of this account left pending (sending it again where the pool lost it), once;
   * every transaction waits for this first. A transaction whose nonce was used by another one (of another wallet
   * with the same key) is forgotten with a warning: what it did was not done, and the command's own checks see that.
   */
  settle(): Promise<void> {
    this.#settled ??= (async () => {
      const file = await this.#pendingFile();
      const left = (await file.read()).sort((a, b) => a.nonce - b.nonce);
      for (const pending of left) {
        this.#log(
          `continuing ${pending.doing} (nonce ${pending.nonce}, ${pending.hashes.at(-1) ?? ""}), left pending by an ` +
            `earlier run on ${pending.sentAt}`,
        );
        try {
          const receipt = await this.#confirm(file, pending);
          const { to, data } = Transaction.from(pending.raw);
          this.#finished.push({ to: (to ?? "").toLowerCase(), data, receipt });
          this.#log(`  confirmed in block ${receipt.blockNumber}`);
        } catch (error) {
          if (!(error instanceof CCRError) || error.code !== "TRANSACTION_REPLACED") throw error;
          this.#log(`  ${error.message}`);
          await file.forget(pending.nonce);
        }
      }
    })();
    return this.#settled;
  }

  /** The next nonce of this account: the chain's count the first time, then counted here. */
  async #nextNonce(chainId: bigint): Promise<number> {
    const key = `${chainId}:${this.address}`;
    let counter = nonceCounters.get(key);
    if (counter === undefined) nonceCounters.set(key, (counter = { queue: Promise.resolve() }));
    const { queue } = counter;
    const taken = queue.then(async () => {
      counter.next ??= await this.provider.getTransactionCount(this.address, "pending");
      return counter.next++;
    });
    counter.queue = taken.catch(() => undefined);
    return taken;
  }

  /** Counts nonces from the chain again (after a nonce was taken but its transaction never reached the node). */
  #resetNonces(chainId: bigint): void {
    const counter = nonceCounters.get(`${chainId}:${this.address}`);
    if (counter !== undefined) delete counter.next;
  }

  /** The market's fees now, capped by the policy; EIP-1559 where the chain has a base fee. */
  async #fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint }> {
    const data = await this.provider.getFeeData();
    const cap = this.policy.maxFeePerGas;
    if (data.maxFeePerGas !== null && data.maxPriorityFeePerGas !== null) {
      const maxFeePerGas = cap === undefined || data.maxFeePerGas < cap ? data.maxFeePerGas : cap;
      const tip = data.maxPriorityFeePerGas < maxFeePerGas ? data.maxPriorityFeePerGas : maxFeePerGas;
      return { maxFeePerGas, maxPriorityFeePerGas: tip };
    }
    const gasPrice = data.gasPrice ?? 0n;
    return { gasPrice: cap === undefined || gasPrice < cap ? gasPrice : cap };
  }

  override async sendTransaction(request: TransactionRequest): Promise<TransactionResponse> {
    await this.settle();
    const doing = this.#describe({
      to: typeof request.to === "string" ? request.to : null,
      data: request.data ?? null,
    });
    const call = await this.populateCall(request);
    const again = this.#finished.findIndex(
      (f) => f.to === String(call.to ?? "").toLowerCase() && f.data === (call.data ?? "0x"),
    );
    // The earlier run sent exactly this and it is now confirmed: that is this command's transaction.
    const [finished] = again >= 0 ? this.#finished.splice(again, 1) : [];
    if (finished !== undefined) {
      const response = await this.provider.getTransaction(finished.receipt.hash);
      if (response !== null) return response;
    }
    const { chainId } = await this.provider.getNetwork();
    // Asked together: one round trip to the node instead of three (a busy service waits a turn for each).
    const [gasLimit, fees, balance] = await Promise.all([
      request.gasLimit === undefined || request.gasLimit === null
        ? this.provider.estimateGas(call).then(withHeadroom)
        : BigInt(request.gasLimit),
      this.#fees(),
      this.provider.getBalance(this.address),
    ]);
    const perGas = "gasPrice" in fees ? fees.gasPrice : fees.maxFeePerGas;
    const value = BigInt(call.value ?? 0);
    const cost = gasLimit * perGas + value;
    if (balance < cost) {
      throw new CCRError(
        "INSUFFICIENT_FUNDS",
        `the account ${this.address} holds ${formatUnits(balance)} ETH on chain ${chainId}; ${doing} may cost up to ` +
          `${formatUnits(cost)} ETH (gas limit ${gasLimit} at ${gwei(perGas)}): send it funds and run the command ` +
          `again; nothing was sent`,
      );
    }
    const nonce = await this.#nextNonce(chainId);
    const tx = {
      ...call,
      from: null,
      chainId,
      nonce,
      gasLimit,
      ...("gasPrice" in fees ? { type: 0, gasPrice: fees.gasPrice } : { type: 2, ...fees }),
    };
    const raw = await this.wallet.signTransaction(tx);
    const hash = Transaction.from(raw).hash ?? "";
    const file = await this.#pendingFile();
    const pending: PendingTransaction = { nonce, hashes: [hash], raw, doing, sentAt: new Date().toISOString() };
    await file.record(pending);
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (error) {
      await file.forget(nonce);
      this.#resetNonces(chainId);
      throw error;
    }
    const receipt = await this.#confirm(file, pending);
    const response = await this.provider.getTransaction(receipt.hash);
    if (response === null) throw new Error(`the node no longer knows transaction ${receipt.hash}`);
    return response;
  }

  /** The first receipt of any of `hashes`, if one is mined. */
  async #receipt(hashes: readonly string[]): Promise<TransactionReceipt | null> {
    for (const hash of hashes) {
      const receipt = await this.provider.getTransactionReceipt(hash);
      if (receipt !== null) return receipt;
    }
    return null;
  }

  /**
   * Waits until one of `pending`'s transactions is mined under `confirmations` blocks of the chain as it is then,
   * sending it again when the pool lost it and replacing it when it sits below the market's fee; forgets it once
   * done. Its receipt; a reverted one becomes REFUSED_BY_REGISTRY.
   */
  async #confirm(file: PendingFile, pending: PendingTransaction): Promise<TransactionReceipt> {
    const { confirmations, timeoutMs, replaceAfterMs, pollMs } = this.policy;
    const started = Date.now();
    let lastSent = started;
    let failures = 0;
    for (;;) {
      try {
        const receipt = await this.#receipt(pending.hashes);
        if (receipt !== null) {
          const [head, block] = await Promise.all([
            this.provider.getBlockNumber(),
            this.provider.getBlock(receipt.blockNumber),
          ]);
          if (head - receipt.blockNumber + 1 >= confirmations) {
            // Still the chain's block at that height: not reorganised away meanwhile.
            if (block?.hash === receipt.blockHash) {
              await file.forget(pending.nonce);
              if (receipt.status === 0) {
                throw new CCRError(
                  "REFUSED_BY_REGISTRY",
                  `${pending.doing} was mined in transaction ${receipt.hash} (block ${receipt.blockNumber}) but ` +
                    `reverted: the chain changed between the gas estimate and the block`,
                );
              }
              return receipt;
            }
          }
        } else {
          const used = await this.provider.getTransactionCount(this.address, "latest");
          if (used > pending.nonce) {
            // Mined meanwhile, or the nonce went to a transaction that is not ours: ask once more.
            if ((await this.#receipt(pending.hashes)) === null) {
              await file.forget(pending.nonce);
              throw new CCRError(
                "TRANSACTION_REPLACED",
                `nonce ${pending.nonce} of ${this.address} was used by another transaction (another wallet or run ` +
                  `with this key): ${pending.doing} was not done`,
              );
            }
            continue;
          }
          const current = pending.hashes.at(-1) ?? "";
          if ((await this.provider.getTransaction(current)) === null) {
            // Not in the pool (dropped, or reorganised out of the chain): the same signed transaction again.
            this.#log(
              `${pending.doing} (transaction ${current}, nonce ${pending.nonce}) is neither in a block nor in the ` +
                `node's pool (a reorganisation, or the node dropped it): sent again`,
            );
            if ((await this.#broadcast(pending.raw)) === "underpriced") await this.#replace(file, pending);
            lastSent = Date.now();
          } else if (Date.now() - lastSent >= replaceAfterMs && (await this.#replace(file, pending))) {
            lastSent = Date.now();
          }
        }
        failures = 0;
      } catch (error) {
        if (!isTransient(error)) throw error;
        if (++failures >= 5) {
          throw new CCRError(
            "RPC_UNAVAILABLE",
            `the RPC stopped answering while waiting for ${pending.doing} (transaction ${pending.hashes.at(-1) ?? ""}, ` +
              `nonce ${pending.nonce}); it may still be mined. It is recorded in ${file.file}: run the command ` +
              `again once the node answers, and it goes on from there without sending anything twice`,
            { cause: error },
          );
        }
      }
      if (Date.now() - started >= timeoutMs) {
        const fee = Transaction.from(pending.raw).maxFeePerGas ?? Transaction.from(pending.raw).gasPrice ?? 0n;
        throw new CCRError(
          "TRANSACTION_PENDING",
          `${pending.doing} (transaction ${pending.hashes.at(-1) ?? ""}, nonce ${pending.nonce}, max fee ${gwei(fee)}) ` +
            `was not confirmed within ${Math.round(timeoutMs / 1000)} s; it may still be mined. It is recorded in ` +
            `${file.file}: run the command again to go on waiting for it (sent again at the market's fee if need be); ` +
            `nothing is sent twice`,
        );
      }
      await sleep(failures > 0 ? Math.min(pollMs * 2 ** failures, 5_000) : pollMs);
    }
  }

  /**
   * Sends a signed transaction again. One the node already has is fine, and so is a nonce already used (mined
   * meanwhile, or taken by another transaction): the waiting loop finds out which.
   */
  async #broadcast(raw: string): Promise<"sent" | "underpriced"> {
    try {
      await this.provider.broadcastTransaction(raw);
      return "sent";
    } catch (error) {
      const message = describeRpcError(error);
      if (isError(error, "NONCE_EXPIRED") || /already known|already imported|known transaction/i.test(message)) {
        return "sent";
      }
      // The base fee rose above the transaction's max fee (Anvil and Geth refuse it then), or the node wants more
      // for a replacement: the caller replaces it at the market's fee, or waits.
      if (isError(error, "REPLACEMENT_UNDERPRICED") || /less than (the )?block base fee|underpriced/i.test(message)) {
        return "underpriced";
      }
      throw error;
    }
  }

  /**
   * Replaces `pending` with the same transaction at the market's fee when it sits below it (its max fee under the
   * base fee, or its tip under the market's), at least 12.5 % above its own and within the policy's cap. True when a
   * replacement was sent.
   */
  async #replace(file: PendingFile, pending: PendingTransaction): Promise<boolean> {
    const old = Transaction.from(pending.raw);
    const [market, block] = await Promise.all([this.provider.getFeeData(), this.provider.getBlock("latest")]);
    const cap = this.policy.maxFeePerGas;
    const next = old.clone();
    next.signature = null;
    if (old.type === 2) {
      const baseFee = block?.baseFeePerGas ?? 0n;
      const oldMax = old.maxFeePerGas ?? 0n;
      const oldTip = old.maxPriorityFeePerGas ?? 0n;
      const marketTip = market.maxPriorityFeePerGas ?? oldTip;
      if (oldMax >= baseFee + marketTip && oldTip >= marketTip) return false;
      const tip = max(bumped(oldTip), marketTip);
      const maxFee = max(bumped(oldMax), market.maxFeePerGas ?? 0n, 2n * baseFee + tip);
      if (cap !== undefined && maxFee > cap) {
        this.#log(
          `${pending.doing} (nonce ${pending.nonce}) is below the market's fee (base fee ${gwei(baseFee)}), but a ` +
            `replacement would pay ${gwei(maxFee)}, over the cap of ${gwei(cap)}: waiting`,
        );
        return false;
      }
      next.maxPriorityFeePerGas = tip;
      next.maxFeePerGas = maxFee;
    } else {
      const oldPrice = old.gasPrice ?? 0n;
      const marketPrice = market.gasPrice ?? oldPrice;
      if (oldPrice >= marketPrice) return false;
      const price = max(bumped(oldPrice), marketPrice);
      if (cap !== undefined && price > cap) return false;
      next.gasPrice = price;
    }
    const raw = await this.wallet.signTransaction(next);
    const hash = Transaction.from(raw).hash ?? "";
    const before = { hashes: [...pending.hashes], raw: pending.raw };
    pending.hashes.push(hash);
    pending.raw = raw;
    await file.record(pending);
    if ((await this.#broadcast(raw)) === "underpriced") {
      // The node wants more than 12.5 % (its own rule), or the base fee rose again: keep waiting on the one it has.
      Object.assign(pending, before);
      await file.record(pending);
      return false;
    }
    this.#log(
      `${pending.doing} (nonce ${pending.nonce}) sat below the market's fee: sent again as ${hash} at ` +
        `${gwei(next.maxFeePerGas ?? next.gasPrice ?? 0n)}`,
    );
    return true;
  }
}
