import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THROTTLE_WAIT_MS,
  isThrottled,
  MAX_THROTTLE_WAIT_MS,
  parseReset,
  rateLimitSignal,
} from '../../../lambdas/core/scim/index.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const NOW_S = NOW / 1000;
const headers = (h: Record<string, string>) => new Headers(h);

describe('SCIM rate limits: which answers are throttled', () => {
  it('takes a 429, and a 503 only with Retry-After', () => {
    expect(isThrottled(429, headers({}))).toBe(true);
    expect(isThrottled(503, headers({ 'retry-after': '5' }))).toBe(true);
    expect(isThrottled(503, headers({}))).toBe(false);
    expect(isThrottled(500, headers({ 'retry-after': '5' }))).toBe(false);
    expect(isThrottled(200, headers({ 'retry-after': '5' }))).toBe(false);
  });
});

describe('SCIM rate limits: until when', () => {
  it('reads Retry-After in seconds and as an HTTP-date', () => {
    expect(rateLimitSignal(429, headers({ 'retry-after': '7' }), NOW)).toEqual({
      untilMs: NOW + 7_000,
      status: 429,
      source: 'retry-after',
    });
    expect(rateLimitSignal(503, headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:45 GMT' }), NOW)).toEqual({
      untilMs: NOW + 45_000,
      status: 503,
      source: 'retry-after',
    });
  });

  it('prefers Retry-After to the reset headers', () => {
    const h = headers({ 'retry-after': '2', 'x-ratelimit-reset': String(NOW_S + 60) });
    expect(rateLimitSignal(429, h, NOW)?.untilMs).toBe(NOW + 2_000);
  });

  it('reads RateLimit-Reset as seconds from now (IETF draft)', () => {
    expect(rateLimitSignal(429, headers({ 'ratelimit-reset': '30' }), NOW)).toEqual({
      untilMs: NOW + 30_000,
      status: 429,
      source: 'rate-limit-headers',
    });
  });

  it('reads X-RateLimit-Reset as epoch seconds (GitHub) or as seconds from now (WHOOP)', () => {
    expect(parseReset(headers({ 'x-ratelimit-reset': String(NOW_S + 90) }), NOW)).toBe(90_000);
    expect(parseReset(headers({ 'x-ratelimit-reset': '3' }), NOW)).toBe(3_000);
  });

  it("reads Okta's X-Rate-Limit-Reset and GitLab's epoch RateLimit-Reset as dates", () => {
    expect(parseReset(headers({ 'x-rate-limit-reset': String(NOW_S + 12) }), NOW)).toBe(12_000);
    expect(parseReset(headers({ 'ratelimit-reset': String(NOW_S + 5) }), NOW)).toBe(5_000);
  });

  it('reads an epoch just past (clock skew) as no wait, not as 56 years', () => {
    expect(parseReset(headers({ 'x-ratelimit-reset': String(NOW_S - 2) }), NOW)).toBe(0);
  });

  it('waits the default when a throttled answer says nothing readable', () => {
    expect(rateLimitSignal(429, headers({}), NOW)).toEqual({
      untilMs: NOW + DEFAULT_THROTTLE_WAIT_MS,
      status: 429,
      source: 'default',
    });
  });

  it('ignores garbage headers safely and falls through to the next readable one', () => {
    const garbage = headers({
      'retry-after': 'soon',
      'ratelimit-reset': '-5',
      'x-ratelimit-reset': '1.5e3',
      'x-rate-limit-reset': '4',
    });
    expect(rateLimitSignal(429, garbage, NOW)).toEqual({
      untilMs: NOW + 4_000,
      status: 429,
      source: 'rate-limit-headers',
    });
    const allGarbage = headers({
      'retry-after': 'Tomorrow',
      'x-ratelimit-reset': 'NaN',
      'ratelimit-reset': '',
    });
    expect(rateLimitSignal(429, allGarbage, NOW)?.source).toBe('default');
    expect(parseReset(headers({ 'x-ratelimit-reset': '9'.repeat(40) }), NOW)).toBeUndefined();
  });

  it('caps absurd waits at an hour', () => {
    expect(rateLimitSignal(429, headers({ 'retry-after': '31536000' }), NOW)?.untilMs).toBe(
      NOW + MAX_THROTTLE_WAIT_MS,
    );
    // Epoch milliseconds where seconds were meant: read as a date 55,000 years ahead, capped.
    expect(parseReset(headers({ 'x-ratelimit-reset': String(NOW) }), NOW)).toBe(MAX_THROTTLE_WAIT_MS);
  });
});

describe('SCIM rate limits: nothing remaining on an answer that was served', () => {
  it('signals a success whose Remaining header is 0, until its reset, so callers stop before the 429', () => {
    const h = headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 20) });
    expect(rateLimitSignal(200, h, NOW)).toEqual({
      untilMs: NOW + 20_000,
      status: 200,
      source: 'rate-limit-headers',
    });
    // Seconds from now are rounded up: the window ends within the last of them, so the wait is a
    // second less (a 1-s window's `1` asks for none; a 429 on the next request says the rest).
    expect(
      rateLimitSignal(404, headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': '3' }), NOW)?.untilMs,
    ).toBe(NOW + 2_000);
    expect(
      rateLimitSignal(200, headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': '1' }), NOW)?.untilMs,
    ).toBe(NOW);
    // A refusal waits the whole value: it is the server's word on when to ask again.
    expect(
      rateLimitSignal(429, headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': '3' }), NOW)?.untilMs,
    ).toBe(NOW + 3_000);
    // Without a reset, nothing to wait for: a signal at now.
    expect(rateLimitSignal(204, headers({ 'x-rate-limit-remaining': '0' }), NOW)?.untilMs).toBe(NOW);
  });

  it('says nothing while requests remain, or when Remaining is unreadable', () => {
    expect(
      rateLimitSignal(200, headers({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '9' }), NOW),
    ).toBe(undefined);
    expect(rateLimitSignal(200, headers({ 'x-ratelimit-remaining': 'zero' }), NOW)).toBeUndefined();
    expect(rateLimitSignal(200, headers({}), NOW)).toBeUndefined();
    expect(rateLimitSignal(503, headers({}), NOW)).toBeUndefined();
  });
});
