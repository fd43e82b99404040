/**
 * The issuer service's endpoints on their own (no HTTP, no chain; SQLite in memory): the checks a wallet's request
 * meets that the end-to-end test cannot reach with one accredited schema, deferral, notifications and batch proofs.
 */
import { expect } from "chai";
import { Wallet, getAddress } from "ethers";
import { demoType } from "../deploy/demoData.ts";
import { provesMember } from "../src/batch.ts";
import { decodeCredential, registryStatus } from "../src/vc/credential.ts";
import { anchorBound } from "../src/wallet/app.ts";
import { BatchLanes } from "../src/wallet/batches.ts";
import { serviceMetadata, type ServiceMetadata } from "../src/wallet/metadata.ts";
import { IssuerService, type Answer } from "../src/wallet/service.ts";
import { openSqliteStore } from "../src/wallet/sqliteStore.ts";
import { secretDigest, type IssuerStore } from "../src/wallet/store.ts";
import { attestDevice, newKeyPair, signJws, type KeyPair } from "../src/wallet/deviceClient.ts";
import { rejection } from "./rejection.ts";
import { holderKey, proofJwt } from "./walletKit.ts";

const BASE = "https://issuer.test";

describe("issuer service endpoints (in process, SQLite in memory)", function () {
  let store: IssuerStore;
  let metadata: ServiceMetadata;
  let service: IssuerService;
  let keepingUp = true;
  /** The wall clock when the test began (the service reads the wall clock: the suite may load this file long before). */
  let NOW = 0;
  const issuer = Wallet.createRandom();

  before(async function () {
    metadata = serviceMetadata(BASE, "Test university", [
      await demoType("diploma"),
      await demoType("kyc"),
      await demoType("device"),
    ]);
  });

  beforeEach(async function () {
    NOW = Math.floor(Date.now() / 1000);
    store = openSqliteStore(":memory:");
    keepingUp = true;
    service = new IssuerService({
      metadata,
      store,
      lanes: new BatchLanes(store, "test", { size: 10, window: 60, lifetime: 0 }),
      anchorer: {
        keepingUp: () => keepingUp,
      },
      signer: {
        chainId: 31337,
        registry: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
        issuer: issuer.address,
        keys: { ES256K: { signingKey: issuer.privateKey, kid: undefined } },
      },
    });
    await store.addOffers([
      {
        id: "offer-1",
        codeDigest: secretDigest("code-1"),
        schemaId: 2,
        subject: {
          name: "Aiko Tanaka",
          studentNumber: "S1",
          degree: "BSc",
          fieldOfStudy: "Physics",
          awardedOn: "2026-06-30",
        },
        source: "rows.csv",
        row: 1,
        createdAt: NOW,
        expiresAt: NOW + 600,
        state: "open",
        pinFailures: 0,
      },
    ]);
  });

  afterEach(async function () {
    await store.close();
  });

  const body = (a: Answer) => a.body as Record<string, unknown>;
  async function token(): Promise<string> {
    const form = {
      grant_type: "urn:ietf:params:oauth:grant-type:pre-authorized_code",
      "pre-authorized_code": "code-1",
    };
    const answer = await service.token(form, `${BASE}/token`, new Headers());
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return String(body(answer).access_token);
  }
  async function request(accessToken: string, configuration: string): Promise<Answer> {
    const nonce = String(body(await service.nonce()).c_nonce);
    const jwt = await proofJwt(holderKey("ES256"), { aud: BASE, nonce });
    return service.credential(`Bearer ${accessToken}`, {
      credential_configuration_id: configuration,
      proofs: { jwt: [jwt] },
    });
  }

  it("refuses another grant type and a credential of another schema than the offer's", async function () {
    const other = await service.token({ grant_type: "password" }, `${BASE}/token`, new Headers());
    expect(other.status).to.equal(400);
    expect(body(other).error).to.equal("unsupported_grant_type");
    const accessToken = await token();
    const kyc = await request(accessToken, "KYCAttestation_jwt_vc_json");
    expect(body(kyc)).to.deep.equal({
      error: "invalid_credential_request",
      error_description: "the offer is for AcademicDiploma credentials, not KYCAttestation",
    });
    expect((await request(accessToken, "AcademicDiploma_dc_sd_jwt")).status).to.equal(200);
  });

  it("takes --anchor-within as given (by default 10 s, or three windows when that is more); refuses a bound within the window", async function () {
    expect(anchorBound(2)).to.equal(10); // the default: 10 s
    expect(anchorBound(2, 5)).to.equal(5);
    expect(anchorBound(3600)).to.equal(10800); // three windows when that is more than 10 s
    for (const anchorWithin of [5, 3]) {
      const error = await rejection(Promise.resolve().then(() => anchorBound(5, anchorWithin)));
      expect(error.code).to.equal("INVALID_ARGUMENT");
      expect(error.message).to.equal(
        `credentials cannot be anchored within ${anchorWithin} s of being handed out when a batch stays open 5 s: ` +
          "give --anchor-within more than --window",
      );
    }
  });

  it("defers while the anchorer is behind; the deferred endpoint answers 202 until the batch is anchored", async function () {
    keepingUp = false;
    const accessToken = await token();
    const deferred = await request(accessToken, "AcademicDiploma_jwt_vc_json");
    expect(deferred.status).to.equal(202);
    // The wallet is told to ask again after the batch window (60 s here), within which its batch closes.
    expect(body(deferred).interval).to.equal(60);
    const transactionId = String(body(deferred).transaction_id);
    const ask = () => service.deferredCredential(`Bearer ${accessToken}`, { transaction_id: transactionId });
    expect((await ask()).status).to.equal(202);
    expect(body(await service.deferredCredential(`Bearer ${accessToken}`, {})).error).to.equal(
      "invalid_credential_request",
    );
    expect(body(await service.deferredCredential(`Bearer ${accessToken}`, { transaction_id: "x" })).error).to.equal(
      "invalid_transaction_id",
    );
    const [batch] = await store.openBatches();
    await store.closeBatch(batch?.id ?? "", NOW);
    expect((await service.batchMember(batch?.id ?? "", 0)).status, "not anchored yet").to.equal(409);
    await store.markAnchored(batch?.id ?? "", { root: "0x01", transaction: "0x02", blockNumber: 1, at: NOW });
    const collected = await ask();
    expect(collected.status).to.equal(200);
    const [credential] = body(collected).credentials as { credential: string }[];
    const status = registryStatus(decodeCredential(credential?.credential ?? "").credential);
    expect(status.batch).to.deep.equal({ id: `${BASE}/batches/${batch?.id}`, index: 0 });

    const member = body(await service.batchMember(batch?.id ?? "", 0));
    expect(member).to.include({ index: 0, size: 1, transaction: "0x02", batch: `${BASE}/batches/${batch?.id}` });
    expect(provesMember(String(member.root), String(member.hash), 0, member.proof as string[])).to.equal(true);
    expect((await service.batchMember(batch?.id ?? "", 1)).status).to.equal(404);
    expect((await service.batchMember("unknown", 0)).status).to.equal(404);
  });

  it("takes notifications of its own credentials only, of the three events", async function () {
    const accessToken = await token();
    const issued = await request(accessToken, "AcademicDiploma_jwt_vc_json");
    const id = body(issued).notification_id;
    const notify = (event: string, notificationId: unknown = id) =>
      service.notification(`Bearer ${accessToken}`, { notification_id: notificationId, event });
    expect((await notify("credential_accepted")).status).to.equal(204);
    expect(body(await notify("credential_stolen")).error).to.equal("invalid_notification_request");
    expect(body(await notify("credential_deleted", "another")).error).to.equal("invalid_notification_id");
    expect((await service.notification(undefined, {})).status).to.equal(401);
  });

  describe("zero-touch devices (client attestation)", function () {
    const factory = { ...newKeyPair("ES256"), kid: "factory-1" };
    const device = { serialNumber: "KR-SN-7001", model: "Sensor S1", firmwareVersion: "1.2.0" };
    let deviceKey: KeyPair;

    beforeEach(async function () {
      deviceKey = newKeyPair("ES256");
      await store.addAttester({
        kid: factory.kid,
        jwk: factory.publicJwk,
        schemaId: (await demoType("device")).id,
        manufacturer: "Device maker in Korea",
        registeredAt: NOW - 10,
      });
    });

    /** The device's proof of possession of its key for this service (`change` alters its claims). */
    const pop = (key: KeyPair, change: Record<string, unknown> = {}): string =>
      signJws(
        key,
        { typ: "oauth-client-attestation-pop+jwt", alg: key.alg },
        {
          iss: device.serialNumber,
          aud: BASE,
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 60,
          jti: crypto.randomUUID(),
          ...change,
        },
      );
    const ask = (attestation: string | undefined, proof: string | undefined) => {
      const headers = new Headers();
      if (attestation !== undefined) headers.set("oauth-client-attestation", attestation);
      if (proof !== undefined) headers.set("oauth-client-attestation-pop", proof);
      return service.token({ grant_type: "client_credentials" }, `${BASE}/token`, headers);
    };
    const refusedWith = async (answer: Promise<Answer>, error: string, words: string): Promise<void> => {
      const { body: got } = await answer;
      expect((got as { error?: string }).error, JSON.stringify(got)).to.equal(error);
      expect((got as { error_description?: string }).error_description).to.include(words);
    };

    it("gives an attested device its credential bound to the attested key, once; again to it, never to another key", async function () {
      const attestation = await attestDevice(factory, "did:example:maker", device, deviceKey.publicJwk);
      const granted = await ask(attestation, pop(deviceKey));
      expect(granted.status, JSON.stringify(granted.body)).to.equal(200);
      const accessToken = String(body(granted).access_token);
      const nonce = String(body(await service.nonce()).c_nonce);
      const other = newKeyPair("ES256");
      const proofBy = (key: KeyPair, n: string) =>
        signJws(
          key,
          { typ: "openid4vci-proof+jwt", alg: key.alg, jwk: key.publicJwk },
          { aud: BASE, iat: Math.floor(Date.now() / 1000), nonce: n },
        );
      const wrongKey = await service.credential(`Bearer ${accessToken}`, {
        credential_configuration_id: "DeviceIdentity_dc_sd_jwt",
        proofs: { jwt: [proofBy(other, nonce)] },
      });
      expect(body(wrongKey).error).to.equal("invalid_proof");
      expect(body(wrongKey).error_description).to.include("bound to the key its maker attested");
      const issued = await service.credential(`Bearer ${accessToken}`, {
        credential_configuration_id: "DeviceIdentity_dc_sd_jwt",
        proofs: { jwt: [proofBy(deviceKey, String(body(await service.nonce()).c_nonce))] },
      });
      expect(issued.status, JSON.stringify(issued.body)).to.equal(200);
      const [credential] = body(issued).credentials as { credential: string }[];
      const decoded = decodeCredential(credential?.credential ?? "").credential.credentialSubject;
      expect(decoded).to.include({
        manufacturer: "Device maker in Korea",
        model: "Sensor S1",
        serialNumber: "KR-SN-7001",
      });
      expect(decoded.firmwareVersion).to.equal("1.2.0");
      // The same device with its key again (a response lost to a crash) gets the same credential, not a second one.
      const again = await ask(attestation, pop(deviceKey));
      expect(again.status, JSON.stringify(again.body)).to.equal(200);
      const redelivered = await service.credential(`Bearer ${String(body(again).access_token)}`, {
        credential_configuration_id: "DeviceIdentity_dc_sd_jwt",
        proofs: { jwt: [proofBy(deviceKey, String(body(await service.nonce()).c_nonce))] },
      });
      expect(body(redelivered).credentials).to.deep.equal(body(issued).credentials);
      expect(await store.issuedFor(`device:factory-1:${device.serialNumber}`)).to.equal(1);
      // The same serial number with another key is another device claiming to be this one.
      const clone = newKeyPair("ES256");
      const cloned = await attestDevice(factory, "did:example:maker", device, clone.publicJwk);
      await refusedWith(ask(cloned, pop(clone)), "invalid_grant", "has its credential already, bound to another key");
    });

    it("refuses a missing, unregistered, revoked, forged, self-signed or expired attestation, and a replayed proof", async function () {
      const attestation = await attestDevice(factory, "did:example:maker", device, deviceKey.publicJwk);
      await refusedWith(ask(undefined, undefined), "invalid_client", "OAuth-Client-Attestation");
      const stranger = { ...newKeyPair("ES256"), kid: "factory-9" };
      await refusedWith(
        ask(await attestDevice(stranger, "x", device, deviceKey.publicJwk), pop(deviceKey)),
        "invalid_client",
        `signed by "factory-9", no attestation key this issuer registered`,
      );
      const forger = { ...newKeyPair("ES256"), kid: "factory-1" };
      await refusedWith(
        ask(await attestDevice(forger, "x", device, deviceKey.publicJwk), pop(deviceKey)),
        "invalid_client",
        "does not hold",
      );
      // A header carrying its own key is not trusted: only the registered key counts.
      const [h, p] = (await attestDevice(forger, "x", device, deviceKey.publicJwk)).split(".");
      const header = {
        ...(JSON.parse(Buffer.from(h ?? "", "base64url").toString()) as Record<string, unknown>),
        jwk: forger.publicJwk,
      };
      const claims = JSON.parse(Buffer.from(p ?? "", "base64url").toString()) as Record<string, unknown>;
      const selfSigned = signJws(forger, header, claims);
      await refusedWith(ask(selfSigned, pop(deviceKey)), "invalid_client", "does not hold");
      const expired = await attestDevice(factory, "x", device, deviceKey.publicJwk, -60);
      await refusedWith(ask(expired, pop(deviceKey)), "invalid_client", "does not hold");
      await refusedWith(ask(attestation, pop(newKeyPair("ES256"))), "invalid_client", "does not hold");
      await refusedWith(
        ask(attestation, pop(deviceKey, { aud: "https://elsewhere" })),
        "invalid_client",
        "does not hold",
      );
      const stale = Math.floor(Date.now() / 1000) - 3600;
      await refusedWith(
        ask(attestation, pop(deviceKey, { iat: stale, exp: stale + 7200 })),
        "invalid_client",
        "last 300 s",
      );
      const once = pop(deviceKey);
      expect((await ask(attestation, once)).status).to.equal(200);
      await refusedWith(ask(attestation, once), "invalid_client", "a replay");
      expect(await store.revokeAttester("factory-1", NOW - 1)).to.equal(true);
      await refusedWith(ask(attestation, pop(deviceKey)), "invalid_client", `"factory-1" was revoked at`);
    });

    it("refuses an attested device whose claims do not fit its credential type", async function () {
      const attestation = await attestDevice(factory, "x", { ...device, model: "" }, deviceKey.publicJwk);
      await refusedWith(ask(attestation, pop(deviceKey)), "invalid_client", `does not fit "`);
    });
  });
});
