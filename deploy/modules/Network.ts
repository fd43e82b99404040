import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import CouncilModule from "./Council.ts";

/**
 * CCR on a network of its own: the council Safe (CouncilModule), the registry governed by it, and the names contract
 * beside the registry. Parameters: those of CouncilModule, and here
 * - `councilTransferDelay`: seconds a council handover waits (default: 1 day);
 * - `economies`: the first member economies as bytes2 codes ("0x5347" for SG), and `authorities` in the same order.
 */
export default buildModule("CCRNetwork", (m) => {
  const { safe } = m.useModule(CouncilModule);
  const councilTransferDelay = m.getParameter("councilTransferDelay", 86_400);
  const economies = m.getParameter<string[]>("economies", []);
  const authorities = m.getParameter<string[]>("authorities", []);

  const registry = m.contract("CCRRegistry", [safe, councilTransferDelay, economies, authorities]);
  const names = m.contract("CCRNames", [registry]);

  return { safe, registry, names };
});
