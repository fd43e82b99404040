/**
 * The issuer service's JWT signature check (src/wallet/jwt.ts): a proof is signed by the JWK it names, with the
 * algorithm its header says, or it is not; whatever is malformed is a "no", never an exception.
 */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { expect } from "chai";
import type { Jwk } from "@openid4vc/oauth2";
import { base64url } from "../src/bytes.ts";
import { verifiesWith } from "../src/wallet/jwt.ts";

/** A key pair of `alg`'s curve, its public JWK, and a JWT it signs. */
function signer(alg: "ES256" | "ES256K" | "EdDSA") {
  const { privateKey, publicKey } =
    alg === "EdDSA"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: alg === "ES256" ? "P-256" : "secp256k1" });
  const jwk = publicKey.export({ format: "jwk" }) as Jwk;
  const jwt = (payload: object, key: KeyObject = privateKey): string => {
    const input = `${base64url(JSON.stringify({ alg, typ: "openid4vci-proof+jwt" }))}.${base64url(JSON.stringify(payload))}`;
    const signature = sign(alg === "EdDSA" ? null : "sha256", Buffer.from(input), {
      key,
      dsaEncoding: "ieee-p1363",
    });
    return `${input}.${signature.toString("base64url")}`;
  };
  return { jwk, jwt, privateKey };
}

describe("proof signatures of the issuer service (src/wallet/jwt.ts)", function () {
  it("takes a JWT signed by the JWK it names, with ES256, ES256K or EdDSA", async function () {
    for (const alg of ["ES256", "ES256K", "EdDSA"] as const) {
      const { jwk, jwt } = signer(alg);
      expect(await verifiesWith(jwt({ nonce: "n" }), alg, jwk), alg).to.equal(true);
    }
  });

  it("refuses another signer, an altered payload, another algorithm than the key's, a private JWK", async function () {
    const { jwk, jwt } = signer("ES256");
    const token = jwt({ nonce: "n" });
    expect(await verifiesWith(signer("ES256").jwt({ nonce: "n" }), "ES256", jwk)).to.equal(false);
    const [header, , signature] = token.split(".");
    const altered = `${header}.${base64url(JSON.stringify({ nonce: "m" }))}.${signature}`;
    expect(await verifiesWith(altered, "ES256", jwk)).to.equal(false);
    expect(await verifiesWith(token, "ES256K", jwk)).to.equal(false);
    expect(await verifiesWith(token, "RS256", jwk)).to.equal(false);
    const { privateKey } = signer("ES256");
    expect(await verifiesWith(token, "ES256", privateKey.export({ format: "jwk" }) as Jwk)).to.equal(false);
  });

  it("answers no, without throwing, for a malformed JWT, signature or key", async function () {
    const { jwk, jwt } = signer("ES256");
    const [header, payload, signature = ""] = jwt({ nonce: "n" }).split(".");
    for (const [what, compact, key] of [
      ["two parts", `${header}.${payload}`, jwk],
      ["a signature of 63 bytes", `${header}.${payload}.${signature.slice(0, 84)}`, jwk],
      ["an empty signature", `${header}.${payload}.`, jwk],
      ["a signature that is not base64url", `${header}.${payload}.!!!`, jwk],
      ["a point off the curve", `${header}.${payload}.${signature}`, { ...jwk, x: base64url("x".repeat(32)) }],
    ] as const) {
      expect(await verifiesWith(compact, "ES256", key), what).to.equal(false);
    }
  });
});
