import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import ethrDidRegistry from "ethr-did-registry";

/** The ERC-1056 DID registry (`ethr-did-registry`'s own build), for networks that have none. */
export default buildModule("ERC1056", (m) => ({
  didRegistry: m.contract("EthereumDIDRegistry", ethrDidRegistry.EthereumDIDRegistry, []),
}));
