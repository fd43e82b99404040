/**
 * What the wallet tests use that is not CCR's: a TLS certificate made for the test (wallets insist on HTTPS), fetch
 * trusting it (undici), holder keys, JWTs signed with `jose` (the wallet's own JOSE library, not CCR's code), and an
 * OpenID4VP wallet: `@digitalbazaar/oid4-client` fetches and checks the request and sends the answer, and
 * `@sd-jwt/sd-jwt-vc` makes the presentation with its key binding.
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey, sign, type JsonWebKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent as HttpsAgent } from "node:https";
import { join } from "node:path";
import { oid4vp } from "@digitalbazaar/oid4-client";
import { digest, generateSalt } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { SignJWT, importJWK, type JWK } from "jose";
import { trustingFetch as trustingFetchOf } from "../scripts/lib/devices.ts";
import { newKeyPair, signJws, type KeyPair } from "../src/wallet/deviceClient.ts";

export interface TestCertificate {
  cert: string;
  key: string;
  /** The PEM file, for NODE_EXTRA_CA_CERTS. */
  certFile: string;
  keyFile: string;
}

/**
 * A self-signed P-256 certificate for `localhost` and 127.0.0.1, valid a day, made with openssl in `dir`; `name` is
 * its own subject (two test certificates with one subject cannot share a CA bundle).
 */
export function testCertificate(dir: string, name: string): TestCertificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
}

/** A fetch that trusts `certificate` (and nothing else self-signed). */
export const trustingFetch = (certificate: TestCertificate): typeof fetch => trustingFetchOf(certificate.cert);

/** An https.Agent that trusts `certificate` (for clients built on node:https). */
export const trustingAgent = (certificate: TestCertificate): HttpsAgent => new HttpsAgent({ ca: certificate.cert });

/** A holder's key pair as a wallet keeps it (made as CCR's device client makes one). */
export type HolderKey = KeyPair;
export const holderKey = (alg: KeyPair["alg"]): HolderKey => newKeyPair(alg);

/** A proof of possession (`openid4vci-proof+jwt`) signed with `jose`, with any claim or header changed. */
export async function proofJwt(
  key: HolderKey,
  claims: { aud: string; nonce?: string | undefined; iat?: number },
  header: Record<string, unknown> = {},
): Promise<string> {
  const { iat, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: key.alg, typ: "openid4vci-proof+jwt", jwk: key.publicJwk as JWK, ...header })
    .setIssuedAt(iat ?? Math.floor(Date.now() / 1000))
    .sign(await importJWK(key.privateJwk as JWK, key.alg));
}

/**
 * Waits until `condition` holds (checked every 100 ms), at most `ms` milliseconds (a bound against a hang, not a
 * timing); then throws, saying `what` (a function: read when it throws).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A compact JWS signed with Node's crypto: for ES256K, which `jose` 6 refuses. */
export const signCompact = signJws;

/** A wallet's answer to an OpenID4VP request: what the verifier said, or its refusal (`<status> <error>: <message>`). */
export type WalletAnswer = { result: unknown } | { refused: string };

/**
 * What a wallet does with an `openid4vp://` link: fetches the signed request and checks it (its x5c chain against
 * `tls`, the only certificate trusted, and the x509_san_dns client id), presents `sdJwt` with the `disclose` claims
 * and a key binding by `key` (for the request's client id and nonce, unless `kb` says otherwise), and posts it.
 */
export async function answerRequest(
  link: string,
  tls: TestCertificate,
  holder: { key: HolderKey; sdJwt: string },
  disclose: string[],
  kb: { aud?: string; nonce?: string } = {},
): Promise<WalletAnswer> {
  const agent = trustingAgent(tls);
  const { authorizationRequest } = (await oid4vp.authzRequest.get({
    url: link,
    agent,
    getTrustedCertificates: () => [tls.cert],
  })) as { authorizationRequest: Record<string, unknown> & { client_id: string; nonce: string } };
  const privateKey = createPrivateKey({ key: holder.key.privateJwk as JsonWebKey, format: "jwk" });
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    kbSignAlg: "ES256",
    kbSigner: (data: string) =>
      sign("sha256", Buffer.from(data), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url"),
  });
  const presentation = await sdjwt.present(holder.sdJwt, Object.fromEntries(disclose.map((c) => [c, true])), {
    kb: {
      payload: {
        iat: Math.floor(Date.now() / 1000),
        aud: kb.aud ?? authorizationRequest.client_id,
        nonce: kb.nonce ?? authorizationRequest.nonce,
      },
    },
  });
  return oid4vp.authzResponse
    .send({
      authorizationRequest,
      vpToken: JSON.stringify({ credential: [presentation] }),
      vpTokenMediaType: "application/json",
      agent,
    })
    .then(
      (sent): WalletAnswer => sent,
      (error: Error & { cause?: { status?: number; data?: { error?: string } } }): WalletAnswer => ({
        refused: `${error.cause?.status ?? ""} ${error.cause?.data?.error ?? ""}: ${error.message}`,
      }),
    );
}
