/**
 * A council proposal's checks on their own (src/council.ts, src/councilCalls.ts): the Safe transaction hash every
 * owner signs (against Safe's own EIP-712 constants), and every refusal of a proposal read from a file: another chain
 * or Safe, a malformed or tampered transaction, a description that is not what it does, a risk not named, a schema
 * document that is not the one registered, a signature that is not its signer's, a non-owner, an owner twice; then
 * whether it can be executed. `test/council.ts` runs the same commands against a chain and a real Safe; these run
 * without one, so `npm run mutation` can break each check.
 */
import { expect } from "chai";
import { AbiCoder, Wallet, ZeroAddress, getAddress, keccak256, type Signer } from "ethers";
import { economyCode } from "../src/codes.ts";
import {
  PROPOSAL_FORMAT,
  SAFE_INTERFACE,
  checkProposalWith,
  newProposal,
  notExecutable,
  safeTxHash,
  signProposal,
  type CouncilContext,
  type CouncilProposal,
  type CouncilSafe,
  type ProposalState,
} from "../src/council.ts";
import { decodeCouncilCall, type Risk } from "../src/councilCalls.ts";
import { schemaDigest } from "../src/schemaDocument.ts";
import { ICCRNames__factory, ICCR__factory } from "../types/ethers-contracts/index.ts";

const REGISTRY = ICCR__factory.createInterface();
const address = (n: number): string => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const owners = [1, 2, 3].map((i) => new Wallet(`0x${String(i).repeat(64)}`));
const stranger = new Wallet(`0x${"4".repeat(64)}`);
const SAFE = address(0x5afe);
const NEXT_SAFE = address(0x5aff);
const GENESIS = `0x${"ab".repeat(32)}`;

const safe = (change: Partial<CouncilSafe> = {}): CouncilSafe => ({
  address: SAFE,
  owners: owners.map((o) => o.address),
  threshold: 2,
  nonce: 5,
  ...change,
});
const context = (change: Partial<CouncilContext> = {}): CouncilContext => ({
  chainId: 31337,
  genesisHash: GENESIS,
  registry: address(0x1e9),
  names: address(0x4a3e),
  current: safe(),
  ...change,
});
const admit = {
  to: address(0x1e9),
  data: REGISTRY.encodeFunctionData("admitEconomy", [economyCode("KR"), address(0xa1)]),
};

/** A proposal of `call` signed by `signers` (in order). */
async function proposal(signers: Signer[] = [], call = admit, nonce = 5, on = SAFE): Promise<CouncilProposal> {
  let p = newProposal(context(), on, call, nonce);
  for (const signer of signers) p = await signProposal(p, signer);
  return p;
}

/** The refusal of `p` (INVALID_PROPOSAL, its text after the file's name). */
function refusal(p: unknown, allowed: readonly Risk[] = [], ctx = context()): string {
  try {
    checkProposalWith(ctx, p as CouncilProposal, "p.json", new Set(allowed));
  } catch (error) {
    expect(error).to.have.property("code", "INVALID_PROPOSAL");
    const message = (error as Error).message;
    expect(message.startsWith("p.json: "), message).to.equal(true);
    return message.slice("p.json: ".length);
  }
  throw new Error("the proposal was accepted");
}

describe("council proposals' checks (src/council.ts)", function () {
  it("hashes a Safe transaction as Safe 1.4's contract does (its own EIP-712 type hashes)", async function () {
    const p = await proposal();
    const tx = p.transaction;
    const coder = AbiCoder.defaultAbiCoder();
    // The constants of @safe-global/safe-smart-account's Safe.sol.
    const domainTypeHash = "0x47e79534a245952e8b16893a336b85a3d9ea9fa8c573f3d803afb92a79469218";
    const safeTxTypeHash = "0xbb8310d486368db6bd6f849402fdd73ad53d316b5a4b2644ad6efe0f941286d8";
    const domain = keccak256(coder.encode(["bytes32", "uint256", "address"], [domainTypeHash, 31337, SAFE]));
    const fields = coder.encode(
      [
        "bytes32",
        "address",
        "uint256",
        "bytes32",
        "uint8",
        "uint256",
        "uint256",
        "uint256",
        "address",
        "address",
        "uint256",
      ],
      [
        safeTxTypeHash,
        tx.to,
        tx.value,
        keccak256(tx.data),
        tx.operation,
        tx.safeTxGas,
        tx.baseGas,
        tx.gasPrice,
        tx.gasToken,
        tx.refundReceiver,
        tx.nonce,
      ],
    );
    const expected = keccak256(`0x1901${domain.slice(2)}${keccak256(fields).slice(2)}`);
    expect(safeTxHash(31337, SAFE, tx)).to.equal(expected);
    expect(p.safeTxHash).to.equal(expected);
    // Every field, the chain and the Safe are in the hash.
    expect(safeTxHash(1, SAFE, tx)).to.not.equal(expected);
    expect(safeTxHash(31337, NEXT_SAFE, tx)).to.not.equal(expected);
    expect(safeTxHash(31337, SAFE, { ...tx, nonce: "6" })).to.not.equal(expected);
  });

  it("makes a proposal of the call at the nonce, for this chain, described by what it does", async function () {
    const p = await proposal();
    expect(p).to.deep.include({
      format: PROPOSAL_FORMAT,
      chainId: 31337,
      genesisHash: GENESIS,
      safe: SAFE,
      description: `admit KR with authority ${address(0xa1)}`,
      signatures: [],
    });
    expect(p.transaction).to.deep.equal({
      to: admit.to,
      value: "0",
      data: admit.data,
      operation: 0,
      safeTxGas: "0",
      baseGas: "0",
      gasPrice: "0",
      gasToken: ZeroAddress,
      refundReceiver: ZeroAddress,
      nonce: "5",
    });
    expect(p).to.not.have.property("schemaDocument");
  });

  it("accepts a proposal signed by owners, each counted once, in the order they signed", async function () {
    const p = await proposal([owners[2], owners[0]]);
    const checked = checkProposalWith(context(), p, "p.json");
    expect(checked.signers).to.deep.equal([owners[2]?.address, owners[0]?.address]);
    expect(checked.safe).to.deep.equal(safe());
    expect(checked.call.functionName).to.equal("admitEconomy");
    expect(checkProposalWith(context(), await proposal(), "p.json").signers).to.deep.equal([]);
  });

  it("refuses one an owner signs twice, before and after it is written", async function () {
    const once = await proposal([owners[0]]);
    let refused: unknown;
    await signProposal(once, owners[0] as Signer).catch((error: unknown) => (refused = error));
    expect(refused).to.have.property("code", "INVALID_PROPOSAL");
    const twice = { ...once, signatures: [...once.signatures, ...once.signatures] };
    expect(refusal(twice)).to.equal(`${owners[0]?.address} signed it twice: an owner counts once`);
  });

  it("refuses a signature by someone who is not an owner, or one that is not its signer's", async function () {
    expect(refusal(await proposal([stranger]))).to.equal(
      `${stranger.address} signed it but is not an owner of the council Safe`,
    );
    const p = await proposal([owners[0]]);
    const [first] = p.signatures;
    const claimed = { ...p, signatures: [{ signer: owners[1]?.address ?? "", signature: first?.signature ?? "" }] };
    expect(refusal(claimed)).to.equal(
      `the signature listed for ${owners[1]?.address} is not its signature of this proposal`,
    );
    const garbage = { ...p, signatures: [{ signer: owners[0]?.address ?? "", signature: "0x1234" }] };
    expect(refusal(garbage)).to.contain("is not its signature of this proposal");
    // A signature of another transaction (the next nonce) is not a signature of this one.
    const other = await proposal([owners[0]], admit, 6);
    expect(refusal({ ...p, signatures: other.signatures })).to.contain("is not its signature of this proposal");
    expect(refusal({ ...p, signatures: "none" })).to.equal("its signatures are not a list");
  });

  it("refuses one for another chain, another genesis, another format, or none said", async function () {
    const p = await proposal();
    expect(refusal({ ...p, chainId: 1 })).to.equal("it was made for chain 1; this deployment's chain is 31337");
    expect(refusal({ ...p, genesisHash: `0x${"cd".repeat(32)}` })).to.contain(
      "it was made for another chain with the same id 31337",
    );
    expect(refusal({ ...p, genesisHash: undefined })).to.contain("no genesisHash");
    expect(refusal({ ...p, format: "ccr-council-proposal/0" })).to.equal(
      `not a council proposal (format ${PROPOSAL_FORMAT})`,
    );
  });

  it("takes the genesis hash in either case", async function () {
    const p = await proposal([owners[0]]);
    const upper = `0x${GENESIS.slice(2).toUpperCase()}`;
    expect(checkProposalWith(context(), { ...p, genesisHash: upper }, "p.json").signers).to.have.lengthOf(1);
    expect(checkProposalWith(context({ genesisHash: upper }), p, "p.json").signers).to.have.lengthOf(1);
  });

  it("refuses one for another Safe, and accepts one for the Safe being handed the council role", async function () {
    const p = await proposal([], admit, 0, NEXT_SAFE);
    expect(refusal(p)).to.equal(`it was made for the Safe ${NEXT_SAFE}; this registry's council is the Safe ${SAFE}`);
    const next = safe({ address: NEXT_SAFE, nonce: 0 });
    expect(checkProposalWith(context({ pending: next }), p, "p.json").safe).to.equal(next);
    const lower = { ...p, safe: NEXT_SAFE.toLowerCase() };
    expect(checkProposalWith(context({ pending: next }), lower, "p.json").safe).to.equal(next);
    expect(refusal({ ...p, safe: undefined }, [], context({ pending: next }))).to.contain("it was made for the Safe");
  });

  it("refuses one whose transaction was changed after it was proposed", async function () {
    const p = await proposal([owners[0]]);
    const other = REGISTRY.encodeFunctionData("admitEconomy", [economyCode("KR"), address(0xbad)]);
    const changed = { ...p, transaction: { ...p.transaction, data: other } };
    expect(refusal(changed)).to.equal(
      `its transaction was changed after it was proposed: it hashes to ${safeTxHash(31337, SAFE, changed.transaction)}, not ${p.safeTxHash}`,
    );
  });

  it("refuses one whose description is not what its transaction does", async function () {
    const p = await proposal();
    expect(refusal({ ...p, description: "admit KR" })).to.equal(
      `its description says "admit KR", but its transaction does something else: admit KR with authority ${address(0xa1)}`,
    );
  });

  it("refuses a malformed transaction, naming the field", async function () {
    const p = await proposal();
    const tx = p.transaction;
    const malformed = (change: Record<string, unknown>): string => refusal({ ...p, transaction: { ...tx, ...change } });
    expect(refusal({ ...p, transaction: undefined })).to.equal("it has no transaction");
    expect(refusal({ ...p, transaction: null })).to.equal("it has no transaction");
    for (const field of ["to", "gasToken", "refundReceiver"]) {
      expect(malformed({ [field]: "0x1234" })).to.equal(`its transaction's ${field} is not an address`);
      expect(malformed({ [field]: 5 })).to.equal(`its transaction's ${field} is not an address`);
      expect(malformed({ [field]: `${SAFE}00` })).to.equal(`its transaction's ${field} is not an address`);
      expect(malformed({ [field]: `x${SAFE}` })).to.equal(`its transaction's ${field} is not an address`);
    }
    for (const field of ["value", "safeTxGas", "baseGas", "gasPrice", "nonce"]) {
      for (const wrong of [5, "-1", "0x10", "1.5", "", "1".repeat(79), "1 ", " 1"]) {
        expect(malformed({ [field]: wrong }), `${field} ${String(wrong)}`).to.equal(
          `its transaction's ${field} is not a decimal number`,
        );
      }
    }
    // A list holding one valid value reads as that value when made text: it is refused for not being a string.
    expect(malformed({ to: [SAFE] })).to.equal("its transaction's to is not an address");
    expect(malformed({ data: [admit.data] })).to.equal("its transaction's data is not hex");
    for (const data of [5, "1234", "0x123", "0xzz", "x0x12", "0x12x"]) {
      expect(malformed({ data }), String(data)).to.equal("its transaction's data is not hex");
    }
    expect(malformed({ operation: 2 })).to.equal("its transaction's operation is neither 0 (call) nor 1");
    expect(malformed({ operation: "0" })).to.equal("its transaction's operation is neither 0 (call) nor 1");
  });

  it("refuses each risk unless it is named, and accepts it when it is", async function () {
    const p = await proposal();
    const risky = async (change: Partial<CouncilProposal["transaction"]>, risk: Risk, words: string) => {
      const transaction = { ...p.transaction, ...change };
      const description = decodeCouncilCall(
        { registry: admit.to, names: address(0x4a3e), safe: SAFE },
        transaction,
      ).description;
      const q = { ...p, transaction, description, safeTxHash: safeTxHash(31337, SAFE, transaction) };
      expect(refusal(q), risk).to.equal(`${words}; it is refused unless you name the risk: --allow-risk ${risk}`);
      expect(
        refusal(
          q,
          ["value", "gas", "refund", "delegatecall", "unknown-target", "unknown-function"].filter(
            (r) => r !== risk,
          ) as Risk[],
        ),
      ).to.contain(`--allow-risk ${risk}`);
      expect(
        checkProposalWith(context(), await signProposal(q, owners[0]), "p.json", new Set([risk])).call.risks,
      ).to.deep.equal([risk]);
    };
    await risky(
      { operation: 1 },
      "delegatecall",
      "it is a delegatecall: the target's code runs as the Safe itself and can change anything in it",
    );
    await risky({ value: "1" }, "value", "it sends value from the Safe");
    await risky({ safeTxGas: "100000" }, "gas", "it sets safeTxGas: the Safe uses its nonce even when the call fails");
    for (const refund of [
      { baseGas: "1" },
      { gasPrice: "1" },
      { gasToken: address(0x70c) },
      { refundReceiver: address(0xfee) },
    ]) {
      await risky(
        refund,
        "refund",
        "it pays a gas refund from the Safe (baseGas, gasPrice, gasToken or refundReceiver set)",
      );
    }
    await risky(
      { to: address(0xbad) },
      "unknown-target",
      "it calls a contract that is neither the registry, the names contract nor the council Safe",
    );
    await risky(
      { data: SAFE_INTERFACE.encodeFunctionData("nonce") },
      "unknown-function",
      "it calls a function that is not a council action",
    );
  });

  it("carries a registered schema's document, and refuses another document or one on another call", async function () {
    const document = new TextEncoder().encode('{"title":"Diploma"}');
    const digest = schemaDigest(document);
    const call = {
      to: admit.to,
      data: REGISTRY.encodeFunctionData("registerSchema", ["Diploma", "https://s/d", digest]),
      schemaDocument: document,
    };
    const p = await proposal([], call);
    expect(p.schemaDocument).to.equal(Buffer.from(document).toString("base64"));
    expect(checkProposalWith(context(), p, "p.json").call.functionName).to.equal("registerSchema");
    const another = Buffer.from('{"title":"Other"}').toString("base64");
    expect(refusal({ ...p, schemaDocument: another })).to.equal(
      `the schema document it carries has the digest ${schemaDigest(Buffer.from(another, "base64"))}; its transaction registers ${digest}`,
    );
    expect(refusal({ ...(await proposal()), schemaDocument: another })).to.equal(
      "it carries a schema document, but its transaction registers no schema",
    );
    expect(refusal({ ...p, schemaDocument: 5 })).to.equal(
      "it carries a schema document, but its transaction registers no schema",
    );
    const upper = {
      ...call,
      data: REGISTRY.encodeFunctionData("registerSchema", [
        "Diploma",
        "https://s/d",
        digest.toUpperCase().replace("0X", "0x"),
      ]),
    };
    expect(checkProposalWith(context(), await proposal([], upper), "p.json").call.functionName).to.equal(
      "registerSchema",
    );
  });

  describe("whether it can be executed", function () {
    const state = (change: Partial<ProposalState>, signers: number): ProposalState =>
      ({
        safe: safe(),
        signers: owners.slice(0, signers).map((o) => o.address),
        state: "open",
        proposal: { transaction: { nonce: "5" } },
        ...change,
      }) as ProposalState;

    it("can once the threshold of owners signed an open proposal", function () {
      expect(notExecutable(state({}, 2))).to.equal(undefined);
      expect(notExecutable(state({}, 3))).to.equal(undefined);
    });

    it("cannot below the threshold, naming who has yet to sign", function () {
      expect(notExecutable(state({}, 1), (a) => (a === owners[2]?.address ? "JP" : a))).to.equal(
        `1 of the 2 signatures it needs: 1 more from ${owners[1]?.address}, JP`,
      );
      expect(notExecutable(state({}, 0))).to.equal(
        `0 of the 2 signatures it needs: 2 more from ${owners.map((o) => o.address).join(", ")}`,
      );
    });

    it("cannot when executed, stale or queued, whatever its signatures", function () {
      expect(notExecutable(state({ state: "executed", executedIn: "0xabc" }, 3))).to.equal(
        "it was executed already, in transaction 0xabc",
      );
      expect(notExecutable(state({ state: "stale" }, 3))).to.equal(
        "its nonce 5 was used by another proposal: it can never be executed; propose it again",
      );
      expect(notExecutable(state({ state: "queued", safe: safe({ nonce: 4 }) }, 3))).to.equal(
        "the council's next proposal is nonce 4; this one (nonce 5) waits for it",
      );
    });
  });

  describe("what a proposal's transaction does, in words (src/councilCalls.ts)", function () {
    const targets = { registry: address(0x1e9), names: address(0x4a3e), safe: SAFE };
    const tx = (to: string, data: string, change: Partial<CouncilProposal["transaction"]> = {}) => ({
      ...newProposal(context(), SAFE, admit, 5).transaction,
      to,
      data,
      ...change,
    });
    const NAMES = ICCRNames__factory.createInterface();

    it("says a council action on the registry or the names contract, with its arguments and no risk", function () {
      const call = decodeCouncilCall(targets, tx(targets.registry.toLowerCase(), admit.data));
      expect(call).to.deep.equal({
        description: `admit KR with authority ${address(0xa1)}`,
        target: "the registry",
        functionName: "admitEconomy",
        args: [
          { name: "economy", type: "bytes2", value: economyCode("KR") },
          { name: "authority", type: "address", value: address(0xa1) },
        ],
        risks: [],
        warning: undefined,
      });
      const naming = NAMES.encodeFunctionData("nameEconomy", [economyCode("KR"), "Korea", "", "", "KISA"]);
      expect(decodeCouncilCall(targets, tx(targets.names, naming))).to.deep.include({
        description: 'name KR "Korea", its authority "KISA"',
        target: "the names contract",
        functionName: "nameEconomy",
        risks: [],
      });
    });

    it("warns of a change of the council Safe itself", function () {
      const data = SAFE_INTERFACE.encodeFunctionData("changeThreshold", [3]);
      expect(decodeCouncilCall(targets, tx(SAFE, data))).to.deep.include({
        description: "council change: require 3 signature(s)",
        target: "the council Safe itself",
        risks: [],
      });
      expect(decodeCouncilCall(targets, tx(SAFE, data)).warning).to.match(/^WARNING: this changes the council Safe/);
    });

    it("says an unknown contract, an unknown function or a function that is no council action, as a risk", function () {
      expect(decodeCouncilCall(targets, tx(address(0xbad), "0x12345678aa"))).to.deep.equal({
        description: `call the unknown contract ${address(0xbad)} with 5 byte(s) of data`,
        target: "an unknown contract",
        functionName: undefined,
        args: [],
        risks: ["unknown-target"],
        warning: undefined,
      });
      expect(decodeCouncilCall({ ...targets, names: undefined }, tx(targets.names, "0x"))).to.deep.include({
        target: "an unknown contract",
        risks: ["unknown-target"],
      });
      expect(decodeCouncilCall(targets, tx(targets.registry, "0x12345678aa"))).to.deep.include({
        description: `call the unknown function 0x12345678 of the registry ${targets.registry}`,
        target: "the registry",
        functionName: undefined,
        risks: ["unknown-function"],
      });
      // The selector of a council action, with arguments that do not decode.
      const short = admit.data.slice(0, 20);
      expect(decodeCouncilCall(targets, tx(targets.registry, short))).to.deep.include({
        description: `call the unknown function ${admit.data.slice(0, 10)} of the registry ${targets.registry}`,
        risks: ["unknown-function"],
      });
      const nonce = SAFE_INTERFACE.encodeFunctionData("nonce");
      expect(decodeCouncilCall(targets, tx(SAFE, nonce))).to.deep.include({
        description: `call nonce of the council Safe itself ${SAFE}`,
        functionName: "nonce",
        risks: ["unknown-function"],
        warning: undefined,
      });
    });

    it("says each risky field after the call, so that a description is never less than what it does", function () {
      const risky = decodeCouncilCall(
        targets,
        tx(targets.registry, admit.data, { operation: 1, value: "7", gasPrice: "1", safeTxGas: "9" }),
      );
      expect(risky.description).to.equal(
        `admit KR with authority ${address(0xa1)}, as a delegatecall, sending 7 wei, paying a gas refund`,
      );
      expect(risky.risks).to.deep.equal(["delegatecall", "value", "refund", "gas"]);
      // A number that is not one is not zero: a risk.
      expect(decodeCouncilCall(targets, tx(targets.registry, admit.data, { value: "x" })).risks).to.deep.equal([
        "value",
      ]);
      const refund = tx(targets.registry, admit.data, { gasToken: address(0x70c).toLowerCase() });
      expect(decodeCouncilCall(targets, refund).risks).to.deep.equal(["refund"]);
    });
  });
});
