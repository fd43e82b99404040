/**
 * The devnet's zero-touch provisioning setup: the Korean device maker's factory attestation key and the certificate
 * its issuer service serves HTTPS with, both made fresh for each devnet in `<devnet>/devices/` (devnet only; the
 * private keys never leave that folder, readable by their owner only).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Agent, fetch as undiciFetch } from "undici";
import { newKeyPair, type KeyPair } from "../../src/wallet/deviceClient.ts";

export { freePort } from "./devnet-process.ts";

/** The demo issuer that makes devices, and the name of its factory's attestation key. */
export const DEVICE_MAKER = "kr-devicemaker";
export const FACTORY_KID = "factory-seoul-1";

/** What a device needs to enrol on the devnet: the service's URL and certificate, and the factory's key. */
export interface ProvisioningSetup {
  url: string;
  certificate: string;
  key: string;
  attesterPublicKey: string;
  attesterPrivateKey: string;
}

const setupFile = (devnet: string): string => join(devnet, "devices", "issuer-service.json");

/**
 * A self-signed P-256 certificate for `localhost` (and 127.0.0.1) named `name`, valid 30 days, with its key (0600):
 * what the devnet's HTTPS services present. The reason when it cannot be made (no openssl).
 */
export function devnetCertificate(name: string, certificate: string, key: string): string | undefined {
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30"]
        .concat(["-subj", `/CN=${name}`, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .concat(["-keyout", key, "-out", certificate]),
      { stdio: "ignore" },
    );
    return undefined;
  } catch (error) {
    return `openssl could not make its certificate (${(error as Error).message.split("\n")[0]})`;
  }
}

/** Makes the setup for a service on `port`; the reason when it cannot (no openssl). */
export function provisioningSetup(devnet: string, port: number): Promise<ProvisioningSetup | string> {
  const dir = join(devnet, "devices");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const setup: ProvisioningSetup = {
    url: `https://localhost:${port}`,
    certificate: join(dir, "issuer-service.crt"),
    key: join(dir, "issuer-service.key"),
    attesterPublicKey: join(dir, `${FACTORY_KID}.public.jwk.json`),
    attesterPrivateKey: join(dir, `${FACTORY_KID}.private.jwk.json`),
  };
  const problem = devnetCertificate("ccr-devnet-issuer-service", setup.certificate, setup.key);
  if (problem !== undefined) return Promise.resolve(problem);
  const factory = newKeyPair("ES256");
  writeFileSync(setup.attesterPublicKey, `${JSON.stringify(factory.publicJwk)}\n`);
  writeFileSync(setup.attesterPrivateKey, `${JSON.stringify(factory)}\n`, { mode: 0o600 });
  writeFileSync(setupFile(devnet), `${JSON.stringify(setup, null, 2)}\n`);
  return Promise.resolve(setup);
}

/** The devnet's setup, as `npm run devnet` made it; undefined when its issuer service was not started. */
export function readProvisioningSetup(devnet: string): (ProvisioningSetup & { factory: KeyPair }) | undefined {
  let setup: ProvisioningSetup;
  try {
    setup = JSON.parse(readFileSync(setupFile(devnet), "utf8")) as ProvisioningSetup;
  } catch {
    return undefined;
  }
  const factory = JSON.parse(readFileSync(setup.attesterPrivateKey, "utf8")) as KeyPair;
  return { ...setup, factory };
}

/** A request body as node:https sends it (what the protocol libraries give fetch: text, a form, bytes). */
function bodyBytes(body: RequestInit["body"]): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return Buffer.from(body as ArrayBuffer);
  throw new Error("a fetch body other than text, a form or bytes is not sent by the benches' client");
}

/**
 * A fetch for simulated fleets: node:https over kept-alive connections trusting `ca` (PEM), at most `connections`
 * at once. It does what the protocol libraries ask of fetch (method, headers, a text, form or byte body; status,
 * headers and body back) with a fraction of undici's CPU, which the fleet shares with the service it measures.
 */
export function leanFetch(ca: string, connections: number): typeof fetch & { close(): void } {
  const agent = new HttpsAgent({ ca, keepAlive: true, maxSockets: connections });
  const fetcher = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (input instanceof Request) throw new Error("the benches' client takes a URL and options, not a Request");
    const headers = new Headers(init.headers);
    const body = bodyBytes(init.body);
    if (init.body instanceof URLSearchParams && !headers.has("content-type")) {
      headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
    }
    if (body !== undefined) headers.set("content-length", String(body.length));
    return new Promise<Response>((resolve, reject) => {
      const sent = httpsRequest(
        input,
        { method: init.method ?? "GET", agent, headers: Object.fromEntries(headers) },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const status = response.statusCode ?? 0;
            const answer = new Headers();
            for (const [name, value] of Object.entries(response.headers)) {
              for (const one of [value ?? []].flat()) answer.append(name, one);
            }
            const empty = [101, 204, 205, 304].includes(status);
            resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: answer }));
          });
        },
      );
      sent.on("error", reject);
      sent.end(body);
    });
  };
  return Object.assign(fetcher, { close: () => agent.destroy() });
}

/** A fetch that trusts the certificate `ca` (PEM) and nothing else self-signed, over at most `connections` at once. */
export function trustingFetch(ca: string, connections?: number): typeof fetch & { close(): Promise<void> } {
  const dispatcher = new Agent({ connect: { ca }, ...(connections === undefined ? {} : { connections }) });
  const fetcher = (input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher });
  return Object.assign(fetcher as unknown as typeof fetch, { close: () => dispatcher.close() });
}
