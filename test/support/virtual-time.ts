// Virtual time for the rate budget's tests (test/unit/rate-budget*.test.ts): a clock and sleeps that
// jump to the next timer once every caller waits, and the busiest window of a list of grant times.

/**
 * Virtual time: sleeps resolve in order of their end, the clock jumping to it once every caller
 * is waiting, so concurrent takers interleave as they would on a wall clock, without waiting on one.
 */
export function virtualTime(start = 1_000_000) {
  let now = start;
  const timers: { at: number; seq: number; wake: () => void }[] = [];
  let seq = 0;
  const idle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        timers.push({ at: now + Math.max(0, ms), seq: seq++, wake });
      }),
    /** Runs the work to its end on virtual time. */
    async run<T>(work: Promise<T>): Promise<T> {
      let settled = false;
      const done = work.finally(() => {
        settled = true;
      });
      for (;;) {
        await idle();
        if (settled) return done;
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers.shift();
        if (!next) throw new Error('virtual time: every caller waits on something other than time');
        now = Math.max(now, next.at);
        next.wake();
      }
    },
  };
}

export type VirtualTime = ReturnType<typeof virtualTime>;

/** The most grants in any window of `windowMs` (sliding, each window starting at a grant). */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j] !== undefined && (sorted[j] as number) < (sorted[i] as number) + windowMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}
