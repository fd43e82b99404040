/**
 * src/vc/credential.ts on its own: the hash CCR anchors for a credential, and what a credential must be to be read.
 */
import { expect } from "chai";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { ethrDid } from "../src/did.ts";
import {
  CCR_STATUS_TYPE,
  VC_CONTEXT_V2,
  buildCredential,
  credentialHash,
  decodeCredential,
  signCredential,
} from "../src/vc/credential.ts";
import { issueSdJwt } from "../src/vc/sdJwt.ts";
import { rejection } from "./rejection.ts";

const issuer = Wallet.createRandom();
const registry = Wallet.createRandom().address;
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const jws = (header: unknown, payload: unknown): string => `${encode(header)}.${encode(payload)}.c2ln`;
const status = { id: `eip155:31337:${registry}`, type: CCR_STATUS_TYPE, chainId: 31337, registry };
const valid = { "@context": [VC_CONTEXT_V2], issuer: "did:example:i", credentialStatus: status };

const malformed = async (token: string): Promise<string> => {
  const error = await rejection(Promise.resolve().then(() => decodeCredential(token)));
  return `${error.code}: ${error.message}`;
};

describe("credentials (src/vc/credential.ts): the anchored hash, and reading a credential", function () {
  it("anchors keccak256 of the whole JWS, or of an SD-JWT's issuer-signed JWT alone", async function () {
    const credential = buildCredential({
      schema: { vcType: "Diploma", uri: "https://schemas.ccr.example/diploma.json", digest: `0x${"ab".repeat(32)}` },
      issuer: ethrDid(31337, issuer.address),
      subject: { name: "Ida" },
      validFrom: new Date("2026-01-01T00:00:00Z"),
      status: { chainId: 31337, registry },
    });
    const token = await signCredential(credential, issuer.privateKey, `${credential.issuer}#controller`);
    expect(credentialHash(token)).to.equal(keccak256(toUtf8Bytes(token)));
    expect(credentialHash(`${token}~WyJzIiwibiIsInYiXQ~`)).to.equal(keccak256(toUtf8Bytes(token)));
    expect(credentialHash(`${token}~`)).to.equal(keccak256(toUtf8Bytes(token)));
    expect(credentialHash("é")).to.equal(keccak256(toUtf8Bytes("é")));
    expect(decodeCredential(token).credential).to.deep.include(credential);
    expect(decodeCredential(token).header).to.deep.include({ alg: "ES256K", typ: "vc+jwt" });
    // An SD-JWT VC is read in its VC shape.
    const sdJwt = await issueSdJwt(credential, issuer.privateKey, `${credential.issuer}#controller`);
    expect(decodeCredential(sdJwt).credential).to.deep.include({
      issuer: credential.issuer,
      validFrom: credential.validFrom,
    });
    expect(decodeCredential(sdJwt).header).to.deep.include({ typ: "dc+sd-jwt" });
  });

  it("refuses a token that is not three base64url parts of JSON objects, naming it malformed", async function () {
    const notJws = "MALFORMED_CREDENTIAL: not a compact JWS credential";
    for (const token of [
      "",
      "a.b",
      "a.b.c.d",
      `${encode({})}.${encode(valid)}.`,
      `${encode({})}.${encode(valid)}.c2ln!`,
      ` ${jws({}, valid)}`,
      `${jws({}, valid)}\n`,
      `${encode({})}.bm90IGpzb24.c2ln`,
      jws([], valid),
      jws(null, valid),
      jws("text", valid),
      jws({}, [valid]),
      jws({}, null),
    ]) {
      expect(await malformed(token), JSON.stringify(token)).to.equal(notJws);
    }
    expect(decodeCredential(jws({ typ: "vc+jwt" }, valid)).header).to.deep.equal({ typ: "vc+jwt" });
  });

  it("refuses a credential without the VC 2.0 context first, an issuer, or exactly one CCR status", async function () {
    const context = `MALFORMED_CREDENTIAL: the credential's @context must start with ${VC_CONTEXT_V2}`;
    expect(await malformed(jws({}, { ...valid, "@context": VC_CONTEXT_V2 }))).to.equal(context);
    expect(await malformed(jws({}, { ...valid, "@context": ["https://example.org", VC_CONTEXT_V2] }))).to.equal(
      context,
    );
    const missing = "MALFORMED_CREDENTIAL: the credential has no issuer or no CCR credentialStatus";
    expect(await malformed(jws({}, { ...valid, issuer: { id: "did:example:i" } }))).to.equal(missing);
    expect(await malformed(jws({}, { ...valid, credentialStatus: undefined }))).to.equal(missing);
    expect(await malformed(jws({}, { ...valid, credentialStatus: [{ type: "BitstringStatusListEntry" }] }))).to.equal(
      missing,
    );
    expect(await malformed(jws({}, { ...valid, credentialStatus: [null, status, status] }))).to.equal(
      "MALFORMED_CREDENTIAL: the credential names more than one CCR credentialStatus",
    );
    // One CCR status among Bitstring Status List entries, alone or in a list: read.
    const list = [{ type: "BitstringStatusListEntry" }, status];
    expect(decodeCredential(jws({}, { ...valid, credentialStatus: list })).credential.credentialStatus).to.deep.equal(
      list,
    );
  });
});
