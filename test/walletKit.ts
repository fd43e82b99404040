/**
 * What the wallet tests use that is not CCR's: a TLS certificate made for the test (wallets insist on HTTPS), fetch
 * trusting it (undici), holder keys, and JWTs signed with `jose` (the wallet's own JOSE library, not CCR's code).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent as HttpsAgent } from "node:https";
import { join } from "node:path";
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
