import type { Signer, TypedDataDomain } from "ethers";

/** An issuer's request to anchor a credential (`size` 0) or a batch root, signed as EIP-712 typed data. */
export interface AnchorRequest {
  issuer: string;
  hash: string;
  size: number;
  schema: number;
  validFrom: number;
  validUntil: number;
  deadline: number;
}

/** The EIP-712 types, as `DelegatedAnchoring.sol` hashes them. */
export const ANCHOR_REQUEST_TYPES = {
  AnchorRequest: [
    { name: "issuer", type: "address" },
    { name: "hash", type: "bytes32" },
    { name: "size", type: "uint32" },
    { name: "schema", type: "uint8" },
    { name: "validFrom", type: "uint40" },
    { name: "validUntil", type: "uint40" },
    { name: "deadline", type: "uint40" },
  ],
};

/** The EIP-712 domain of a registry: name "CCR", version "1", bound to its chain and address. */
export function registryDomain(chainId: bigint, registry: string): TypedDataDomain {
  return { name: "CCR", version: "1", chainId, verifyingContract: registry };
}

/** The issuer's signature over `request` for the registry at `registry` on `chainId`. */
export async function signAnchorRequest(
  issuer: Signer,
  chainId: bigint,
  registry: string,
  request: AnchorRequest,
): Promise<string> {
  return issuer.signTypedData(registryDomain(chainId, registry), ANCHOR_REQUEST_TYPES, request);
}
