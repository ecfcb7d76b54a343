// The rate budget when the record's writes take time to come back (a loaded DynamoDB or dynalite):
// a request never leaves after the place its slot holds in the queue, where the next slot, granted
// from the same record, would follow it closer than one interval.
import { describe, expect, it } from 'vitest';
import {
  type CellWrite,
  GcraRateBudget,
  InMemoryRateCell,
  RateCell,
  type RateCellState,
} from '../../lambdas/core/targets/pacing.ts';
import { busiestWindow, type VirtualTime, virtualTime } from '../support/virtual-time.ts';

/** A record written at once whose answers come back `delayMs()` later, on virtual time. */
class SlowAnswers extends RateCell {
  constructor(
    private readonly cell: RateCell,
    private readonly time: VirtualTime,
    private readonly delayMs: () => number,
  ) {
    super();
  }

  private async late<T>(work: Promise<T>): Promise<T> {
    const answer = await work;
    await this.time.sleep(this.delayMs());
    return answer;
  }

  read(): Promise<RateCellState | undefined> {
    return this.late(this.cell.read());
  }
  append(intervalMs: number, now: number, ceiling: number): Promise<CellWrite> {
    return this.late(this.cell.append(intervalMs, now, ceiling));
  }
  start(intervalMs: number, now: number): Promise<CellWrite> {
    return this.late(this.cell.start(intervalMs, now));
  }
  pushTo(to: number): Promise<void> {
    return this.late(this.cell.pushTo(to));
  }
  slow(factor: number, at: number, since: number): Promise<void> {
    return this.late(this.cell.slow(factor, at, since));
  }
}

const gaps = (times: readonly number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((t, n) => t - (sorted[n] as number));
};

describe('rate budget: writes that come back late', () => {
  it("spaces a lane's requests a whole interval apart though the first write of the instance is slow", async () => {
    // Zoom's budget (1 a second, burst 1) and a revocation's three requests one after another (find,
    // PATCH, read back). The instance has no round trip measured before its first write, which takes
    // 80 ms: that slot's time has passed when the write returns. Sent then, the find would reach
    // the application 920 ms before the PATCH (a 429 from a server counting per second).
    const time = virtualTime();
    const budget = new GcraRateBudget(new SlowAnswers(new InMemoryRateCell(), time, () => 80), {
      ratePerSecond: 1,
      burst: 1,
      now: time.now,
      sleep: time.sleep,
    });
    const origin = time.now();
    const granted: number[] = [];
    await time.run(
      (async () => {
        for (let n = 0; n < 3; n++) {
          await budget.take('leaver');
          granted.push(time.now() - origin);
        }
      })(),
    );
    expect(granted).toHaveLength(3);
    for (const gap of gaps(granted)) expect(gap).toBeGreaterThanOrEqual(1_000);
    // The find took the next slot, an interval on.
    expect(granted[0]).toBe(1_000);
  });

  it('sends the first request after one more write when the burst allows it', async () => {
    const time = virtualTime();
    const budget = new GcraRateBudget(new SlowAnswers(new InMemoryRateCell(), time, () => 80), {
      ratePerSecond: 1,
      burst: 3,
      now: time.now,
      sleep: time.sleep,
    });
    const origin = time.now();
    await time.run(budget.take('leaver'));
    // The first write's slot was dropped (back at 80 ms, its place at 0); the second write, expected
    // back at 160 ms, takes a slot the burst lets go then.
    expect(time.now() - origin).toBe(160);
  });

  it('holds several instances with writes of varying round trips to the interval (burst 1) and to rate x window + burst', async () => {
    for (const burst of [1, 4]) {
      const time = virtualTime();
      const cell = new InMemoryRateCell();
      // Round trips of 5 to 150 ms, each write its own, so a write is often slower than the
      // instance's slowest recent one (the time its slots were taken from).
      let n = 0;
      const delays = [5, 150, 20, 90, 40, 130, 10, 70];
      const slow = new SlowAnswers(cell, time, () => delays[n++ % delays.length] as number);
      const budgets = Array.from(
        { length: 4 },
        () => new GcraRateBudget(slow, { ratePerSecond: 10, burst, now: time.now, sleep: time.sleep }),
      );
      const origin = time.now();
      const granted: number[] = [];
      await time.run(
        Promise.all(
          budgets.map(async (budget, i) => {
            for (let k = 0; k < 15; k++) {
              // Instances fall idle now and then, so the queue drains and restarts.
              if (k % 5 === 4) await time.sleep(700 + 100 * i);
              await budget.take(i === 0 ? 'urgent' : 'leaver');
              granted.push(time.now() - origin);
            }
          }),
        ),
      );
      expect(granted).toHaveLength(60);
      expect(busiestWindow(granted, 1_000), `burst ${burst}`).toBeLessThanOrEqual(10 + burst - 1);
      if (burst === 1) for (const gap of gaps(granted)) expect(gap).toBeGreaterThanOrEqual(100);
    }
  });
});
