import { generateKeyPairSync } from "node:crypto";
import { expect } from "chai";
import { createJWT, ES256KSigner, verifyJWS } from "did-jwt";
import type { VerificationMethod } from "did-resolver";
import { type HDNodeWallet, SigningKey, Wallet, encodeBase58, getBytes } from "ethers";
import { credentialHash, VC_JWT_TYP } from "../src/vc/credential.ts";
import { SignatureChecker } from "../src/vc/signature.ts";
import { p256Jwk, p256PrivateJwk, p256PublicKeyHex, signingAlg } from "../src/vc/jwsAlg.ts";
import { SigningPool, es256kSigner, jwsSigner, signingInput } from "../src/vc/signingPool.ts";

const ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const issuerKey = Wallet.createRandom();
const issuer = `did:ethr:0x7a69:${issuerKey.address}`;
// did-jwt types `typ` as "JWT" only; any value is accepted at run time.
const header: Record<string, string> = { alg: "ES256K", typ: VC_JWT_TYP, kid: `${issuer}#controller` };

const credential = (n: number): { issuer: string; id: string; credentialSubject: { id: string; serial: string } } => ({
  issuer,
  id: `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  credentialSubject: { id: `did:ethr:0x7a69:0x${n.toString(16).padStart(40, "0")}`, serial: `SN-${n}` },
});

const method = (address: string): VerificationMethod => ({
  id: `${issuer}#controller`,
  type: "EcdsaSecp256k1RecoveryMethod2020",
  controller: issuer,
  blockchainAccountId: `eip155:31337:${address}`,
});

/** The same JWS with its signature's s replaced by n - s (the high-S twin, which is as valid). */
function highS(jws: string): string {
  const [head, payload, signature] = jws.split(".");
  const raw = Buffer.from(signature ?? "", "base64url");
  const s = ORDER - BigInt(`0x${raw.subarray(32).toString("hex")}`);
  Buffer.from(s.toString(16).padStart(64, "0"), "hex").copy(raw, 32);
  return `${head}.${payload}.${raw.toString("base64url")}`;
}

describe("Signing workers and the signature checker (src/vc/signingPool.ts, src/vc/signature.ts)", function () {
  const iat = 1_800_000_000;
  let pool: SigningPool;
  before(() => (pool = new SigningPool(issuerKey.privateKey, 2)));
  after(() => pool.close());

  it("signs byte for byte what did-jwt's createJWT makes, in order, with each JWS's anchored hash", async function () {
    const credentials = Array.from({ length: 25 }, (_, n) => credential(n));
    const signed = await pool.sign(credentials.map((c) => signingInput(header, c, iat)));
    expect(signed).to.have.length(25);
    for (const [n, c] of credentials.entries()) {
      const expected = await createJWT(
        { iat, ...c },
        { issuer, signer: ES256KSigner(getBytes(issuerKey.privateKey)) },
        header,
      );
      expect(signed[n]?.jws, `credential ${n}`).to.equal(expected);
      expect(signed[n]?.hash).to.equal(credentialHash(expected));
    }
  });

  it("checks signatures as did-jwt's verifyJWS does: its own, the high-S twin, not a changed payload or another key", async function () {
    const [{ jws } = { jws: "" }] = await pool.sign([signingInput(header, credential(1), iat)]);
    const checker = new SignatureChecker();
    const own = [method(issuerKey.address)];
    const other = [method(Wallet.createRandom().address)];
    const twin = highS(jws);
    const [head, , signature] = jws.split(".");
    const changed = `${head}.${signingInput(header, credential(2), iat).split(".")[1]}.${signature}`;
    const byDidJwt = (token: string, methods: VerificationMethod[]): boolean => {
      try {
        verifyJWS(token, methods);
        return true;
      } catch {
        return false;
      }
    };
    for (const [token, methods, expected] of [
      [jws, own, true],
      [jws, own, true], // the second time from the recovered key
      [twin, own, true],
      [changed, own, false],
      [jws, other, false],
      [`${head}.${jws.split(".")[1]}.${Buffer.alloc(64, 0xff).toString("base64url")}`, own, false],
      [`${head}.${jws.split(".")[1]}`, own, false],
    ] as const) {
      expect(checker.check(token, methods), token.slice(-20)).to.equal(expected);
      if (token.split(".").length === 3) expect(byDidJwt(token, [...methods])).to.equal(expected);
    }
  });

  it("checks many signatures on worker threads with the same answers as one by one", async function () {
    const signed = await pool.sign(Array.from({ length: 150 }, (_, n) => signingInput(header, credential(n), iat)));
    const own = [method(issuerKey.address)];
    const other = [method(Wallet.createRandom().address)];
    const items = signed.flatMap(({ jws }, n) => {
      const [head, payload, signature] = jws.split(".");
      const variants = [
        { jws, methods: own, expected: true },
        { jws: highS(jws), methods: own, expected: true },
        { jws, methods: other, expected: false },
        { jws: `${head}.${payload}`, methods: own, expected: false },
        { jws: `${head}.${payload}.${(signature ?? "").slice(4)}`, methods: own, expected: false },
      ];
      return [variants[n % 5], variants[(n + 2) % 5]].filter((v) => v !== undefined);
    });
    expect(items.length).to.be.greaterThan(256); // enough for the workers
    const many = await new SignatureChecker().checkMany(items);
    const one = new SignatureChecker();
    items.forEach(({ jws, methods, expected }, i) => {
      expect(many[i], `item ${i}`).to.equal(expected);
      expect(one.check(jws, methods), `item ${i} alone`).to.equal(expected);
    });
  });

  it("signs on this thread (SD-JWT VCs) exactly as did-jwt's ES256KSigner does", async function () {
    const sign = es256kSigner(issuerKey.privateKey);
    const reference = ES256KSigner(getBytes(issuerKey.privateKey));
    for (const data of ["a.b", signingInput(header, credential(3), iat), "ü.✓"]) {
      expect(sign(data)).to.equal(await reference(data));
    }
  });

  it("closes once the slices it was given are signed (never a worker stopped mid-call), and takes no more", async function () {
    const closing = new SigningPool(issuerKey.privateKey, 2);
    await closing.sign(["a.b"]); // started and loaded
    const inputs = Array.from({ length: 2000 }, (_, n) => signingInput(header, credential(n), iat));
    const signing = closing.sign(inputs);
    signing.catch(() => undefined); // a refusal fails this test below, not the whole run as an unhandled rejection
    await new Promise((resolve) => setImmediate(resolve)); // the slices are posted
    await closing.close();
    const signed = await signing;
    expect(signed).to.have.length(2000);
    expect(signed[1999]?.hash).to.equal(credentialHash(signed[1999]?.jws ?? ""));
    let refused: unknown;
    await closing.sign(["a.b"]).catch((error: unknown) => (refused = error));
    expect(String(refused)).to.include("the worker pool is closed");
    // Closed at once, while its workers still load: the slices waiting for them are signed too, not refused.
    const loading = new SigningPool(issuerKey.privateKey, 2);
    const early = loading.sign(inputs);
    early.catch(() => undefined);
    await loading.close();
    expect((await early).map((s) => s.jws)).to.deep.equal(signed.map((s) => s.jws));
  });

  it("refuses a key that is not a secp256k1 private key before starting a worker", function () {
    expect(() => new SigningPool("0x1234", 1)).to.throw("not a secp256k1 private key");
    expect(() => new SigningPool(`0x${"00".repeat(32)}`, 1)).to.throw("not a secp256k1 private key");
  });

  it("checks against every kind of verification method: addresses in either field and case, public keys, a mix; never throws on a bad one", async function () {
    const [{ jws } = { jws: "" }] = await pool.sign([signingInput(header, credential(3), iat)]);
    const checker = new SignatureChecker();
    const address = issuerKey.address; // checksummed: mixed case
    const stranger = Wallet.createRandom();
    const publicKeyMethod = (wallet: Wallet | HDNodeWallet): VerificationMethod => ({
      id: `${issuer}#key-1`,
      type: "EcdsaSecp256k1VerificationKey2019",
      controller: issuer,
      publicKeyHex: SigningKey.computePublicKey(wallet.privateKey, true).slice(2),
    });
    const legacy = { id: `${issuer}#legacy`, type: "EcdsaSecp256k1RecoveryMethod2020", controller: issuer };
    const cases: [string, VerificationMethod[], boolean][] = [
      ["checksummed address", [method(address)], true],
      ["upper-case address", [method(`0x${address.slice(2).toUpperCase()}`)], true],
      ["ethereumAddress", [{ ...legacy, ethereumAddress: address.toLowerCase() }], true],
      ["public key", [publicKeyMethod(issuerKey)], true],
      ["another public key", [publicKeyMethod(stranger)], false],
      ["another address, then the public key", [method(stranger.address), publicKeyMethod(issuerKey)], true],
      ["another address, then the address", [method(stranger.address), method(address)], true],
      ["an account that is no address", [{ ...legacy, blockchainAccountId: "eip155:31337:nobody" }], false],
      ["an address with more after it", [method(`${address}00`)], false],
      ["no method", [], false],
    ];
    for (const [what, methods, expected] of cases) {
      expect(checker.check(jws, methods), what).to.equal(expected);
      expect(await checker.checkMany([{ jws, methods }]), what).to.deep.equal([expected]);
    }
    // Signatures no key can have made: 65 bytes (a recovery byte appended), r or s out of range, empty.
    const [head, payload, signature = ""] = jws.split(".");
    const raw = Buffer.from(signature, "base64url");
    const order = Buffer.from(ORDER.toString(16), "hex");
    for (const [what, bytes] of [
      ["65 bytes", Buffer.concat([raw, Buffer.from([27])])],
      ["r = n", Buffer.concat([order, raw.subarray(32)])],
      ["s = n", Buffer.concat([raw.subarray(0, 32), order])],
      ["empty", Buffer.alloc(0)],
    ] as const) {
      const token = `${head}.${payload}.${bytes.toString("base64url")}`;
      expect(checker.check(token, [method(address)]), what).to.equal(false);
      expect(checker.check(token, [publicKeyMethod(issuerKey)]), what).to.equal(false);
    }
    for (const token of ["", "one-part", `${head}.${payload}`]) {
      expect(checker.check(token, [method(address)]), token).to.equal(false);
    }
  });

  describe("ES256 (P-256 keys bound to the DID as JsonWebKey2020 methods)", function () {
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
    const p256Key = `0x${Buffer.from(p256.d ?? "", "base64url").toString("hex")}`;
    const es256Header: Record<string, string> = { alg: "ES256", typ: VC_JWT_TYP, kid: `${issuer}#delegate-1` };
    const jwkMethod = (jwk: { x?: string; y?: string }): VerificationMethod => ({
      id: `${issuer}#delegate-1`,
      type: "JsonWebKey2020",
      controller: issuer,
      publicKeyJwk: { kty: "EC", crv: "P-256", x: jwk.x ?? "", y: jwk.y ?? "" },
    });
    const hexMethod = (publicKeyHex: string): VerificationMethod => ({
      id: `${issuer}#delegate-1`,
      type: "JsonWebKey2020",
      controller: issuer,
      publicKeyHex,
    });
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
    const otherKey = `0x${Buffer.from(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }).d ?? "", "base64url").toString("hex")}`;
    /** A Multikey method with the key as multibase (base58btc, the p256-pub multicodec, compressed). */
    const multibaseMethod = (publicKeyHex: string): VerificationMethod => {
      const point = getBytes(publicKeyHex);
      const compressed = [(point[64] ?? 0) % 2 === 0 ? 2 : 3, ...point.subarray(1, 33)];
      return {
        id: `${issuer}#delegate-1`,
        type: "Multikey",
        controller: issuer,
        publicKeyMultibase: `z${encodeBase58(Uint8Array.from([0x80, 0x24, ...compressed]))}`,
      };
    };
    const withoutCoordinate = (missing: "x" | "y"): VerificationMethod => {
      const jwk: { kty: string; crv: string; x?: string; y?: string } = {
        kty: "EC",
        crv: "P-256",
        x: p256.x ?? "",
        y: p256.y ?? "",
      };
      delete jwk[missing];
      return { id: `${issuer}#delegate-1`, type: "JsonWebKey2020", controller: issuer, publicKeyJwk: jwk };
    };
    let es256Pool: SigningPool;
    before(() => (es256Pool = new SigningPool(p256Key, 2, "ES256")));
    after(() => es256Pool.close());

    it("derives the public key and JWK of a P-256 key; refuses points off the curve and other algorithms", function () {
      const publicKey = p256PublicKeyHex(p256Key);
      expect(publicKey).to.match(/^0x04[0-9a-f]{128}$/);
      expect(p256Jwk(publicKey)).to.deep.equal({ kty: "EC", crv: "P-256", x: p256.x, y: p256.y });
      expect(p256Jwk(publicKey.slice(2))).to.deep.equal(p256Jwk(publicKey));
      expect(p256Jwk(`${publicKey.slice(0, -2)}${publicKey.endsWith("00") ? "01" : "00"}`)).to.equal(undefined);
      expect(p256Jwk(`0x02${publicKey.slice(4, 68)}`)).to.equal(undefined); // compressed: not taken
      expect(p256PrivateJwk(p256Key)).to.deep.include({ d: p256.d, x: p256.x, y: p256.y });
      expect(() => p256PublicKeyHex(`0x${"ff".repeat(32)}`)).to.throw("not a P-256 private key");
      expect(signingAlg("es256")).to.equal("ES256");
      expect(signingAlg("ES256K")).to.equal("ES256K");
      expect(() => signingAlg("RS256")).to.throw("the signing algorithm RS256 is not one of ES256K, ES256");
    });

    it("signs on workers and on this thread what jose 6 verifies, with each JWS's anchored hash", async function () {
      const jose = await import("jose");
      const key = await jose.importJWK({ kty: "EC", crv: "P-256", x: p256.x ?? "", y: p256.y ?? "" }, "ES256");
      const signed = await es256Pool.sign(
        Array.from({ length: 9 }, (_, n) => signingInput(es256Header, credential(n), iat)),
      );
      for (const [n, { jws, hash }] of signed.entries()) {
        const { payload, protectedHeader } = await jose.compactVerify(jws, key);
        expect(protectedHeader).to.deep.equal(es256Header);
        expect(JSON.parse(new TextDecoder().decode(payload))).to.deep.equal({ iat, ...credential(n), iss: issuer });
        expect(hash).to.equal(credentialHash(jws));
      }
      const input = signingInput(es256Header, credential(1), iat);
      const here = `${input}.${jwsSigner("ES256", p256Key)(input)}`;
      expect((await jose.compactVerify(here, key)).protectedHeader.alg).to.equal("ES256");
      expect(jwsSigner("ES256K", issuerKey.privateKey)(input)).to.equal(es256kSigner(issuerKey.privateKey)(input));
    });

    /** Tokens, the methods they are checked against, and whether they are signed by one of them. */
    async function es256Cases(): Promise<[string, string, VerificationMethod[], boolean][]> {
      const [{ jws } = { jws: "" }] = await es256Pool.sign([signingInput(es256Header, credential(4), iat)]);
      const [{ jws: k1 } = { jws: "" }] = await pool.sign([signingInput(header, credential(4), iat)]);
      const publicKey = p256PublicKeyHex(p256Key);
      const [head, payload, signature] = jws.split(".");
      const [k1Head, , k1Signature] = k1.split(".");
      const otherPayload = signingInput(es256Header, credential(5), iat).split(".")[1];
      const raw = Buffer.from(signature ?? "", "base64url");
      const es384Input = signingInput({ ...header, alg: "ES384" }, credential(4), iat);
      const es384 = `${es384Input}.${jwsSigner("ES256K", issuerKey.privateKey)(es384Input)}`;
      const cases: [string, string, VerificationMethod[], boolean][] = [
        ["its key, hex", jws, [hexMethod(publicKey.slice(2))], true],
        ["its key, hex with 0x", jws, [hexMethod(publicKey)], true],
        ["its key, JWK", jws, [jwkMethod(p256)], true],
        ["the controller's address, then its key", jws, [method(issuerKey.address), hexMethod(publicKey)], true],
        ["another P-256 key", jws, [jwkMethod(other)], false],
        ["only the controller's address", jws, [method(issuerKey.address)], false],
        ["a point off the curve", jws, [hexMethod(`04${"11".repeat(64)}`)], false],
        ["a changed payload", `${head}.${otherPayload}.${signature}`, [jwkMethod(p256)], false],
        // Algorithm confusion: the header names the algorithm, and only that algorithm's keys are tried.
        ["ES256 header, secp256k1 signature", `${head}.${payload}.${k1Signature}`, [method(issuerKey.address)], false],
        ["ES256K header, P-256 signature", `${k1Head}.${payload}.${signature}`, [jwkMethod(p256)], false],
        ["ES256K, still", k1, [method(issuerKey.address), jwkMethod(p256)], true],
        // A key the fast check cannot read (multibase) goes to did-jwt, which reads it.
        ["its key, multibase (did-jwt reads it)", jws, [multibaseMethod(publicKey)], true],
        ["another key, multibase", jws, [multibaseMethod(p256PublicKeyHex(otherKey))], false],
        // A JWK without a coordinate is no key, and no reason to throw.
        ["a JWK without x, then its key", jws, [withoutCoordinate("x"), hexMethod(publicKey)], true],
        ["a JWK without y", jws, [withoutCoordinate("y")], false],
        // Signatures of another length than r || s, whatever their bytes.
        [
          "a 63-byte signature",
          `${head}.${payload}.${raw.subarray(0, 63).toString("base64url")}`,
          [jwkMethod(p256)],
          false,
        ],
        [
          "a 65-byte signature",
          `${head}.${payload}.${Buffer.concat([raw, Buffer.from([1])]).toString("base64url")}`,
          [jwkMethod(p256)],
          false,
        ],
        // Another algorithm in the header: neither fast check takes it, whatever signed it.
        ["ES384 header, secp256k1 signature", es384, [method(issuerKey.address)], false],
      ];
      return cases;
    }

    it("checks ES256 against P-256 keys (hex or JWK) only, and never takes one algorithm's signature for the other's", async function () {
      const checker = new SignatureChecker();
      for (const [what, token, methods, expected] of await es256Cases()) {
        expect(checker.check(token, methods), what).to.equal(expected);
      }
    });

    it("checks ES256 and ES256K signatures on worker threads with the same answers", async function () {
      const cases = await es256Cases();
      // Many at once, on the workers: the same answers.
      const items = Array.from({ length: 300 }, (_, n) => cases[n % cases.length]).map((c) => ({
        jws: c?.[1] ?? "",
        methods: c?.[2] ?? [],
        expected: c?.[3],
      }));
      const many = await new SignatureChecker().checkMany(items);
      items.forEach(({ expected }, i) => expect(many[i], `item ${i}`).to.equal(expected));
    });
  });
});
