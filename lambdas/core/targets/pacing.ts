// The shared rate budget's algorithm (ARCHITECTURE.md, "Rate budget"): GCRA with reservations over
// one record per target (a RateCell: a DynamoDB item on AWS, memory in tests). Each request takes
// its slot with one conditional write that moves the record's theoretical arrival time (tat) one
// interval on, so the slots granted over any window stay within rate x window + burst, whatever
// the number of callers and instances writing.
import type { RateLimitSignal } from '../scim/options.ts';
import { RateBudget, type RequestClass } from './rate-budget.ts';

/** A target's budget record. */
export interface RateCellState {
  /** Theoretical arrival time (ms since the epoch): where the queue of slots granted ends. */
  readonly tat: number;
  /** The pace's factor (0.1..1) set by the last slowdown, recovering from `slowedAt`. */
  readonly slowFactor?: number;
  readonly slowedAt?: number;
}

/** A conditional write: granted with the record as it was before, or refused by its condition. */
export type CellWrite =
  | { readonly granted: true; readonly before?: RateCellState }
  | { readonly granted: false };

/** One record per target with conditional writes, each atomic (DynamoDB UpdateItem, or memory). */
export abstract class RateCell {
  /** The record as stored, strongly consistent; undefined before the first request. */
  abstract read(): Promise<RateCellState | undefined>;
  /** Appends a slot to a queue still running: `tat += intervalMs` if `now <= tat <= ceiling`. */
  abstract append(intervalMs: number, now: number, ceiling: number): Promise<CellWrite>;
  /** Restarts a drained queue: `tat = now + intervalMs` if tat is absent or `< now`. */
  abstract start(intervalMs: number, now: number): Promise<CellWrite>;
  /** `tat = to` if tat is absent or earlier: never back. */
  abstract pushTo(to: number): Promise<void>;
  /** Records a slowdown, unless another caller recorded one at or after `since`. */
  abstract slow(factor: number, at: number, since: number): Promise<void>;
}

export interface PacingOptions {
  /** Sustained requests per second (the target's rateBudget.requestsPerSecond). */
  readonly ratePerSecond: number;
  /** Requests that may go at once after a quiet spell. */
  readonly burst: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * A leaver's request joins the queue only while the slots ahead end within this (or within twice
   * the slowest recent write to the cell, when that is longer), so an urgent request (which always
   * joins) never waits behind more of them.
   * @default 1_000
   */
  readonly leaverQueueMs?: number;
  /**
   * Background work waits this long for the queue to drain, then joins as a leaver would: it
   * yields to leavers, never starves.
   * @default 30_000
   */
  readonly backgroundMaxWaitMs?: number;
}

/** A slowdown halves the pace at most once per this; a burst of 429s from one overload counts once. */
const SLOWDOWN_SPACING_MS = 1_000;
/** The slowest pace: a tenth of the configured rate. */
export const MIN_PACE_FACTOR = 0.1;
/** The pace recovers linearly: the whole configured rate back within this of the last slowdown. */
export const PACE_RECOVERY_MS = 30_000;

/** Precedence of the classes: urgent, then leaver, then background. */
const CLASS_RANK: Readonly<Record<RequestClass, number>> = { urgent: 0, leaver: 1, background: 2 };

interface Waiter {
  readonly requestClass: RequestClass;
  readonly since: number;
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

const byPrecedence = (a: Waiter, b: Waiter) =>
  CLASS_RANK[a.requestClass] - CLASS_RANK[b.requestClass] || a.seq - b.seq;

/** The algorithm over a RateCell; the adapters (in memory, DynamoDB) give it their cell. */
export class GcraRateBudget extends RateBudget {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly intervalMs: number;
  /** How far before its tat the queue may start a slot: the burst, at the configured pace. */
  private readonly toleranceMs: number;
  private readonly leaverQueueMs: number;
  private readonly backgroundMaxWaitMs: number;
  /** The record as this instance last saw it: which write to try first, the pace's factor. */
  private known: RateCellState | undefined;
  /** A pause this instance was told of, kept for requests that hold a slot already. */
  private pausedUntil = 0;
  /** The latest writes' round trips: a request cannot leave before its write returns. */
  private readonly writeTimes: number[] = [];
  /** Callers of this instance waiting for a slot, by class, then in order of arrival. */
  private readonly waiters: Waiter[] = [];
  private seq = 0;
  /** Slots this instance holds and has not handed out yet, in time order. */
  private readonly slots: number[] = [];
  private pumping = false;
  private dispatching = false;
  /** The releases' own GCRA at the configured pace: when the next slot may go from here. */
  private releaseTat = Number.NEGATIVE_INFINITY;
  /** The pump sleeps for a class: a caller of a higher one (lower rank) wakes it. */
  private pumpWaitsFor = Number.POSITIVE_INFINITY;
  private wakePump: (() => void) | undefined;

  constructor(
    private readonly cell: RateCell,
    options: PacingOptions,
  ) {
    super();
    if (!(options.ratePerSecond > 0))
      throw new Error(`rate budget: ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    if (!(options.burst >= 1)) throw new Error(`rate budget: burst must be >= 1, got ${options.burst}`);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.intervalMs = 1000 / options.ratePerSecond;
    this.toleranceMs = (Math.floor(options.burst) - 1) * this.intervalMs;
    this.leaverQueueMs = options.leaverQueueMs ?? 1_000;
    this.backgroundMaxWaitMs = options.backgroundMaxWaitMs ?? 30_000;
  }

  /**
   * Joins this instance's queue of callers; resolves at the slot given to it. One reservation loop
   * per instance (the pump) takes slots from the cell for every caller waiting here at once, and
   * each slot, when its time comes, goes to the first caller waiting by class: an urgent request
   * that arrives while this instance holds slots for leavers takes the next of them.
   */
  async take(requestClass: RequestClass): Promise<void> {
    const since = this.now();
    const seq = this.seq++;
    for (;;) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push({ requestClass, since, seq, resolve, reject });
        this.waiters.sort(byPrecedence);
        if (CLASS_RANK[requestClass] < this.pumpWaitsFor) this.wakePump?.();
        void this.pump();
      });
      // A slot taken before a pause this instance learned of is void: its request joins again, in
      // its place, for a slot after the pause. Released together at the pause's end, the requests
      // of such slots would go at once, over the window the server just said was spent.
      if (this.now() >= this.pausedUntil) return;
    }
  }

  /** Takes slots for the callers waiting here that no slot held here will serve, class by class. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let backoffMs = this.intervalMs;
    try {
      for (;;) {
        const unserved = this.waiters.slice(this.slots.length);
        const first = unserved[0];
        if (!first) return;
        const requestClass = first.requestClass;
        // Background takes one slot a write: it never queues ahead of itself, so spare() still
        // sees a queue no longer than one interval once it has gone.
        const count =
          requestClass === 'background' ? 1 : unserved.filter((w) => w.requestClass === requestClass).length;
        const now = this.now();
        const waited =
          now - Math.min(...unserved.filter((w) => w.requestClass === requestClass).map((w) => w.since));
        let slots: number[] | undefined;
        try {
          slots = await this.reserve(this.ceilingFor(requestClass, now, waited), count);
        } catch (err) {
          // The cell could not be written or read: the first caller it was for fails with it.
          this.waiters.splice(this.waiters.indexOf(first), 1);
          first.reject(err);
          continue;
        }
        if (slots) {
          this.slots.push(...slots);
          void this.dispatch();
          if (requestClass !== 'background') backoffMs = this.intervalMs;
          continue;
        }
        // The queue ahead is too long for this class: wait until it is short enough again, as last
        // read (others may get there first), or until a caller of a higher class arrives. A leaver
        // waits for room for several slots (half its queue, or a write's round trip and a slot
        // more), so one write takes them all rather than one write a slot.
        const tat = this.known?.tat ?? now;
        const room = Math.max(this.leaverQueueMs / 2, this.slowestWriteMs() + this.intervalMs);
        const pause =
          requestClass === 'background'
            ? backoffMs
            : Math.min(Math.max(tat - (now + room), this.intervalMs / 4), 1_000);
        if (requestClass === 'background') backoffMs = Math.min(backoffMs * 2, 1_000);
        this.pumpWaitsFor = CLASS_RANK[requestClass];
        await Promise.race([
          this.sleep(pause),
          new Promise<void>((wake) => {
            this.wakePump = wake;
          }),
        ]);
        this.pumpWaitsFor = Number.POSITIVE_INFINITY;
        this.wakePump = undefined;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Hands each slot held here, at its time, to the first caller waiting by class. */
  private async dispatch(): Promise<void> {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (;;) {
        const at = this.slots[0];
        if (at === undefined) return;
        const now = this.now();
        // A slot goes at its time, and never closer to the last one released here than the
        // configured pace allows: slots that came due together while this process was busy (a
        // stalled event loop, a slow write) are spaced again, not sent at once into one window of
        // the server's.
        const wait = Math.max(at, this.releaseTat - this.toleranceMs) - now;
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
        this.slots.shift();
        if (at < this.pausedUntil) {
          // Void (a pause came after it was taken): its caller waits on for a slot after the pause.
          void this.pump();
          continue;
        }
        this.releaseTat = Math.max(this.releaseTat, now) + this.intervalMs;
        this.waiters.shift()?.resolve();
      }
    } finally {
      this.dispatching = false;
    }
  }

  async throttled(signal: RateLimitSignal): Promise<void> {
    const now = this.now();
    this.pausedUntil = Math.max(this.pausedUntil, signal.untilMs);
    // The slots held here before the pause are void; the pump takes new ones for their callers.
    const held = this.slots.length;
    while (this.slots.length > 0 && (this.slots[0] as number) < this.pausedUntil) this.slots.shift();
    if (this.slots.length < held) this.wakePump?.();
    // The first slot after the pause is at untilMs itself, and no burst follows it.
    await this.cell.pushTo(signal.untilMs + this.toleranceMs);
    // Only a refusal slows the pace. A served answer saying nothing remains of the window is what
    // a budget pacing at the limit meets once a window: slowing on it would halve the pace each time.
    if (signal.status === 429 || signal.status === 503) {
      const factor = Math.max(MIN_PACE_FACTOR, this.paceFactor(now) / 2);
      await this.cell.slow(factor, now, now - SLOWDOWN_SPACING_MS);
    }
    this.known = await this.cell.read();
    void this.pump();
  }

  /**
   * Room for background work: the queue ahead is no longer than background alone leaves it. A
   * background request joins a queue ending within one interval, so its own slot may leave the
   * queue two intervals ahead; and a slot is taken at the time its write is expected back (the
   * slowest recent write). Without that margin a remediation sent right after its pass's last
   * request would wait a minute behind nobody.
   */
  async spare(): Promise<boolean> {
    const now = this.now();
    this.known = await this.cell.read();
    return (this.known?.tat ?? now) <= now + this.slowestWriteMs() + 2 * this.intervalMs;
  }

  /** Where the queue ahead may end for this class to join it now. */
  private ceilingFor(requestClass: RequestClass, now: number, waitedMs: number): number {
    if (requestClass === 'urgent') return Number.POSITIVE_INFINITY;
    if (requestClass === 'background' && waitedMs < this.backgroundMaxWaitMs) return now + this.intervalMs;
    // A queue shorter than a write's round trip drains before the write that extends it lands: its
    // slots would go unused. The leaver's queue is at least twice the slowest recent write.
    return now + Math.max(this.leaverQueueMs, 2 * this.slowestWriteMs());
  }

  /** The slowest of the latest writes' round trips (0 before the first). */
  private slowestWriteMs(): number {
    return Math.max(0, ...this.writeTimes);
  }

  /**
   * Takes up to `count` slots with one conditional write and answers their times, or undefined when
   * the queue reaches past `ceiling`. The write tried first follows the record last seen; a refused
   * write (another caller moved the record) reads it and tries again. "Now" is when the write is
   * expected back (the slowest of the latest round trips), so a slot is seldom one the request could
   * only take late, bunched with the next ones; one it could is dropped (slotsFrom), so the answer
   * may hold fewer than asked, even none. Every slot of a write ends within `ceiling`.
   */
  private async reserve(ceiling: number, count: number): Promise<number[] | undefined> {
    let fresh = false;
    for (;;) {
      const sent = this.now();
      const now = sent + this.slowestWriteMs();
      const interval = this.intervalMs / this.paceFactor(now);
      const fits = (from: number) =>
        Number.isFinite(ceiling)
          ? Math.max(1, Math.min(count, Math.floor((ceiling - from) / interval) + 1))
          : count;
      const tat = this.known?.tat;
      if (tat === undefined || tat < now) {
        const k = fits(now);
        const write = await this.timed(sent, this.cell.start(interval * k, now));
        if (write.granted) {
          this.known = { ...write.before, tat: now + interval * k };
          return this.slotsFrom(now, now, interval, k);
        }
      } else if (tat <= ceiling) {
        const k = fits(tat);
        const write = await this.timed(
          sent,
          this.cell.append(interval * k, now, ceiling - (k - 1) * interval),
        );
        if (write.granted) {
          const before = write.before?.tat ?? now;
          this.known = { ...write.before, tat: before + interval * k };
          return this.slotsFrom(before, now, interval, k);
        }
      } else if (fresh) {
        return undefined;
      }
      this.known = await this.cell.read();
      fresh = true;
    }
  }

  /**
   * The times of `k` slots taken from `base` on: the burst lets the first of them go at once. A slot
   * whose place in the queue (`max(now, base + j·interval)`, where the record counts its request)
   * has passed when the write comes back is left unused: its request would leave after that place,
   * closer than one interval to the next slot the record grants, and the record would not count the
   * delay. This happens when a write is slower than expected, always the first of an instance
   * (no round trip measured yet); the request takes a later slot.
   */
  private slotsFrom(base: number, now: number, interval: number, k: number): number[] {
    const back = this.now();
    return Array.from({ length: k }, (_, j) => base + j * interval)
      .filter((place) => Math.max(now, place) >= back)
      .map((place) => Math.max(now, place - this.toleranceMs));
  }

  private async timed(sent: number, write: Promise<CellWrite>): Promise<CellWrite> {
    const done = await write;
    this.writeTimes.push(this.now() - sent);
    if (this.writeTimes.length > 8) this.writeTimes.shift();
    return done;
  }

  /** The pace as a share of the configured rate: halved by a slowdown, back to 1 linearly. */
  private paceFactor(now: number): number {
    const { slowFactor, slowedAt } = this.known ?? {};
    if (slowFactor === undefined || slowedAt === undefined) return 1;
    const recovered = slowFactor + Math.max(0, now - slowedAt) / PACE_RECOVERY_MS;
    return Math.min(1, Math.max(MIN_PACE_FACTOR, recovered));
  }
}

/** A cell in this process's memory: for tests, and for callers with no table. */
export class InMemoryRateCell extends RateCell {
  private state: RateCellState | undefined;

  async read(): Promise<RateCellState | undefined> {
    return this.state;
  }

  async append(intervalMs: number, now: number, ceiling: number): Promise<CellWrite> {
    const before = this.state;
    if (!before || before.tat < now || before.tat > ceiling) return { granted: false };
    this.state = { ...before, tat: before.tat + intervalMs };
    return { granted: true, before };
  }

  async start(intervalMs: number, now: number): Promise<CellWrite> {
    const before = this.state;
    if (before && before.tat >= now) return { granted: false };
    this.state = { ...before, tat: now + intervalMs };
    return before ? { granted: true, before } : { granted: true };
  }

  async pushTo(tat: number): Promise<void> {
    if (!this.state || this.state.tat < tat) this.state = { ...this.state, tat };
  }

  async slow(factor: number, at: number, since: number): Promise<void> {
    if (this.state?.slowedAt !== undefined && this.state.slowedAt >= since) return;
    this.state = { tat: this.state?.tat ?? at, slowFactor: factor, slowedAt: at };
  }
}

/** The in-memory adapter: one budget for the callers given it (in this process only). */
export class InMemoryRateBudget extends GcraRateBudget {
  constructor(options: PacingOptions, cell: RateCell = new InMemoryRateCell()) {
    super(cell, options);
  }
}
