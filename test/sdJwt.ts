/**
 * src/vc/sdJwt.ts on its own (no chain): reading an SD-JWT VC (every disclosure one the issuer signed), choosing
 * disclosures, and each check of a key binding JWT on its outcome, at its boundaries.
 */
import { expect } from "chai";
import { ES256KSigner } from "did-jwt";
import { Resolver, type DIDResolutionResult, type Resolvable } from "did-resolver";
import { SigningKey, Wallet, getBytes } from "ethers";
import { base64url, sha256Bytes } from "../src/bytes.ts";
import { ethrDid } from "../src/did.ts";
import { holderResolver, secp256k1DidJwk } from "../src/holder.ts";
import { CCR_CONTEXT_V1, VC_CONTEXT_V2, buildCredential, credentialHash } from "../src/vc/credential.ts";
import {
  KB_JWT_TYP,
  SD_JWT_VC_TYP,
  checkKeyBinding,
  decodeSdJwt,
  issueSdJwt,
  presentSdJwt,
  selectDisclosures,
} from "../src/vc/sdJwt.ts";
import { holderDid, holderKey } from "./holders.ts";
import { rejection } from "./rejection.ts";

const issuer = Wallet.createRandom();
const registry = Wallet.createRandom().address;
const AUDIENCE = "https://verifier.example/bank";
const NONCE = "n-1809";
const NOW = new Date("2026-07-01T12:00:00Z");
const NOW_S = NOW.getTime() / 1000;

/** A DID method of this test only: a document with two authentication keys, the first the one credentials bind. */
const newWallet = (): Wallet => new Wallet(Wallet.createRandom().privateKey);
const twoKeys = { bound: newWallet(), other: newWallet(), assertion: newWallet() };
const TWO_KEY_DID = "did:example:two-keys";
function twoKeyDocument(): DIDResolutionResult {
  const method = (name: string, wallet: Wallet) => ({
    id: `${TWO_KEY_DID}#${name}`,
    type: "EcdsaSecp256k1VerificationKey2019",
    controller: TWO_KEY_DID,
    publicKeyHex: SigningKey.computePublicKey(wallet.privateKey, true).slice(2),
  });
  const methods = [method("controller", twoKeys.bound), method("other", twoKeys.other)];
  // A key for assertions only: it may sign credentials, not key bindings.
  const assertion = method("assertion", twoKeys.assertion);
  return {
    didResolutionMetadata: {},
    didDocumentMetadata: {},
    didDocument: {
      id: TWO_KEY_DID,
      verificationMethod: [...methods, assertion],
      // One by reference, one embedded: both are authentication keys.
      authentication: [methods[0]?.id ?? "", methods[1]],
      assertionMethod: [assertion.id],
    },
  };
}

/** Resolutions that give no usable document: an error (with or without a document), or no document. */
const UNUSABLE: Record<string, DIDResolutionResult> = {
  "did:example:nobody": { didResolutionMetadata: { error: "notFound" }, didDocument: null, didDocumentMetadata: {} },
  "did:example:erring": {
    didResolutionMetadata: { error: "internalError", message: "the node answered nothing" },
    didDocument: { id: "did:example:erring" },
    didDocumentMetadata: {},
  },
  "did:example:empty": { didResolutionMetadata: {}, didDocument: null, didDocumentMetadata: {} },
};
const examples = new Resolver({
  example: (did) => Promise.resolve(did === TWO_KEY_DID ? twoKeyDocument() : (UNUSABLE[did] ?? twoKeyDocument())),
});
const holders = holderResolver(new Resolver({ ethr: () => Promise.reject(new Error("no chain in this test")) }));
const resolver: Resolvable = {
  resolve: (did, options) => (did.startsWith("did:example:") ? examples : holders).resolve(did, options),
};
const expected = { resolver, audience: AUDIENCE, nonce: NONCE, maxAge: 300, now: NOW, skew: 5 };

/** An SD-JWT VC of a KYC attestation for `holder` (none: unbound), every field but `level` disclosable. */
async function sdJwtFor(holder: string | undefined, id = true): Promise<string> {
  const credential = buildCredential({
    schema: { vcType: "KycAttestation", uri: "https://schemas.ccr.example/kyc.json", digest: `0x${"ab".repeat(32)}` },
    issuer: ethrDid(31337, issuer.address),
    subject: { ...(holder === undefined ? {} : { id: holder }), name: "Ida", country: "JP", level: "high" },
    validFrom: new Date("2026-01-01T00:00:00Z"),
    validUntil: new Date("2027-01-01T00:00:00Z"),
    ...(id ? { id: "urn:uuid:5b1d6c2e-0000-4000-8000-000000000001" } : {}),
    status: { chainId: 31337, registry },
  });
  return issueSdJwt(credential, issuer.privateKey, `${credential.issuer}#controller`, ["level"]);
}

const encode = (value: unknown): string => base64url(JSON.stringify(value));
/** The decoded JSON of a base64url part. */
const decoded = (part: string): unknown => JSON.parse(Buffer.from(part, "base64url").toString());
/** The field a disclosure `[salt, name, value]` discloses. */
const nameOf = (disclosure: string): string => String((decoded(disclosure) as unknown[])[1]);
const sdHashOf = (presented: string): string => base64url(sha256Bytes(presented));

/** A key binding JWT over `presented` (ending in `~`), with `claims` in place of the usual ones where given. */
async function keyBinding(
  presented: string,
  key: string,
  kid: string,
  claims: Record<string, unknown> = {},
  typ: string = KB_JWT_TYP,
): Promise<string> {
  const header = encode({ typ, alg: "ES256K", kid });
  const payload = encode({ iat: NOW_S, aud: AUDIENCE, nonce: NONCE, sd_hash: sdHashOf(presented), ...claims });
  const signature = (await ES256KSigner(getBytes(key))(`${header}.${payload}`)) as string;
  return `${presented}${header}.${payload}.${signature}`;
}

/** A token made of `header` and `payload` with no valid signature (the decoder does not check the issuer's). */
const unsigned = (header: unknown, payload: unknown, ...disclosures: string[]): string =>
  `${encode(header)}.${encode(payload)}.c2ln~${disclosures.map((d) => `${d}~`).join("")}`;

describe("SD-JWT VC (src/vc/sdJwt.ts): disclosures and key binding", function () {
  const holder = holderDid("ida");
  const key = holderKey("ida");
  const kid = `${holder}#${holder.slice("did:key:".length)}`;

  it("reads an SD-JWT VC as a credential: claims, what is disclosed, the bound key; the anchored hash is the JWT's", async function () {
    const token = await sdJwtFor(holder);
    const decoded = decodeSdJwt(token);
    expect(decoded.header).to.include({ typ: SD_JWT_VC_TYP, alg: "ES256K" });
    expect(decoded.credential).to.deep.include({
      "@context": [VC_CONTEXT_V2, CCR_CONTEXT_V1],
      type: ["VerifiableCredential", "KycAttestation"],
      id: "urn:uuid:5b1d6c2e-0000-4000-8000-000000000001",
      issuer: ethrDid(31337, issuer.address),
      validFrom: "2026-01-01T00:00:00.000Z",
      validUntil: "2027-01-01T00:00:00.000Z",
    });
    expect(decoded.credential.credentialSubject).to.deep.equal({
      id: holder,
      level: "high",
      name: "Ida",
      country: "JP",
    });
    expect([...decoded.disclosed].sort()).to.deep.equal(["country", "name"]);
    expect(decoded.boundKey).to.equal(kid);
    expect(decoded.keyBinding).to.equal(undefined);
    expect(credentialHash(token)).to.equal(credentialHash(token.split("~")[0] ?? ""));
    // Unbound: no sub, no cnf.
    const unbound = decodeSdJwt(await sdJwtFor(undefined, false));
    expect(unbound.credential.credentialSubject).to.not.have.property("id");
    expect(unbound.credential).to.not.have.property("id");
    expect(unbound.boundKey).to.equal(undefined);
  });

  it("reads a token read moments ago into a copy of its own: changing one reading changes no later one", async function () {
    const token = await sdJwtFor(holder);
    const first = decodeSdJwt(token);
    const expected = structuredClone(first);
    first.credential.credentialSubject.name = "Mallory";
    first.credential.type.push("Forged");
    first.disclosed.length = 0;
    (first.credential.credentialSchema as { id: string }).id = "urn:other";
    first.header.alg = "none";
    const again = decodeSdJwt(token);
    expect(again).to.deep.equal(expected);
    again.credential.credentialSubject.level = "low";
    expect(decodeSdJwt(token)).to.deep.equal(expected);
  });

  it("refuses a disclosure the issuer did not sign, another typ, a token that is not an SD-JWT, and missing claims", async function () {
    const token = await sdJwtFor(holder);
    const other = (await sdJwtFor(holder)).split("~")[1] ?? "";
    const [jwt = "", ...disclosures] = token.split("~").slice(0, -1);
    const foreign = await rejection(Promise.resolve().then(() => decodeSdJwt(`${jwt}~${other}~`)));
    expect([foreign.code, foreign.message]).to.deep.equal([
      "INVALID_SIGNATURE",
      `disclosure 1 (${nameOf(other)}) is not one the issuer signed: the credential was altered`,
    ]);
    // The issuer's own disclosures, in any order, are all accepted.
    expect(decodeSdJwt(`${jwt}~${[...disclosures].reverse().join("~")}~`).disclosed).to.have.length(2);
    const claims = { iss: "did:example:i", vct: "https://schemas.ccr.example/kyc.json", nbf: 1, credentialStatus: {} };
    expect(decodeSdJwt(unsigned({ typ: SD_JWT_VC_TYP }, claims)).credential.issuer).to.equal("did:example:i");
    const refused = async (text: string) => (await rejection(Promise.resolve().then(() => decodeSdJwt(text)))).code;
    expect(await refused(unsigned({ typ: "vc+sd-jwt" }, claims))).to.equal("MALFORMED_CREDENTIAL");
    expect(await refused(unsigned({}, claims))).to.equal("MALFORMED_CREDENTIAL");
    expect(await refused("not~a~token")).to.equal("MALFORMED_CREDENTIAL");
    for (const missing of ["iss", "vct", "nbf", "credentialStatus"]) {
      const rest = Object.fromEntries(Object.entries(claims).filter(([k]) => k !== missing));
      expect(await refused(unsigned({ typ: SD_JWT_VC_TYP }, rest)), missing).to.equal("MALFORMED_CREDENTIAL");
    }
    expect(await refused(unsigned({ typ: SD_JWT_VC_TYP }, { ...claims, nbf: "1" }))).to.equal("MALFORMED_CREDENTIAL");
  });

  it("finds the issuer's digests in _sd arrays only, nested in objects and arrays, and lists no array element as a field", async function () {
    const claims = { iss: "did:example:i", vct: "https://schemas.ccr.example/kyc.json", nbf: 1, credentialStatus: {} };
    const disclosure = encode(["salt-1", "name", "Ida"]);
    const element = encode(["salt-2", "JP"]);
    const digestOf = (d: string): string => base64url(sha256Bytes(d));
    const header = { typ: SD_JWT_VC_TYP };
    // Nested inside an array of objects, a null claim beside it: found and read.
    const nested = unsigned(header, { ...claims, note: null, list: [{ _sd: [digestOf(disclosure)] }] }, disclosure);
    expect(decodeSdJwt(nested).disclosed).to.deep.equal(["name"]);
    // In an array that is not _sd, or in an _sd that is not an array: not the issuer's digest.
    for (const payload of [
      { ...claims, other: [digestOf(disclosure)] },
      { ...claims, _sd: digestOf(disclosure) },
    ]) {
      const error = await rejection(Promise.resolve().then(() => decodeSdJwt(unsigned(header, payload, disclosure))));
      expect(error.code, JSON.stringify(payload)).to.equal("INVALID_SIGNATURE");
    }
    // An array element's disclosure is no field: neither listed as disclosed nor offered to present.
    const both = unsigned(header, { ...claims, _sd: [digestOf(disclosure), digestOf(element)] }, disclosure, element);
    expect(decodeSdJwt(both).disclosed).to.deep.equal(["name"]);
    const error = await rejection(Promise.resolve().then(() => selectDisclosures("e.json", both, ["JP"])));
    expect(error.message).to.match(/its disclosable fields are name; nothing was presented$/);
    expect(selectDisclosures("e.json", both, ["name"])).to.equal(both.replace(`${element}~`, ""));
  });

  it("presents the chosen disclosures only, or all of them, and refuses a field it cannot disclose", async function () {
    const token = await sdJwtFor(holder);
    const [jwt = "", ...rest] = token.split("~");
    const disclosures = rest.filter((d) => d !== "");
    expect(selectDisclosures("c.json", token, undefined)).to.equal(`${jwt}~${disclosures.join("~")}~`);
    const country = disclosures.find((d) => nameOf(d) === "country");
    expect(selectDisclosures("c.json", token, ["country"])).to.equal(`${jwt}~${country}~`);
    expect(selectDisclosures("c.json", token, [])).to.equal(`${jwt}~`);
    const name = disclosures.find((d) => nameOf(d) === "name");
    expect(selectDisclosures("c.json", token, ["name", "country"])).to.equal(`${jwt}~${name}~${country}~`);
    const error = await rejection(Promise.resolve().then(() => selectDisclosures("c.json", token, ["level", "age"])));
    expect(error.code).to.equal("INVALID_ARGUMENT");
    expect(error.message).to.match(/^c\.json cannot disclose "level", "age": its disclosable fields are \w+, \w+;/);
    const unsignedToken = unsigned({ typ: SD_JWT_VC_TYP }, {});
    const none = await rejection(Promise.resolve().then(() => selectDisclosures("u.json", unsignedToken, ["a"])));
    expect(none.message).to.contain("its disclosable fields are none");
  });

  it("accepts a key binding by the holder for this audience and nonce, over exactly the disclosures presented", async function () {
    const token = await sdJwtFor(holder);
    const presented = await presentSdJwt("c.json", token, {
      holderKey: key,
      audience: AUDIENCE,
      nonce: NONCE,
      disclose: ["name"],
      now: NOW,
    });
    const check = await checkKeyBinding(presented, expected);
    expect(check).to.deep.equal({
      outcome: "valid",
      reason: `presented by its holder ${holder} to ${AUDIENCE}, made 2026-07-01T12:00:00Z`,
      holder,
      issuedAt: "2026-07-01T12:00:00Z",
      disclosed: ["name"],
    });
    const kb = decoded(presented.split("~").pop()?.split(".")[0] ?? "");
    expect(kb).to.deep.equal({ typ: KB_JWT_TYP, alg: "ES256K", kid });
    // Another holder's key, or an unbound credential: nothing is presented.
    const wrongKey = await rejection(
      presentSdJwt("c.json", token, { holderKey: holderKey("eve"), audience: AUDIENCE, nonce: NONCE }),
    );
    expect(wrongKey.code).to.equal("KEY_MISMATCH");
    const unbound = await rejection(
      presentSdJwt("u.json", await sdJwtFor(undefined), { holderKey: key, audience: AUDIENCE, nonce: NONCE }),
    );
    expect(unbound.code).to.equal("INVALID_PRESENTATION");
  });

  it("refuses a key binding for another audience or nonce, of another typ, unsigned, or none at all", async function () {
    const token = await sdJwtFor(holder);
    const presented = selectDisclosures("c.json", token, ["name"]);
    const outcome = async (text: string): Promise<string> => {
      const check = await checkKeyBinding(text, expected);
      return `${check.outcome}: ${check.reason}`;
    };
    expect(await outcome(await keyBinding(presented, key, kid))).to.match(/^valid: /);
    expect(await outcome(await keyBinding(presented, key, kid, { aud: "https://other.example" }))).to.equal(
      `invalid: made for https://other.example, not for ${AUDIENCE}`,
    );
    expect(await outcome(await keyBinding(presented, key, kid, { nonce: "n-1" }))).to.match(
      /^invalid: its nonce "n-1" is not this request's "n-1809"/,
    );
    expect(await outcome(await keyBinding(presented, key, kid, { nonce: undefined }))).to.match(
      /^invalid: its nonce null/,
    );
    expect(await outcome(await keyBinding(presented, key, kid, {}, "JWT"))).to.equal(
      "invalid: its key binding JWT has typ JWT, not kb+jwt",
    );
    expect(await outcome(presented)).to.equal("invalid: no key binding JWT: the holder did not sign this presentation");
    // A key binding that is not a JWT: the SD-JWT itself is refused as malformed.
    const notJwt = await rejection(checkKeyBinding(`${presented}e30.bm90IGpzb24.c2ln`, expected));
    expect(notJwt.code).to.equal("MALFORMED_CREDENTIAL");
    expect(await outcome(await keyBinding(presented, holderKey("eve"), kid))).to.equal(
      `invalid: its key binding JWT is not signed by the holder ${holder}`,
    );
    const unbound = selectDisclosures("u.json", await sdJwtFor(undefined), undefined);
    expect(await outcome(await keyBinding(unbound, key, kid))).to.equal(
      "invalid: the credential names no holder: nobody can bind it to this request",
    );
  });

  it("takes a key binding up to maxAge + skew old and up to skew ahead, and no further; none without iat", async function () {
    const presented = selectDisclosures("c.json", await sdJwtFor(holder), undefined);
    const at = async (iat: unknown): Promise<string> =>
      (await checkKeyBinding(await keyBinding(presented, key, kid, { iat }), expected)).outcome;
    const { maxAge, skew } = expected;
    expect(await at(NOW_S - maxAge - skew)).to.equal("valid");
    expect(await at(NOW_S - maxAge - skew - 1)).to.equal("invalid");
    expect(await at(NOW_S + skew)).to.equal("valid");
    expect(await at(NOW_S + skew + 1)).to.equal("invalid");
    expect(await at(undefined)).to.equal("invalid");
    expect(await at(String(NOW_S))).to.equal("invalid");
    const old = await checkKeyBinding(await keyBinding(presented, key, kid, { iat: NOW_S - 1000 }), expected);
    expect([old.reason, old.issuedAt]).to.deep.equal([
      "made at 2026-07-01T11:43:20Z, more than 300 s ago: too old to be accepted",
      "2026-07-01T11:43:20Z",
    ]);
    const future = await checkKeyBinding(await keyBinding(presented, key, kid, { iat: NOW_S + 60 }), expected);
    expect(future.reason).to.equal("made at 2026-07-01T12:01:00Z, in the future");
    // Without `now`, the wall clock is the reference: a key binding made now passes, one a day old does not.
    const { resolver: wallResolver, audience, nonce, maxAge: age, skew: wallSkew } = expected;
    const wallClock = { resolver: wallResolver, audience, nonce, maxAge: age, skew: wallSkew };
    const wall = Math.floor(Date.now() / 1000);
    const fresh = await checkKeyBinding(await keyBinding(presented, key, kid, { iat: wall }), wallClock);
    expect(fresh.outcome).to.equal("valid");
    const stale = await checkKeyBinding(await keyBinding(presented, key, kid, { iat: wall - 86_400 }), wallClock);
    expect(stale.outcome).to.equal("invalid");
  });

  it("refuses a presentation whose disclosures changed after the key binding (sd_hash): dropped, added, reordered", async function () {
    const token = await sdJwtFor(holder);
    const [jwt = "", ...rest] = token.split("~");
    const [a = "", b = ""] = rest.filter((d) => d !== "");
    const signed = `${jwt}~${a}~${b}~`;
    const kb = (await keyBinding(signed, key, kid)).slice(signed.length);
    expect((await checkKeyBinding(`${signed}${kb}`, expected)).outcome).to.equal("valid");
    for (const [what, changed] of Object.entries({
      dropped: `${jwt}~${a}~`,
      added: `${jwt}~${a}~${b}~${a}~`,
      reordered: `${jwt}~${b}~${a}~`,
    })) {
      const check = await checkKeyBinding(`${changed}${kb}`, expected);
      expect([check.outcome, check.reason], what).to.deep.equal([
        "invalid",
        "its key binding JWT signs other disclosures than the ones presented (sd_hash): altered",
      ]);
    }
    // An sd_hash that is not the hash of what travels: the same refusal.
    const wrong = await keyBinding(signed, key, kid, { sd_hash: sdHashOf(`${jwt}~`) });
    expect((await checkKeyBinding(wrong, expected)).outcome).to.equal("invalid");
  });

  it("binds the key the credential names (cnf.kid): another key of the holder's DID is refused; an unresolvable holder is undecided", async function () {
    const bound = await sdJwtFor(TWO_KEY_DID);
    expect(decodeSdJwt(bound).boundKey).to.equal(`${TWO_KEY_DID}#controller`);
    const presented = selectDisclosures("c.json", bound, ["name"]);
    const byBound = await keyBinding(presented, twoKeys.bound.privateKey, `${TWO_KEY_DID}#controller`);
    expect((await checkKeyBinding(byBound, expected)).outcome).to.equal("valid");
    const byOther = await checkKeyBinding(
      await keyBinding(presented, twoKeys.other.privateKey, `${TWO_KEY_DID}#other`),
      expected,
    );
    expect([byOther.outcome, byOther.reason]).to.deep.equal([
      "invalid",
      `its key binding JWT is signed by ${TWO_KEY_DID}#other, not by the key the credential binds (${TWO_KEY_DID}#controller)`,
    ]);
    const byAssertionKey = await checkKeyBinding(
      await keyBinding(presented, twoKeys.assertion.privateKey, `${TWO_KEY_DID}#assertion`),
      expected,
    );
    expect(byAssertionKey.reason).to.equal(`its key binding JWT is not signed by the holder ${TWO_KEY_DID}`);
    const reasons = {
      "did:example:nobody": "notFound",
      "did:example:erring": "the node answered nothing",
      "did:example:empty": "undefined",
    };
    for (const [did, why] of Object.entries(reasons)) {
      const lost = selectDisclosures("c.json", await sdJwtFor(did), undefined);
      const undecided = await checkKeyBinding(await keyBinding(lost, key, `${did}#controller`), expected);
      expect([undecided.outcome, undecided.reason]).to.deep.equal([
        "undecided",
        `could not resolve the holder ${did}: ${why}`,
      ]);
    }
    // A credential that binds no particular key (no cnf): any authentication key of the holder signs.
    const claims = { iss: "did:example:i", vct: "https://schemas.ccr.example/kyc.json", nbf: 1, credentialStatus: {} };
    const noCnf = unsigned({ typ: SD_JWT_VC_TYP }, { ...claims, sub: TWO_KEY_DID });
    const free = await checkKeyBinding(
      await keyBinding(noCnf, twoKeys.other.privateKey, `${TWO_KEY_DID}#other`),
      expected,
    );
    expect(free.outcome, free.reason).to.equal("valid");
    // A subject id that is not a DID string binds nobody.
    const numbered = unsigned({ typ: SD_JWT_VC_TYP }, { ...claims, sub: 7 });
    const nobody = await checkKeyBinding(await keyBinding(numbered, key, kid), expected);
    expect([nobody.outcome, nobody.holder]).to.deep.equal(["invalid", undefined]);
    // A did:jwk holder is resolved without a chain, like did:key.
    const jwkHolder = secp256k1DidJwk(key);
    const jwk = selectDisclosures("c.json", await sdJwtFor(jwkHolder), undefined);
    expect((await checkKeyBinding(await keyBinding(jwk, key, `${jwkHolder}#0`), expected)).outcome).to.equal("valid");
  });
});
