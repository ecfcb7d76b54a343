import { describe, expect, it } from 'vitest';
import {
  GcraRateBudget,
  InMemoryRateBudget,
  InMemoryRateCell,
  type PacingOptions,
} from '../../lambdas/core/targets/pacing.ts';
import type { RequestClass } from '../../lambdas/core/targets/rate-budget.ts';
import { busiestWindow, type VirtualTime, virtualTime } from '../support/virtual-time.ts';

/** Several instances (each its own budget object) on one cell, as Lambda instances on one item. */
function instances(time: VirtualTime, count: number, options: Omit<PacingOptions, 'now' | 'sleep'>) {
  const cell = new InMemoryRateCell();
  return Array.from(
    { length: count },
    () => new GcraRateBudget(cell, { ...options, now: time.now, sleep: time.sleep }),
  );
}

/** Takes and notes when each was granted (virtual ms from the start), with a label. */
function taker(time: VirtualTime, origin: number) {
  const granted: { label: string; at: number }[] = [];
  const take = (budget: GcraRateBudget, requestClass: RequestClass, label: string = requestClass) =>
    budget.take(requestClass).then(() => {
      granted.push({ label, at: time.now() - origin });
    });
  return { granted, take };
}

describe('rate budget (GCRA with reservations)', () => {
  it('lets a burst through at once, then spaces requests at the sustained rate', async () => {
    const time = virtualTime();
    const budget = new InMemoryRateBudget({ ratePerSecond: 2, burst: 3, now: time.now, sleep: time.sleep });
    const { granted, take } = taker(time, time.now());
    await time.run(Promise.all(Array.from({ length: 7 }, () => take(budget, 'urgent'))));
    expect(granted.map((g) => g.at)).toEqual([0, 0, 0, 500, 1000, 1500, 2000]);
  });

  it('refills while idle, never beyond the burst', async () => {
    const time = virtualTime();
    const budget = new InMemoryRateBudget({ ratePerSecond: 10, burst: 2, now: time.now, sleep: time.sleep });
    await time.run(Promise.all([budget.take('leaver'), budget.take('leaver')]));
    await time.run(time.sleep(60_000));
    const { granted, take } = taker(time, time.now());
    await time.run(Promise.all([take(budget, 'leaver'), take(budget, 'leaver'), take(budget, 'leaver')]));
    expect(granted.map((g) => g.at)).toEqual([0, 0, 100]);
  });

  it('holds every instance together within rate x window + burst', async () => {
    const time = virtualTime();
    const budgets = instances(time, 6, { ratePerSecond: 10, burst: 4 });
    const { granted, take } = taker(time, time.now());
    const classes: RequestClass[] = ['urgent', 'leaver', 'leaver', 'leaver', 'leaver', 'background'];
    // Each instance sends 25 requests one after another, all instances at once.
    await time.run(
      Promise.all(
        budgets.map(async (budget, i) => {
          for (let n = 0; n < 25; n++) await take(budget, classes[i] as RequestClass);
        }),
      ),
    );
    expect(granted).toHaveLength(150);
    expect(
      busiestWindow(
        granted.map((g) => g.at),
        1_000,
      ),
    ).toBeLessThanOrEqual(10 + 4);
    // And it spends what it may: 150 requests at 10/s, the first 4 free, take about 14.6 s.
    expect(Math.max(...granted.map((g) => g.at))).toBeLessThanOrEqual(15_000);
  });

  it('serves an urgent request before leavers waiting to join the queue', async () => {
    const time = virtualTime();
    const [a, b] = instances(time, 2, { ratePerSecond: 10, burst: 1, leaverQueueMs: 1_000 });
    const { granted, take } = taker(time, time.now());
    const work = Promise.all([
      ...Array.from({ length: 40 }, () => take(a as GcraRateBudget, 'leaver')),
      // Half a second later, another instance's urgent request.
      time.sleep(500).then(() => take(b as GcraRateBudget, 'urgent')),
    ]);
    await time.run(work);
    const urgent = granted.findIndex((g) => g.label === 'urgent');
    // Behind at most the leavers that joined within the second ahead (10 at 10/s), plus the 5 sent meanwhile.
    expect(urgent).toBeLessThanOrEqual(16);
    expect(granted[urgent]?.at).toBeLessThanOrEqual(1_600);
    expect(granted.slice(urgent + 1).filter((g) => g.label === 'leaver').length).toBeGreaterThanOrEqual(24);
  });

  it("takes the slots of an instance's waiting callers with few writes, within the same bound", async () => {
    const time = virtualTime();
    const cell = new InMemoryRateCell();
    const writes = { append: 0, start: 0, read: 0 };
    for (const op of ['append', 'start', 'read'] as const) {
      const original = cell[op].bind(cell) as (...args: unknown[]) => Promise<unknown>;
      (cell as unknown as Record<string, unknown>)[op] = (...args: unknown[]) => {
        writes[op] += 1;
        return original(...args);
      };
    }
    const budget = new GcraRateBudget(cell, {
      ratePerSecond: 10,
      burst: 1,
      leaverQueueMs: 1_000,
      now: time.now,
      sleep: time.sleep,
    });
    const { granted, take } = taker(time, time.now());
    // Forty revocations of one instance asking at once, as a worker's records in parallel would.
    await time.run(Promise.all(Array.from({ length: 40 }, () => take(budget, 'leaver'))));
    const at = granted.map((g) => g.at);
    expect(at).toHaveLength(40);
    expect(busiestWindow(at, 1_000)).toBeLessThanOrEqual(10);
    for (let n = 1; n < at.length; n++) expect((at[n] as number) - (at[n - 1] as number)).toBe(100);
    // A second of slots (11) in the first write, then half a second's (5) in each: not one a slot.
    expect(writes.append + writes.start).toBeLessThanOrEqual(8);
  });

  it('gives an urgent request the next slot its instance holds for leavers', async () => {
    const time = virtualTime();
    const [a] = instances(time, 1, { ratePerSecond: 10, burst: 1, leaverQueueMs: 1_000 });
    const budget = a as GcraRateBudget;
    const { granted, take } = taker(time, time.now());
    await time.run(
      Promise.all([
        ...Array.from({ length: 30 }, () => take(budget, 'leaver')),
        // Half a second on, this instance holds slots up to a second ahead for its leavers.
        time.sleep(550).then(() => take(budget, 'urgent')),
      ]),
    );
    const urgent = granted.find((g) => g.label === 'urgent');
    // The next slot after it asked (600 ms), not the end of the queue this instance had reserved.
    expect(urgent?.at).toBe(600);
    expect(granted).toHaveLength(31);
    expect(
      busiestWindow(
        granted.map((g) => g.at),
        1_000,
      ),
    ).toBeLessThanOrEqual(10);
  });

  it('keeps background work waiting while leavers keep the queue busy, then lets it through', async () => {
    const time = virtualTime();
    const [a, b] = instances(time, 2, { ratePerSecond: 10, burst: 2, backgroundMaxWaitMs: 60_000 });
    const { granted, take } = taker(time, time.now());
    await time.run(
      Promise.all([
        ...Array.from({ length: 30 }, () => take(a as GcraRateBudget, 'leaver')),
        time.sleep(100).then(() => take(b as GcraRateBudget, 'background')),
      ]),
    );
    const lastLeaver = Math.max(...granted.filter((g) => g.label === 'leaver').map((g) => g.at));
    const background = granted.find((g) => g.label === 'background');
    expect(background?.at).toBeGreaterThanOrEqual(lastLeaver);
    expect(granted.at(-1)?.label).toBe('background');
  });

  it('lets background work through after its longest wait, behind the queue a leaver would join', async () => {
    const time = virtualTime();
    const [a, b] = instances(time, 2, { ratePerSecond: 10, burst: 1, backgroundMaxWaitMs: 2_000 });
    const { granted, take } = taker(time, time.now());
    await time.run(
      Promise.all([
        // Leavers that keep the queue a second long for 10 s.
        (async () => {
          for (let n = 0; n < 10; n++)
            await Promise.all(Array.from({ length: 10 }, () => take(a as GcraRateBudget, 'leaver')));
        })(),
        time.sleep(100).then(() => take(b as GcraRateBudget, 'background')),
      ]),
    );
    const background = granted.find((g) => g.label === 'background');
    expect(background?.at).toBeGreaterThanOrEqual(2_000);
    expect(background?.at).toBeLessThanOrEqual(2_000 + 1_000 + 200);
  });

  it('pauses every instance until the time a throttled answer gave, then slows and recovers', async () => {
    const time = virtualTime();
    const [a, b] = instances(time, 2, { ratePerSecond: 10, burst: 5 });
    const origin = time.now();
    const { granted, take } = taker(time, origin);
    await time.run(
      (a as GcraRateBudget).throttled({ untilMs: origin + 2_000, status: 429, source: 'retry-after' }),
    );
    await time.run(Promise.all(Array.from({ length: 10 }, () => take(b as GcraRateBudget, 'leaver'))));
    // Nothing before the pause ends, no burst after it, and about half the pace: 200 ms apart rather
    // than 100, a little less as the pace recovers (1/30 of the rate a second).
    const at = granted.map((g) => g.at);
    expect(at[0]).toBe(2_000);
    for (let n = 1; n < at.length; n++) {
      expect((at[n] as number) - (at[n - 1] as number)).toBeGreaterThan(160);
      expect((at[n] as number) - (at[n - 1] as number)).toBeLessThanOrEqual(200);
    }
    // 30 s after the slowdown, the whole rate (and the burst) is back.
    await time.run(time.sleep(40_000));
    const later = taker(time, time.now());
    await time.run(Promise.all(Array.from({ length: 7 }, () => later.take(b as GcraRateBudget, 'leaver'))));
    expect(later.granted.map((g) => g.at)).toEqual([0, 0, 0, 0, 0, 100, 200]);
  });

  it('counts one slowdown for a burst of throttled answers, and never slows below a tenth', async () => {
    const time = virtualTime();
    const [a, b] = instances(time, 2, { ratePerSecond: 10, burst: 1 });
    const signal = { untilMs: time.now(), status: 429, source: 'default' } as const;
    // Four answers of one overload, at once: one halving.
    await time.run(Promise.all([a, b, a, b].map((budget) => (budget as GcraRateBudget).throttled(signal))));
    const once = taker(time, time.now());
    await time.run(
      Promise.all([once.take(a as GcraRateBudget, 'urgent'), once.take(a as GcraRateBudget, 'urgent')]),
    );
    expect(once.granted[1]?.at).toBeGreaterThanOrEqual(190);
    expect(once.granted[1]?.at).toBeLessThanOrEqual(200);
    // Seconds apart, ten more: the pace floors at a tenth (a second apart at 10/s).
    for (let n = 0; n < 10; n++) {
      await time.run(time.sleep(1_001));
      await time.run((a as GcraRateBudget).throttled({ ...signal, untilMs: time.now() }));
    }
    await time.run(time.sleep(1_000));
    // Another instance learns the pace from its first write: its next requests go at the floor (a
    // tenth, recovered by 2 s of 30: 750 ms apart at 10/s), never slower than a second apart.
    const floor = taker(time, time.now());
    for (let n = 0; n < 3; n++) await time.run(floor.take(b as GcraRateBudget, 'urgent'));
    const gap = (floor.granted[2]?.at as number) - (floor.granted[1]?.at as number);
    expect(gap).toBeGreaterThan(700);
    expect(gap).toBeLessThanOrEqual(1_000);
  });

  it('pauses for a served answer with nothing remaining, but keeps its pace: only a refusal slows it', async () => {
    const time = virtualTime();
    const [a, b] = instances(time, 2, { ratePerSecond: 10, burst: 1 });
    const origin = time.now();
    const { granted, take } = taker(time, origin);
    // The window's last request was served and said so: nobody sends before its reset.
    await time.run(
      (a as GcraRateBudget).throttled({ untilMs: origin + 500, status: 200, source: 'rate-limit-headers' }),
    );
    await time.run(Promise.all(Array.from({ length: 5 }, () => take(b as GcraRateBudget, 'leaver'))));
    // From the reset on, the configured pace: 100 ms apart, not the 200 a slowdown would make it.
    expect(granted.map((g) => g.at)).toEqual([500, 600, 700, 800, 900]);
  });

  it('voids the slots an instance holds when told of a pause: their requests go after it, spaced, not at once', async () => {
    for (const status of [200, 429]) {
      const time = virtualTime();
      const [a] = instances(time, 1, { ratePerSecond: 10, burst: 1 });
      const budget = a as GcraRateBudget;
      const origin = time.now();
      const { granted, take } = taker(time, origin);
      // Five callers at once: slots at 0, 100, ... 400. The first request is told the window is spent
      // until 1 s on (served with nothing remaining, or refused): the four slots held are void.
      const first = take(budget, 'leaver', 'first').then(() =>
        budget.throttled({ untilMs: origin + 1_000, status, source: 'rate-limit-headers' }),
      );
      await time.run(Promise.all([first, ...Array.from({ length: 4 }, () => take(budget, 'leaver'))]));
      const after = granted.filter((g) => g.label !== 'first').map((g) => g.at);
      expect(after).toHaveLength(4);
      expect(Math.min(...after)).toBeGreaterThanOrEqual(1_000);
      // Never two in one interval (a refusal also slows the pace: 200 ms apart, recovering).
      for (let n = 1; n < after.length; n++)
        expect((after[n] as number) - (after[n - 1] as number)).toBeGreaterThanOrEqual(100);
      if (status === 200) expect(after).toEqual([1_000, 1_100, 1_200, 1_300]);
    }
  });

  it('spaces slots that came due together while the process was busy, rather than sending them at once', async () => {
    const time = virtualTime();
    // The process stalls once for 350 ms (a busy event loop): the sleep it was in ends that late.
    let sleeps = 0;
    const stalling = (ms: number) => time.sleep(++sleeps === 3 ? ms + 350 : ms);
    const budget = new GcraRateBudget(new InMemoryRateCell(), {
      ratePerSecond: 10,
      burst: 1,
      now: time.now,
      sleep: stalling,
    });
    const { granted, take } = taker(time, time.now());
    await time.run(Promise.all(Array.from({ length: 8 }, () => take(budget, 'leaver'))));
    const at = granted.map((g) => g.at);
    expect(at).toHaveLength(8);
    expect(Math.max(...at)).toBeGreaterThan(700);
    for (let n = 1; n < at.length; n++)
      expect((at[n] as number) - (at[n - 1] as number)).toBeGreaterThanOrEqual(100);
  });

  it('has spare capacity only while no queue ahead is longer than background alone leaves (two intervals)', async () => {
    const time = virtualTime();
    const [a, b] = instances(time, 2, { ratePerSecond: 10, burst: 1 });
    expect(await (b as GcraRateBudget).spare()).toBe(true);
    // Three leaver requests at once: slots now, +100 and +200 ms, the queue reaching +300 ms.
    const queued = Promise.all([a, a, a].map((budget) => (budget as GcraRateBudget).take('leaver')));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(await (b as GcraRateBudget).spare()).toBe(false);
    await time.run(queued);
    // At +200 ms the queue reaches +300 ms: one interval ahead, as far as background may join.
    expect(await (b as GcraRateBudget).spare()).toBe(true);
  });

  it('refuses a rate budget that would stop every request', () => {
    expect(() => new InMemoryRateBudget({ ratePerSecond: 0, burst: 1 })).toThrow('ratePerSecond must be > 0');
    expect(() => new InMemoryRateBudget({ ratePerSecond: 1, burst: 0 })).toThrow('burst must be >= 1');
  });
});
