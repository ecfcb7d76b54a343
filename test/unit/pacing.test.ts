import { describe, expect, it } from 'vitest';
import { RequestPacer } from '../../lambdas/core/targets/pacing.ts';

function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    at: () => now,
  };
}

describe('request pacing (rate budget)', () => {
  it('lets a burst through at once, then spaces requests at the sustained rate', async () => {
    const time = fakeTime();
    const pacer = new RequestPacer({ ratePerSecond: 2, burst: 3, now: time.now, sleep: time.sleep });
    const sentAt: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, () =>
        pacer.take().then(() => {
          sentAt.push(time.at());
        }),
      ),
    );
    expect(sentAt).toEqual([0, 0, 0, 500, 1000, 1500, 2000]);
  });

  it('refills while idle, never beyond the burst', async () => {
    const time = fakeTime();
    const pacer = new RequestPacer({ ratePerSecond: 10, burst: 2, now: time.now, sleep: time.sleep });
    await pacer.take();
    await pacer.take();
    await time.sleep(60_000);
    time.sleeps.length = 0;
    await pacer.take();
    await pacer.take();
    await pacer.take();
    expect(time.sleeps).toEqual([100]);
  });

  it('refuses a rate budget that would stop every request', () => {
    expect(() => new RequestPacer({ ratePerSecond: 0, burst: 1 })).toThrow('ratePerSecond must be > 0');
    expect(() => new RequestPacer({ ratePerSecond: 1, burst: 0 })).toThrow('burst must be >= 1');
  });
});
