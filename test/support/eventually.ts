// The one way a test waits: poll an observable condition (an audit entry, an account's state, an
// HTTP answer) until it holds, and fail naming what was awaited and what was last seen. Tests
// never sleep for a fixed time; time itself is moved with the runtime's clock (local/clock.ts).

export interface EventuallyOptions {
  /** How long to poll, in real time. @default 20_000 */
  readonly timeoutMs?: number;
  /** Pause between checks. @default 25 */
  readonly intervalMs?: number;
  /** What the last check saw, for the failure message (called once, on timeout). */
  readonly seen?: () => unknown | Promise<unknown>;
}

/** Thrown when a condition did not hold in time. */
export class ConditionTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConditionTimeoutError';
  }
}

/**
 * Resolves with the first truthy value `check` returns; fails after `timeoutMs` with
 * "timed out after N ms waiting for <what>". A check that throws fails at once: a broken check
 * is a bug, not a condition still to come.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      const seen = options.seen ? `; last seen: ${JSON.stringify(await options.seen())}` : '';
      throw new ConditionTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((turn) => setTimeout(turn, options.intervalMs ?? 25));
  }
}
