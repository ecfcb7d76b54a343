// Bounded concurrency for a pass's independent requests: a page's remediations, a page's batch
// reads and writes. At most `limit` run at once; the first failure rejects (the rest still settle).

/** Runs `work` on every item, at most `limit` at once, in order of start. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
