/**
 * The Trust over IP Trust Registry Query Protocol (TRQP v2) answered from CCR's accreditation hierarchy:
 * authorization ("may this issuer do this for this schema, under this economy?") and recognition ("does this economy
 * accept that economy's accreditations for this schema?"), now or at a past time (the registry's state at the last
 * block before that time, read with historical `eth_call`s).
 */
import { getAddress } from "ethers";
import { ISSUER_STANDING, economyCode, economyIso } from "../codes.ts";
import { ethrDidAddress } from "../did.ts";
import { CCRError } from "../errors.ts";
import { listSchemas, schemaIn, type SchemaInfo } from "../framework.ts";
import type { NameBook } from "../names.ts";
import { rpc, type RegistryConnection } from "../registry.ts";

/** A TRQP request (authorization and recognition have the same shape). */
export interface TrqpRequest {
  entity_id: string;
  authority_id: string;
  action: string;
  resource: string;
  context?: { time?: string; [key: string]: string | undefined };
}

interface TrqpAnswer {
  entity_id: string;
  authority_id: string;
  action: string;
  resource: string;
  time_requested?: string;
  time_evaluated: string;
  message: string;
  context?: TrqpRequest["context"];
}
export type AuthorizationResponse = TrqpAnswer & { authorized: boolean };
export type RecognitionResponse = TrqpAnswer & { recognized: boolean };

/** What the HTTPS binding answers with a problem-details body: 400, 404 or 500. */
export class TrqpProblem extends Error {
  readonly status: 400 | 404 | 500;
  readonly title: string;

  constructor(status: 400 | 404 | 500, title: string, detail: string) {
    super(detail);
    this.status = status;
    this.title = title;
  }
}

/** The actions an accreditation grants: anchoring credentials of its schemas, and managing their status. */
export const AUTHORIZATION_ACTIONS = ["issue", "revoke", "suspend", "reinstate"] as const;
/** Recognition has one action: accepting another economy's accreditations. */
export const RECOGNITION_ACTIONS = ["recognize"] as const;

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** The request as the TRQP schema requires it (four strings, an optional context of strings with a UTC time). */
export function checkRequest(body: unknown): TrqpRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new TrqpProblem(400, "Invalid request", "the request body is not a JSON object");
  }
  const request = body as Record<string, unknown>;
  for (const field of ["entity_id", "authority_id", "action", "resource"]) {
    if (typeof request[field] !== "string" || request[field] === "") {
      throw new TrqpProblem(400, "Invalid request", `"${field}" is required and must be a non-empty string`);
    }
  }
  const context = request.context;
  if (context !== undefined) {
    if (typeof context !== "object" || context === null || Array.isArray(context)) {
      throw new TrqpProblem(400, "Invalid request", `"context" must be an object`);
    }
    for (const [key, value] of Object.entries(context)) {
      if (typeof value !== "string") throw new TrqpProblem(400, "Invalid request", `"context.${key}" must be a string`);
    }
    const time = (context as Record<string, string>).time;
    if (time !== undefined && (!RFC3339_UTC.test(time) || Number.isNaN(Date.parse(time)))) {
      throw new TrqpProblem(
        400,
        "Invalid request",
        `"context.time" ${JSON.stringify(time)} is not an RFC 3339 time in UTC (e.g. 2026-11-24T09:30:00Z)`,
      );
    }
  }
  return request as unknown as TrqpRequest;
}

/** A registry failure as the binding reports it: an unreachable chain is a 500, never a "no". */
function asProblem(error: unknown): never {
  if (error instanceof TrqpProblem) throw error;
  if (error instanceof CCRError && error.code === "RPC_UNAVAILABLE") {
    throw new TrqpProblem(500, "Registry unreachable", error.message);
  }
  throw error;
}

/**
 * What a query reads of the chain's present: its latest block and its schemas. A server shares them between
 * concurrent queries (`ChainCache`); by default each query reads them itself.
 */
export interface ChainView {
  latest(): Promise<{ number: number; timestamp: number }>;
  schemas(): Promise<SchemaInfo[]>;
}

/** Reads the latest block and the schemas afresh for each query. */
export function directView(connection: RegistryConnection): ChainView {
  const { provider, rpcUrl } = connection;
  return {
    latest: () =>
      rpc(rpcUrl, "reading the latest block", async () => {
        const latest = await provider.getBlock("latest");
        if (latest === null) throw new CCRError("RPC_UNAVAILABLE", `the node at ${rpcUrl} has no latest block`);
        return latest;
      }),
    schemas: () => listSchemas(connection),
  };
}

/** The state a query is answered from: a block, and the time the answer is for. */
interface PointInTime {
  block: number;
  /** The requested time, or (for "now") the latest block's: the chain's clock, which may run ahead of the server's. */
  seconds: bigint;
}

/**
 * The registry's state for `time`: the last block mined at or before it (binary search over timestamps); the latest
 * block when no time is given or the time is not yet reached; undefined before the registry was deployed.
 */
async function pointAt(
  connection: RegistryConnection,
  view: ChainView,
  time: Date | undefined,
): Promise<PointInTime | undefined> {
  const { provider, rpcUrl, deployment } = connection;
  const latest = await view.latest();
  return rpc(rpcUrl, "finding the block of the requested time", async () => {
    if (time === undefined) return { block: latest.number, seconds: BigInt(latest.timestamp) };
    const seconds = Math.floor(time.getTime() / 1000);
    if (seconds >= latest.timestamp) return { block: latest.number, seconds: BigInt(seconds) };
    let low = deployment.registry.blockNumber;
    const first = await provider.getBlock(low);
    if (first === null || seconds < first.timestamp) return undefined;
    let high = latest.number;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      const block = await provider.getBlock(middle);
      if (block !== null && block.timestamp <= seconds) low = middle;
      else high = middle - 1;
    }
    return { block: low, seconds: BigInt(seconds) };
  });
}

/** An economy named by its ISO code or by its authority (did:ethr or address), as the registry knows it now. */
async function economyNamed(connection: RegistryConnection, id: string, role: string): Promise<string> {
  if (/^[A-Z]{2}$/.test(id)) {
    const record = await rpc(connection.rpcUrl, `reading economy ${id}`, () =>
      connection.registry.getEconomy(economyCode(id)),
    );
    if (record.authority === "0x0000000000000000000000000000000000000000") {
      throw new TrqpProblem(404, `Unknown ${role}`, `${id} is no economy of this registry`);
    }
    return id;
  }
  const address = accountOf(connection.chainId, id, role);
  const code = await rpc(connection.rpcUrl, `reading the economy of ${address}`, () =>
    connection.registry.economyOf(address),
  );
  const economy = economyIso(code);
  if (economy === "") {
    throw new TrqpProblem(404, `Unknown ${role}`, `${id} is no economy's authority in this registry`);
  }
  return economy;
}

/** The address an identifier names: a did:ethr of chain `chainId` (or of no named chain), or an address. */
export function accountOf(chainId: number, id: string, role: string): string {
  // A network is a hexadecimal chain id (checked) or a name such as "sepolia" (ethr-did-resolver's; not checked).
  const did = /^did:ethr:(?:0x([0-9a-fA-F]+):|[a-z]+:)?(0x[0-9a-fA-F]{40})$/.exec(id);
  if (did !== null) {
    const chain = did[1];
    if (chain !== undefined && BigInt(`0x${chain}`) !== BigInt(chainId)) {
      throw new TrqpProblem(
        404,
        `Unknown ${role}`,
        `${id} is a DID of chain ${BigInt(`0x${chain}`)}, not of this registry's chain ${chainId}`,
      );
    }
    return getAddress(ethrDidAddress(id) ?? "");
  }
  if (/^0x[0-9a-fA-F]{40}$/.test(id)) return getAddress(id);
  throw new TrqpProblem(404, `Unknown ${role}`, `${id} is neither an economy code, a did:ethr nor an address`);
}

async function schemaNamed(view: ChainView, resource: string): Promise<SchemaInfo> {
  try {
    return schemaIn(await view.schemas(), resource);
  } catch (error) {
    if (error instanceof CCRError && error.code === "INVALID_SCHEMA_ID") {
      throw new TrqpProblem(404, "Unknown resource", error.message);
    }
    throw error;
  }
}

const isoTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");
const day = (seconds: bigint): string => isoTime(new Date(Number(seconds) * 1000));

function answerOf(request: TrqpRequest, now: Date, message: string): TrqpAnswer {
  return {
    entity_id: request.entity_id,
    authority_id: request.authority_id,
    action: request.action,
    resource: request.resource,
    ...(request.context?.time === undefined ? {} : { time_requested: request.context.time }),
    time_evaluated: isoTime(now),
    message,
    ...(request.context === undefined ? {} : { context: request.context }),
  };
}

/** An issuer's accreditation as the registry held it at the time asked about. */
export interface AccreditationAt {
  /** 0 when the address was not (yet) an issuer. */
  id: bigint;
  /** The accrediting economy's ISO code. */
  economy: string;
  /** ACTIVE, SUSPENDED, REVOKED or NONE. */
  standing: string;
  schemas: bigint;
  validFrom: bigint;
  /** 0: no end. */
  validUntil: bigint;
}

/** What an authorization query asks of one accreditation: an action, by which economy, on which schema, when. */
export interface AuthorizationQuestion {
  action: string;
  economy: string;
  schema: Pick<SchemaInfo, "id" | "name">;
  /** The time asked about, in seconds. */
  seconds: bigint;
}

/**
 * The authorization decision, from the accreditation alone. Issuing needs an ACTIVE accreditation by the economy
 * asked about, for the schema, whose window (both ends included) holds the time; managing a credential's status
 * (revoke, suspend, reinstate) needs an accreditation by that economy for the schema that is not revoked.
 */
export function authorizationDecision(
  record: AccreditationAt,
  { action, economy, schema, seconds }: AuthorizationQuestion,
): { authorized: boolean; why: string } {
  const decide = (authorized: boolean, why: string) => ({ authorized, why });
  const at = day(seconds);
  if (record.id === 0n) return decide(false, `was not yet accredited at ${at}`);
  if (record.economy !== economy) return decide(false, `is accredited by ${record.economy}, not by ${economy}`);
  if (((record.schemas >> BigInt(schema.id)) & 1n) === 0n) {
    return decide(false, `is not accredited for schema ${schema.id} (${schema.name}) at ${at}`);
  }
  if (action !== "issue") {
    return record.standing === "REVOKED"
      ? decide(false, `had its accreditation revoked by ${economy} before ${at}`)
      : decide(true, `may ${action} its ${schema.name} credentials (accreditation ${record.standing})`);
  }
  if (record.standing !== "ACTIVE") return decide(false, `is ${record.standing} by ${economy} at ${at}`);
  if (seconds < record.validFrom) return decide(false, `is accredited only from ${day(record.validFrom)}`);
  if (record.validUntil !== 0n && seconds > record.validUntil) {
    return decide(false, `was accredited only until ${day(record.validUntil)}`);
  }
  const window = `${day(record.validFrom)} to ${record.validUntil === 0n ? "open end" : day(record.validUntil)}`;
  return decide(true, `is accredited by ${economy} to issue ${schema.name} (schema ${schema.id}), ${window}`);
}

/** What a recognition query found at the time asked about. */
export interface RecognitionAt {
  entity: { economy: string; member: boolean };
  authority: { economy: string; member: boolean };
  /** The schemas the authority's economy recognises of the entity's, one bit each. */
  schemas: bigint;
  schema: Pick<SchemaInfo, "id" | "name">;
  seconds: bigint;
}

/**
 * The recognition decision: both economies must be members; an economy accepts its own accreditations; another
 * economy's are accepted for exactly the schemas whose bits the authority set.
 */
export function recognitionDecision({ entity, authority, schemas, schema, seconds }: RecognitionAt): {
  recognized: boolean;
  why: string;
} {
  const at = day(seconds);
  if (!authority.member || !entity.member) {
    const absent = authority.member ? entity.economy : authority.economy;
    return { recognized: false, why: `${absent} was not a member economy at ${at}` };
  }
  if (entity.economy === authority.economy) {
    return { recognized: true, why: `${authority.economy} accepts its own accreditations` };
  }
  const what = `${entity.economy}'s accreditations for ${schema.name} (schema ${schema.id})`;
  return ((schemas >> BigInt(schema.id)) & 1n) === 1n
    ? { recognized: true, why: `${authority.economy} recognises ${what}` }
    : { recognized: false, why: `${authority.economy} does not recognise ${what} at ${at}` };
}

/**
 * Is `entity_id` (an issuer) authorised by `authority_id` (its economy) for `action` on `resource` (a schema) at
 * `context.time`? Issuing needs an ACTIVE accreditation for the schema whose window holds the time; managing a
 * credential's status (revoke, suspend, reinstate) needs an accreditation for the schema that is not revoked.
 */
export async function authorization(
  connection: RegistryConnection,
  body: unknown,
  names?: NameBook,
  now: Date = new Date(),
  view: ChainView = directView(connection),
): Promise<AuthorizationResponse> {
  const request = checkRequest(body);
  try {
    if (!(AUTHORIZATION_ACTIONS as readonly string[]).includes(request.action)) {
      throw new TrqpProblem(
        400,
        "Unsupported action",
        `CCR grants no action "${request.action}"; an accreditation grants ${AUTHORIZATION_ACTIONS.join(", ")}`,
      );
    }
    const issuer = accountOf(connection.chainId, request.entity_id, "entity");
    const economy = await economyNamed(connection, request.authority_id, "authority");
    const schema = await schemaNamed(view, request.resource);
    const current = await rpc(connection.rpcUrl, `reading issuer ${issuer}`, () =>
      connection.registry.getIssuer(issuer),
    );
    if (current.id === 0n) {
      throw new TrqpProblem(404, "Unknown entity", `${request.entity_id} is not an issuer of this registry`);
    }
    const requested = request.context?.time === undefined ? undefined : new Date(request.context.time);
    const label = (await names?.labelIssuer(issuer, request.entity_id, true)) ?? request.entity_id;
    const decide = (authorized: boolean, why: string): AuthorizationResponse => ({
      ...answerOf(request, now, `${label} ${why}`),
      authorized,
    });
    const point = await pointAt(connection, view, requested);
    if (point === undefined) {
      return decide(false, `was not accredited at ${isoTime(requested ?? now)}: the registry did not exist yet`);
    }
    const record = await rpc(connection.rpcUrl, `reading issuer ${issuer} at block ${point.block}`, () =>
      connection.registry.getIssuer(issuer, { blockTag: point.block }),
    );
    const { authorized, why } = authorizationDecision(
      {
        id: record.id,
        economy: economyIso(record.economy),
        standing: ISSUER_STANDING[Number(record.standing)] ?? "NONE",
        schemas: record.schemas,
        validFrom: record.validFrom,
        validUntil: record.validUntil,
      },
      { action: request.action, economy, schema, seconds: point.seconds },
    );
    return decide(authorized, why);
  } catch (error) {
    return asProblem(error);
  }
}

/**
 * Is `entity_id` (an economy or its authority) recognised by `authority_id` (another economy or its authority) for
 * `resource` (a schema) at `context.time`: does the authority's economy accept the entity's accreditations?
 */
export async function recognition(
  connection: RegistryConnection,
  body: unknown,
  now: Date = new Date(),
  view: ChainView = directView(connection),
): Promise<RecognitionResponse> {
  const request = checkRequest(body);
  try {
    if (!["recognize", "recognise"].includes(request.action)) {
      throw new TrqpProblem(
        400,
        "Unsupported action",
        `CCR's recognition has one action, "recognize", not "${request.action}"`,
      );
    }
    const entity = await economyNamed(connection, request.entity_id, "entity");
    const authority = await economyNamed(connection, request.authority_id, "authority");
    const schema = await schemaNamed(view, request.resource);
    const requested = request.context?.time === undefined ? undefined : new Date(request.context.time);
    const decide = (recognized: boolean, why: string): RecognitionResponse => ({
      ...answerOf(request, now, why),
      recognized,
    });
    const point = await pointAt(connection, view, requested);
    if (point === undefined) return decide(false, `the registry did not exist at ${isoTime(requested ?? now)}`);
    const block = point.block;
    const [ofAuthority, ofEntity, schemas] = await rpc(
      connection.rpcUrl,
      `reading recognitions at block ${block}`,
      () =>
        Promise.all([
          connection.registry.getEconomy(economyCode(authority), { blockTag: block }),
          connection.registry.getEconomy(economyCode(entity), { blockTag: block }),
          connection.registry.recognisedSchemas(economyCode(authority), economyCode(entity), { blockTag: block }),
        ]),
    );
    const { recognized, why } = recognitionDecision({
      entity: { economy: entity, member: ofEntity.member },
      authority: { economy: authority, member: ofAuthority.member },
      schemas,
      schema,
      seconds: point.seconds,
    });
    return decide(recognized, why);
  } catch (error) {
    return asProblem(error);
  }
}
