import { expect } from "chai";
import { ed25519 } from "@noble/curves/ed25519";
import { p256 } from "@noble/curves/p256";
import { secp256k1 } from "@noble/curves/secp256k1";
import { Resolver } from "did-resolver";
import { Wallet, getBytes, keccak256, toUtf8Bytes } from "ethers";
import { base58btc } from "multiformats/bases/base58";
import { CCRError } from "../src/errors.ts";
import {
  holderDidOf,
  holderDidProblem,
  holderKeyId,
  holderResolver,
  secp256k1DidJwk,
  secp256k1DidKey,
} from "../src/holder.ts";

const didKey = (prefix: number[], key: Uint8Array): string =>
  `did:key:${base58btc.encode(new Uint8Array([...prefix, ...key]))}`;
const didJwk = (jwk: object): string => `did:jwk:${Buffer.from(JSON.stringify(jwk)).toString("base64url")}`;

/** No chain here: a did:ethr resolution would be a test mistake. */
const noChain = new Resolver({
  ethr: () => Promise.reject(new Error("no chain in this test")),
});

describe("holder DIDs (did:ethr, did:key, did:jwk)", function () {
  const wallet = Wallet.createRandom();
  const edKey = ed25519.utils.randomPrivateKey();
  const pKey = p256.utils.randomPrivateKey();
  const edDid = didKey([0xed, 0x01], ed25519.getPublicKey(edKey));
  const pDid = didKey([0x80, 0x24], p256.getPublicKey(pKey, true));

  it("accepts well-formed holder DIDs of the three methods and the three curves", function () {
    const good = [
      `did:ethr:0x7a69:${wallet.address}`,
      `did:ethr:${wallet.address}`,
      `did:ethr:sepolia:${wallet.publicKey}`,
      secp256k1DidKey(wallet.privateKey),
      edDid,
      pDid,
      secp256k1DidJwk(wallet.privateKey),
      didJwk({ kty: "OKP", crv: "Ed25519", x: Buffer.from(ed25519.getPublicKey(edKey)).toString("base64url") }),
    ];
    expect(good.map(holderDidProblem)).to.deep.equal(good.map(() => undefined));
  });

  it("names what is wrong with a DID that cannot be a holder's", function () {
    // x = 0 is on no point of secp256k1 (7 is not a square modulo its prime).
    const offCurve = new Uint8Array(33);
    offCurve[0] = 2;
    const secp = Buffer.from(wallet.signingKey.compressedPublicKey.slice(2), "hex");
    const cases: [string, string][] = [
      ["student-1", `"student-1" is not a DID (did:<method>:<identifier>)`],
      ["did:example:123", `"did:example:123" uses did:example; a holder's DID must be did:ethr, did:key or did:jwk`],
      [
        "did:ethr:0x7a69:0x1234",
        `"did:ethr:0x7a69:0x1234" is not a well-formed did:ethr (did:ethr[:<network>]:<address or public key>)`,
      ],
      [
        "did:key:Q3sh",
        `"did:key:Q3sh" is not a well-formed did:key: a did:key holds a base58btc multibase key (starting with z)`,
      ],
      ["did:key:z0OIl", `"did:key:z0OIl" is not a well-formed did:key: its key is not base58btc`],
      [
        didKey([0x12, 0x00], secp),
        `"${didKey([0x12, 0x00], secp)}" is not a well-formed did:key: its key is none of secp256k1, P-256 or Ed25519`,
      ],
      [
        didKey([0xe7, 0x01], secp.subarray(1)),
        `"${didKey([0xe7, 0x01], secp.subarray(1))}" is not a well-formed did:key: its secp256k1 key has 32 bytes, not 33`,
      ],
      [
        didKey([0xe7, 0x01], offCurve),
        `"${didKey([0xe7, 0x01], offCurve)}" is not a well-formed did:key: its key is not a point of secp256k1`,
      ],
      ["did:jwk:not-json", `"did:jwk:not-json" is not a well-formed did:jwk: its key is not base64url-encoded JSON`],
    ];
    for (const [did, message] of cases) expect(holderDidProblem(did), did).to.equal(message);

    const withPrivate = didJwk({
      ...(JSON.parse(Buffer.from(secp256k1DidJwk(wallet.privateKey).slice(8), "base64url").toString()) as object),
      d: "AAAA",
    });
    expect(holderDidProblem(withPrivate)).to.equal(
      `"${withPrivate}" is not a well-formed did:jwk: its JWK holds a private key (d): never publish it`,
    );
    const rsa = didJwk({ kty: "RSA", n: "AQAB", e: "AQAB" });
    expect(holderDidProblem(rsa)).to.equal(
      `"${rsa}" is not a well-formed did:jwk: its JWK (kty RSA, crv undefined) is none of secp256k1, P-256 or Ed25519`,
    );
    const bent = didJwk({ kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA" });
    expect(holderDidProblem(bent)).to.equal(
      `"${bent}" is not a well-formed did:jwk: its JWK is not a valid P-256 public key`,
    );
  });

  it("resolves did:key and did:jwk offline to documents whose key authenticates", async function () {
    const resolver = holderResolver(noChain);
    const key = secp256k1DidKey(wallet.privateKey);
    const keyDocument = (await resolver.resolve(key)).didDocument;
    expect(keyDocument?.authentication).to.deep.equal([`${key}#${key.slice(8)}`]);
    const jwk = secp256k1DidJwk(wallet.privateKey);
    const jwkDocument = (await resolver.resolve(jwk)).didDocument;
    expect(jwkDocument?.verificationMethod?.[0]).to.deep.include({ id: `${jwk}#0`, type: "JsonWebKey2020" });
    expect(jwkDocument?.authentication).to.deep.equal([`${jwk}#0`]);
    expect(jwkDocument?.assertionMethod).to.deep.equal([`${jwk}#0`]);
    const broken = await resolver.resolve("did:jwk:not-json");
    expect(broken.didResolutionMetadata).to.deep.equal({
      error: "invalidDid",
      message: "its key is not base64url-encoded JSON",
    });
  });

  it("derives a key's holder DID by method and names its verification method, or refuses another's key", function () {
    const key = wallet.privateKey;
    expect(holderDidOf("ethr", key, 31337)).to.equal(`did:ethr:0x7a69:${wallet.address}`);
    expect(holderDidOf("key", key, 31337)).to.equal(secp256k1DidKey(key));
    expect(holderDidOf("jwk", key, 31337)).to.equal(secp256k1DidJwk(key));
    expect(holderKeyId(holderDidOf("ethr", key, 31337), key)).to.equal(`did:ethr:0x7a69:${wallet.address}#controller`);
    const didKeyId = holderKeyId(secp256k1DidKey(key), key);
    expect(didKeyId).to.equal(`${secp256k1DidKey(key)}#${secp256k1DidKey(key).slice(8)}`);
    expect(holderKeyId(secp256k1DidJwk(key), key)).to.equal(`${secp256k1DidJwk(key)}#0`);

    const other = Wallet.createRandom();
    for (const did of [holderDidOf("ethr", key, 31337), secp256k1DidJwk(key)]) {
      expect(() => holderKeyId(did, other.privateKey), did).to.throw(CCRError, "is not the key of the holder");
    }
    try {
      holderKeyId(secp256k1DidKey(key), other.privateKey);
      expect.fail("another's key was accepted");
    } catch (error) {
      expect(error).to.be.instanceOf(CCRError);
      expect((error as CCRError).code).to.equal("KEY_MISMATCH");
      expect((error as CCRError).message).to.equal(
        `the key of ${other.address} is not the key of the holder ${secp256k1DidKey(key)}: present with the holder's own key`,
      );
    }
  });

  it("checks every key against its own curve and size, and every JWK's shape", function () {
    const problem = (did: string): string => holderDidProblem(did)?.split(": ").slice(1).join(": ") ?? "accepted";
    // A point of one curve under the other's codec (test keys chosen, in order, so that it is on the one curve only).
    const onlyOn = (curve: typeof p256, other: typeof p256): Uint8Array => {
      for (let i = 1; ; i++) {
        const candidate = curve.getPublicKey(getBytes(keccak256(toUtf8Bytes(`ccr curve test ${i}`))), true);
        try {
          other.ProjectivePoint.fromHex(candidate);
        } catch {
          return candidate;
        }
      }
    };
    expect(problem(didKey([0x80, 0x24], onlyOn(secp256k1, p256)))).to.equal("its key is not a point of P-256");
    expect(problem(didKey([0xe7, 0x01], onlyOn(p256, secp256k1)))).to.equal("its key is not a point of secp256k1");
    // A codec whose first byte is secp256k1's and second is not.
    const secp = Buffer.from(wallet.signingKey.compressedPublicKey.slice(2), "hex");
    expect(problem(didKey([0xe7, 0x02], secp))).to.equal("its key is none of secp256k1, P-256 or Ed25519");
    // 32 bytes that decode to no Ed25519 point.
    let notEd = new Uint8Array(32);
    for (let i = 0; i < 256; i++) {
      notEd = new Uint8Array(32).fill(i);
      try {
        ed25519.ExtendedPoint.fromHex(notEd);
      } catch {
        break;
      }
    }
    expect(problem(didKey([0xed, 0x01], notEd))).to.equal("its key is not a point of Ed25519");
    expect(problem(didKey([0xed, 0x01], ed25519.getPublicKey(edKey).subarray(1)))).to.equal(
      "its Ed25519 key has 31 bytes, not 32",
    );

    const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
    const point = (curve: typeof p256, key: Uint8Array) => curve.ProjectivePoint.fromHex(curve.getPublicKey(key, true));
    const pPoint = point(p256, pKey).toAffine();
    const coordinate = (n: bigint): string => b64(Buffer.from(n.toString(16).padStart(64, "0"), "hex"));
    const pJwk = { kty: "EC", crv: "P-256", x: coordinate(pPoint.x), y: coordinate(pPoint.y) };
    expect(problem(didJwk(pJwk))).to.equal("accepted");
    expect(problem(didJwk({ ...pJwk, crv: "secp256k1" }))).to.equal("its JWK is not a valid secp256k1 public key");
    expect(problem(didJwk({ ...pJwk, y: b64(new Uint8Array(31)) }))).to.equal(
      "its JWK is not a valid P-256 public key",
    );
    expect(problem(didJwk({ ...pJwk, x: b64(new Uint8Array(31)) }))).to.equal(
      "its JWK is not a valid P-256 public key",
    );
    // The same 64 bytes split 33 + 31: a coordinate is 32 bytes, whatever the two make together.
    const [x, y] = [Buffer.from(pJwk.x, "base64url"), Buffer.from(pJwk.y, "base64url")];
    const shifted = { ...pJwk, x: b64(Buffer.concat([x, y.subarray(0, 1)])), y: b64(y.subarray(1)) };
    expect(problem(didJwk(shifted))).to.equal("its JWK is not a valid P-256 public key");
    const edJwk = { kty: "OKP", crv: "Ed25519", x: b64(ed25519.getPublicKey(edKey)) };
    expect(problem(didJwk(edJwk))).to.equal("accepted");
    expect(problem(didJwk({ ...edJwk, x: b64(notEd) }))).to.equal("its JWK is not a valid Ed25519 public key");
    expect(problem(didJwk({ ...edJwk, x: b64(ed25519.getPublicKey(edKey).subarray(1)) }))).to.equal(
      "its JWK is not a valid Ed25519 public key",
    );
    expect(problem(didJwk({ ...edJwk, kty: "EC" }))).to.match(/^its JWK \(kty EC, crv Ed25519\) is none of/);
    expect(problem(didJwk({ ...pJwk, kty: "OKP" }))).to.match(/^its JWK \(kty OKP, crv P-256\) is none of/);
    expect(problem(didJwk({ ...edJwk, kty: "RSA" }))).to.match(/^its JWK \(kty RSA, crv Ed25519\) is none of/);
    for (const value of ["text", [pJwk], null, 7]) {
      const did = `did:jwk:${Buffer.from(JSON.stringify(value)).toString("base64url")}`;
      expect(problem(did), JSON.stringify(value)).to.equal("its key is not a JWK");
    }
    // did:ethr: a hex network in any case, a public key; nothing after the address.
    expect(problem(`did:ethr:0x7A69:${wallet.address}`)).to.equal("accepted");
    expect(problem(`did:ethr:${wallet.signingKey.compressedPublicKey}`)).to.equal("accepted");
    expect(holderDidProblem(`did:ethr:${wallet.address}00`)).to.match(/is not a well-formed did:ethr/);
  });

  it("gives a did:jwk document the uses its key allows: signing, encryption, or both", async function () {
    const resolver = holderResolver(noChain);
    const base = JSON.parse(Buffer.from(secp256k1DidJwk(wallet.privateKey).slice(8), "base64url").toString()) as object;
    const documentOf = async (jwk: object) => {
      const did = didJwk(jwk);
      const { didDocument } = await resolver.resolve(did);
      return { did, document: didDocument };
    };
    const both = await documentOf(base);
    const id = `${both.did}#0`;
    const { didResolutionMetadata } = await resolver.resolve(both.did);
    expect(didResolutionMetadata).to.deep.equal({ contentType: "application/did+ld+json" });
    expect(both.document).to.deep.equal({
      "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
      id: both.did,
      verificationMethod: [{ id, type: "JsonWebKey2020", controller: both.did, publicKeyJwk: base }],
      assertionMethod: [id],
      authentication: [id],
      capabilityInvocation: [id],
      capabilityDelegation: [id],
      keyAgreement: [id],
    });
    const signing = await documentOf({ ...base, use: "sig" });
    expect(signing.document?.authentication).to.deep.equal([`${signing.did}#0`]);
    expect(signing.document).to.not.have.property("keyAgreement");
    const encryption = await documentOf({ ...base, use: "enc" });
    expect(encryption.document?.keyAgreement).to.deep.equal([`${encryption.did}#0`]);
    expect(encryption.document).to.not.have.property("authentication");
    expect(encryption.document).to.not.have.property("assertionMethod");
  });
});
