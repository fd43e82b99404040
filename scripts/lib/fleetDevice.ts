/**
 * A device's enrolment as a fleet bench runs it ten thousand times: the same three requests (token with its maker's
 * attestation, nonce, credential for a proof signed by its key; the deferred endpoint when told to wait), with the
 * same headers, forms, JSON bodies and JWTs as `enrollDevice` (src/wallet/deviceClient.ts) sends through the
 * `@openid4vc` wallet libraries, over node:https, without those libraries' checks of every answer.
 *
 * Why: the simulated fleet shares the bench machine's two cores with the service it measures, and through the
 * libraries it spent about as much CPU per device as the service (2.3 against 2.5 ms), so the bench measured the
 * fleet as much as the service. A device in the field is a small client on its own hardware. That the service
 * answers the wallet libraries is what the end-to-end tests check (`test/walletIssuer.ts`, `npm run device`);
 * `CCR_BENCH_CLIENT=library npm run bench:wallet` runs the fleet through them.
 */
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:https";
import type { IssuerMetadataResult } from "@openid4vc/openid4vci";
import { publicJwk } from "../../src/wallet/jwt.ts";
import { signJws, type KeyPair } from "../../src/wallet/deviceClient.ts";

/** An answer: its HTTP status and its JSON body (undefined when it has none). */
interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** A service's refusal, with its status (as the library clients' errors carry it: `error.response.status`). */
export class RefusedError extends Error {
  readonly response: { status: number };
  constructor(status: number, body: unknown) {
    super(`the issuer service answered ${status}: ${JSON.stringify(body)}`);
    this.response = { status };
  }
}

/**
 * A poster of requests over at most `connections` kept-alive HTTPS connections trusting `ca` (PEM): the fleet's
 * devices, and the verifier bench's wallets.
 */
export function fleetPoster(ca: string, connections: number) {
  const agent = new Agent({ ca, keepAlive: true, maxSockets: connections });
  const post = (url: string, headers: Record<string, string>, body = ""): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const sent = request(
        url,
        { method: "POST", agent, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            try {
              const parsed = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
              resolve({ status: response.statusCode ?? 0, body: parsed });
            } catch {
              reject(
                new Error(`the issuer service answered ${response.statusCode} with no JSON: ${text.slice(0, 200)}`),
              );
            }
          });
        },
      );
      sent.on("error", reject);
      sent.end(body);
    });
  return Object.assign(post, { close: () => agent.destroy() });
}

export type FleetPoster = ReturnType<typeof fleetPoster>;

const seconds = (): number => Math.floor(Date.now() / 1000);

/** The answer's body when its status is `expected` (or 202 where allowed), else the service's refusal thrown. */
function expect(answer: Answer, ...statuses: number[]): Record<string, unknown> {
  if (!statuses.includes(answer.status) || answer.body === undefined)
    throw new RefusedError(answer.status, answer.body);
  return answer.body;
}

/**
 * Enrols one device (see the header): its credential. `post` is shared by the fleet; `onCredentialAnswer` is told
 * the status of the credential request, and how long it took.
 */
export async function enrollFleetDevice(options: {
  post: FleetPoster;
  issuerMetadata: IssuerMetadataResult;
  attestation: string;
  deviceKey: KeyPair;
  serialNumber: string;
  configuration: string;
  onCredentialAnswer?: (status: number, ms: number) => void;
}): Promise<string> {
  const { post, issuerMetadata, attestation, deviceKey, configuration } = options;
  const issuer = issuerMetadata.credentialIssuer;
  const server = issuerMetadata.authorizationServers[0];
  if (server?.token_endpoint === undefined || issuer.nonce_endpoint === undefined) {
    throw new Error(`${issuer.credential_issuer} names no token or nonce endpoint`);
  }
  const iat = seconds();
  const pop = signJws(
    deviceKey,
    { alg: deviceKey.alg, typ: "oauth-client-attestation-pop+jwt" },
    { iss: options.serialNumber, aud: server.issuer, iat, exp: iat + 60, jti: randomBytes(32).toString("base64url") },
  );
  const token = expect(
    await post(
      server.token_endpoint,
      {
        "content-type": "application/x-www-form-urlencoded",
        "oauth-client-attestation": attestation,
        "oauth-client-attestation-pop": pop,
      },
      "grant_type=client_credentials",
    ),
    200,
  );
  const authorization = `Bearer ${String(token.access_token)}`;
  const { c_nonce: nonce } = expect(await post(issuer.nonce_endpoint, {}), 200);
  const proof = signJws(
    deviceKey,
    { alg: deviceKey.alg, typ: "openid4vci-proof+jwt", jwk: publicJwk(deviceKey.publicJwk) },
    { aud: issuer.credential_issuer, iat: seconds(), nonce },
  );
  const started = performance.now();
  const answer = await post(
    issuer.credential_endpoint,
    { authorization, "content-type": "application/json" },
    JSON.stringify({ proofs: { jwt: [proof] }, credential_configuration_id: configuration }),
  );
  options.onCredentialAnswer?.(answer.status, performance.now() - started);
  let body = expect(answer, 200, 202);
  // Deferred (the service is catching up with its anchoring): ask again after the interval it names.
  while (body.credentials === undefined && typeof body.transaction_id === "string") {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0.2, Number(body.interval ?? 1)) * 1000));
    const deferred = issuer.deferred_credential_endpoint;
    if (deferred === undefined) throw new Error(`${issuer.credential_issuer} deferred without a deferred endpoint`);
    body = expect(
      await post(
        deferred,
        { authorization, "content-type": "application/json" },
        JSON.stringify({ transaction_id: body.transaction_id }),
      ),
      200,
      202,
    );
  }
  const [first] = (body.credentials ?? []) as { credential?: unknown }[];
  if (typeof first?.credential !== "string")
    throw new Error(`${issuer.credential_issuer} answered without a credential`);
  return first.credential;
}
