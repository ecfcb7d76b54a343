// The local runtime's clock: wall-clock time plus an offset a test can move forward. Everything
// in the runtime that waits on time (the workflow's Wait states, a lane's retry backoff, the
// schedules) sleeps on it, so `await clock.advance('3s')` makes a 3-second effective date due
// at once, and a date 400 days ahead is as cheap as one 3 seconds ahead. Without advances it is
// the system clock: sleepers wake when real time reaches them.
import { Clock } from '../lambdas/core/model/ports.ts';

/** Node fires a timer longer than 2^31-1 ms (about 24.8 days) at once; longer sleeps re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `'500ms'`, `'3s'`, `'5m'`, `'2h'`, `'400d'` or milliseconds, as milliseconds. */
export function durationMs(duration: string | number): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0)
      throw new RangeError(`a duration is 0 ms or more; given ${duration}`);
    return duration;
  }
  const match = duration.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/);
  const unit = match ? UNITS[match[2] ?? ''] : undefined;
  if (!match || unit === undefined)
    throw new RangeError(`"${duration}" is not a duration: write it as 500ms, 3s, 5m, 2h or 400d`);
  return Number(match[1]) * unit;
}

/** Rejection of a sleep cut short by its AbortSignal. */
export class SleepAbortedError extends Error {
  constructor() {
    super('the sleep was aborted');
    this.name = 'SleepAbortedError';
  }
}

interface Sleeper {
  readonly due: number;
  readonly wake: () => void;
  timer?: NodeJS.Timeout;
}

export class LocalClock extends Clock {
  private offsetMs = 0;
  private readonly sleepers = new Set<Sleeper>();

  /** @param start where the clock starts; @default - now (the system clock) */
  constructor(start?: Date) {
    super();
    if (start) this.offsetMs = start.getTime() - Date.now();
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** Sleepers not yet woken (Wait states, backoffs and schedules in progress). */
  get pending(): number {
    return this.sleepers.size;
  }

  /** The earliest time a sleeper waits for, or undefined when none waits. */
  nextDue(): Date | undefined {
    let next: number | undefined;
    for (const s of this.sleepers) if (next === undefined || s.due < next) next = s.due;
    return next === undefined ? undefined : new Date(next);
  }

  /** When the sleepers wait until, earliest first. */
  dueTimes(): Date[] {
    return [...this.sleepers]
      .map((s) => s.due)
      .sort((a, b) => a - b)
      .map((due) => new Date(due));
  }

  /** Resolves when this clock reaches `due` (at once for a time past); rejects when `signal` aborts. */
  sleepUntil(due: Date | number, signal?: AbortSignal): Promise<void> {
    const dueMs = typeof due === 'number' ? due : due.getTime();
    if (Number.isNaN(dueMs)) return Promise.reject(new RangeError('sleepUntil: not a date'));
    if (signal?.aborted) return Promise.reject(new SleepAbortedError());
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.forget(sleeper);
        reject(new SleepAbortedError());
      };
      const sleeper: Sleeper = {
        due: dueMs,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.add(sleeper);
      this.arm(sleeper);
    });
  }

  /** Resolves after `duration` by this clock. */
  sleep(duration: string | number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.nowMs() + durationMs(duration), signal);
  }

  /**
   * Calls `run` every `interval` by this clock (the first call one interval from now), as a
   * schedule does; returns the function that stops it. An advance over several intervals runs it
   * once (missed ticks coalesce, as a suspended process's timers do), so moving a runtime 400 days
   * ahead does not replay 400 daily passes. A schedule never keeps the process alive.
   */
  every(interval: string | number, run: () => void): () => void {
    const period = durationMs(interval);
    if (period <= 0) throw new RangeError('a schedule needs an interval above 0 ms');
    const stopped = new AbortController();
    const loop = async () => {
      for (let due = this.nowMs() + period; ; ) {
        await this.sleepUntil(due, stopped.signal);
        run();
        while (due <= this.nowMs()) due += period;
      }
    };
    loop().catch(() => {}); // stopped
    return () => stopped.abort();
  }

  /**
   * Moves the clock forward and wakes every sleeper now due, earliest first; resolves once their
   * continuations had a turn. What they start (a lane message, a handler) goes on in real time.
   */
  async advance(duration: string | number): Promise<void> {
    this.offsetMs += durationMs(duration);
    this.wakeDue();
    for (const sleeper of this.sleepers) this.arm(sleeper);
    await new Promise<void>((turn) => setImmediate(turn));
  }

  /**
   * Moves the clock to each next due time until `done()` holds, as a test drives a runtime through
   * its waits; gives real time a turn between steps. Fails after `timeoutMs` of real time.
   */
  async runUntil<T>(
    done: () => Promise<T | undefined | false> | T | undefined | false,
    options: { readonly timeoutMs?: number; readonly pollMs?: number } = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await done();
      if (value) return value;
      if (Date.now() > deadline)
        throw new Error(`clock.runUntil: condition not met within ${timeoutMs} ms of real time`);
      const next = this.nextDue();
      if (next && next.getTime() > this.nowMs()) await this.advance(next.getTime() - this.nowMs());
      await new Promise((turn) => setTimeout(turn, options.pollMs ?? 20));
    }
  }

  private wakeDue(): void {
    const now = this.nowMs();
    const due = [...this.sleepers].filter((s) => s.due <= now).sort((a, b) => a.due - b.due);
    for (const sleeper of due) {
      this.forget(sleeper);
      sleeper.wake();
    }
  }

  private forget(sleeper: Sleeper): void {
    clearTimeout(sleeper.timer);
    this.sleepers.delete(sleeper);
  }

  /** A real timer for the sleeper's due time, at most MAX_TIMER_MS away; re-armed until due. */
  private arm(sleeper: Sleeper): void {
    clearTimeout(sleeper.timer);
    const remaining = sleeper.due - this.nowMs();
    if (remaining <= 0) {
      this.forget(sleeper);
      sleeper.wake();
      return;
    }
    sleeper.timer = setTimeout(() => this.arm(sleeper), Math.min(remaining, MAX_TIMER_MS));
    sleeper.timer.unref();
  }
}
