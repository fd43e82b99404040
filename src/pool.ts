/** `work` on every item, at most `parallel` at a time; the results in the items' order. */
export async function mapPooled<T, R>(
  items: readonly T[],
  parallel: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}

/** `items` cut into runs of `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * `work` over the items of an async iterable, up to `parallel` at once, each started as soon as it is given and a
 * place is free; the results in the items' order. The first failure (of `work` or of the iterable) stops taking
 * items: the work under way is waited for, the iterable is closed (its `finally` runs), and that failure is thrown.
 */
export async function mapPooledInOrder<T, R>(
  items: AsyncIterable<T>,
  parallel: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const iterator = items[Symbol.asyncIterator]();
  const results: R[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      // The i-th call of next() gets the i-th item, whichever worker makes it.
      const index = next++;
      let item: IteratorResult<T>;
      try {
        item = await iterator.next();
      } catch (error) {
        failure ??= { error };
        return;
      }
      if (item.done === true || failure !== undefined) return;
      try {
        results[index] = await work(item.value, index);
      } catch (error) {
        failure ??= { error };
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  if (failure !== undefined) {
    await iterator.return?.(undefined).catch(() => undefined);
    throw failure.error;
  }
  return results;
}
