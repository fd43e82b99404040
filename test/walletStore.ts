/**
 * The issuer service's state on its own (no chain), in both stores: SQLite in memory, and PostgreSQL (a throwaway
 * PostgreSQL 15 cluster, a new database per test): offers redeemed once, PINs counted, nonces taken once, an offer
 * issued once, batches without gaps, closed batches closed. Then PostgreSQL shared by two stores at once, as two
 * service processes share it: nothing redeemed, taken, provisioned or counted twice or lost. And the verifier's
 * requests, in both stores: each answered once, never after it expires, whichever process the answer reaches.
 */
import { expect } from "chai";
import { BatchLanes } from "../src/wallet/batches.ts";
import { openPostgresStore } from "../src/wallet/postgresStore.ts";
import { openSqliteStore } from "../src/wallet/sqliteStore.ts";
import { openPostgresVerifierStore } from "../src/verifier/postgresStore.ts";
import { openSqliteVerifierStore } from "../src/verifier/sqliteStore.ts";
import type { VerifierRequest, VerifierStore } from "../src/verifier/store.ts";
import { startPostgres, type RunningPostgres } from "../scripts/lib/postgres-process.ts";
import {
  BatchClosedError,
  secretDigest,
  type IssuerStore,
  type JournalledCredential,
  type OfferRecord,
} from "../src/wallet/store.ts";

const NOW = 1_800_000_000;

function offer(id: string, change: Partial<OfferRecord> = {}): OfferRecord {
  return {
    id,
    codeDigest: secretDigest(`code-${id}`),
    schemaId: 2,
    subject: { name: id },
    source: "rows.csv",
    row: 1,
    createdAt: NOW,
    expiresAt: NOW + 60,
    state: "open",
    pinFailures: 0,
    ...change,
  };
}

const token = (name: string) => ({ digest: secretDigest(name), expiresAt: NOW + 600 });

let postgres: RunningPostgres | undefined;
let databases = 0;
/** A new database of the shared throwaway cluster, its URL with the password (a test's own cluster). */
async function newDatabase(): Promise<string> {
  postgres ??= await startPostgres({ fsync: "off" });
  const url = await postgres.createDatabase(`issuer_${++databases}`);
  return url.replace("ccr@", `ccr:${postgres.password}@`);
}
after(function () {
  postgres?.stop();
});

const STORES: [string, () => Promise<IssuerStore>][] = [
  ["SQLite in memory", () => Promise.resolve(openSqliteStore(":memory:"))],
  ["PostgreSQL", async () => openPostgresStore(await newDatabase())],
];

for (const [kind, open] of STORES)
  describe(`issuer service store and batches (${kind})`, function () {
    // Starting the throwaway PostgreSQL cluster (once, for the first test) takes seconds on a busy machine.
    this.timeout(120_000);
    let store: IssuerStore;

    beforeEach(async function () {
      store = await open();
    });

    afterEach(async function () {
      await store.close();
    });

    it("redeems a code once, before it expires, unless withdrawn; the token names its offer until it expires", async function () {
      await store.addOffers([offer("a"), offer("b", { expiresAt: NOW }), offer("c")]);
      const redeemed = await store.redeem(secretDigest("code-a"), undefined, NOW, 5, token("t-a"));
      expect(redeemed).to.include({ id: "a", state: "redeemed" });
      expect(await store.redeem(secretDigest("code-a"), undefined, NOW, 5, token("t-a2"))).to.deep.equal({
        error: "invalid_grant",
        reason: "the offer was already used: an offer is redeemed once",
      });
      expect(await store.redeem(secretDigest("code-b"), undefined, NOW, 5, token("t-b"))).to.deep.equal({
        error: "invalid_grant",
        reason: `the offer expired at ${new Date(NOW * 1000).toISOString()}`,
      });
      expect(await store.redeem(secretDigest("code-b"), undefined, NOW - 1, 5, token("t-b"))).to.include({ id: "b" });
      expect(await store.withdrawOffer("c")).to.equal("open");
      expect(await store.withdrawOffer("c")).to.equal("withdrawn");
      expect(await store.withdrawOffer("nope")).to.equal(undefined);
      expect(await store.redeem(secretDigest("code-c"), undefined, NOW, 5, token("t-c"))).to.deep.include({
        reason: "the offer was withdrawn by its issuer",
      });
      expect(await store.redeem(secretDigest("nothing"), undefined, NOW, 5, token("t-x"))).to.deep.include({
        reason: "no offer has this pre-authorized code",
      });
      expect((await store.tokenOffer(secretDigest("t-a"), NOW + 599))?.id).to.equal("a");
      expect(await store.tokenOffer(secretDigest("t-a"), NOW + 600)).to.equal(undefined);
      expect(await store.tokenOffer(secretDigest("t-a2"), NOW)).to.equal(undefined);
    });

    it("asks for the PIN, counts wrong ones and withdraws the offer at the limit", async function () {
      await store.addOffers([offer("p", { pinDigest: secretDigest("123456") })]);
      const code = secretDigest("code-p");
      expect(await store.redeem(code, undefined, NOW, 3, token("t1"))).to.deep.include({
        reason: "the offer needs its transaction code (tx_code), sent to the holder separately",
      });
      expect(await store.redeem(code, secretDigest("000000"), NOW, 3, token("t2"))).to.deep.include({
        reason: "wrong transaction code (tx_code); 1 attempt(s) left",
      });
      expect(await store.redeem(code, secretDigest("000001"), NOW, 3, token("t3"))).to.deep.include({
        reason: "wrong transaction code (tx_code), 3 times: the offer is withdrawn",
      });
      expect(await store.redeem(code, secretDigest("123456"), NOW, 3, token("t4"))).to.deep.include({
        reason: "the offer was withdrawn by its issuer",
      });
      await store.addOffers([offer("q", { pinDigest: secretDigest("654321") })]);
      expect(await store.redeem(secretDigest("code-q"), secretDigest("654321"), NOW, 3, token("t5"))).to.include({
        id: "q",
      });
    });

    it("takes a nonce once and only before it expires", async function () {
      await store.addNonce(secretDigest("n1"), NOW + 10);
      await store.addNonce(secretDigest("n2"), NOW + 10);
      expect(await store.takeNonce(secretDigest("n1"), NOW + 9)).to.equal(true);
      expect(await store.takeNonce(secretDigest("n1"), NOW + 9)).to.equal(false);
      expect(await store.takeNonce(secretDigest("n2"), NOW + 10)).to.equal(false);
      expect(await store.takeNonce(secretDigest("never"), NOW)).to.equal(false);
    });

    it("belongs to one chain, registry and issuer: another is refused, naming what differs", async function () {
      await store.bind({ chainId: "31337", genesisHash: "0xaa" });
      await store.bind({ chainId: "31337", genesisHash: "0xaa", issuer: "0x01" });
      let refused = "";
      await store.bind({ chainId: "31337", genesisHash: "0xbb" }).catch((e: Error) => (refused = e.message));
      expect(refused).to.include("belongs to another genesisHash (0xaa, not 0xbb)");
    });

    describe("batches", function () {
      const credential = (batchId: string, index: number, offerId = "o"): JournalledCredential => ({
        hash: `0x${String(index).padStart(64, "0")}-${batchId}`,
        batchId,
        index,
        offerId,
        credential: `credential ${index}`,
        format: "jwt_vc_json",
        issuedAt: NOW,
      });
      const signAll = (slots: { batch: { id: string }; index: number }[]) =>
        Promise.resolve(slots.map((s) => credential(s.batch.id, s.index, `offer-${s.batch.id}-${s.index}`)));

      it("places members 0..n-1 with no gap, whatever fails, and closes a full batch", async function () {
        const lanes = new BatchLanes(store, "me", { size: 3, window: 60, lifetime: 0 });
        const [first] = (await lanes.place(2, 1, NOW, signAll)) ?? [];
        const failed = await lanes
          .place(2, 1, NOW, () => Promise.reject(new Error("signing failed")))
          .catch((e: Error) => e.message);
        expect(failed).to.equal("signing failed");
        const next = (await lanes.place(2, 2, NOW, signAll)) ?? [];
        expect([first, ...next].map((c) => [c?.batchId, c?.index])).to.deep.equal([
          [first?.batchId, 0],
          [first?.batchId, 1],
          [first?.batchId, 2],
        ]);
        const closed = await store.batch(first?.batchId ?? "");
        expect(closed).to.include({ closedAt: NOW, size: 3, validFrom: NOW, validUntil: 0 });
        expect(await store.unanchored()).to.have.length(1);
        const [fourth] = (await lanes.place(2, 1, NOW + 1, signAll)) ?? [];
        expect(fourth?.batchId).to.not.equal(first?.batchId);
        expect(fourth?.index).to.equal(0);
      });

      it("makes a batch valid from the chain's time when the chain is behind the wall clock, never after", async function () {
        const behind = new BatchLanes(store, "me", { size: 5, window: 60, lifetime: 3600 }, () =>
          Promise.resolve(NOW - 7),
        );
        const [lagging] = (await behind.place(2, 1, NOW, signAll)) ?? [];
        expect(await store.batch(lagging?.batchId ?? "")).to.include({
          validFrom: NOW - 7,
          openedAt: NOW,
          validUntil: NOW + 3600,
        });
        const ahead = new BatchLanes(store, "me", { size: 5, window: 60, lifetime: 0 }, () =>
          Promise.resolve(NOW + 30),
        );
        const [early] = (await ahead.place(3, 1, NOW, signAll)) ?? [];
        expect(await store.batch(early?.batchId ?? "")).to.include({ validFrom: NOW });
        // A node that does not answer: the wall clock.
        const unreachable = new BatchLanes(store, "me", { size: 5, window: 60, lifetime: 0 }, () =>
          Promise.reject(new Error("connect ECONNREFUSED")),
        );
        const [alone] = (await unreachable.place(4, 1, NOW, signAll)) ?? [];
        expect(await store.batch(alone?.batchId ?? "")).to.include({ validFrom: NOW });
      });

      it("opens a new batch when the window has passed, a lifetime after it opens, and closes what is due", async function () {
        const lanes = new BatchLanes(store, "me", { size: 100, window: 10, lifetime: 3600 });
        const [a] = (await lanes.place(1, 1, NOW, signAll)) ?? [];
        const [b] = (await lanes.place(1, 1, NOW + 9, signAll)) ?? [];
        const [c] = (await lanes.place(1, 1, NOW + 10, signAll)) ?? [];
        expect(b?.batchId).to.equal(a?.batchId);
        expect(c?.batchId).to.not.equal(a?.batchId);
        expect(await store.batch(a?.batchId ?? "")).to.include({ size: 2, closedAt: NOW + 10, validUntil: NOW + 3600 });
        await lanes.closeDue(NOW + 19);
        expect((await store.batch(c?.batchId ?? ""))?.closedAt).to.equal(undefined);
        await lanes.closeDue(NOW + 20);
        expect((await store.batch(c?.batchId ?? ""))?.closedAt).to.equal(NOW + 20);
        expect(await store.openBatches()).to.deep.equal([]);
      });

      it("journals an offer's credentials once: a second issuance journals nothing and takes no place", async function () {
        await store.addOffers([offer("once")]);
        await store.redeem(secretDigest("code-once"), undefined, NOW, 5, token("t"));
        const lanes = new BatchLanes(store, "me", { size: 10, window: 60, lifetime: 0 });
        const sign = (slots: { batch: { id: string }; index: number }[]) =>
          Promise.resolve(slots.map((s) => ({ ...credential(s.batch.id, s.index, "once"), hash: `h${s.index}` })));
        expect(await lanes.place(2, 2, NOW, sign, "once")).to.have.length(2);
        expect(await lanes.place(2, 1, NOW, sign, "once")).to.equal(undefined);
        expect(await store.redeem(secretDigest("code-once"), undefined, NOW, 5, token("t2"))).to.deep.include({
          reason: "the offer was already used: an offer is redeemed once",
        });
        expect(await store.issuedFor("once")).to.equal(2);
        const [next] = (await lanes.place(2, 1, NOW, signAll)) ?? [];
        expect(next?.index).to.equal(2);
      });

      it("refuses a member of a closed batch, and keeps who opened each batch and when each process was last heard from", async function () {
        const lanes = new BatchLanes(store, "dead", { size: 10, window: 60, lifetime: 0 });
        const [member] = (await lanes.place(3, 1, NOW, signAll)) ?? [];
        const batchId = member?.batchId ?? "";
        expect((await store.openBatches()).map((b) => [b.id, b.owner])).to.deep.equal([[batchId, "dead"]]);
        await store.heartbeat("dead", NOW);
        await store.heartbeat("alive", NOW);
        await store.heartbeat("alive", NOW + 5);
        expect(await store.lastSeen()).to.deep.equal(
          new Map([
            ["dead", NOW],
            ["alive", NOW + 5],
          ]),
        );
        await store.closeBatch(batchId, NOW + 1);
        const refused = await store.journal([credential(batchId, 1, "late")]).catch((e: Error) => e.message);
        expect(refused).to.equal(
          `batch ${batchId} is closed: credential ${credential(batchId, 1).hash} cannot join it`,
        );
        expect(await store.memberHashes(batchId)).to.deep.equal([member?.hash]);
        await store.markAnchored(batchId, { root: "0xroot", transaction: "0xtx", blockNumber: 7, at: NOW + 2 });
        expect(await store.batch(batchId)).to.include({ root: "0xroot", transaction: "0xtx", blockNumber: 7 });
        expect(await store.unanchored()).to.deep.equal([]);
      });
    });
  });

describe("issuer service store shared by two service processes (PostgreSQL)", function () {
  this.timeout(120_000);
  let url = "";
  let a: IssuerStore;
  let b: IssuerStore;

  beforeEach(async function () {
    url = await newDatabase();
    [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
  });

  afterEach(async function () {
    await Promise.all([a.close(), b.close()]);
  });

  it("redeems a code once and takes a nonce once, whichever process asks first", async function () {
    await a.addOffers([offer("shared")]);
    const redeemed = await Promise.all(
      [a, b, a, b].map((store, i) => store.redeem(secretDigest("code-shared"), undefined, NOW, 5, token(`t${i}`))),
    );
    expect(redeemed.filter((r) => "id" in r)).to.have.length(1);
    expect(redeemed.filter((r) => "reason" in r).map((r) => ("reason" in r ? r.reason : ""))).to.deep.equal(
      Array(3).fill("the offer was already used: an offer is redeemed once"),
    );
    await a.addNonce(secretDigest("n"), NOW + 10);
    const taken = await Promise.all([a, b, a, b].map((store) => store.takeNonce(secretDigest("n"), NOW)));
    expect(taken.filter(Boolean)).to.have.length(1);
    expect(await Promise.all([a.useJti("j", NOW + 10), b.useJti("j", NOW + 10)])).to.have.members([true, false]);
  });

  it("provisions a device once, bound to one key, however many requests arrive at once", async function () {
    const device = (key: string) => offer("device-1", { state: "redeemed", keyThumbprint: key });
    const answers = await Promise.all([a, b, a, b].map((store, i) => store.provision(device("key-1"), token(`d${i}`))));
    expect(answers.every((r) => "id" in r && r.keyThumbprint === "key-1")).to.equal(true);
    expect(await b.provision(device("key-2"), token("clone"))).to.deep.equal({
      error: "invalid_grant",
      reason: "this device was provisioned with another key",
    });
    expect((await a.offers()).map((o) => o.id)).to.deep.equal(["device-1"]);
  });

  it("journals an offer's credentials once, and counts every member journalled before its batch closed", async function () {
    const lanes = [
      new BatchLanes(a, "a", { size: 1000, window: 60, lifetime: 0 }),
      new BatchLanes(b, "b", { size: 1000, window: 60, lifetime: 0 }),
    ];
    await a.addOffers([offer("once")]);
    await a.redeem(secretDigest("code-once"), undefined, NOW, 5, token("t"));
    const member = (offerId: string) => (slots: { batch: { id: string }; index: number }[]) =>
      Promise.resolve(
        slots.map((s) => ({
          hash: `${s.batch.id}-${s.index}`,
          batchId: s.batch.id,
          index: s.index,
          offerId,
          credential: "c",
          format: "jwt_vc_json",
          issuedAt: NOW,
        })),
      );
    const issued = await Promise.all(lanes.map((l) => l.place(2, 1, NOW, member("once"), "once")));
    expect(issued.filter((c) => c !== undefined)).to.have.length(1);
    expect(await a.issuedFor("once")).to.equal(1);
    // Members join both processes' batches while another process closes them: a member refused by a batch closed
    // under it goes to a new batch of its process, or its request fails with nothing journalled; a closed batch's
    // size is every member it has. Nothing is lost and nothing counted twice.
    const placing = Array.from({ length: 40 }, (_, i) =>
      lanes[i % 2].place(3, 1, NOW, member(`o${i}`)).catch((error: unknown) => {
        expect(error).to.be.instanceOf(BatchClosedError);
        return undefined;
      }),
    );
    const closing = (async () => {
      for (let round = 0; round < 3; round++) {
        for (const batch of await b.openBatches()) await b.closeBatch(batch.id, NOW);
      }
    })();
    const placed = (await Promise.all(placing)).flat().filter((c) => c !== undefined);
    await closing;
    expect(placed.length).to.be.greaterThan(0);
    for (const batch of await a.openBatches()) await a.closeBatch(batch.id, NOW);
    const batches = await a.unanchored();
    const sizes = await Promise.all(
      batches.map(async (batch) => [batch.size, (await a.memberHashes(batch.id)).length]),
    );
    for (const [size, members] of sizes) expect(size).to.equal(members);
    const journalled = (await Promise.all(batches.map((batch) => a.memberHashes(batch.id)))).flat();
    expect(journalled).to.have.members([
      ...placed.map((c) => c.hash),
      ...issued.flat().flatMap((c) => (c === undefined ? [] : [c.hash])),
    ]);
  });
});

/** A verifier's request as `Verifier.create` stores it. */
function vpRequest(id: string, change: Partial<VerifierRequest> = {}): VerifierRequest {
  return {
    id,
    chain: "31337/0xabc",
    nonce: `nonce-${id}`,
    clientId: "x509_san_dns:localhost",
    schemaId: 2,
    vct: "https://schemas.ccr.example/diploma.json",
    claims: ["name", "degree"],
    economy: "AU",
    payload: JSON.stringify({ nonce: `nonce-${id}` }),
    resultDigest: secretDigest(`key-${id}`),
    requestObject: `jar-${id}`,
    createdAt: NOW,
    expiresAt: NOW + 300,
    state_: "open",
    ...change,
  };
}

const VERIFIER_STORES: [string, () => Promise<VerifierStore>][] = [
  ["SQLite in memory", () => Promise.resolve(openSqliteVerifierStore(":memory:"))],
  ["PostgreSQL", async () => openPostgresVerifierStore(await newDatabase())],
];

for (const [kind, open] of VERIFIER_STORES)
  describe(`verifier store (${kind})`, function () {
    this.timeout(120_000);
    let store: VerifierStore;
    beforeEach(async () => (store = await open()));
    afterEach(() => store.close());

    it("keeps a request as made, and gives it to one answer, once, before it expires", async function () {
      // Without an economy (recognition not asked about): none comes back either.
      const { economy, ...anyEconomy } = vpRequest("b", { expiresAt: NOW + 10 });
      expect(economy).to.equal("AU");
      await store.create(vpRequest("a"));
      await store.create(anyEconomy);
      expect(await store.get("a")).to.deep.equal(vpRequest("a"));
      expect(await store.get("b")).to.deep.equal(anyEconomy);
      expect(await store.get("nobody")).to.equal(undefined);
      expect(await store.take("a", NOW + 300)).to.deep.equal(vpRequest("a", { state_: "answered" }));
      expect(await store.take("a", NOW + 1)).to.equal("answered");
      expect(await store.take("b", NOW + 11)).to.equal("expired");
      expect(await store.take("b", NOW + 10)).to.deep.include({ id: "b", state_: "answered" });
      expect(await store.take("nobody", NOW)).to.equal("unknown");
      await store.settle("a", '{"state":"answered","outcome":"valid"}');
      expect(await store.get("a")).to.deep.include({
        state_: "answered",
        result: '{"state":"answered","outcome":"valid"}',
      });
    });

    it("refuses a second request with the same id, keeping the first", async function () {
      await store.create(vpRequest("a"));
      let refused: unknown;
      await store.create(vpRequest("a", { nonce: "another" })).catch((error: unknown) => (refused = error));
      expect(String(refused)).to.match(/UNIQUE|unique|duplicate/);
      expect((await store.get("a"))?.nonce).to.equal("nonce-a");
    });
  });

describe("verifier store shared by two verifier processes (PostgreSQL)", function () {
  this.timeout(120_000);

  it("gives each request to exactly one answer, whichever process takes it first", async function () {
    const url = await newDatabase();
    const [a, b] = await Promise.all([openPostgresVerifierStore(url), openPostgresVerifierStore(url)]);
    try {
      const ids = Array.from({ length: 40 }, (_, n) => `r${n}`);
      for (const id of ids) await a.create(vpRequest(id));
      const takes = await Promise.all(ids.flatMap((id) => [a.take(id, NOW), b.take(id, NOW), a.take(id, NOW)]));
      const won = takes.filter((t) => typeof t !== "string");
      expect(won.map((t) => t.id).sort()).to.deep.equal([...ids].sort());
      expect(takes.filter((t) => t === "answered")).to.have.length(ids.length * 2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
