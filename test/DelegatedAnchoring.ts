import { expect } from "chai";
import { schemaBitmap } from "../src/codes.ts";
import { ANCHOR_REQUEST_TYPES, registryDomain, signAnchorRequest, type AnchorRequest } from "../src/signing.ts";
import { CCRRegistry__factory, ERC1271Wallet__factory } from "../types/ethers-contracts/index.js";
import { CBPR, DIPLOMA, ethers, frameworkFixture, JP, loadFixture, randomHash, SG, time, YEAR } from "./fixture.ts";

describe("DelegatedAnchoring", function () {
  async function signedFixture() {
    const f = await frameworkFixture();
    const { chainId } = await ethers.provider.getNetwork();
    const address = await f.registry.getAddress();
    const request = async (overrides: Partial<AnchorRequest> = {}): Promise<AnchorRequest> => ({
      issuer: f.issuer.address,
      hash: randomHash(),
      size: 0,
      schema: CBPR,
      validFrom: f.now,
      validUntil: f.now + YEAR,
      deadline: (await time.latest()) + 3600,
      ...overrides,
    });
    return { ...f, chainId, address, request };
  }

  it("matches the contract's EIP-712 digest", async function () {
    const { registry, chainId, address, request } = await loadFixture(signedFixture);
    const r = await request();
    const expected = ethers.TypedDataEncoder.hash(registryDomain(chainId, address), ANCHOR_REQUEST_TYPES, r);
    expect(await registry.anchorRequestDigest(r)).to.equal(expected);
  });

  for (const size of [0, 500]) {
    const kind = size === 0 ? "a credential" : "a batch";
    it(`anchors ${kind} signed by the issuer and relayed by anyone, once`, async function () {
      const { registry, issuer, stranger, chainId, address, request } = await loadFixture(signedFixture);
      const r = await request({ size });
      const signature = await signAnchorRequest(issuer, chainId, address, r);
      const tx = registry.connect(stranger).anchorSigned(r, signature);
      if (size === 0) {
        await expect(tx)
          .to.emit(registry, "CredentialAnchored")
          .withArgs(r.hash, issuer.address, CBPR, r.validFrom, r.validUntil);
        expect((await registry.getCredential(r.hash)).issuerId).to.equal(1);
      } else {
        await expect(tx)
          .to.emit(registry, "BatchAnchored")
          .withArgs(r.hash, issuer.address, size, CBPR, r.validFrom, r.validUntil);
        expect((await registry.getBatch(r.hash)).size).to.equal(size);
      }
      // Replay: the hash is anchored at most once.
      await expect(registry.connect(stranger).anchorSigned(r, signature))
        .to.be.revertedWithCustomError(registry, "AlreadyAnchored")
        .withArgs(r.hash);
    });
  }

  it("refuses an expired request", async function () {
    const { registry, issuer, chainId, address, request } = await loadFixture(signedFixture);
    const r = await request();
    const signature = await signAnchorRequest(issuer, chainId, address, r);
    await time.increaseTo(r.deadline + 1);
    await expect(registry.anchorSigned(r, signature))
      .to.be.revertedWithCustomError(registry, "RequestExpired")
      .withArgs(r.deadline, r.deadline + 2);
  });

  it("refuses a signature for another chain, another contract, another request or another signer", async function () {
    const { registry, issuer, stranger, chainId, address, request } = await loadFixture(signedFixture);
    const r = await request();
    const forged = [
      await signAnchorRequest(issuer, chainId + 1n, address, r),
      await signAnchorRequest(issuer, chainId, randomHash().slice(0, 42), r),
      await signAnchorRequest(issuer, chainId, address, { ...r, schema: DIPLOMA }),
      await signAnchorRequest(stranger, chainId, address, r),
      "0x1234",
    ];
    for (const signature of forged) {
      await expect(registry.anchorSigned(r, signature))
        .to.be.revertedWithCustomError(registry, "InvalidSignature")
        .withArgs(issuer.address);
    }
  });

  it("still checks the accreditation", async function () {
    const { registry, issuer, authSG, chainId, address, request } = await loadFixture(signedFixture);
    const wrongSchema = await request({ schema: DIPLOMA });
    await expect(registry.anchorSigned(wrongSchema, await signAnchorRequest(issuer, chainId, address, wrongSchema)))
      .to.be.revertedWithCustomError(registry, "NotAccreditedForSchema")
      .withArgs(issuer.address, DIPLOMA);
    await registry.connect(authSG).suspendIssuer(issuer.address);
    const r = await request();
    await expect(
      registry.anchorSigned(r, await signAnchorRequest(issuer, chainId, address, r)),
    ).to.be.revertedWithCustomError(registry, "IssuerNotActive");
  });

  it("accepts a contract wallet issuer's ERC-1271 signature", async function () {
    const { registry, authJP, stranger, other, chainId, address, request } = await loadFixture(signedFixture);
    const wallet = await new ERC1271Wallet__factory(stranger).deploy(stranger.address);
    const walletAddress = await wallet.getAddress();
    await registry.connect(authJP).accreditIssuer(walletAddress, schemaBitmap([CBPR]), 0, 0);
    const r = await request({ issuer: walletAddress });
    await expect(registry.connect(other).anchorSigned(r, await signAnchorRequest(stranger, chainId, address, r)))
      .to.emit(registry, "CredentialAnchored")
      .withArgs(r.hash, walletAddress, CBPR, r.validFrom, r.validUntil);
    const bad = await request({ issuer: walletAddress });
    await expect(registry.anchorSigned(bad, await signAnchorRequest(other, chainId, address, bad)))
      .to.be.revertedWithCustomError(registry, "InvalidSignature")
      .withArgs(walletAddress);
    // The wallet also anchors directly, as any issuer does.
    const direct = randomHash();
    const data = registry.interface.encodeFunctionData("anchor", [direct, CBPR, 0, 0]);
    await expect(wallet.connect(stranger).execute(address, data))
      .to.emit(registry, "CredentialAnchored")
      .withArgs(direct, walletAddress, CBPR, 0, 0);
    expect((await registry.getIssuer(walletAddress)).economy).to.equal(JP);
  });

  it("binds the signature to this registry: the same request fails on a second deployment", async function () {
    const { registry, council, authSG, issuer, chainId, address, request } = await loadFixture(signedFixture);
    const second = await new CCRRegistry__factory(council).deploy(council.address, 3600, [SG], [authSG.address]);
    await second.registerSchema("cbpr", "u");
    await second.connect(authSG).accreditIssuer(issuer.address, 1n, 0, 0);
    const r = await request();
    const signature = await signAnchorRequest(issuer, chainId, address, r);
    await expect(second.anchorSigned(r, signature))
      .to.be.revertedWithCustomError(second, "InvalidSignature")
      .withArgs(issuer.address);
    await expect(registry.anchorSigned(r, signature)).to.emit(registry, "CredentialAnchored");
  });
});
