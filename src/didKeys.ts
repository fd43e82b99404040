/**
 * An issuer's signing keys in its `did:ethr` document (ERC-1056): adding and revoking them (a secp256k1 key as a
 * `veriKey` delegate, a P-256 key as a `did/pub/JsonWebKey2020/veriKey` attribute), and finding the verification
 * method a signing key is. Node only (P-256 keys through Node's crypto); `did.ts` is what browsers share.
 */
import {
  Contract,
  computeAddress,
  encodeBytes32String,
  getAddress,
  type ContractRunner,
  type ContractTransactionResponse,
  type Signer,
} from "ethers";
import type { Resolvable, VerificationMethod } from "did-resolver";
import { CCRError } from "./errors.ts";
import { P256_KEY_ATTRIBUTE_BYTES, p256Jwk, p256PublicKeyHex, type SigningAlg } from "./vc/jwsAlg.ts";

/** The ERC-1056 functions CCR uses to rotate an issuer's signing keys. */
const ERC1056_ABI = [
  "function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity)",
  "function revokeDelegate(address identity, bytes32 delegateType, address delegate)",
  "function setAttribute(address identity, bytes32 name, bytes value, uint256 validity)",
  "function revokeAttribute(address identity, bytes32 name, bytes value)",
];
/** The ERC-1056 delegate type of keys that may sign on behalf of a DID (`assertionMethod`). */
export const VERI_KEY = encodeBytes32String("veriKey");

function erc1056(address: string, runner: ContractRunner): Contract {
  return new Contract(address, ERC1056_ABI, runner);
}

async function mined(response: Promise<unknown>): Promise<string> {
  const receipt = await ((await response) as ContractTransactionResponse).wait();
  if (receipt === null) throw new Error("the DID registry transaction was dropped");
  return receipt.hash;
}

/**
 * A signing key to add to or revoke from a DID: a secp256k1 key by its address (an ERC-1056 `veriKey` delegate, for
 * ES256K), or a P-256 key by its uncompressed public key (0x04…, 65 bytes; a `did/pub/JsonWebKey2020/veriKey`
 * attribute, for ES256). Refuses anything else with a sentence.
 */
export function signingKeyRef(key: string): { alg: SigningAlg; value: string } {
  if (/^0x[0-9a-fA-F]{40}$/.test(key)) return { alg: "ES256K", value: getAddress(key) };
  if (p256Jwk(key) !== undefined) return { alg: "ES256", value: `0x${key.replace(/^0x/, "").toLowerCase()}` };
  throw new CCRError(
    "INVALID_ARGUMENT",
    `${key} is neither an address (a secp256k1 signing key) nor an uncompressed P-256 public key (0x04 and 64 ` +
      "bytes, as ccr key new --alg ES256 prints it)",
  );
}

/**
 * Adds `key` (see `signingKeyRef`) as a signing key of the DID of `owner`'s address for `validitySeconds`:
 * credentials it signs verify as the issuer's. Returns the transaction hash.
 */
export async function addSigningKey(
  registry: string,
  owner: Signer,
  key: string,
  validitySeconds: number,
): Promise<string> {
  const identity = await owner.getAddress();
  const { alg, value } = signingKeyRef(key);
  const contract = erc1056(registry, owner);
  return mined(
    alg === "ES256"
      ? contract.getFunction("setAttribute")(identity, P256_KEY_ATTRIBUTE_BYTES, value, validitySeconds)
      : contract.getFunction("addDelegate")(identity, VERI_KEY, value, validitySeconds),
  );
}

/** Revokes the signing key `key` (see `signingKeyRef`) of the DID of `owner`'s address (from the next block on). */
export async function revokeSigningKey(registry: string, owner: Signer, key: string): Promise<string> {
  const identity = await owner.getAddress();
  const { alg, value } = signingKeyRef(key);
  const contract = erc1056(registry, owner);
  return mined(
    alg === "ES256"
      ? contract.getFunction("revokeAttribute")(identity, P256_KEY_ATTRIBUTE_BYTES, value)
      : contract.getFunction("revokeDelegate")(identity, VERI_KEY, value),
  );
}

/** Whether the verification method `method` is the signing key `signingKey` used with `alg`. */
function isKey(method: VerificationMethod, signingKey: string, alg: SigningAlg): boolean {
  if (alg === "ES256") {
    const hex = (method as { publicKeyHex?: string }).publicKeyHex?.replace(/^0x/, "").toLowerCase();
    return hex !== undefined && `0x${hex}` === p256PublicKeyHex(signingKey);
  }
  return (method.blockchainAccountId ?? "").toLowerCase().endsWith(computeAddress(signingKey).toLowerCase());
}

/** How a signing key is named in sentences: its address (ES256K) or its public key (ES256). */
export function signingKeyName(signingKey: string, alg: SigningAlg): string {
  return alg === "ES256" ? `P-256 key ${p256PublicKeyHex(signingKey)}` : computeAddress(signingKey);
}

/**
 * The id of the verification method of `did` that `signingKey` is (a JWS `kid`); refuses a signing key that the DID
 * document does not list as an assertion method: what it signs would never verify.
 */
export async function signingMethodId(
  resolver: Resolvable,
  did: string,
  signingKey: string,
  alg: SigningAlg = "ES256K",
): Promise<string> {
  const { didDocument, didResolutionMetadata } = await resolver.resolve(did);
  if (didDocument === null) {
    const reason = didResolutionMetadata.error ?? "unknown error";
    throw new CCRError("RPC_UNAVAILABLE", `could not resolve ${did} to check the signing key: ${reason}`);
  }
  const assertion = new Set((didDocument.assertionMethod ?? []).map((m) => (typeof m === "string" ? m : m.id)));
  const listed = (didDocument.verificationMethod ?? []).find((m) => assertion.has(m.id) && isKey(m, signingKey, alg));
  if (listed === undefined) {
    const name = signingKeyName(signingKey, alg);
    const add = alg === "ES256" ? "<its public key>" : "<address>";
    throw new CCRError(
      "KEY_UNAVAILABLE",
      `the signing key ${name} is not a key of ${did}: what it signs would not verify. ` +
        `Sign with the issuer's key, or add this one as a signing key (ccr --as <issuer> did add-key ${add})`,
    );
  }
  return listed.id;
}
