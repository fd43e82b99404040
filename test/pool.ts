import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { mapPooledInOrder } from "../src/pool.ts";

/** The error `promise` rejects with (an Error), or a failed test when it does not reject. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected a rejection with an Error");
}

describe("mapPooledInOrder (src/pool.ts): work on items as an async source gives them", function () {
  /** Items 0..count-1, each after a pause; records what was taken and whether the source was closed. */
  function source(count: number, failAt?: number) {
    const state = { taken: 0, closed: false };
    async function* items(): AsyncGenerator<number> {
      try {
        for (let i = 0; i < count; i++) {
          await sleep(1);
          if (i === failAt) throw new Error(`item ${i} cannot be made`);
          state.taken++;
          yield i;
        }
      } finally {
        state.closed = true;
      }
    }
    return { state, items: items() };
  }

  it("keeps the items' order, at most `parallel` at once, starting each while the source makes the next", async function () {
    const { state, items } = source(20);
    let running = 0;
    let most = 0;
    const results = await mapPooledInOrder(items, 3, async (item, index) => {
      running++;
      most = Math.max(most, running);
      await sleep(20 - item); // later items finish first
      running--;
      return `${index}:${item * 2}`;
    });
    expect(results).to.deep.equal(Array.from({ length: 20 }, (_, i) => `${i}:${i * 2}`));
    expect(most).to.equal(3);
    expect(state).to.deep.equal({ taken: 20, closed: true });
  });

  it("stops taking items at the first failure of the work, waits for the work under way and closes the source", async function () {
    const { state, items } = source(100);
    const finished: number[] = [];
    const error = await failure(
      mapPooledInOrder(items, 2, async (item) => {
        await sleep(item === 5 ? 1 : 10);
        if (item === 5) throw new Error("anchoring 5 failed");
        finished.push(item);
      }),
    );
    expect(error.message).to.equal("anchoring 5 failed");
    expect(state.closed).to.equal(true);
    expect(state.taken).to.be.lessThan(10);
    // Item 4 or 6, under way beside 5, finished before the failure was thrown.
    expect(finished).to.include.members([0, 1, 2, 3, 4]);
    expect(finished.some((item) => item > 6)).to.equal(false);
  });

  it("throws the source's failure after the work under way is done", async function () {
    const { items } = source(10, 4);
    const finished: number[] = [];
    const error = await failure(
      mapPooledInOrder(items, 2, async (item) => {
        await sleep(15);
        finished.push(item);
      }),
    );
    expect(error.message).to.equal("item 4 cannot be made");
    expect(finished.sort()).to.deep.equal([0, 1, 2, 3]);
  });
});
