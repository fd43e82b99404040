import { expect } from "chai";
import { encodeAnchorTerms, schemaBitmap, Status } from "../src/codes.ts";
import { ANCHOR_REQUEST_TYPES, registryDomain, signAnchorRequest, type AnchorRequest } from "../src/signing.ts";
import { CCRRegistry__factory, ERC1271Wallet__factory, ICCR__factory } from "../types/ethers-contracts/index.js";
import {
  accredit,
  CBPR,
  DIPLOMA,
  ethers,
  frameworkFixture,
  JP,
  loadFixture,
  randomHash,
  SG,
  single,
  time,
  YEAR,
} from "./fixture.ts";

/** The terms a signed anchor's event carries: relayed by `relayer`. */
const signedTerms = (relayer: string, r: AnchorRequest): bigint =>
  encodeAnchorTerms({
    actor: relayer,
    schema: r.schema,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    mode: "SIGNED",
  });

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
          .withArgs(r.hash, issuer.address, signedTerms(stranger.address, r));
        expect((await registry.getCredential(issuer.address, r.hash)).issuerId).to.equal(1);
      } else {
        await expect(tx)
          .to.emit(registry, "BatchAnchored")
          .withArgs(r.hash, issuer.address, signedTerms(stranger.address, r), size);
        expect((await registry.getBatch(issuer.address, r.hash)).size).to.equal(size);
      }
      // Replay: the issuer anchors a hash at most once.
      await expect(registry.connect(stranger).anchorSigned(r, signature))
        .to.be.revertedWithCustomError(registry, "AlreadyAnchored")
        .withArgs(issuer.address, r.hash);
    });
  }

  it("a relayer or another issuer anchoring the same hash first does no harm", async function () {
    const { registry, issuer, auIssuer, chainId, address, request } = await loadFixture(signedFixture);
    const r = await request();
    const signature = await signAnchorRequest(issuer, chainId, address, r);
    // The issuer asked to relay it anchors the hash itself first, under its own accreditation.
    await registry.connect(auIssuer).anchor(r.hash, DIPLOMA, 0, (await time.latest()) + 10);
    await expect(registry.connect(auIssuer).anchorSigned(r, signature))
      .to.emit(registry, "CredentialAnchored")
      .withArgs(r.hash, issuer.address, signedTerms(auIssuer.address, r));
    const v = await registry.verdict(single(issuer, r.hash), SG);
    expect([v.status, v.issuer, v.schema]).to.deep.equal([BigInt(Status.VALID), issuer.address, BigInt(CBPR)]);
  });

  it("an issuer cancels a request before it is relayed; it never anchors", async function () {
    const { registry, issuer, stranger, authSG, chainId, address, request } = await loadFixture(signedFixture);
    const r = await request();
    const signature = await signAnchorRequest(issuer, chainId, address, r);
    const digest = await registry.anchorRequestDigest(r);
    // Refused while the issuer is suspended...
    await registry.connect(authSG).suspendIssuer(issuer.address);
    await expect(registry.connect(stranger).anchorSigned(r, signature)).to.be.revertedWithCustomError(
      registry,
      "IssuerNotActive",
    );
    await expect(registry.connect(issuer).cancelAnchorRequest(digest))
      .to.emit(registry, "AnchorRequestCancelled")
      .withArgs(issuer.address, digest);
    expect(await registry.isRequestCancelled(issuer.address, digest)).to.equal(true);
    // ...and, cancelled, it does not anchor after the reinstatement either.
    await registry.connect(authSG).reinstateIssuer(issuer.address);
    await expect(registry.connect(stranger).anchorSigned(r, signature))
      .to.be.revertedWithCustomError(registry, "RequestCancelled")
      .withArgs(issuer.address, digest);
    await expect(registry.connect(issuer).cancelAnchorRequest(digest))
      .to.be.revertedWithCustomError(registry, "RequestCancelled")
      .withArgs(issuer.address, digest);
    // Only the issuer's own cancellation counts: another account cancelling the digest changes nothing for it.
    const other = await request();
    const otherDigest = await registry.anchorRequestDigest(other);
    await registry.connect(stranger).cancelAnchorRequest(otherDigest);
    expect(await registry.isRequestCancelled(issuer.address, otherDigest)).to.equal(false);
    await expect(
      registry.connect(stranger).anchorSigned(other, await signAnchorRequest(issuer, chainId, address, other)),
    ).to.emit(registry, "CredentialAnchored");
  });

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
    await registry.connect(authJP).offerAccreditation(walletAddress, schemaBitmap([CBPR]), 0, 0);
    const accept = registry.interface.encodeFunctionData("acceptAccreditation", [JP, schemaBitmap([CBPR]), 0, 0]);
    await wallet.connect(stranger).execute(address, accept);
    const r = await request({ issuer: walletAddress });
    await expect(registry.connect(other).anchorSigned(r, await signAnchorRequest(stranger, chainId, address, r)))
      .to.emit(registry, "CredentialAnchored")
      .withArgs(r.hash, walletAddress, signedTerms(other.address, r));
    const bad = await request({ issuer: walletAddress });
    await expect(registry.anchorSigned(bad, await signAnchorRequest(other, chainId, address, bad)))
      .to.be.revertedWithCustomError(registry, "InvalidSignature")
      .withArgs(walletAddress);
    // The wallet also anchors directly, as any issuer does.
    const direct = randomHash();
    const data = registry.interface.encodeFunctionData("anchor", [direct, CBPR, 0, 0]);
    await expect(wallet.connect(stranger).execute(address, data))
      .to.emit(registry, "CredentialAnchored")
      .withArgs(
        direct,
        walletAddress,
        encodeAnchorTerms({ actor: walletAddress, schema: CBPR, validFrom: 0, validUntil: 0, mode: "ISSUER" }),
      );
    expect((await registry.getIssuer(walletAddress)).economy).to.equal(JP);
    // The wallet cancels its own signed requests too.
    const cancelled = await request({ issuer: walletAddress });
    const digest = await registry.anchorRequestDigest(cancelled);
    const cancel = registry.interface.encodeFunctionData("cancelAnchorRequest", [digest]);
    await expect(wallet.connect(stranger).execute(address, cancel))
      .to.emit(registry, "AnchorRequestCancelled")
      .withArgs(walletAddress, digest);
    await expect(
      registry.connect(other).anchorSigned(cancelled, await signAnchorRequest(stranger, chainId, address, cancelled)),
    )
      .to.be.revertedWithCustomError(registry, "RequestCancelled")
      .withArgs(walletAddress, digest);
  });

  it("binds the signature to this registry: the same request fails on a second deployment", async function () {
    const { registry, council, authSG, issuer, chainId, address, request } = await loadFixture(signedFixture);
    const deployed = await new CCRRegistry__factory(council).deploy(council.address, 3600, [SG], [authSG.address]);
    const second = ICCR__factory.connect(await deployed.getAddress(), council);
    await second.registerSchema("cbpr", "u", ethers.id("cbpr"));
    await accredit(second, authSG, issuer, SG, 1n, 0, 0);
    const r = await request();
    const signature = await signAnchorRequest(issuer, chainId, address, r);
    await expect(second.anchorSigned(r, signature))
      .to.be.revertedWithCustomError(second, "InvalidSignature")
      .withArgs(issuer.address);
    await expect(registry.anchorSigned(r, signature)).to.emit(registry, "CredentialAnchored");
  });
});
