import { expect } from "chai";
import { ed25519 } from "@noble/curves/ed25519";
import { p256 } from "@noble/curves/p256";
import { Resolver } from "did-resolver";
import { Wallet } from "ethers";
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
});
