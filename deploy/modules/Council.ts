import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import safeArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/SafeL2.sol/SafeL2.json" with { type: "json" };
import factoryArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json" with { type: "json" };
import handlerArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json" with { type: "json" };

const ZERO = "0x0000000000000000000000000000000000000000";

/**
 * The council: a Safe (Safe's audited 1.5.0 contracts from `@safe-global/safe-smart-account`, deployed as they are)
 * whose owners are the member economies' representatives, `threshold` of whom sign every council action.
 * Parameters: `owners` (addresses), `threshold`.
 */
export default buildModule("CCRCouncil", (m) => {
  const owners = m.getParameter<string[]>("owners");
  const threshold = m.getParameter<number>("threshold");

  const singleton = m.contract("SafeL2", safeArtifact, []);
  const factory = m.contract("SafeProxyFactory", factoryArtifact, []);
  const fallbackHandler = m.contract("CompatibilityFallbackHandler", handlerArtifact, []);
  const setup = m.encodeFunctionCall(singleton, "setup", [
    owners,
    threshold,
    ZERO,
    "0x",
    fallbackHandler,
    ZERO,
    0,
    ZERO,
  ]);
  const creation = m.call(factory, "createProxyWithNonce", [singleton, setup, 0]);
  const address = m.readEventArgument(creation, "ProxyCreation", "proxy");
  const safe = m.contractAt("CouncilSafe", safeArtifact, address);

  return { safe, singleton, factory, fallbackHandler };
});
