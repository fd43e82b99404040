import { readFile } from "node:fs/promises";
import { expect } from "chai";
import { ed25519 } from "@noble/curves/ed25519";
import { ES256KSigner, EdDSASigner, createJWT, decodeJWT, verifyJWT } from "did-jwt";
import { Resolver } from "did-resolver";
import { Wallet } from "ethers";
import { getResolver as keyDidResolver } from "key-did-resolver";
import { base58btc } from "multiformats/bases/base58";
import { ethrDid } from "../src/did.ts";
import { CCRError } from "../src/errors.ts";
import { holderResolver, secp256k1DidJwk, secp256k1DidKey } from "../src/holder.ts";
import { CCR_CONTEXT_V1, VC_CONTEXT_V2, buildCredential, signCredential } from "../src/vc/credential.ts";
import type { ReadCredential } from "../src/vc/file.ts";
import { checkPresentation, createPresentation, holderOf, VP_JWT_TYP } from "../src/vc/presentation.ts";
import { holderDid, holderKey } from "./holders.ts";
import { rejection } from "./rejection.ts";

/** No chain here: the holders are did:key and did:jwk. */
const resolver = holderResolver(new Resolver({ ethr: () => Promise.reject(new Error("no chain in this test")) }));
const issuer = Wallet.createRandom();
const registry = Wallet.createRandom().address;
const AUDIENCE = "https://verifier.example/bank";
const NONCE = "n-4711";

async function credentialFor(holder: string | undefined, file = "c.json"): Promise<ReadCredential> {
  const credential = buildCredential({
    schema: { vcType: "KycAttestation", uri: "https://schemas.ccr.example/kyc.json", digest: `0x${"ab".repeat(32)}` },
    issuer: ethrDid(31337, issuer.address),
    subject: { ...(holder === undefined ? {} : { id: holder }), assuranceLevel: "high" },
    validFrom: new Date("2026-01-01T00:00:00Z"),
    status: { chainId: 31337, registry },
  });
  const jws = await signCredential(credential, issuer.privateKey, `${credential.issuer}#controller`);
  return {
    file,
    jws,
    anchor: { chainId: 31337, registry, batch: { root: `0x${"11".repeat(32)}`, index: 0, size: 1, proof: [] } },
  };
}

const expectation = { resolver, audience: AUDIENCE, nonce: NONCE };

describe("presentations (vp+jwt): holder binding, audience, nonce, freshness", function () {
  const holder = holderDid("ken");
  const key = holderKey("ken");

  it("signs a VC 2.0 presentation of enveloped credentials with the holder's key, and accepts it", async function () {
    const credentials = [await credentialFor(holder, "a.json"), await credentialFor(holder, "b.json")];
    const jwt = await createPresentation({ credentials, holderKey: key, audience: AUDIENCE, nonce: NONCE });
    const { header, payload } = decodeJWT(jwt);
    expect(header).to.deep.equal({ alg: "ES256K", typ: VP_JWT_TYP, kid: `${holder}#${holder.slice(8)}` });
    expect(payload).to.deep.include({
      "@context": [VC_CONTEXT_V2, CCR_CONTEXT_V1],
      type: ["VerifiablePresentation"],
      holder,
      iss: holder,
      aud: AUDIENCE,
      nonce: NONCE,
    });
    expect(payload.exp).to.equal((payload.iat ?? 0) + 300);
    expect((payload.verifiableCredential as { id: string; type: string }[])[1]).to.deep.include({
      id: `data:application/vc+jwt,${credentials[1]?.jws}`,
      type: "EnvelopedVerifiableCredential",
      anchor: credentials[1]?.anchor,
    });

    const checked = await checkPresentation("p.jwt", jwt, expectation);
    expect(checked.outcome, checked.reason).to.equal("valid");
    expect(checked.holder).to.equal(holder);
    expect(checked.credentials).to.deep.equal([
      { file: "p.jwt#1", jws: credentials[0]?.jws, anchor: credentials[0]?.anchor },
      { file: "p.jwt#2", jws: credentials[1]?.jws, anchor: credentials[1]?.anchor },
    ]);
    expect(checked.reason).to.match(
      new RegExp(`^presented by its holder ${holder} to ${AUDIENCE}, made \\S+Z, expires \\S+Z$`),
    );
  });

  it("refuses replayed, stale, future, wrong-audience, wrong-holder and forged presentations, with the reason", async function () {
    const credential = await credentialFor(holder);
    const made = new Date("2026-11-24T10:00:00Z");
    const jwt = await createPresentation({
      credentials: [credential],
      holderKey: key,
      audience: AUDIENCE,
      nonce: NONCE,
      now: made,
    });
    const at = (seconds: number): Date => new Date(made.getTime() + seconds * 1000);
    const check = (token: string, change: object = {}) =>
      checkPresentation("p.jwt", token, { ...expectation, now: at(10), ...change });

    expect((await check(jwt)).outcome).to.equal("valid");
    const replay = await check(jwt, { nonce: "n-4712" });
    expect([replay.outcome, replay.reason]).to.deep.equal([
      "invalid",
      `its nonce "n-4711" is not this request's "n-4712": a replayed presentation, or one made for another request`,
    ]);
    const elsewhere = await check(jwt, { audience: "https://verifier.example/other" });
    expect(elsewhere.reason).to.equal(`made for ${AUDIENCE}, not for https://verifier.example/other`);
    const expired = await check(jwt, { now: at(300 + 61) });
    expect([expired.outcome, expired.reason]).to.deep.equal(["invalid", "expired at 2026-11-24T10:05:00Z"]);
    const stale = await check(jwt, { now: at(200), maxAge: 60 });
    expect(stale.reason).to.equal("made at 2026-11-24T10:00:00Z, more than 60 s ago: too old to be accepted");
    const early = await check(jwt, { now: at(-120) });
    expect(early.reason).to.equal("made at 2026-11-24T10:00:00Z, in the future");

    // Someone else's credential, presented by a holder who signs honestly as itself.
    const thief = holderDid("thief");
    const stolen = await createPresentation({
      credentials: [await credentialFor(thief, "stolen.json")],
      holderKey: holderKey("thief"),
      audience: AUDIENCE,
      nonce: NONCE,
      now: made,
    });
    const [h, p, s] = stolen.split(".");
    const payload = JSON.parse(Buffer.from(p ?? "", "base64url").toString()) as Record<string, unknown>;
    payload.verifiableCredential = [
      {
        "@context": [VC_CONTEXT_V2],
        id: `data:application/vc+jwt,${credential.jws}`,
        type: "EnvelopedVerifiableCredential",
      },
    ];
    const resigned = await createJWT(
      payload,
      {
        issuer: thief,
        signer: ES256KSigner(Buffer.from(holderKey("thief").slice(2), "hex")),
      },
      { alg: "ES256K", typ: VP_JWT_TYP } as unknown as { typ: "JWT" },
    );
    const wrongHolder = await check(resigned);
    expect([wrongHolder.outcome, wrongHolder.reason]).to.deep.equal([
      "invalid",
      `p.jwt#1 is bound to ${holder}, not to the presenter ${thief}: the presenter is not its holder`,
    ]);
    // The thief's presentation with the holder's name put in: the signature is not the holder's.
    const claimed = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p ?? "", "base64url").toString()), holder, iss: holder }),
    ).toString("base64url");
    const forged = await check(`${h}.${claimed}.${s}`);
    expect(forged.outcome).to.equal("invalid");
    expect(forged.reason).to.match(new RegExp(`^not signed by its holder ${holder}: `));
  });

  it("refuses to present credentials bound to nobody, to two holders, or with another's key", async function () {
    const request = { holderKey: key, audience: AUDIENCE, nonce: NONCE };
    const unbound = await rejection(
      createPresentation({ ...request, credentials: [await credentialFor(undefined, "u.json")] }),
    );
    expect([unbound.code, unbound.message]).to.deep.equal([
      "INVALID_PRESENTATION",
      "u.json names no holder (credentialSubject.id): it is bound to nobody and cannot be presented",
    ]);
    const two = [await credentialFor(holder, "a.json"), await credentialFor(holderDid("ann"), "b.json")];
    expect(() => holderOf(two)).to.throw(
      CCRError,
      `b.json is bound to ${holderDid("ann")}, a.json to ${holder}: one presentation has one holder`,
    );
    const other = await rejection(
      createPresentation({ ...request, holderKey: holderKey("eve"), credentials: [await credentialFor(holder)] }),
    );
    expect(other.code).to.equal("KEY_MISMATCH");
  });

  it("accepts a device's presentation signed with Ed25519 (did:key) and a did:jwk holder's", async function () {
    const deviceKey = ed25519.utils.randomPrivateKey();
    const device = `did:key:${base58btc.encode(new Uint8Array([0xed, 0x01, ...ed25519.getPublicKey(deviceKey)]))}`;
    const credential = await credentialFor(device);
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      "@context": [VC_CONTEXT_V2],
      type: ["VerifiablePresentation"],
      holder: device,
      verifiableCredential: [
        {
          "@context": [VC_CONTEXT_V2],
          id: `data:application/vc+jwt,${credential.jws}`,
          type: "EnvelopedVerifiableCredential",
        },
      ],
      aud: AUDIENCE,
      nonce: NONCE,
      exp: now + 60,
    };
    const jwt = await createJWT(payload, { issuer: device, signer: EdDSASigner(deviceKey) }, {
      alg: "EdDSA",
      typ: VP_JWT_TYP,
    } as unknown as { typ: "JWT" });
    const checked = await checkPresentation("device.jwt", jwt, expectation);
    expect(checked.outcome, checked.reason).to.equal("valid");

    const jwkKey = Wallet.createRandom().privateKey;
    const jwkHolder = secp256k1DidJwk(jwkKey);
    const jwkJwt = await createPresentation({
      credentials: [await credentialFor(jwkHolder)],
      holderKey: jwkKey,
      audience: AUDIENCE,
      nonce: NONCE,
    });
    expect((await checkPresentation("jwk.jwt", jwkJwt, expectation)).outcome).to.equal("valid");
  });

  it("verifies with did-jwt and key-did-resolver alone, without CCR code", async function () {
    const jwt = await createPresentation({
      credentials: [await credentialFor(holder)],
      holderKey: key,
      audience: AUDIENCE,
      nonce: NONCE,
    });
    const plain = new Resolver(keyDidResolver());
    const verified = await verifyJWT(jwt, { resolver: plain, audience: AUDIENCE, proofPurpose: "authentication" });
    expect(verified.issuer).to.equal(holder);
    expect(verified.signer.id).to.equal(`${holder}#${holder.slice(8)}`);
    expect(verified.payload.nonce).to.equal(NONCE);
    expect(secp256k1DidKey(key)).to.equal(holder);
    try {
      await verifyJWT(jwt, { resolver: plain, audience: "https://verifier.example/other" });
      expect.fail("another audience was accepted");
    } catch (error) {
      expect((error as Error).message).to.match(
        /^invalid_config: JWT audience does not match your DID or callback url/,
      );
    }
  });

  it("defines every term of its credentials and presentations in JSON-LD (expanded in safe mode)", async function () {
    const jsonld = (await import("jsonld")).default;
    const contexts = new Map<string, unknown>([
      [
        VC_CONTEXT_V2,
        JSON.parse(await readFile("node_modules/@digitalbazaar/credentials-context/contexts/v2.jsonld", "utf8")),
      ],
      [CCR_CONTEXT_V1, JSON.parse(await readFile("contexts/ccr-v1.jsonld", "utf8"))],
    ]);
    const documentLoader = (url: string) => {
      const document = contexts.get(url);
      if (document === undefined) throw new Error(`no context ${url} offline`);
      return Promise.resolve({ contextUrl: null, documentUrl: url, document });
    };
    const credential = await credentialFor(holder);
    const batchMember = buildCredential({
      schema: { vcType: "KycAttestation", uri: "https://schemas.ccr.example/kyc.json", digest: `0x${"ab".repeat(32)}` },
      issuer: ethrDid(31337, issuer.address),
      subject: { id: holder, assuranceLevel: "high" },
      validFrom: new Date("2026-01-01T00:00:00Z"),
      status: { chainId: 31337, registry, batch: { id: "urn:ccr:batch:run-1:0", index: 3 } },
    });
    const presentation = decodeJWT(
      await createPresentation({ credentials: [credential], holderKey: key, audience: AUDIENCE, nonce: NONCE }),
    ).payload;
    // The JWT claims are the envelope's, not the presentation's data model.
    const claims = ["aud", "nonce", "iat", "exp", "iss"];
    const vp = Object.fromEntries(Object.entries(presentation).filter(([key]) => !claims.includes(key)));
    // A credential type's own terms (its name, its subject's fields) are those of its registered JSON Schema
    // document: CCR's context gives them its "registered" vocabulary, so a JSON-LD processor keeps them (safe mode
    // fails on any term it would drop). Nothing else falls there: CCR's own terms are its own.
    // @types/jsonld describes an older, callback-style API.
    const expand = (document: object): Promise<unknown> =>
      (jsonld.expand as unknown as (d: object, o: object) => Promise<unknown>)(document, {
        documentLoader,
        safe: true,
      });
    const registeredTerms = async (document: object): Promise<string[]> => {
      const expanded = JSON.stringify(await expand(document));
      return [...expanded.matchAll(/w3id\.org\/ccr\/registered#(\w+)/g)].map((m) => m[1] ?? "").sort();
    };
    expect(await registeredTerms(batchMember)).to.deep.equal(["KycAttestation", "assuranceLevel"]);
    expect(await registeredTerms(vp)).to.deep.equal([]);
    const expanded = JSON.stringify(await expand(batchMember));
    expect(expanded).to.include(
      '"https://w3id.org/ccr#batchIndex":[{"@type":"http://www.w3.org/2001/XMLSchema#nonNegativeInteger","@value":3}]',
    );
    expect(expanded).to.include('"@type":["https://w3id.org/ccr#CCRRegistryStatus"]');
  });

  describe("each check of checkPresentation on its outcome, at its boundaries", function () {
    const made = 1_790_000_000;
    const at = (seconds: number): Date => new Date((made + seconds) * 1000);
    let credential: ReadCredential;
    before(async function () {
      credential = await credentialFor(holder);
    });
    const envelope = (jws: string): object => ({
      id: `data:application/vc+jwt,${jws}`,
      type: "EnvelopedVerifiableCredential",
    });

    /** A presentation by ken with `changes` to the claims CCR makes (undefined leaves one out), signed by `signer`. */
    async function presented(
      changes: Record<string, unknown> = {},
      typ: string = VP_JWT_TYP,
      signer: { did: string; key: string } = { did: holder, key },
    ): Promise<string> {
      const payload: Record<string, unknown> = {
        "@context": [VC_CONTEXT_V2, CCR_CONTEXT_V1],
        type: ["VerifiablePresentation"],
        holder,
        verifiableCredential: [envelope(credential.jws)],
        aud: AUDIENCE,
        nonce: NONCE,
        iat: made,
        exp: made + 300,
        ...changes,
      };
      // A claim set to undefined is left out of the JSON (and keeps did-jwt from adding its own iat).
      return createJWT(payload, { issuer: signer.did, signer: ES256KSigner(Buffer.from(signer.key.slice(2), "hex")) }, {
        alg: "ES256K",
        typ,
      } as unknown as { typ: "JWT" });
    }
    const outcome = async (jwt: string, now = at(10), change: object = {}): Promise<string> => {
      const checked = await checkPresentation("p.jwt", jwt, { ...expectation, now, ...change });
      return `${checked.outcome}: ${checked.reason}`;
    };
    const malformed = async (jwt: string): Promise<string> => {
      const error = await rejection(checkPresentation("p.jwt", jwt, expectation));
      return `${error.code}: ${error.message}`;
    };

    it("refuses a token that is not a VC 2.0 presentation of enveloped credentials, naming what is wrong", async function () {
      expect(await outcome(await presented())).to.match(/^valid: /);
      // Whitespace around the token, as a pasted or read file has it, is not part of it.
      expect(await outcome(`\n ${await presented()} \n`)).to.match(/^valid: /);
      expect(await malformed("not a jwt")).to.equal("MALFORMED_CREDENTIAL: p.jwt: not a compact JWS presentation");
      expect(await malformed(await presented({}, "JWT"))).to.equal(
        "MALFORMED_CREDENTIAL: p.jwt: typ JWT is not vp+jwt",
      );
      const shape =
        "MALFORMED_CREDENTIAL: p.jwt: not a VC 2.0 VerifiablePresentation with a holder and verifiableCredential";
      for (const change of [
        { "@context": VC_CONTEXT_V2 },
        { "@context": [CCR_CONTEXT_V1, VC_CONTEXT_V2] },
        { type: "VerifiablePresentation" },
        { type: ["VerifiableCredential"] },
        { holder: undefined },
        { holder: 7 },
        { verifiableCredential: envelope(credential.jws) },
      ]) {
        expect(await malformed(await presented(change)), JSON.stringify(change)).to.equal(shape);
      }
      const entry =
        "MALFORMED_CREDENTIAL: p.jwt#1: not an EnvelopedVerifiableCredential with a data:application/vc+jwt,<JWS> id";
      for (const bad of [
        null,
        { ...envelope(credential.jws), type: "VerifiableCredential" },
        { type: "EnvelopedVerifiableCredential", id: 7 },
        { type: "EnvelopedVerifiableCredential", id: `data:application/json,${credential.jws}` },
      ]) {
        expect(await malformed(await presented({ verifiableCredential: [bad] })), JSON.stringify(bad)).to.equal(entry);
      }
    });

    it("takes a presentation until exp + 60 s and for maxAge + 60 s after iat, and from iat - 60 s; not without iat or exp", async function () {
      const jwt = await presented();
      expect(await outcome(jwt, at(300 + 60))).to.match(/^valid: /);
      expect(await outcome(jwt, at(300 + 61))).to.equal("invalid: expired at 2026-09-21T14:18:20Z");
      const long = await presented({ exp: made + 10_000 });
      expect(await outcome(long, at(300 + 60))).to.match(/^valid: /);
      expect(await outcome(long, at(300 + 61))).to.match(/^invalid: made at \S+, more than 300 s ago/);
      expect(await outcome(long, at(100 + 60), { maxAge: 100 })).to.match(/^valid: /);
      expect(await outcome(long, at(100 + 61), { maxAge: 100 })).to.match(/^invalid: made at \S+, more than 100 s ago/);
      expect(await outcome(jwt, at(-60))).to.match(/^valid: /);
      expect(await outcome(jwt, at(-61))).to.match(/^invalid: made at \S+, in the future$/);
      const timeless = "invalid: it has no issue time (iat) or expiry (exp): its freshness cannot be told";
      expect(await outcome(await presented({ iat: undefined }))).to.equal(timeless);
      expect(await outcome(await presented({ exp: undefined }))).to.equal(timeless);
      // An audience list that names this verifier; none at all.
      expect(await outcome(await presented({ aud: ["https://other.example", AUDIENCE] }))).to.match(/^valid: /);
      expect(await outcome(await presented({ aud: undefined }))).to.equal(
        `invalid: made for no audience, not for ${AUDIENCE}`,
      );
    });

    it("refuses a presentation signed as someone else than its holder, and tells an unreachable chain from a refusal", async function () {
      const ann = { did: holderDid("ann"), key: holderKey("ann") };
      expect(await outcome(await presented({}, VP_JWT_TYP, ann))).to.equal(
        `invalid: signed as ${ann.did}, not as its holder ${holder}`,
      );
      // A did:ethr holder whose chain does not answer: undecided, not invalid.
      const ethrHolder = ethrDid(31337, new Wallet(key).address);
      const unreachable = holderResolver(
        new Resolver({
          ethr: () =>
            Promise.resolve({
              didResolutionMetadata: { error: "notFound" },
              didDocument: null,
              didDocumentMetadata: {},
            }),
        }),
      );
      const ethrCredential = await credentialFor(ethrHolder);
      const byEthr = await presented(
        { holder: ethrHolder, verifiableCredential: [envelope(ethrCredential.jws)] },
        VP_JWT_TYP,
        { did: ethrHolder, key },
      );
      const checked = await checkPresentation("p.jwt", byEthr, { ...expectation, resolver: unreachable, now: at(10) });
      expect(checked.outcome, checked.reason).to.equal("undecided");
      expect(checked.reason).to.match(new RegExp(`^could not resolve the holder ${ethrHolder}: .*notFound`));
      // A did:key that resolves to nothing is a refusal: no chain is asked.
      const lost = await checkPresentation("p.jwt", await presented(), {
        ...expectation,
        resolver: {
          resolve: () =>
            Promise.resolve({
              didResolutionMetadata: { error: "notFound" },
              didDocument: null,
              didDocumentMetadata: {},
            }),
        },
        now: at(10),
      });
      expect(lost.outcome, lost.reason).to.equal("invalid");
      // A did:ethr holder whose key does not sign it: a refusal, not "undecided".
      const answering = holderResolver(
        new Resolver({
          ethr: (did) =>
            Promise.resolve({
              didResolutionMetadata: {},
              didDocumentMetadata: {},
              didDocument: {
                id: did,
                verificationMethod: [
                  {
                    id: `${did}#controller`,
                    type: "EcdsaSecp256k1RecoveryMethod2020",
                    controller: did,
                    blockchainAccountId: `eip155:31337:${Wallet.createRandom().address}`,
                  },
                ],
                authentication: [`${did}#controller`],
              },
            }),
        }),
      );
      const refused = await checkPresentation("p.jwt", byEthr, { ...expectation, resolver: answering, now: at(10) });
      expect(refused.outcome, refused.reason).to.equal("invalid");
    });

    it("leaves a malformed credential to its own verification, and refuses one bound to no holder", async function () {
      const garbled = await presented({
        verifiableCredential: [envelope("not.a.credential"), envelope(credential.jws)],
      });
      expect(await outcome(garbled)).to.match(/^valid: /);
      const unbound = await credentialFor(undefined);
      const nobodys = await presented({ verifiableCredential: [envelope(unbound.jws)] });
      expect(await outcome(nobodys)).to.equal(
        `invalid: p.jwt#1 is bound to no holder, not to the presenter ${holder}: the presenter is not its holder`,
      );
      expect(() => holderOf([])).to.throw(CCRError, "a presentation needs at least one credential");
      const codes = [[], [unbound], [credential, await credentialFor(holderDid("ann"))]].map((list) => {
        try {
          holderOf(list);
          return "none";
        } catch (error) {
          return (error as CCRError).code;
        }
      });
      expect(codes).to.deep.equal(["INVALID_PRESENTATION", "INVALID_PRESENTATION", "INVALID_PRESENTATION"]);
    });
  });
});
