/**
 * `npm run device [-- <serial number>]`: a simulated device enrols on the devnet with no human step. Like a device
 * leaving the factory it gets a key of its own and its maker's attestation of that key (the devnet's factory key);
 * then it asks the maker's issuer service for its identity credential (OpenID4VCI, attestation-based client
 * authentication), waits until the credential's batch is anchored and writes the credential with its Merkle proof,
 * which `ccr verify` checks against the chain.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEVNET_DIR, readDeployment } from "../src/deployment.ts";
import { CREDENTIAL_FILE_FORMAT, type CredentialFile } from "../src/vc/credentialFile.ts";
import { credentialHash, decodeCredential, registryStatus } from "../src/vc/credential.ts";
import { attestDevice, enrollDevice, newKeyPair } from "../src/wallet/deviceClient.ts";
import { ethrDid } from "../src/did.ts";
import { DEVICE_MAKER, FACTORY_KID, readProvisioningSetup, trustingFetch } from "./lib/devices.ts";

const serialNumber = process.argv[2] ?? `KR-SN-${String(Date.now()).slice(-6)}`;
const setup = readProvisioningSetup(DEVNET_DIR);
if (setup === undefined) {
  console.error(`device: no devnet issuer service in ${DEVNET_DIR}: start the devnet with "npm run devnet" first`);
  process.exit(2);
}
const deployment = await readDeployment(join(DEVNET_DIR, "deployment.json"));
const maker = ethrDid(deployment.chainId, deployment.accounts[DEVICE_MAKER]?.address ?? "");
// The devnet's service certificate is made for it: trusted here, and nowhere else.
const https = trustingFetch(readFileSync(setup.certificate, "utf8"));

// At the factory: the device's key, and the maker's attestation of it.
const deviceKey = newKeyPair("ES256");
const facts = { serialNumber, model: "Air sensor AS-2", firmwareVersion: "2.0.1" };
const attestation = await attestDevice({ ...setup.factory, kid: FACTORY_KID }, maker, facts, deviceKey.publicJwk);

// In the field, by itself: its credential, bound to its key.
const started = performance.now();
const { credential } = await enrollDevice({
  issuerUrl: setup.url,
  attestation,
  deviceKey,
  configuration: "DeviceIdentity_dc_sd_jwt",
  fetch: https,
}).catch((error: Error & { errorResponse?: { error?: string; error_description?: string } }) => {
  const said = error.errorResponse;
  console.error(
    `device ${serialNumber}: refused: ${said === undefined ? error.message : `${said.error}: ${said.error_description}`}`,
  );
  process.exit(1);
});
const batch = registryStatus(decodeCredential(credential).credential).batch;
let proof: { root: string; index: number; size: number; proof: string[]; transaction?: string } | undefined;
for (let tries = 0; proof === undefined && tries < 600; tries++) {
  const answer = await https(`${batch?.id ?? ""}/${batch?.index ?? 0}`);
  if (answer.ok) proof = (await answer.json()) as typeof proof;
  else await new Promise((resolve) => setTimeout(resolve, 100));
}
if (proof === undefined) {
  console.error(`device: ${serialNumber}'s credential was not anchored within a minute: see the devnet's output`);
  process.exit(1);
}
const file: CredentialFile = {
  format: CREDENTIAL_FILE_FORMAT,
  jws: credential,
  hash: credentialHash(credential),
  anchor: {
    chainId: deployment.chainId,
    registry: deployment.registry.address,
    ...(proof.transaction === undefined ? {} : { transaction: proof.transaction }),
    batch: { root: proof.root, index: proof.index, size: proof.size, proof: proof.proof },
  },
};
const out = join(DEVNET_DIR, "devices", `${serialNumber}.json`);
writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
writeFileSync(join(DEVNET_DIR, "devices", `${serialNumber}.key.json`), `${JSON.stringify(deviceKey)}\n`, {
  mode: 0o600,
});
const seconds = ((performance.now() - started) / 1000).toFixed(2);
console.log(`device ${serialNumber}: enrolled with ${setup.url} in ${seconds} s, anchored; its credential: ${out}`);
console.log(`check it: npx ccr verify ${out}`);
