import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import ethrDidRegistry from "ethr-did-registry";

/**
 * Deploys the CCR registry, its names contract (profiles of economies, authorities and issuers) and the ERC-1056 DID
 * registry (from the `ethr-did-registry` package, so that issuers have `did:ethr` identifiers). Parameters (all optional):
 * - `council`: the framework's governance address (default: the deployer);
 * - `councilTransferDelay`: seconds a council handover waits (default: 1 day);
 * - `economies`: the first member economies as bytes2 codes ("0x5347" for SG), and `authorities` in the same order.
 */
export default buildModule("CCR", (m) => {
  const council = m.getParameter("council", m.getAccount(0));
  const councilTransferDelay = m.getParameter("councilTransferDelay", 86_400);
  const economies = m.getParameter<string[]>("economies", []);
  const authorities = m.getParameter<string[]>("authorities", []);

  const registry = m.contract("CCRRegistry", [council, councilTransferDelay, economies, authorities]);
  const didRegistry = m.contract("EthereumDIDRegistry", ethrDidRegistry.EthereumDIDRegistry, []);
  const names = m.contract("CCRNames", [registry]);

  return { registry, didRegistry, names };
});
