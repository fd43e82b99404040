import { expect } from "chai";
import { AnchorState, encodeAnchorTerms, IssuerStanding, REASONS, schemaBitmap, Status } from "../src/codes.ts";
import { buildBatch, memberSets } from "../src/batch.ts";
import {
  accredit,
  CBPR,
  DIPLOMA,
  ethers,
  frameworkFixture,
  KYC,
  loadFixture,
  randomHash,
  SG,
  single,
  time,
  YEAR,
} from "./fixture.ts";

const FULL_WORD = (1n << 256n) - 1n;
type Framework = Awaited<ReturnType<typeof frameworkFixture>>;

describe("CredentialRegistry", function () {
  describe("anchoring", function () {
    // Direct, operator and (in DelegatedAnchoring.ts) signed anchoring behave alike.
    const modes = [
      {
        name: "by the issuer's key",
        mode: "ISSUER",
        actor: (f: Framework) => f.issuer.address,
        single: (f: Framework, hash: string, schema: number, from: number, until: number) =>
          f.registry.connect(f.issuer).anchor(hash, schema, from, until),
        batch: (f: Framework, root: string, size: number, schema: number) =>
          f.registry.connect(f.issuer).anchorBatch(root, size, schema, 0, 0),
      },
      {
        name: "by an operator key",
        mode: "OPERATOR",
        actor: (f: Framework) => f.operator.address,
        single: (f: Framework, hash: string, schema: number, from: number, until: number) =>
          f.registry.connect(f.operator).anchorFor(f.issuer.address, hash, schema, from, until),
        batch: (f: Framework, root: string, size: number, schema: number) =>
          f.registry.connect(f.operator).anchorBatchFor(f.issuer.address, root, size, schema, 0, 0),
      },
    ] as const;

    for (const mode of modes) {
      describe(mode.name, function () {
        it("anchors a credential with its schema and window; the event names who sent it and how", async function () {
          const f = await loadFixture(frameworkFixture);
          const hash = randomHash();
          const terms = encodeAnchorTerms({
            actor: mode.actor(f),
            schema: CBPR,
            validFrom: f.now,
            validUntil: f.now + YEAR,
            mode: mode.mode,
          });
          await expect(mode.single(f, hash, CBPR, f.now, f.now + YEAR))
            .to.emit(f.registry, "CredentialAnchored")
            .withArgs(hash, f.issuer.address, terms);
          const record = await f.registry.getCredential(f.issuer.address, hash);
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
          // Another issuer's record of the same hash does not exist.
          expect((await f.registry.getCredential(f.auIssuer.address, hash)).anchoredAt).to.equal(0n);
        });

        it("anchors a batch", async function () {
          const f = await loadFixture(frameworkFixture);
          const root = randomHash();
          const terms = encodeAnchorTerms({
            actor: mode.actor(f),
            schema: KYC,
            validFrom: 0,
            validUntil: 0,
            mode: mode.mode,
          });
          await expect(mode.batch(f, root, 1000, KYC))
            .to.emit(f.registry, "BatchAnchored")
            .withArgs(root, f.issuer.address, terms, 1000);
          expect((await f.registry.getBatch(f.issuer.address, root)).size).to.equal(1000);
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
          await expect(mode.single(f, randomHash(), CBPR, f.now + 500, f.now + 500))
            .to.be.revertedWithCustomError(registry, "InvalidValidity")
            .withArgs(f.now + 500, f.now + 500);
          await expect(mode.single(f, ethers.ZeroHash, CBPR, 0, 0)).to.be.revertedWithCustomError(registry, "ZeroHash");
          const hash = randomHash();
          await mode.single(f, hash, CBPR, 0, 0);
          await expect(mode.single(f, hash, CBPR, 0, 0))
            .to.be.revertedWithCustomError(registry, "AlreadyAnchored")
            .withArgs(issuer.address, hash);
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

        it("refuses a window that has already ended or starts outside the accreditation; allows one backdated inside it", async function () {
          const f = await loadFixture(frameworkFixture);
          await time.increase(10);
          const now = await time.latest();
          const until = f.now + 3 * YEAR;
          // The next block's time is pinned: a slow run (coverage) would otherwise let the wall clock move it on.
          await time.setNextBlockTimestamp(now + 1);
          await expect(mode.single(f, randomHash(), CBPR, f.now, f.now + 1))
            .to.be.revertedWithCustomError(f.registry, "ValidityEnded")
            .withArgs(f.now + 1, now + 1);
          await time.setNextBlockTimestamp(now + 1);
          await expect(mode.single(f, randomHash(), CBPR, f.now, now))
            .to.be.revertedWithCustomError(f.registry, "ValidityEnded")
            .withArgs(now, now + 1);
          // Ending in the very second it is anchored is still a window; so is a diploma's backdated to the start of
          // the accreditation.
          const backdated = randomHash();
          await expect(mode.single(f, backdated, CBPR, f.now, now + 2)).to.emit(f.registry, "CredentialAnchored");
          const v = await f.registry.verdict(single(f.issuer, backdated), SG);
          expect(v.status).to.equal(Status.VALID);
          expect(v.validFrom).to.equal(f.now);
          // A validity that starts before the accreditation began, or after it ends, is refused naming both.
          for (const validFrom of [f.now - 1, f.now - YEAR, until + 1]) {
            await expect(mode.single(f, randomHash(), CBPR, validFrom, 0))
              .to.be.revertedWithCustomError(f.registry, "ValidityOutsideAccreditation")
              .withArgs(f.issuer.address, validFrom, f.now, until);
          }
          await expect(mode.single(f, randomHash(), CBPR, until, 0)).to.emit(f.registry, "CredentialAnchored");
        });

        it("anchors in the accreditation's first and last second, not one second after", async function () {
          const f = await loadFixture(frameworkFixture);
          const start = (await time.latest()) + 100;
          const end = start + 1000;
          await f.registry.connect(f.authSG).amendAccreditation(f.issuer.address, schemaBitmap([CBPR]), start, end);
          await time.setNextBlockTimestamp(start - 1);
          await expect(mode.single(f, randomHash(), CBPR, 0, 0))
            .to.be.revertedWithCustomError(f.registry, "OutsideAccreditationWindow")
            .withArgs(f.issuer.address, start, end, start - 1);
          await time.setNextBlockTimestamp(start);
          await expect(mode.single(f, randomHash(), CBPR, 0, 0)).to.emit(f.registry, "CredentialAnchored");
          await time.setNextBlockTimestamp(end);
          await expect(mode.single(f, randomHash(), CBPR, 0, 0)).to.emit(f.registry, "CredentialAnchored");
          await time.setNextBlockTimestamp(end + 1);
          await expect(mode.single(f, randomHash(), CBPR, 0, 0))
            .to.be.revertedWithCustomError(f.registry, "OutsideAccreditationWindow")
            .withArgs(f.issuer.address, start, end, end + 1);
        });
      });
    }

    it("refuses anchoring before the accreditation window and by non-issuers", async function () {
      const { registry, authSG, stranger, operator, issuer, auIssuer } = await loadFixture(frameworkFixture);
      const start = (await time.latest()) + 1000;
      await accredit(registry, authSG, stranger, SG, schemaBitmap([CBPR]), start, 0);
      await expect(registry.connect(stranger).anchor(randomHash(), CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "OutsideAccreditationWindow")
        .withArgs(stranger.address, start, 0, (await time.latest()) + 1);
      await expect(registry.connect(operator).anchor(randomHash(), CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "IssuerNotActive")
        .withArgs(operator.address, IssuerStanding.NONE);
      await expect(registry.connect(auIssuer).anchorFor(issuer.address, randomHash(), CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "NotOperator")
        .withArgs(auIssuer.address, issuer.address);
      await expect(registry.connect(operator).anchorFor(stranger.address, randomHash(), CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "NotOperator")
        .withArgs(operator.address, stranger.address);
      await registry.connect(issuer).removeOperator(operator.address);
      await expect(registry.connect(operator).anchorBatchFor(issuer.address, randomHash(), 4, CBPR, 0, 0))
        .to.be.revertedWithCustomError(registry, "NotOperator")
        .withArgs(operator.address, issuer.address);
    });
  });

  describe("front-running by another issuer does no harm", function () {
    it("a single anchor: the victim still anchors, and each issuer's record and verdict are its own", async function () {
      const { registry, issuer, auIssuer, now } = await loadFixture(frameworkFixture);
      const hash = randomHash();
      // The attacker sees the pending anchor and anchors the same hash first, with its own schema and a short window.
      await registry.connect(auIssuer).anchor(hash, DIPLOMA, 0, now + 100);
      await expect(registry.connect(issuer).anchor(hash, CBPR, now, now + YEAR)).to.emit(
        registry,
        "CredentialAnchored",
      );
      const victim = await registry.verdict(single(issuer, hash), SG);
      expect([victim.status, victim.issuer, victim.schema, victim.validUntil]).to.deep.equal([
        BigInt(Status.VALID),
        issuer.address,
        BigInt(CBPR),
        BigInt(now + YEAR),
      ]);
      await time.increaseTo(now + 101);
      expect((await registry.verdict(single(issuer, hash), SG)).status).to.equal(Status.VALID);
      expect((await registry.verdict(single(auIssuer, hash), SG)).status).to.equal(Status.EXPIRED);
      // Nor can the attacker change the victim's record.
      await expect(registry.connect(auIssuer).revokeCredential(issuer.address, hash, 0))
        .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
        .withArgs(auIssuer.address, issuer.address);
    });

    it("a batch root: the victim's proofs verify against the victim's batch only", async function () {
      const { registry, issuer, auIssuer } = await loadFixture(frameworkFixture);
      const hashes = Array.from({ length: 5 }, randomHash);
      const batch = buildBatch(hashes);
      await registry.connect(auIssuer).anchorBatch(batch.root, batch.size, DIPLOMA, 0, 0);
      await registry.connect(auIssuer).revokeBatch(auIssuer.address, batch.root, REASONS.superseded);
      await registry.connect(issuer).anchorBatch(batch.root, batch.size, CBPR, 0, 0);
      for (const [index, credential] of hashes.entries()) {
        const query = { issuer: issuer.address, credential, batchRoot: batch.root, index, proof: batch.proof(index) };
        const v = await registry.verdict(query, SG);
        expect([v.status, v.issuer, v.schema]).to.deep.equal([BigInt(Status.VALID), issuer.address, BigInt(CBPR)]);
        // The same proof presented against the attacker's record answers for the attacker, never as the victim.
        const other = await registry.verdict({ ...query, issuer: auIssuer.address }, SG);
        expect([other.status, other.issuer]).to.deep.equal([BigInt(Status.REVOKED), auIssuer.address]);
      }
    });
  });

  describe("status of single credentials and whole batches", function () {
    const kinds = [
      {
        name: "single credential",
        event: "CredentialStatusChanged",
        anchor: async (f: Framework, hash: string) => f.registry.connect(f.issuer).anchor(hash, CBPR, 0, 0),
        revoke: "revokeCredential",
        suspend: "suspendCredential",
        reinstate: "reinstateCredential",
        get: "getCredential",
      },
      {
        name: "whole batch",
        event: "BatchStatusChanged",
        anchor: async (f: Framework, hash: string) => f.registry.connect(f.issuer).anchorBatch(hash, 16, CBPR, 0, 0),
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
          const who = issuer.address;
          await kind.anchor(f, hash);
          const byIssuer = registry.connect(issuer);
          await expect(byIssuer[kind.reinstate](who, hash))
            .to.be.revertedWithCustomError(registry, "InvalidTransition")
            .withArgs(who, hash, AnchorState.ACTIVE, AnchorState.ACTIVE);
          await expect(byIssuer[kind.suspend](who, hash, REASONS.certificateHold))
            .to.emit(registry, kind.event)
            .withArgs(hash, who, AnchorState.SUSPENDED, REASONS.certificateHold, who);
          const suspendedAt = await time.latest();
          const record = await registry[kind.get](who, hash);
          expect([record.state, record.reason, record.changedAt]).to.deep.equal([
            BigInt(AnchorState.SUSPENDED),
            BigInt(REASONS.certificateHold),
            BigInt(suspendedAt),
          ]);
          await expect(byIssuer[kind.suspend](who, hash, 0))
            .to.be.revertedWithCustomError(registry, "InvalidTransition")
            .withArgs(who, hash, AnchorState.SUSPENDED, AnchorState.SUSPENDED);
          await expect(registry.connect(operator)[kind.reinstate](who, hash))
            .to.emit(registry, kind.event)
            .withArgs(hash, who, AnchorState.ACTIVE, 0, operator.address);
          await expect(byIssuer[kind.revoke](who, hash, REASONS.certificateHold))
            .to.be.revertedWithCustomError(registry, "InvalidReason")
            .withArgs(REASONS.certificateHold);
          await expect(byIssuer[kind.revoke](who, hash, REASONS.superseded))
            .to.emit(registry, kind.event)
            .withArgs(hash, who, AnchorState.REVOKED, REASONS.superseded, who);
          for (const [call, requested] of [
            [byIssuer[kind.revoke](who, hash, 0), AnchorState.REVOKED],
            [byIssuer[kind.suspend](who, hash, 0), AnchorState.SUSPENDED],
            [byIssuer[kind.reinstate](who, hash), AnchorState.ACTIVE],
          ] as const) {
            await expect(call)
              .to.be.revertedWithCustomError(registry, "InvalidTransition")
              .withArgs(who, hash, AnchorState.REVOKED, requested);
          }
        });

        it("an authority's suspension is a hold only the authority lifts", async function () {
          const f = await loadFixture(frameworkFixture);
          const { registry, issuer, operator, authSG } = f;
          const hash = randomHash();
          const who = issuer.address;
          await kind.anchor(f, hash);
          await expect(registry.connect(authSG)[kind.suspend](who, hash, REASONS.privilegeWithdrawn))
            .to.emit(registry, kind.event)
            .withArgs(hash, who, AnchorState.HELD, REASONS.privilegeWithdrawn, authSG.address);
          expect((await registry[kind.get](who, hash)).state).to.equal(AnchorState.HELD);
          for (const key of [issuer, operator]) {
            await expect(registry.connect(key)[kind.reinstate](who, hash))
              .to.be.revertedWithCustomError(registry, "InvalidTransition")
              .withArgs(who, hash, AnchorState.HELD, AnchorState.ACTIVE);
            await expect(registry.connect(key)[kind.suspend](who, hash, 0))
              .to.be.revertedWithCustomError(registry, "InvalidTransition")
              .withArgs(who, hash, AnchorState.HELD, AnchorState.SUSPENDED);
          }
          await expect(registry.connect(authSG)[kind.suspend](who, hash, 0))
            .to.be.revertedWithCustomError(registry, "InvalidTransition")
            .withArgs(who, hash, AnchorState.HELD, AnchorState.SUSPENDED);
          await expect(registry.connect(authSG)[kind.reinstate](who, hash))
            .to.emit(registry, kind.event)
            .withArgs(hash, who, AnchorState.ACTIVE, 0, authSG.address);
          // The issuer's own suspension stays the issuer's to lift, unless the authority turns it into a hold.
          await registry.connect(issuer)[kind.suspend](who, hash, REASONS.certificateHold);
          await expect(registry.connect(authSG)[kind.suspend](who, hash, REASONS.certificateHold))
            .to.emit(registry, kind.event)
            .withArgs(hash, who, AnchorState.HELD, REASONS.certificateHold, authSG.address);
          await expect(registry.connect(issuer)[kind.reinstate](who, hash))
            .to.be.revertedWithCustomError(registry, "InvalidTransition")
            .withArgs(who, hash, AnchorState.HELD, AnchorState.ACTIVE);
          // The issuer may still revoke a held credential for good.
          await expect(registry.connect(issuer)[kind.revoke](who, hash, REASONS.superseded))
            .to.emit(registry, kind.event)
            .withArgs(hash, who, AnchorState.REVOKED, REASONS.superseded, who);
        });

        it("lets the issuer, its operators and its authority act; nobody else", async function () {
          const f = await loadFixture(frameworkFixture);
          const { registry, issuer, authSG, authJP, stranger, auIssuer, operator } = f;
          const hash = randomHash();
          const who = issuer.address;
          await kind.anchor(f, hash);
          for (const outsider of [stranger, authJP, auIssuer]) {
            await expect(registry.connect(outsider)[kind.suspend](who, hash, 0))
              .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
              .withArgs(outsider.address, who);
          }
          await registry.connect(issuer).removeOperator(operator.address);
          await expect(registry.connect(operator)[kind.suspend](who, hash, 0))
            .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
            .withArgs(operator.address, who);
          // A revoked issuer's key may be compromised: only the authority acts on its credentials then.
          await registry.connect(authSG).revokeIssuer(who, 0);
          await expect(registry.connect(issuer)[kind.suspend](who, hash, 0))
            .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
            .withArgs(who, who);
          await expect(registry.connect(authSG)[kind.revoke](who, hash, REASONS.keyCompromise))
            .to.emit(registry, kind.event)
            .withArgs(hash, who, AnchorState.REVOKED, REASONS.keyCompromise, authSG.address);
        });

        it("after a release, the old economy's authority keeps the records; the new one does not", async function () {
          const f = await loadFixture(frameworkFixture);
          const { registry, issuer, authSG, authJP } = f;
          const hash = randomHash();
          const who = issuer.address;
          await kind.anchor(f, hash);
          await registry.releaseIssuer(who);
          await accredit(registry, authJP, issuer, "0x4a50", 1n, 0, 0);
          for (const key of [issuer, authJP]) {
            await expect(registry.connect(key)[kind.suspend](who, hash, 0))
              .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
              .withArgs(key.address, who);
          }
          await expect(registry.connect(authSG)[kind.suspend](who, hash, 0)).to.emit(registry, kind.event);
        });

        it("refuses unknown hashes and invalid reasons", async function () {
          const f = await loadFixture(frameworkFixture);
          const hash = randomHash();
          const who = f.issuer.address;
          await expect(f.registry.connect(f.issuer)[kind.revoke](who, hash, 0))
            .to.be.revertedWithCustomError(f.registry, "NotAnchored")
            .withArgs(who, hash);
          await kind.anchor(f, hash);
          await expect(f.registry.connect(f.issuer)[kind.revoke](f.auIssuer.address, hash, 0))
            .to.be.revertedWithCustomError(f.registry, "NotAnchored")
            .withArgs(f.auIssuer.address, hash);
          for (const reason of [7, 8, 11, 255]) {
            await expect(f.registry.connect(f.issuer)[kind.suspend](who, hash, reason))
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
      const who = issuer.address;
      await expect(
        registry.connect(issuer).revokeMembers(who, batch.root, [{ word: 1, bits: FULL_WORD }], REASONS.superseded),
      )
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(batch.root, who, 1, FULL_WORD, AnchorState.REVOKED, REASONS.superseded, who);
      expect(await registry.memberBits(who, batch.root, 1)).to.deep.equal([FULL_WORD, 0n, 0n]);
    });

    it("suspends, reinstates and revokes members along the allowed transitions", async function () {
      const { registry, issuer, authSG, batch } = await loadFixture(batchFixture);
      const who = issuer.address;
      const sets = memberSets([3, 300, 599]);
      const r = registry.connect(issuer);
      await expect(r.suspendMembers(who, batch.root, sets, REASONS.certificateHold))
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(batch.root, who, 0, 1n << 3n, AnchorState.SUSPENDED, REASONS.certificateHold, who);
      await expect(r.suspendMembers(who, batch.root, memberSets([300]), 0))
        .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
        .withArgs(who, batch.root, 300, AnchorState.SUSPENDED, AnchorState.SUSPENDED);
      await expect(r.reinstateMembers(who, batch.root, memberSets([4])))
        .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
        .withArgs(who, batch.root, 4, AnchorState.ACTIVE, AnchorState.ACTIVE);
      await expect(r.reinstateMembers(who, batch.root, memberSets([300])))
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(batch.root, who, 1, 1n << 44n, AnchorState.ACTIVE, 0, who);
      await expect(registry.connect(authSG).revokeMembers(who, batch.root, memberSets([3, 5]), REASONS.keyCompromise))
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(
          batch.root,
          who,
          0,
          (1n << 3n) | (1n << 5n),
          AnchorState.REVOKED,
          REASONS.keyCompromise,
          authSG.address,
        );
      for (const [call, index, requested] of [
        [r.revokeMembers(who, batch.root, memberSets([5]), 0), 5, AnchorState.REVOKED],
        [r.suspendMembers(who, batch.root, memberSets([5]), 0), 5, AnchorState.SUSPENDED],
        [r.reinstateMembers(who, batch.root, memberSets([3])), 3, AnchorState.ACTIVE],
      ] as const) {
        await expect(call)
          .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
          .withArgs(who, batch.root, index, AnchorState.REVOKED, requested);
      }
    });

    it("holds members for the authority: only it lifts the hold", async function () {
      const { registry, issuer, operator, authSG, batch } = await loadFixture(batchFixture);
      const who = issuer.address;
      await registry.connect(issuer).suspendMembers(who, batch.root, memberSets([7]), REASONS.certificateHold);
      // The authority holds an active member and one the issuer suspended.
      await expect(
        registry.connect(authSG).suspendMembers(who, batch.root, memberSets([6, 7]), REASONS.privilegeWithdrawn),
      )
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(
          batch.root,
          who,
          0,
          (1n << 6n) | (1n << 7n),
          AnchorState.HELD,
          REASONS.privilegeWithdrawn,
          authSG.address,
        );
      expect(await registry.memberBits(who, batch.root, 0)).to.deep.equal([
        0n,
        (1n << 6n) | (1n << 7n),
        (1n << 6n) | (1n << 7n),
      ]);
      for (const key of [issuer, operator]) {
        await expect(registry.connect(key).reinstateMembers(who, batch.root, memberSets([7])))
          .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
          .withArgs(who, batch.root, 7, AnchorState.HELD, AnchorState.ACTIVE);
        await expect(registry.connect(key).suspendMembers(who, batch.root, memberSets([6]), 0))
          .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
          .withArgs(who, batch.root, 6, AnchorState.HELD, AnchorState.SUSPENDED);
      }
      await expect(registry.connect(authSG).suspendMembers(who, batch.root, memberSets([6]), 0))
        .to.be.revertedWithCustomError(registry, "InvalidMemberTransition")
        .withArgs(who, batch.root, 6, AnchorState.HELD, AnchorState.SUSPENDED);
      await expect(registry.connect(authSG).reinstateMembers(who, batch.root, memberSets([6, 7])))
        .to.emit(registry, "MembersStatusChanged")
        .withArgs(batch.root, who, 0, (1n << 6n) | (1n << 7n), AnchorState.ACTIVE, 0, authSG.address);
      expect(await registry.memberBits(who, batch.root, 0)).to.deep.equal([0n, 0n, 0n]);
    });

    it("refuses members out of range, empty sets, unknown batches and revoked batches", async function () {
      const { registry, issuer, auIssuer, batch } = await loadFixture(batchFixture);
      const who = issuer.address;
      const r = registry.connect(issuer);
      await expect(r.revokeMembers(who, batch.root, [{ word: 2, bits: 1n << 88n }], 0))
        .to.be.revertedWithCustomError(registry, "MemberOutOfRange")
        .withArgs(batch.root, 2, 1n << 88n, 600);
      await expect(r.revokeMembers(who, batch.root, [{ word: 3, bits: 1n }], 0))
        .to.be.revertedWithCustomError(registry, "MemberOutOfRange")
        .withArgs(batch.root, 3, 1n, 600);
      await expect(r.suspendMembers(who, batch.root, [{ word: 0, bits: 0n }], 0))
        .to.be.revertedWithCustomError(registry, "MemberOutOfRange")
        .withArgs(batch.root, 0, 0n, 600);
      const unknown = randomHash();
      await expect(r.revokeMembers(who, unknown, memberSets([1]), 0))
        .to.be.revertedWithCustomError(registry, "NotAnchored")
        .withArgs(who, unknown);
      await expect(r.revokeMembers(auIssuer.address, batch.root, memberSets([1]), 0))
        .to.be.revertedWithCustomError(registry, "NotAnchored")
        .withArgs(auIssuer.address, batch.root);
      await expect(r.revokeMembers(who, batch.root, memberSets([1]), 8))
        .to.be.revertedWithCustomError(registry, "InvalidReason")
        .withArgs(8);
      await r.revokeBatch(who, batch.root, 0);
      await expect(r.suspendMembers(who, batch.root, memberSets([1]), 0))
        .to.be.revertedWithCustomError(registry, "InvalidTransition")
        .withArgs(who, batch.root, AnchorState.REVOKED, AnchorState.SUSPENDED);
    });

    it("refuses outsiders", async function () {
      const { registry, issuer, stranger, batch } = await loadFixture(batchFixture);
      await expect(registry.connect(stranger).revokeMembers(issuer.address, batch.root, memberSets([1]), 0))
        .to.be.revertedWithCustomError(registry, "NotAllowedToManage")
        .withArgs(stranger.address, issuer.address);
    });
  });
});
