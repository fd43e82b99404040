import { expect } from "chai";
import { AbiCoder, Interface, Wallet, ZeroHash, hexlify, randomBytes, type Result } from "ethers";
import { decodeStatic, encodeCall, hasStaticOutputs } from "../src/abiCodec.ts";
import { ICCR__factory } from "../types/ethers-contracts/index.js";

/** The hand-written coder of the hot paths, against ethers' own on the same values. */
describe("abiCodec (hot-path ABI coding)", function () {
  const iccr = ICCR__factory.createInterface();
  const coder = AbiCoder.defaultAbiCoder();
  const hash = (): string => hexlify(randomBytes(32));
  const address = (): string => Wallet.createRandom().address;
  const small = (bits: number): bigint => BigInt(`0x${hexlify(randomBytes(bits / 8)).slice(2)}`);

  it("encodes verdicts calls as ethers does: singles and batch members with proofs of any length", function () {
    for (let round = 0; round < 20; round++) {
      const queries = Array.from({ length: round % 7 }, (_, i) => {
        const batch = i % 2 === 1;
        return {
          issuer: i % 3 === 0 ? address().toLowerCase() : address(),
          credential: hash(),
          batchRoot: batch ? hash() : ZeroHash,
          index: batch ? small(16) : 0,
          proof: batch ? Array.from({ length: i }, hash) : [],
        };
      });
      const economy = round % 2 === 0 ? "0x5347" : "0x0000";
      expect(encodeCall(iccr, "verdicts", [queries, economy])).to.equal(
        iccr.encodeFunctionData("verdicts", [queries, economy]),
      );
    }
  });

  it("encodes value types, fixed and dynamic arrays and tuples as ethers does, numbers given in any form", function () {
    const iface = new Interface([
      "function f(int16 a, bytes2 b, bool c, uint256[2] d, (address who, uint8 n)[] e, uint40 g, bytes32[] h)",
    ]);
    const args = [
      -300,
      "0xABcd",
      true,
      [1n, "0x10"],
      [[address(), 255], { who: address(), n: "7" }],
      2n ** 40n - 1n,
      [],
    ];
    expect(encodeCall(iface, "f", args)).to.equal(iface.encodeFunctionData("f", args));
    const memberBits: [string, string, string] = [address(), hash(), "3"];
    expect(encodeCall(iccr, "memberBits", memberBits)).to.equal(iccr.encodeFunctionData("memberBits", memberBits));
  });

  it("refuses what it does not encode, naming the type and the value", function () {
    const iface = new Interface(["function f(uint8 a)", "function g(bytes2 b)", "function h(address c)"]);
    expect(() => encodeCall(iface, "f", [256])).to.throw(TypeError, "cannot ABI-encode 256 as uint8");
    expect(() => encodeCall(iface, "f", [-1])).to.throw(TypeError, "as uint8");
    expect(() => encodeCall(iface, "f", [1.5])).to.throw(TypeError, "as uint8");
    expect(() => encodeCall(iface, "g", ["0x123456"])).to.throw(TypeError, "cannot ABI-encode 0x123456 as bytes2");
    expect(() => encodeCall(iface, "h", ["0x1234"])).to.throw(TypeError, "as address");
    expect(() => encodeCall(iface, "f", [])).to.throw(TypeError, "expected 1 values, got 0");
    expect(() => encodeCall(iccr, "registerSchema", ["name", "uri", ZeroHash])).to.throw(TypeError, "as string");
    expect(() => encodeCall(iccr, "noSuchFunction", [])).to.throw(TypeError, "no function noSuchFunction");
  });

  it("decodes static answers as ethers does, at any offset, and refuses short or dynamic data", function () {
    const verdict = iccr.getFunction("verdict")?.outputs ?? [];
    const record = iccr.getFunction("getCredential")?.outputs ?? [];
    for (let round = 0; round < 20; round++) {
      const v = [
        round % 9,
        round % 6,
        small(40),
        small(8),
        round % 6,
        round % 2 === 0,
        round % 3 === 0,
        address(),
        hexlify(randomBytes(2)),
        small(8),
        small(40),
        small(40),
        small(40),
        small(40),
      ];
      const data = coder.encode(verdict, [v]);
      expect(decodeStatic(verdict, data).toArray(true)).to.deep.equal(coder.decode(verdict, data).toArray(true));
      expect((decodeStatic(verdict, data)[0] as Result).getValue("issuer")).to.equal(v[7]);
      // Behind another word: the same values at byte offset 32.
      const shifted = `0x${"ff".repeat(32)}${data.slice(2)}`;
      expect(decodeStatic(verdict, shifted, 32).toArray(true)).to.deep.equal(coder.decode(verdict, data).toArray(true));
    }
    const r = [small(24), 3, 2, 5, small(32), small(40), small(40), small(40), small(40)];
    const data = coder.encode(record, [r]);
    const decoded = decodeStatic(record, data)[0] as Result;
    expect(decoded.toObject()).to.deep.equal((coder.decode(record, data)[0] as Result).toObject());
    const signed = new Interface(["function f() returns (int16 a, bytes32 b, uint256[2] c)"]);
    const outputs = signed.getFunction("f")?.outputs ?? [];
    const values = [-2, hash(), [1n, 2n]];
    const encoded = coder.encode(outputs, values);
    expect(decodeStatic(outputs, encoded).toArray(true)).to.deep.equal(coder.decode(outputs, encoded).toArray(true));
    expect(() => decodeStatic(outputs, encoded.slice(0, -2))).to.throw(RangeError, "ABI data too short");
    expect(hasStaticOutputs(iccr, "getSchema")).to.equal(false);
    expect(() => decodeStatic(iccr.getFunction("getSchema")?.outputs ?? [], `0x${"00".repeat(512)}`)).to.throw(
      TypeError,
      "is not static",
    );
  });
});
