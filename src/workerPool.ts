/**
 * Worker threads, one per core, each running one plain-JavaScript handler over slices of inputs: the signing of
 * `ccr issue` and the signature checks of `ccr verify`. The handler is evaluated (so the same code runs from the
 * sources and from the built command line) with `require` for Node's modules and `load` for packages (resolved from
 * this module), and `workerData` as given.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * The worker around a handler: `setup` runs once (it may define what `handle` uses), then `handle(input)` maps each
 * input of a slice to its output.
 */
function workerCode(setup: string, handle: string): string {
  return `
const { parentPort, workerData } = require("node:worker_threads");
const load = require("node:module").createRequire(workerData.from);
${setup}
const handle = ${handle};
parentPort.on("message", ({ id, inputs }) => {
  try {
    parentPort.postMessage({ id, out: inputs.map(handle) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
parentPort.postMessage({ ready: true });
`;
}

interface Waiting {
  resolve: (out: unknown[]) => void;
  reject: (error: Error) => void;
}

export class WorkerPool<In, Out> {
  readonly #workers: { worker: Worker; ready: Promise<void>; busy: number }[];
  readonly #unref: boolean;
  /** The slices being worked on. */
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing = false;
  readonly #waiting = new Map<number, Waiting>();
  #next = 0;
  #turn = 0;

  /**
   * Starts `threads` workers (default: one per core) running `handle` (a JavaScript function expression) after
   * `setup`. With `unref`, an idle worker does not keep the process alive (one at work does).
   */
  constructor(
    setup: string,
    handle: string,
    options: { data?: Record<string, unknown>; threads?: number; unref?: boolean } = {},
  ) {
    this.#unref = options.unref === true;
    const code = workerCode(setup, handle);
    const workerData = { ...options.data, from: import.meta.url };
    this.#workers = Array.from({ length: Math.max(1, options.threads ?? availableParallelism()) }, () => {
      const worker = new Worker(code, { eval: true, workerData });
      if (this.#unref) worker.unref();
      const ready = new Promise<void>((resolve, reject) => {
        worker.once("error", reject);
        worker.on("message", (message: { ready?: true; id?: number; out?: unknown[]; error?: string }) => {
          if (message.ready === true) return resolve();
          const waiting = this.#waiting.get(message.id ?? -1);
          this.#waiting.delete(message.id ?? -1);
          if (message.error !== undefined) waiting?.reject(new Error(message.error));
          else waiting?.resolve(message.out ?? []);
        });
      });
      worker.on("error", (error) => {
        for (const waiting of this.#waiting.values()) waiting.reject(error);
        this.#waiting.clear();
      });
      return { worker, ready, busy: 0 };
    });
  }

  /** Resolves once every worker has started (and loaded what its setup loads). */
  async ready(): Promise<void> {
    await Promise.all(this.#workers.map(({ ready }) => ready));
  }

  /** Every input through the handler, spread over the workers in slices; the outputs in the inputs' order. */
  async map(inputs: readonly In[]): Promise<Out[]> {
    const slice = Math.max(1, Math.ceil(inputs.length / (this.#workers.length * 4)));
    const parts: Promise<unknown[]>[] = [];
    for (let start = 0; start < inputs.length; start += slice) {
      parts.push(this.#send(inputs.slice(start, start + slice)));
    }
    return (await Promise.all(parts)).flat() as Out[];
  }

  /** One slice to the next worker; refused once the pool is closing, else awaited by `close` (loading included). */
  #send(inputs: In[]): Promise<unknown[]> {
    if (this.#closing) return Promise.reject(new Error("the worker pool is closed"));
    const target = this.#workers[this.#turn++ % this.#workers.length];
    if (target === undefined) return Promise.reject(new Error("the worker pool has no worker"));
    const work = (async () => {
      await target.ready;
      const id = this.#next++;
      if (target.busy++ === 0) target.worker.ref();
      try {
        return await new Promise<unknown[]>((resolve, reject) => {
          this.#waiting.set(id, { resolve, reject });
          target.worker.postMessage({ id, inputs });
        });
      } finally {
        if (--target.busy === 0 && this.#unref) target.worker.unref();
      }
    })();
    this.#inFlight.add(work);
    const forget = (): boolean => this.#inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /**
   * Stops the workers once the slices given to them are done, those still waiting for their worker to load included
   * (a run that fails may close its pool while the next slices are signed), and each has loaded its native modules:
   * a worker terminated inside a native call (loading a module, or signing) aborts the whole process.
   */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#inFlight]);
    await Promise.all(
      this.#workers.map(async ({ worker, ready }) => {
        await ready.catch(() => undefined);
        await worker.terminate();
      }),
    );
  }
}
