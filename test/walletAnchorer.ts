/**
 * The issuer service's deferral rule (src/wallet/anchorer.ts): a credential is handed out only when the anchoring, at
 * its recent pace, would anchor it within --anchor-within; otherwise the answer is deferred. The chain is a stand-in
 * whose anchoring transactions finish when the test says, and both clocks are the test's.
 */
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { hexlify, Wallet } from "ethers";
import type { RegistryConnection } from "../src/registry.ts";
import { anchoringForecast, ServiceAnchorer } from "../src/wallet/anchorer.ts";
import { BatchLanes } from "../src/wallet/batches.ts";
import { openSqliteStore } from "../src/wallet/sqliteStore.ts";

/** A chain whose anchoring transactions are mined when the test releases (or fails) them, one by one. */
function gatedChain() {
  const gates: { release: () => void; fail: (error: Error) => void }[] = [];
  const lookups = { count: 0 };
  const sent = { count: 0 };
  const registry = {
    runner: null,
    getBatch: () => {
      lookups.count++;
      return Promise.resolve({ anchoredAt: 0n });
    },
    anchorBatch: () =>
      new Promise((resolve, reject) => {
        sent.count++;
        const receipt = { hash: hexlify(randomBytes(32)), blockNumber: 7 };
        gates.push({ release: () => resolve({ wait: () => Promise.resolve(receipt) }), fail: reject });
      }),
  };
  const connection = { rpcUrl: "http://127.0.0.1:9", registry } as unknown as RegistryConnection;
  /** The next anchoring transaction once it is sent. */
  const next = async () => {
    while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
    return gates.shift() ?? { release: () => undefined, fail: () => undefined };
  };
  /** Transactions sent and not yet mined or failed. */
  const pending = () => gates.length;
  return { connection, next, lookups, sent, pending };
}

/**
 * A service's anchorer and lanes (batches of 2, open 2 s, anchored within 10 s) on a chain the test drives; `held`,
 * while set, holds the anchorer's reads of the unanchored batches (as read) until it resolves, as a slow database
 * would.
 */
function anchoring(options: { log?: boolean } = {}) {
  const clock = { now: 1_000_000, elapsed: 0 };
  const store = openSqliteStore(":memory:");
  const reads: { held: Promise<void> | undefined; made: number } = { held: undefined, made: 0 };
  const slowStore = new Proxy(store, {
    get(target, property, receiver) {
      if (property !== "unanchored") {
        const value = Reflect.get(target, property, receiver) as unknown;
        // The store's methods read its private fields: they run on the store itself.
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return async () => {
        const read = await target.unanchored();
        reads.made++;
        await reads.held;
        return read;
      };
    },
  });
  const lanes = new BatchLanes(store, "me", { size: 2, window: 2, lifetime: 0 });
  const chain = gatedChain();
  const issuer = Wallet.createRandom().address;
  const logged: string[] = [];
  const anchorer = new ServiceAnchorer({
    connection: chain.connection,
    issuer,
    anchorer: issuer,
    store: slowStore,
    lanes,
    owner: "me",
    tick: 0.5,
    anchorWithin: 10,
    now: () => clock.now,
    clock: () => clock.elapsed,
    log: options.log === false ? undefined : (line) => logged.push(line),
  });
  /** Two credentials: a full batch, closed at once. */
  const fill = () =>
    lanes.place(1, 2, clock.now, (slots) =>
      Promise.resolve(
        slots.map((slot) => ({
          hash: hexlify(randomBytes(32)),
          batchId: slot.batch.id,
          index: slot.index,
          offerId: `offer-${slot.batch.id}-${slot.index}`,
          credential: "x",
          format: "jwt_vc_json",
          issuedAt: clock.now,
        })),
      ),
    );
  return { clock, store, lanes, anchorer, fill, logged, reads, ...chain };
}

describe("issuer service: deferring while the anchoring could not keep its bound (src/wallet/anchorer.ts)", function () {
  it("forecasts a credential's anchoring: its batch's window and tick, the waves of batches queued before it, then its own", function () {
    const forecast = (queued: number, perBatch: number, running: number, inFlight: number) =>
      anchoringForecast({ queued, perBatch, running }, 2, 0.5, inFlight);
    expect(forecast(0, 0, 0, 1)).to.equal(2.5); // nothing queued, anchoring instant: the batch's window and tick
    expect(forecast(0, 3, 0, 1)).to.equal(5.5); // then its own anchoring
    expect(forecast(1, 1, 0, 1)).to.equal(3.5); // one queued, done before its batch closes
    expect(forecast(3, 3, 1, 1)).to.equal(11); // three queued one at a time, one of them 1 s in: 8 s, then its own 3 s
    expect(forecast(1, 1, 4, 1)).to.equal(6.5); // the one under way has run 4 s: each is taken to take that long
    expect(forecast(3, 3, 1, 4)).to.equal(5.5); // four at a time: the three queued do not hold its own back
    expect(forecast(9, 3, 1, 4)).to.equal(8); // two waves of four before its own: 5 s, then its own 3 s
  });

  it("hands out while the forecast is within the bound; defers once a slow anchoring or a long queue would miss it", async function () {
    const { clock, anchorer, next, fill } = anchoring();
    expect(anchorer.keepingUp()).to.equal(true);
    await fill();
    expect(anchorer.pace()).to.deep.equal({ queued: 1, perBatch: 0, running: 0 });
    expect(anchorer.keepingUp()).to.equal(true);

    const round = anchorer.runOnce();
    const first = await next();
    clock.elapsed = 6; // 2.5 s for a new batch to close, then 6 s (as long as this one), and 1 s in hand: 9.5 s
    expect(anchorer.pace()).to.deep.equal({ queued: 1, perBatch: 0, running: 6 });
    expect(anchorer.keepingUp()).to.equal(true);
    clock.elapsed = 6.5; // 2.5 + 6.5 + 1 s in hand: the bound itself
    expect(anchorer.keepingUp()).to.equal(true);
    clock.elapsed = 7; // 2.5 + 7 + 1 s in hand: more than 10 s
    expect(anchorer.keepingUp()).to.equal(false);
    clock.elapsed = 6;
    first.release();
    await round;
    expect(anchorer.pace()).to.deep.equal({ queued: 0, perBatch: 6, running: 0 });
    expect(anchorer.keepingUp()).to.equal(true);

    for (let k = 0; k < 3; k++) await fill();
    expect(anchorer.keepingUp(), "three batches queued go at once with its own: 2.5 + 6 + 1 s").to.equal(true);
    await fill();
    expect(anchorer.pace()).to.deep.equal({ queued: 4, perBatch: 6, running: 0 });
    expect(anchorer.keepingUp(), "four queued take a wave of 6 s before its own: 13 s").to.equal(false);
    await fill();

    // Anchored four at a time: all four sent before any is mined; the fifth in a round after.
    const catchingUp = anchorer.runOnce();
    const wave = [await next(), await next(), await next(), await next()];
    clock.elapsed = 7;
    expect(anchorer.pace()).to.deep.equal({ queued: 5, perBatch: 6, running: 1 });
    for (const gate of wave) gate.release();
    await catchingUp;
    // The pace is the slowest of the last three: these took 1 s each.
    expect(anchorer.pace()).to.deep.equal({ queued: 1, perBatch: 1, running: 0 });
    const last = anchorer.runOnce();
    (await next()).release();
    await last;
    expect(anchorer.pace()).to.deep.equal({ queued: 0, perBatch: 1, running: 0 });
    expect(anchorer.keepingUp()).to.equal(true);
  });

  it("defers once a closed batch has waited longer than the bound less the window, however fast anchoring was", async function () {
    const { clock, anchorer, next, fill } = anchoring();
    await fill();
    const round = anchorer.runOnce();
    const gate = await next();
    clock.now += 8; // closed 8 s ago: a new batch's 2 s window would still be within 10 s
    expect(anchorer.keepingUp()).to.equal(true);
    clock.now += 1;
    expect(anchorer.keepingUp()).to.equal(false);
    gate.release();
    await round;
    expect(anchorer.keepingUp()).to.equal(true);
  });

  it("defers after a failed anchoring until one succeeds, and says which batch is not anchored yet", async function () {
    const { anchorer, next, fill, logged, store } = anchoring();
    await fill();
    const [batch] = await store.unanchored();
    const failing = anchorer.runOnce();
    (await next()).fail(new Error("the node has gone away"));
    await failing;
    expect(logged).to.have.length(1);
    expect(logged[0]).to.match(new RegExp(`^batch ${batch?.id ?? ""} is not anchored yet: .*the node has gone away`));
    expect(anchorer.keepingUp()).to.equal(false);
    const again = anchorer.runOnce();
    (await next()).release();
    await again;
    expect(anchorer.keepingUp()).to.equal(true);
    expect(await store.unanchored()).to.deep.equal([]);
  });

  it("looks a batch up on the chain before sending its anchor, unless this life opened it and never tried to send it", async function () {
    const { clock, anchorer, next, fill, lookups } = anchoring();
    await fill(); // opened before the start: an earlier life's, maybe anchored by it
    const starting = anchorer.start();
    (await next()).release();
    await starting;
    expect(lookups.count).to.equal(1);
    try {
      clock.now += 1;
      await fill();
      const fresh = anchorer.runOnce();
      (await next()).release();
      await fresh;
      expect(lookups.count, "this life's batch, never sent: no lookup").to.equal(1);
      await fill();
      const failing = anchorer.runOnce();
      (await next()).fail(new Error("the node has gone away"));
      await failing;
      expect(lookups.count, "looked up after the failed sending (it may have been mined)").to.equal(2);
      const again = anchorer.runOnce();
      (await next()).release();
      await again;
      expect(lookups.count, "and before sending it again").to.equal(3);
    } finally {
      expect(await anchorer.stop(true)).to.equal(0);
    }
  });

  it("never sends a batch twice: not while its anchoring is under way, nor after a read begun before it was recorded", async function () {
    const { anchorer, next, fill, sent, pending, reads } = anchoring();
    await fill();
    const first = anchorer.runOnce();
    const gate = await next();
    await anchorer.runOnce(); // reads the batch, under way: nothing more is sent
    expect(sent.count).to.equal(1);
    expect(pending()).to.equal(0);

    let resume = () => undefined as void;
    reads.held = new Promise((resolve) => (resume = resolve));
    const made = reads.made;
    const stale = anchorer.runOnce(); // its read names the batch, and comes back after the batch is recorded
    while (reads.made === made) await new Promise((resolve) => setImmediate(resolve));
    gate.release();
    await first;
    reads.held = undefined;
    resume();
    await stale;
    expect(sent.count).to.equal(1);
    expect(pending()).to.equal(0);
    await anchorer.runOnce();
    expect(sent.count).to.equal(1);
    expect(anchorer.pace().queued).to.equal(0);
  });

  it("anchors another process's batches only once it is gone (not heard from for the lease), looking them up first", async function () {
    const { clock, store, anchorer, next, sent, lookups } = anchoring();
    await anchorer.start();
    try {
      // Opened after this process started: another's all the same, which may have anchored it before it went.
      const openedAt = clock.now + 1;
      const batch = { id: "theirs", owner: "other", schemaId: 1, validFrom: openedAt, validUntil: 0, openedAt };
      await store.openBatch(batch);
      const member = { hash: hexlify(randomBytes(32)), batchId: batch.id, index: 0, offerId: "o", credential: "x" };
      await store.journal([{ ...member, format: "jwt_vc_json", issuedAt: openedAt }]);
      await store.closeBatch(batch.id, openedAt);
      await store.heartbeat("other", openedAt);
      await anchorer.runOnce();
      expect(sent.count, "alive: its own to anchor").to.equal(0);
      expect(anchorer.keepingUp()).to.equal(true);
      clock.now += 32; // the default lease is 30 s
      const takeover = anchorer.runOnce();
      (await next()).release();
      await takeover;
      expect(lookups.count, "another's batch may be anchored already: looked up first").to.equal(1);
      expect(sent.count).to.equal(1);
      expect(await store.unanchored()).to.deep.equal([]);
    } finally {
      await anchorer.stop(true);
    }
  });

  it("defers after a failed anchoring when it has nowhere to say so, too", async function () {
    const { anchorer, next, fill } = anchoring({ log: false });
    await fill();
    const failing = anchorer.runOnce();
    (await next()).fail(new Error("the node has gone away"));
    await failing;
    expect(anchorer.keepingUp()).to.equal(false);
  });
});
