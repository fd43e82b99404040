/**
 * Generates a long registry history on a devnet, fast: single anchors, batch anchors, revocations, suspensions,
 * reinstatements and accreditation changes, sent from the seeded issuers' and authorities' accounts through the
 * node's account impersonation (devnet only). For the auditor's benchmark and its kill-and-resume test.
 */
import { Interface, hexlify, randomBytes } from "ethers";
import { REASONS } from "../../src/codes.ts";
import type { Deployment } from "../../src/deployment.ts";
import { rpcProvider } from "../../src/registry.ts";
import { ICCR__factory } from "../../types/ethers-contracts/index.js";

/** Sends transactions that emit `events` registry events, `perBlock` to a block; returns when all are mined. */
export async function generateHistory(deployment: Deployment, events: number, perBlock = 200): Promise<void> {
  const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
  const registry: Interface = ICCR__factory.createInterface();
  const to = deployment.registry.address;
  const account = (name: string): string => deployment.accounts[name]?.address ?? "";
  const issuers = ["sg-agent", "jp-agent", "cl-chamber", "ca-bank"].map(account);
  const schemaOf = new Map([
    [account("sg-agent"), 0],
    [account("jp-agent"), 0],
    [account("cl-chamber"), 3],
    [account("ca-bank"), 4],
  ]);
  const authority = new Map([
    [account("sg-agent"), account("authority-sg")],
    [account("jp-agent"), account("authority-jp")],
  ]);

  // Automine off, a block's transactions (200 by default) sent concurrently (ethers batches them into JSON-RPC batches), then one block.
  // Larger blocks slow the node down: its pending pool re-checks each sender's queue on every new transaction.
  const senders = [...issuers, ...authority.values(), account("authority-au")];
  for (const sender of senders) await provider.send("hardhat_impersonateAccount", [sender]);
  await provider.send("evm_setAutomine", [false]);
  // Room for all of them in one block at the generous gas limit given to each.
  await provider.send("evm_setBlockGasLimit", ["0x" + (2n ** 40n).toString(16)]);
  const pending: { from: string; data: string }[] = [];
  let sent = 0;
  const flush = async (): Promise<void> => {
    await Promise.all(pending.map((tx) => provider.send("eth_sendTransaction", [{ ...tx, to, gas: "0x40000" }])));
    pending.length = 0;
    await provider.send("evm_mine", []);
  };
  const queue = async (from: string, method: string, args: readonly unknown[]): Promise<void> => {
    pending.push({ from, data: registry.encodeFunctionData(method, args) });
    sent++;
    if (pending.length >= perBlock) await flush();
  };

  // A cycle of 20 transactions, one event each; status changes only touch what an earlier step anchored.
  const singles: { issuer: string; hash: string }[] = [];
  const suspended: { issuer: string; hash: string }[] = [];
  const batches: { issuer: string; root: string }[] = [];
  let issuerSuspended = false;
  for (let i = 0; sent < events; i++) {
    const issuer = issuers[i % issuers.length] ?? "";
    const schema = schemaOf.get(issuer) ?? 0;
    const step = i % 20;
    const single = step >= 14 && step <= 16 ? singles.shift() : undefined;
    const batch = step === 13 ? batches.shift() : undefined;
    const reinstated = step === 17 ? suspended.shift() : undefined;
    if (single !== undefined && step === 16) {
      suspended.push(single);
      await queue(single.issuer, "suspendCredential", [single.issuer, single.hash, REASONS.certificateHold]);
    } else if (single !== undefined) {
      await queue(single.issuer, "revokeCredential", [single.issuer, single.hash, REASONS.superseded]);
    } else if (batch !== undefined) {
      const members = [{ word: 0n, bits: BigInt(hexlify(randomBytes(32))) }];
      await queue(batch.issuer, "revokeMembers", [batch.issuer, batch.root, members, REASONS.superseded]);
    } else if (reinstated !== undefined) {
      await queue(reinstated.issuer, "reinstateCredential", [reinstated.issuer, reinstated.hash]);
    } else if (step === 11 || step === 12) {
      const root = hexlify(randomBytes(32));
      batches.push({ issuer, root });
      await queue(issuer, "anchorBatch", [root, 256, schema, 0, 0]);
    } else if (step === 18) {
      const subject = i % 40 < 20 ? account("sg-agent") : account("jp-agent");
      await queue(authority.get(subject) ?? "", "amendAccreditation", [subject, 3n, 0, 0]);
    } else if (step === 19) {
      issuerSuspended = !issuerSuspended;
      const method = issuerSuspended ? "suspendIssuer" : "reinstateIssuer";
      await queue(account("authority-au"), method, [account("au-university")]);
    } else {
      const hash = hexlify(randomBytes(32));
      singles.push({ issuer, hash });
      await queue(issuer, "anchor", [hash, schema, 0, 0]);
    }
  }
  await flush();
  await provider.send("evm_setAutomine", [true]);
  provider.destroy();
}

/**
 * Adds about `events` more registry events, as fast as a chain gives them: "cl-chamber" anchors one batch (the
 * largest size there is), then suspends and reinstates its first members one by one, `perTransaction` members per
 * transaction (one MembersStatusChanged event each: a call takes many member sets). For a history of millions of
 * events; `generateHistory` gives the varied one. Two transactions per block (2,048 events): at 16 a block, 50 blocks
 * were 819,200 logs, an eth_getLogs answer of about 700 MB, which Hardhat's node cannot write (a string that long is
 * beyond V8's limit: the node dies).
 */
export async function generateMemberEvents(
  deployment: Deployment,
  events: number,
  perTransaction = 1024,
  perBlock = 2,
): Promise<void> {
  const provider = rpcProvider(deployment.rpcUrl, deployment.chainId);
  const registry: Interface = ICCR__factory.createInterface();
  const to = deployment.registry.address;
  const issuer = deployment.accounts["cl-chamber"]?.address ?? "";
  await provider.send("hardhat_impersonateAccount", [issuer]);
  await provider.send("evm_setBlockGasLimit", ["0x" + (2n ** 40n).toString(16)]);
  const root = hexlify(randomBytes(32));
  const send = (data: string): Promise<unknown> =>
    provider.send("eth_sendTransaction", [{ from: issuer, to, data, gas: "0x" + (16_000_000).toString(16) }]);
  await provider.send("evm_setAutomine", [true]);
  await send(registry.encodeFunctionData("anchorBatch", [root, 2 ** 32 - 1, 3, 0, 0]));
  // Two calls, encoded once: suspend members 0 to perTransaction - 1 one set each, then reinstate them.
  const sets = Array.from({ length: perTransaction }, (_, i) => ({
    word: BigInt(i >> 8),
    bits: 1n << BigInt(i & 255),
  }));
  const suspend = registry.encodeFunctionData("suspendMembers", [issuer, root, sets, REASONS.certificateHold]);
  const reinstate = registry.encodeFunctionData("reinstateMembers", [issuer, root, sets]);
  await provider.send("evm_setAutomine", [false]);
  const transactions = Math.ceil(events / perTransaction);
  for (let sent = 0; sent < transactions;) {
    const block: Promise<unknown>[] = [];
    for (let i = 0; i < perBlock && sent < transactions; i++, sent++)
      block.push(send(sent % 2 === 0 ? suspend : reinstate));
    await Promise.all(block);
    await provider.send("evm_mine", []);
  }
  // An even number of calls leaves the members active, as they began.
  if (transactions % 2 === 1) {
    await send(reinstate);
    await provider.send("evm_mine", []);
  }
  await provider.send("evm_setAutomine", [true]);
  provider.destroy();
}
