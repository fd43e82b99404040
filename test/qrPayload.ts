import { deflateRawSync, inflateRawSync } from "node:zlib";
import { expect } from "chai";
import { base64url } from "../src/bytes.ts";
import { fromBase32, packCredential, toBase32, unpackCredential } from "../src/vc/qrPayload.ts";

describe("QR payload of a printed credential (pack, DEFLATE, base32)", function () {
  const header = base64url(JSON.stringify({ alg: "ES256K", typ: "vc+jwt" }));
  const payload = base64url(
    JSON.stringify({ credentialSubject: { name: "Aiko Tanaka", degree: "Bachelor of Science" } }),
  );
  const signature = base64url(new Uint8Array(64).map((_, i) => (i * 37) % 256));
  const anchor = {
    chainId: 31337,
    registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    batch: { root: `0x${"ab".repeat(32)}`, index: 5, size: 8, proof: [`0x${"cd".repeat(32)}`] },
  };
  const roundTrip = (jws: string): { jws: string; anchor?: unknown; format: string } =>
    JSON.parse(unpackCredential(inflateRawSync(fromBase32(toBase32(deflateRawSync(packCredential(jws, anchor))))))) as {
      jws: string;
      anchor?: unknown;
      format: string;
    };

  it("gives back the very JWS and anchor, byte for byte", function () {
    const jws = `${header}.${payload}.${signature}`;
    const back = roundTrip(jws);
    expect(back).to.deep.equal({ format: "ccr-credential/1", jws, anchor });
  });

  it("gives back an SD-JWT with its disclosures and the trailing separator", function () {
    const disclosure = base64url(JSON.stringify(["salt", "degree", "Bachelor of Science"]));
    const sdJwt = `${header}.${payload}.${signature}~${disclosure}~`;
    expect(roundTrip(sdJwt).jws).to.equal(sdJwt);
  });

  it("keeps a segment that is not canonical base64url of UTF-8 as it is", function () {
    // "A" alone is not whole bytes; a segment whose decoding is not UTF-8 (the signature) is kept too.
    const odd = `${header}.A.${signature}`;
    expect(roundTrip(odd).jws).to.equal(odd);
  });

  it("writes only characters of the QR code's alphanumeric mode that a URL fragment keeps as they are", function () {
    const text = toBase32(deflateRawSync(packCredential(`${header}.${payload}.${signature}`, anchor)));
    expect(text).to.match(/^[A-Z2-7]+$/);
  });

  it("refuses what is not a packed credential, naming it", function () {
    expect(() => unpackCredential(new TextEncoder().encode("not json"))).to.throw(/is not a packed credential/);
    expect(() => unpackCredential(new TextEncoder().encode('{"s":[],"x":"."}'))).to.throw(/is not a packed credential/);
    expect(() => fromBase32("not base32!")).to.throw(/is not base32/);
  });
});
