// A vendor-style rate limit for the demo SCIM application: at most N requests per fixed one-second
// window per application, 429 with Retry-After past it, until the next window starts. Vendors
// document the same shape: Deel's SCIM API allows 5 requests per second per token and answers 429
// "until the next cycle starts" (developer.deel.com/docs/rate-limits); Slack's SCIM API counts per
// minute, answers 429 and asks the client to "parse the Retry-After header and retry your request
// after that time" (docs.slack.dev/reference/scim-api/rate-limits).
import type { NextFunction, Request, Response } from 'express';

export interface RateLimitOptions {
  /** Requests the application answers per one-second window; the rest get 429. */
  readonly requestsPerSecond: number;
  /**
   * The time the windows are cut from, in epoch milliseconds (a test moves it instead of waiting).
   * @default Date.now
   */
  readonly now?: () => number;
}

/** What the limiter did so far: requests it let through and requests it answered 429. */
export interface RateLimitCounts {
  readonly limit: number;
  answered: number;
  throttled: number;
}

const WINDOW_MS = 1_000;

/**
 * Express middleware counting every request in the current window. Every answer carries the
 * IETF draft's RateLimit-Limit/-Remaining/-Reset headers (Reset in seconds); a 429 carries
 * Retry-After in whole seconds (RFC 9110 §10.2.3) and a SCIM error body (RFC 7644 §3.12).
 */
export function rateLimiter(
  options: RateLimitOptions,
  onThrottled: (req: Request) => void,
): { middleware: (req: Request, res: Response, next: NextFunction) => void; counts: RateLimitCounts } {
  const limit = options.requestsPerSecond;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`scim-app: options.rateLimit.requestsPerSecond must be a positive integer, got ${limit}`);
  }
  const now = options.now ?? Date.now;
  const counts: RateLimitCounts = { limit, answered: 0, throttled: 0 };
  let windowStart = Number.NEGATIVE_INFINITY;
  let used = 0;
  const middleware = (req: Request, res: Response, next: NextFunction) => {
    const at = now();
    if (at >= windowStart + WINDOW_MS) {
      windowStart = Math.floor(at / WINDOW_MS) * WINDOW_MS;
      used = 0;
    }
    const resetSeconds = Math.max(1, Math.ceil((windowStart + WINDOW_MS - at) / 1000));
    res.setHeader('RateLimit-Limit', String(limit));
    res.setHeader('RateLimit-Reset', String(resetSeconds));
    if (used >= limit) {
      counts.throttled++;
      onThrottled(req);
      res.setHeader('RateLimit-Remaining', '0');
      res.setHeader('Retry-After', String(resetSeconds));
      res.status(429).type('application/scim+json');
      res.send(
        JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '429',
          detail: `rate limit of ${limit} requests per second exceeded; retry after ${resetSeconds} s`,
        }),
      );
      return;
    }
    used++;
    counts.answered++;
    res.setHeader('RateLimit-Remaining', String(limit - used));
    next();
  };
  return { middleware, counts };
}
