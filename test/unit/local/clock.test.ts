import { describe, expect, it } from 'vitest';
import { durationMs, LocalClock, SleepAbortedError } from '../../../local/clock.ts';

const DAY = 86_400_000;

/** Whether a promise has settled, after the pending callbacks had a turn. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((turn) => setImmediate(turn));
  return done;
}

describe('local clock: durations', () => {
  it('reads ms, s, m, h and d, and milliseconds as numbers', () => {
    expect([durationMs('500ms'), durationMs('3s'), durationMs('5m'), durationMs('2h')]).toEqual([
      500, 3_000, 300_000, 7_200_000,
    ]);
    expect(durationMs('400d')).toBe(400 * DAY);
    expect(durationMs(250)).toBe(250);
  });

  it('refuses a duration without a unit or below zero, saying how to write one', () => {
    expect(() => durationMs('3')).toThrow('"3" is not a duration: write it as 500ms, 3s, 5m, 2h or 400d');
    expect(() => durationMs(-1)).toThrow('a duration is 0 ms or more; given -1');
  });
});

describe('local clock: sleeping', () => {
  it('tells the system time until it is moved forward', async () => {
    const clock = new LocalClock();
    expect(Math.abs(clock.nowMs() - Date.now())).toBeLessThan(50);
    await clock.advance('1h');
    expect(clock.nowMs() - Date.now()).toBeGreaterThan(3_600_000 - 50);
  });

  it('wakes a sleeper when moved to its time, not before', async () => {
    const clock = new LocalClock();
    const wake = clock.sleep('3s');
    await clock.advance('2s');
    expect(await settled(wake)).toBe(false);
    await clock.advance('1s');
    expect(await settled(wake)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('wakes a sleeper 400 days ahead only when the clock reaches it (beyond the 24.8-day timer limit)', async () => {
    const clock = new LocalClock();
    const due = clock.nowMs() + 400 * DAY;
    const wake = clock.sleepUntil(due);
    // A Node timer of this length fires at once; the clock must not.
    await new Promise((r) => setTimeout(r, 20));
    expect(await settled(wake)).toBe(false);
    await clock.advance('399d');
    expect(await settled(wake)).toBe(false);
    expect(clock.nextDue()?.getTime()).toBe(due);
    await clock.advance('1d');
    expect(await settled(wake)).toBe(true);
  });

  it('wakes by real time when nobody moves it', async () => {
    const clock = new LocalClock();
    const started = Date.now();
    await clock.sleep('30ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('wakes the sleepers an advance passes, earliest first', async () => {
    const clock = new LocalClock();
    const seen: string[] = [];
    const later = clock.sleep('2d').then(() => seen.push('2d'));
    const sooner = clock.sleep('1d').then(() => seen.push('1d'));
    await clock.advance('3d');
    await Promise.all([later, sooner]);
    expect(seen).toEqual(['1d', '2d']);
  });

  it('refuses to wake an aborted sleeper, and forgets it', async () => {
    const clock = new LocalClock();
    const abort = new AbortController();
    const wake = clock.sleep('1h', abort.signal);
    abort.abort();
    await expect(wake).rejects.toBeInstanceOf(SleepAbortedError);
    expect(clock.pending).toBe(0);
  });
});

describe('local clock: schedules and runUntil', () => {
  it('runs a schedule when its interval has passed, once for ticks an advance skipped, until stopped', async () => {
    const clock = new LocalClock();
    let runs = 0;
    const stop = clock.every('1d', () => runs++);
    await clock.advance('12h');
    expect(runs).toBe(0);
    await clock.advance('12h');
    expect(runs).toBe(1);
    await clock.advance('1d');
    expect(runs).toBe(2);
    await clock.advance('400d');
    expect(runs).toBe(3);
    await clock.advance('1d');
    expect(runs).toBe(4);
    stop();
    await clock.advance('5d');
    expect(runs).toBe(4);
    expect(clock.pending).toBe(0);
  });

  it('moves from one due time to the next until the condition holds', async () => {
    const clock = new LocalClock();
    let woke = false;
    void clock.sleep('400d').then(() => (woke = true));
    const started = Date.now();
    expect(await clock.runUntil(() => woke)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails runUntil after its real-time limit, saying so', async () => {
    await expect(new LocalClock().runUntil(() => false, { timeoutMs: 50 })).rejects.toThrow(
      'clock.runUntil: condition not met within 50 ms of real time',
    );
  });
});
