import { gzipSync } from "node:zlib";
import { createJWT, ES256KSigner } from "did-jwt";
import { computeAddress, getAddress, getBytes } from "ethers";
import { AnchorState } from "../codes.ts";
import { ethrDid } from "../did.ts";
import { rpc, type RegistryConnection } from "../registry.ts";
import { VC_CONTEXT_V2, VC_JWT_TYP } from "./credential.ts";

/** The W3C Bitstring Status List's minimum length (16 KiB of bits), which keeps a credential's place private. */
export const MIN_STATUS_LIST_BITS = 131_072;

export type StatusPurpose = "revocation" | "suspension";

/** Where each of the issuer's credentials sits in its status list: on-chain anchoring order, members in index order. */
export type StatusListEntry = { index: number; credential: string } | { index: number; batch: string; member: number };

export interface StatusList {
  /** The signed Bitstring Status List credential (compact JWS, `vc+jwt`). */
  jws: string;
  credential: Record<string, unknown>;
  entries: StatusListEntry[];
  /** How many credentials have their bit set. */
  set: number;
}

/** GZIP then multibase base64url (`u` prefix); bit 0 is the most significant bit of the first byte. */
export function encodeBitstring(bits: readonly boolean[]): string {
  const bytes = new Uint8Array(Math.ceil(Math.max(bits.length, MIN_STATUS_LIST_BITS) / 8));
  bits.forEach((set, i) => {
    if (set) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (0x80 >> (i & 7));
  });
  return `u${gzipSync(bytes).toString("base64url")}`;
}

/**
 * Builds the issuer's Bitstring Status List credential for `purpose` from on-chain state: every credential the
 * issuer anchored, in anchoring order (a batch of n takes n places), with its bit set when the registry has it
 * revoked (or suspended) itself, as a member, or through its whole batch. Signed with `signingKey` (the issuer's key
 * or a `veriKey` delegate) and published at `url`.
 */
export async function exportStatusList(
  connection: RegistryConnection,
  issuer: string,
  purpose: StatusPurpose,
  signingKey: string,
  url: string,
): Promise<StatusList> {
  const { registry, rpcUrl, deployment } = connection;
  const address = getAddress(issuer);
  const from = deployment.registry.blockNumber;
  const [singles, batches] = await rpc(rpcUrl, "reading the issuer's anchors", () =>
    Promise.all([
      registry.queryFilter(registry.filters.CredentialAnchored(undefined, address), from),
      registry.queryFilter(registry.filters.BatchAnchored(undefined, address), from),
    ]),
  );
  const anchors = [...singles, ...batches].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  // A suspension is the issuer's (SUSPENDED) or its authority's hold (HELD).
  const wanted = (state: bigint): boolean =>
    purpose === "revocation"
      ? Number(state) === AnchorState.REVOKED
      : Number(state) === AnchorState.SUSPENDED || Number(state) === AnchorState.HELD;
  const entries: StatusListEntry[] = [];
  const bits: boolean[] = [];
  for (const event of anchors) {
    if (event.fragment.name === "CredentialAnchored") {
      const hash = String(event.topics[1]);
      const record = await rpc(rpcUrl, `reading credential ${hash}`, () => registry.getCredential(address, hash));
      entries.push({ index: bits.length, credential: hash });
      bits.push(wanted(record.state));
      continue;
    }
    const root = String(event.topics[1]);
    const record = await rpc(rpcUrl, `reading batch ${root}`, () => registry.getBatch(address, root));
    const whole = wanted(record.state);
    const size = Number(record.size);
    for (let word = 0; word * 256 < size; word++) {
      const [revoked, suspended] = await rpc(rpcUrl, `reading batch ${root}`, () =>
        registry.memberBits(address, root, word),
      );
      const memberBits = purpose === "revocation" ? revoked : suspended;
      for (let b = 0; b < 256 && word * 256 + b < size; b++) {
        entries.push({ index: bits.length, batch: root, member: word * 256 + b });
        bits.push(whole || ((memberBits >> BigInt(b)) & 1n) === 1n);
      }
    }
  }
  const did = ethrDid(connection.chainId, address);
  const credential = {
    "@context": [VC_CONTEXT_V2],
    id: url,
    type: ["VerifiableCredential", "BitstringStatusListCredential"],
    issuer: did,
    validFrom: new Date().toISOString(),
    credentialSubject: {
      id: `${url}#list`,
      type: "BitstringStatusList",
      statusPurpose: purpose,
      encodedList: encodeBitstring(bits),
    },
  };
  const own = computeAddress(signingKey).toLowerCase() === address.toLowerCase();
  const header: Record<string, string> = {
    alg: "ES256K",
    typ: VC_JWT_TYP,
    ...(own ? { kid: `${did}#controller` } : {}),
  };
  const jws = await createJWT({ ...credential }, { issuer: did, signer: ES256KSigner(getBytes(signingKey)) }, header);
  return { jws, credential, entries, set: bits.filter(Boolean).length };
}
