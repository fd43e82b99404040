import { expect } from "chai";
import { AnchorState, IssuerStanding, REASONS, schemaBitmap } from "../src/codes.ts";
import { buildBatch, memberSets } from "../src/batch.ts";
import { CBPR, DIPLOMA, ethers, frameworkFixture, KYC, loadFixture, randomHash, time, YEAR } from "./fixture.ts";

const FULL_WORD = (1n << 256n) - 1n;

describe("CredentialRegistry", function () {
  describe("anchoring", function () {
    // Direct, operator and (in DelegatedAnchoring.ts) signed anchoring behave alike.
    const modes = [
      {
        name: "by the issuer's key",
        single: (
          f: Awaited<ReturnType<typeof frameworkFixture>>,
          hash: string,
          schema: number,
          from: number,
          until: number,
        ) => f.registry.connect(f.issuer).anchor(hash, schema, from, until),
        batch: (f: Awaited<ReturnType<typeof frameworkFixture>>, root: string, size: number, schema: number) =>
          f.registry.connect(f.issuer).anchorBatch(root, size, schema, 0, 0),
      },
      {
        name: "by an operator key",
        single: (
          f: Awaited<ReturnType<typeof frameworkFixture>>,
          hash: string,
          schema: number,
          from: number,
          until: number,
        ) => f.registry.connect(f.operator).anchorFor(f.issuer.address, hash, schema, from, until),
        batch: (f: Awaited<ReturnType<typeof frameworkFixture>>, root: string, size: number, schema: number) =>
          f.registry.connect(f.operator).anchorBatchFor(f.issuer.address, root, size, schema, 0, 0),
      },
    ];

    for (const mode of modes) {
      describe(mode.name, function () {
        it("anchors a credential with its schema and window", async function () {
          const f = await loadFixture(frameworkFixture);
          const hash = randomHash();
          await expect(mode.single(f, hash, CBPR, f.now, f.now + YEAR))
            .to.emit(f.registry, "CredentialAnchored")
            .withArgs(hash, f.issuer.address, CBPR, f.now, f.now + YEAR);
          const record = await f.registry.getCredential(hash);
          expect(record.issuerId).to.equal(1);
          expect(record.schema).to.equal(CBPR);
          expect(record.state).to.equal(AnchorState.ACTIVE);
          expect(record.size).to.equal(0);
          expect(record.anchoredAt).to.equal(await time.latest());
          expect([record.validFrom, record.validUntil, record.changedAt]).to.deep.equal([
            BigInt(f.now),
            BigInt(f.now + YEAR),
            0n,
          ]);
        });

        it("anchors a batch", async function () {
          const f = await loadFixture(frameworkFixture);
          const root = randomHash();
          await expect(mode.batch(f, root, 1000, KYC))
            .to.emit(f.registry, "BatchAnchored")
            .withArgs(root, f.issuer.address, 1000, KYC, 0, 0);
          expect((await f.registry.getBatch(root)).size).to.equal(1000);
          const empty = randomHash();
          await expect(mode.batch(f, empty, 0, KYC))
            .to.be.revertedWithCustomError(f.registry, "EmptyBatch")
            .withArgs(empty);
        });

        it("refuses what the accreditation does not cover", async function () {
          const f = await loadFixture(frameworkFixture);
          const { registry, issuer, authSG } = f;
          await expect(mode.single(f, randomHash(), DIPLOMA, 0, 0))
            .to.be.revertedWithCustomError(registry, "NotAccreditedForSchema")
            .withArgs(issuer.address, DIPLOMA);
          await expect(mode.single(f, randomHash(), 200, 0, 0))
            .to.be.revertedWithCustomError(registry, "NotAccreditedForSchema")
            .withArgs(issuer.address, 200);
          await expect(mode.single(f, randomHash(), CBPR, 500, 500))
            .to.be.revertedWithCustomError(registry, "InvalidValidity")
            .withArgs(500, 500);
          await expect(mode.single(f, ethers.ZeroHash, CBPR, 0, 0)).to.be.revertedWithCustomError(registry, "ZeroHash");
          const hash = randomHash();
          await mode.single(f, hash, CBPR, 0, 0);
          await expect(mode.single(f, hash, CBPR, 0, 0))
            .to.be.revertedWithCustomError(registry, "AlreadyAnchored")
            .withArgs(hash);
          await registry.connect(authSG).suspendIssuer(issuer.address);
          await expect(mode.single(f, randomHash(), CBPR, 0, 0))
            .to.be.revertedWithCustomError(registry, "IssuerNotActive")
            .withArgs(issuer.address, IssuerStanding.SUSPENDED);
          await registry.connect(authSG).reinstateIssuer(issuer.address);
          const until = f.now + 3 * YEAR;
          await time.increaseTo(until + 1);
          await expect(mode.single(f, randomHash(), CBPR, 0, 0))
            .to.be.revertedWithCustomError(registry, "OutsideAccreditationWindow")
            .withArgs(issuer.address, f.now, until, until + 2);
          await registry.connect(authSG).revokeIssuer(issuer.address, 0);
          await expect(mode.single(f, randomHash(), CBPR, 0, 0))
            .to.be.revertedWithCustomError(registry, "IssuerNotActive")
            .withArgs(issuer.address, IssuerStanding.REVOKED);
        });
      });
    }

    it("refuses anchoring before the accreditation window and by non-issuers", async function () {
      const { registry, authSG, stranger, operator, issuer, auIssuer } = await loadFixture(frameworkFixture);
      const start = (await time.latest()) + 1000;
      await registry.connect(authSG).accreditIssuer(stranger.address, schemaBitmap([CBPR]), start, 0);
      await expect(registry.connect(stranger).anchor(randomHash(), CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "OutsideAccreditationWindow")
        .withArgs(stranger.address, start, 0, (await time.latest()) + 1);
      await expect(registry.connect(operator).anchor(randomHash(), CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "IssuerNotActive")
        .withArgs(operator.address, IssuerStanding.NONE);
      await expect(registry.connect(auIssuer).anchorFor(issuer.address, randomHash(), CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "NotOperator")
        .withArgs(auIssuer.address, issuer.address);
      await registry.connect(issuer).removeOperator(operator.address);
      await expect(registry.connect(operator).anchorBatchFor(issuer.address, randomHash(), 4, CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "NotOperator")
        .withArgs(operator.address, issuer.address);
    });
  });

  describe("status of single credentials and whole batches", function () {
    const kinds = [
      {
        name: "single credential",
        event: "CredentialStatusChanged",
        anchor: async (f: Awaited<ReturnType<typeof frameworkFixture>>, hash: string) =>
          f.registry.connect(f.issuer).anchor(hash, CBPR, 0, 0),
        revoke: "revokeCredential",
        suspend: "suspendCredential",
        reinstate: "reinstateCredential",
        get: "getCredential",
      },
      {
        name: "whole batch",
        event: "BatchStatusChanged",
        anchor: async (f: Awaited<ReturnType<typeof frameworkFixture>>, hash: string) =>
          f.registry.connect(f.issuer).anchorBatch(hash, 16, CBPR, 0, 0),
        revoke: "revokeBatch",
        suspend: "suspendBatch",
        reinstate: "reinstateBatch",
        get: "getBatch",
      },
    ] as const;

    for (const kind of kinds) {
      describe(kind.name, function () {
        it("suspends, reinstates and revokes with reasons; revoked is final", async function () {
          const f = await loadFixture(frameworkFixture);
          const { registry, issuer, operator } = f;
          const hash = randomHash();
          await kind.anchor(f, hash);
          const byIssuer = registry.connect(issuer);
          await expect(byIssuer[kind.reinstate](hash))
            .to.be.revertedWithCustomError(registry, "InvalidTransition")
            .withArgs(hash, AnchorState.ACTIVE, AnchorState.ACTIVE);
          await expect(byIssuer[kind.suspend](hash, REASONS.certificateHold))
            .to.emit(registry, kind.event)
            .withArgs(hash, issuer.address, AnchorState.SUSPENDED, REASONS.certificateHold, issuer.address);
          const suspendedAt = await time.latest();
          const record = await registry[kind.get](hash);
          expect([record.state, record.reason, record.changedAt]).to.deep.equal([
            BigInt(AnchorState.SUSPENDED),
            BigInt(REASONS.certificateHold),
            BigInt(suspendedAt),
          ]);
          await expect(byIssuer[kind.suspend](hash, 0))
            .to.be.revertedWithCustomError(registry, "InvalidTransition")
            .withArgs(hash, AnchorState.SUSPENDED, AnchorState.SUSPENDED);
          await expect(registry.connect(operator)[kind.reinstate](hash))
            .to.emit(registry, kind.event)
            .withArgs(hash, issuer.address, AnchorState.ACTIVE, 0, operator.address);
          await expect(byIssuer[kind.revoke](hash, REASONS.certificateHold))
            .to.be.revertedWithCustomError(registry, "InvalidReason")
            .withArgs(REASONS.certificateHold);
          await expect(byIssuer[kind.revoke](hash, REASONS.superseded))
            .to.emit(registry, kind.event)
            .withArgs(hash, issuer.address, AnchorState.REVOKED, REASONS.superseded, issuer.address);
          for (const call of [
            byIssuer[kind.revoke](hash, 0),
            byIssuer[kind.suspend](hash, 0),
            byIssuer[kind.reinstate](hash),
          ]) {
            await expect(call).to.be.revertedWithCustomError(registry, "InvalidTransition");
          }
        });

        it("lets the issuer, its operators and its authority act; nobody else", async function () {
          const f = await loadFixture(frameworkFixture);
          const { registry, issuer, authSG, authJP, stranger, auIssuer, operator } = f;
          const hash = randomHash();
          await kind.anchor(f, hash);
          for (const outsider of [stranger, authJP, auIssuer]) {
            await expect(registry.connect(outsider)[kind.suspend](hash, 0))
              .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
              .withArgs(outsider.address, issuer.address);
          }
          await registry.connect(issuer).removeOperator(operator.address);
          await expect(registry.connect(operator)[kind.suspend](hash, 0))
            .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
            .withArgs(operator.address, issuer.address);
          // A revoked issuer's key may be compromised: only the authority acts on its credentials then.
          await registry.connect(authSG).revokeIssuer(issuer.address, 0);
          await expect(registry.connect(issuer)[kind.suspend](hash, 0))
            .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
            .withArgs(issuer.address, issuer.address);
          await expect(registry.connect(authSG)[kind.revoke](hash, REASONS.keyCompromise))
            .to.emit(registry, kind.event)
            .withArgs(hash, issuer.address, AnchorState.REVOKED, REASONS.keyCompromise, authSG.address);
        });

        it("refuses unknown hashes and invalid reasons", async function () {
          const f = await loadFixture(frameworkFixture);
          const hash = randomHash();
          await expect(f.registry.connect(f.issuer)[kind.revoke](hash, 0))
            .to.be.revertedWithCustomError(f.registry, "NotAnchored")
            .withArgs(hash);
          await kind.anchor(f, hash);
          for (const reason of [7, 8, 11, 255]) {
            await expect(f.registry.connect(f.issuer)[kind.suspend](hash, reason))
              .to.be.revertedWithCustomError(f.registry, "InvalidReason")
              .withArgs(reason);
          }
        });
      });
    }
  });

  describe("batch members", function () {
    async function batchFixture() {
      const f = await frameworkFixture();
      const hashes = Array.from({ length: 600 }, () => randomHash());
      const batch = buildBatch(hashes);
      await f.registry.connect(f.issuer).anchorBatch(batch.root, batch.size, CBPR, 0, 0);
      return { ...f, batch, hashes };
    }

    it("revokes 256 members in one transaction, one bitmap word", async function () {
      const { registry, issuer, batch } = await loadFixture(batchFixture);
      await expect(
        registry.connect(issuer).revokeMembers(batch.root, [{ word: 1, bits: FULL_WORD }], REASONS.superseded),
      )
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(batch.root, issuer.address, 1, FULL_WORD, AnchorState.REVOKED, REASONS.superseded, issuer.address);
      expect(await registry.memberBits(batch.root, 1)).to.deep.equal([FULL_WORD, 0n]);
    });

    it("suspends, reinstates and revokes members along the allowed transitions", async function () {
      const { registry, issuer, authSG, batch } = await loadFixture(batchFixture);
      const sets = memberSets([3, 300, 599]);
      const r = registry.connect(issuer);
      await expect(r.suspendMembers(batch.root, sets, REASONS.certificateHold))
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(
          batch.root,
          issuer.address,
          0,
          1n << 3n,
          AnchorState.SUSPENDED,
          REASONS.certificateHold,
          issuer.address,
        );
      await expect(r.suspendMembers(batch.root, memberSets([300]), 0))
        .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
        .withArgs(batch.root, 300, AnchorState.SUSPENDED, AnchorState.SUSPENDED);
      await expect(r.reinstateMembers(batch.root, memberSets([4])))
        .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
        .withArgs(batch.root, 4, AnchorState.ACTIVE, AnchorState.ACTIVE);
      await expect(r.reinstateMembers(batch.root, memberSets([300])))
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(batch.root, issuer.address, 1, 1n << 44n, AnchorState.ACTIVE, 0, issuer.address);
      await expect(registry.connect(authSG).revokeMembers(batch.root, memberSets([3, 5]), REASONS.keyCompromise))
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(
          batch.root,
          issuer.address,
          0,
          (1n << 3n) | (1n << 5n),
          AnchorState.REVOKED,
          REASONS.keyCompromise,
          authSG.address,
        );
      for (const [call, index, requested] of [
        [r.revokeMembers(batch.root, memberSets([5]), 0), 5, AnchorState.REVOKED],
        [r.suspendMembers(batch.root, memberSets([5]), 0), 5, AnchorState.SUSPENDED],
        [r.reinstateMembers(batch.root, memberSets([3])), 3, AnchorState.ACTIVE],
      ] as const) {
        await expect(call)
          .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
          .withArgs(batch.root, index, AnchorState.REVOKED, requested);
      }
    });

    it("refuses members out of range, empty sets, unknown batches and revoked batches", async function () {
      const { registry, issuer, batch } = await loadFixture(batchFixture);
      const r = registry.connect(issuer);
      await expect(r.revokeMembers(batch.root, [{ word: 2, bits: 1n << 88n }], 0))
        .to.be.revertedWithCustomError(registry, "MemberOutOfRange")
        .withArgs(batch.root, 2, 1n << 88n, 600);
      await expect(r.revokeMembers(batch.root, [{ word: 3, bits: 1n }], 0))
        .to.be.revertedWithCustomError(registry, "MemberOutOfRange")
        .withArgs(batch.root, 3, 1n, 600);
      await expect(r.suspendMembers(batch.root, [{ word: 0, bits: 0n }], 0))
        .to.be.revertedWithCustomError(registry, "MemberOutOfRange")
        .withArgs(batch.root, 0, 0n, 600);
      const unknown = randomHash();
      await expect(r.revokeMembers(unknown, memberSets([1]), 0))
        .to.be.revertedWithCustomError(registry, "NotAnchored")
        .withArgs(unknown);
      await expect(r.revokeMembers(batch.root, memberSets([1]), 8))
        .to.be.revertedWithCustomError(registry, "InvalidReason")
        .withArgs(8);
      await r.revokeBatch(batch.root, 0);
      await expect(r.suspendMembers(batch.root, memberSets([1]), 0))
        .to.be.revertedWithCustomError(registry, "InvalidTransition")
        .withArgs(batch.root, AnchorState.REVOKED, AnchorState.SUSPENDED);
    });

    it("refuses outsiders", async function () {
      const { registry, issuer, stranger, batch } = await loadFixture(batchFixture);
      await expect(registry.connect(stranger).revokeMembers(batch.root, memberSets([1]), 0))
        .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
        .withArgs(stranger.address, issuer.address);
    });
  });
});
