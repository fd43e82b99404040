/**
 * The devnet's well-known accounts (Hardhat's test mnemonic), apart from the demo framework so that a command that
 * only needs a key does not load the demo's schema documents and their validator.
 */
import { HDNodeWallet, Mnemonic, type Provider } from "ethers";

/** Hardhat's well-known test mnemonic: devnet keys only, never for a real network. */
export const DEVNET_MNEMONIC = "test test test test test test test test test test test junk";

/** The devnet account at `index` of the well-known mnemonic (m/44'/60'/0'/0/index). */
export function devnetWallet(index: number, provider?: Provider): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEVNET_MNEMONIC), `m/44'/60'/0'/0/${index}`).connect(
    provider ?? null,
  );
}
