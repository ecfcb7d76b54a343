// What a SCIM server's answer says about its rate limit: whether it throttled the request (429, or
// 503 with Retry-After) and until when no request should go, from Retry-After, then the
// RateLimit-* / X-RateLimit-* / X-Rate-Limit-* reset headers; or, on any other answer, that nothing
// remains of the window (so callers stop before the 429). Unreadable headers are ignored.
import { parseRetryAfter } from './errors.ts';
import type { RateLimitSignal } from './options.ts';

/** The wait when a throttled answer says nothing readable about how long. */
export const DEFAULT_THROTTLE_WAIT_MS = 1_000;
/**
 * No signal asks for more than this. A year-long Retry-After or a reset in milliseconds read as
 * seconds is a server's mistake; an hour is also the workflow's default lane timeout, beyond which
 * the leaver's lane fails anyway. The next throttled answer says again, if the pause is real.
 */
export const MAX_THROTTLE_WAIT_MS = 60 * 60_000;
/**
 * A reset value at least this large is a point in time (Unix epoch seconds: GitHub's and Okta's
 * X-RateLimit-Reset, GitLab's RateLimit-Reset), a smaller one a number of seconds from now (the
 * IETF RateLimit-Reset draft, WHOOP's X-RateLimit-Reset). 1e9 s is September 2001 as a date and
 * 31 years as a delay: no server means either of the other reading, and an epoch just past
 * (clock skew) still reads as a date.
 */
const EPOCH_SECONDS_FROM = 1_000_000_000;

/** The header families vendors send, in the order they are read: standard draft, then de facto. */
const FAMILIES = ['ratelimit', 'x-ratelimit', 'x-rate-limit'] as const;

/** Whether this answer refused the request for its rate: retrying it later is the whole remedy. */
export function isThrottled(status: number, headers: Headers): boolean {
  return status === 429 || (status === 503 && headers.has('retry-after'));
}

/**
 * The signal an answer carries, if any: for a throttled answer always (a default wait when it
 * says nothing readable), for any other only when a RateLimit-Remaining header says 0.
 */
export function rateLimitSignal(
  status: number,
  headers: Headers,
  nowMs: number,
): RateLimitSignal | undefined {
  const throttled = isThrottled(status, headers);
  if (!throttled && !nothingRemaining(headers)) return undefined;
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), nowMs);
  const reset = retryAfterMs === undefined ? readReset(headers, nowMs) : undefined;
  // A served answer's reset in whole seconds from now is rounded up (a window of one second says 1
  // until its end): its window may end up to a second sooner. Waiting the whole value would idle a
  // budget that paces at the limit for most of the next window each time it spends one; a request
  // that finds the window not yet reset is answered 429 and waits what that says.
  const resetMs =
    reset === undefined
      ? undefined
      : throttled || !reset.relative
        ? reset.waitMs
        : Math.max(0, reset.waitMs - 1000);
  const waitMs = retryAfterMs ?? resetMs ?? (throttled ? DEFAULT_THROTTLE_WAIT_MS : 0);
  const source =
    retryAfterMs !== undefined
      ? 'retry-after'
      : resetMs !== undefined || !throttled
        ? 'rate-limit-headers'
        : 'default';
  return { untilMs: nowMs + Math.min(MAX_THROTTLE_WAIT_MS, waitMs), status, source };
}

/** A `*-Remaining` header of 0: the window is spent. A missing or unreadable one says nothing. */
function nothingRemaining(headers: Headers): boolean {
  return FAMILIES.some((family) => headers.get(`${family}-remaining`)?.trim() === '0');
}

/** Milliseconds until the first readable `*-Reset` header's time; undefined when none is readable. */
export function parseReset(headers: Headers, nowMs: number): number | undefined {
  return readReset(headers, nowMs)?.waitMs;
}

/** The first readable `*-Reset` header: the wait, and whether it was seconds from now (not a date). */
function readReset(headers: Headers, nowMs: number): { waitMs: number; relative: boolean } | undefined {
  for (const family of FAMILIES) {
    const value = headers.get(`${family}-reset`)?.trim();
    if (!value || !/^\d{1,15}$/.test(value)) continue;
    const seconds = Number(value);
    const relative = seconds < EPOCH_SECONDS_FROM;
    const waitMs = relative ? seconds * 1000 : seconds * 1000 - nowMs;
    return { waitMs: Math.min(MAX_THROTTLE_WAIT_MS, Math.max(0, waitMs)), relative };
  }
  return undefined;
}
