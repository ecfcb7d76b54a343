import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type RateLimitSignal,
  type RequestRecord,
  ScimRetryableError,
  ScimThrottledError,
} from '../../../lambdas/core/scim/index.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';

let target: ScimTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.close());
beforeEach(() => target.proxy.reset());

const START = Date.parse('2026-03-01T12:00:00Z');

/** A client on a played clock: sleeping moves the clock, never the wall clock. */
function throttledClient(options: { throttleWaitMaxMs?: number } = {}) {
  let now = START;
  const signals: RateLimitSignal[] = [];
  const sleeps: number[] = [];
  let paced = 0;
  const client = target.client(
    {},
    {
      clock: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      pace: async () => {
        paced += 1;
      },
      onRateLimited: (signal) => {
        signals.push(signal);
      },
      ...options,
    },
  );
  return { client, signals, sleeps, paced: () => paced, elapsed: () => now - START };
}

const find = (client: ScimTarget['client'] extends (...a: never[]) => infer C ? C : never, name: string) =>
  client.findAccount({ attribute: 'userName', value: name });

describe('SCIM client: a throttled request is waited out and sent again', () => {
  it('waits what each 429 asks, tells onRateLimited, paces every resend, and succeeds', async () => {
    target.app.seed({ users: [{ userName: 'th.wait@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '2' }, { times: 2 });
    const t = throttledClient();
    const found = await find(t.client, 'th.wait@example.com');
    expect(found.status).toBe('found');
    expect(t.sleeps).toEqual([2_000, 2_000]);
    expect(t.signals).toEqual([
      { untilMs: START + 2_000, status: 429, source: 'retry-after' },
      { untilMs: START + 4_000, status: 429, source: 'retry-after' },
    ]);
    expect(t.paced()).toBe(3);
    expect(target.proxy.requests.map((r) => r.handling)).toEqual(['status', 'status', 'forwarded']);
  });

  it('resends a throttled write once it may: the revocation completes, and its evidence shows each 429 and its wait', async () => {
    target.app.seed({ users: [{ userName: 'th.write@example.com' }] });
    target.proxy.inject(
      { kind: 'status', status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '3' } },
      { when: (r) => r.method === 'PATCH' },
    );
    const t = throttledClient();
    const evidence = await t.client.revoke({
      match: { attribute: 'userName', value: 'th.write@example.com' },
      action: 'deactivate',
      removeFromGroups: false,
    });
    expect(evidence.outcome).toBe('revoked');
    expect(target.app.userByName('th.write@example.com')?.active).toBe(false);
    const patches = evidence.requests.filter((r: RequestRecord) => r.method === 'PATCH');
    expect(patches.map((r) => [r.status, r.throttledMs])).toEqual([
      [429, 3_000],
      [200, undefined],
    ]);
    expect(t.signals).toEqual([{ untilMs: START + 3_000, status: 429, source: 'rate-limit-headers' }]);
  });

  it('resends a 503 with Retry-After, but fails a 503 without one as retryable (an attempt), not throttled', async () => {
    target.app.seed({ users: [{ userName: 'th.503@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 503, retryAfter: '1' });
    const t = throttledClient();
    expect((await find(t.client, 'th.503@example.com')).status).toBe('found');
    expect(t.signals).toEqual([{ untilMs: START + 1_000, status: 503, source: 'retry-after' }]);

    target.proxy.inject({ kind: 'status', status: 503 });
    const err = await find(t.client, 'th.503@example.com').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimRetryableError);
    expect(err).not.toBeInstanceOf(ScimThrottledError);
    expect(t.signals).toHaveLength(1);
  });

  it('signals a success whose Remaining header is 0, so callers stop before the 429', async () => {
    target.app.seed({ users: [{ userName: 'th.remaining@example.com' }] });
    const reset = START / 1000 + 15;
    target.proxy.inject({
      kind: 'headers',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    });
    const t = throttledClient();
    expect((await find(t.client, 'th.remaining@example.com')).status).toBe('found');
    expect(t.signals).toEqual([{ untilMs: START + 15_000, status: 200, source: 'rate-limit-headers' }]);
    expect(t.sleeps).toEqual([]);
  });
});

describe('SCIM client: throttled past its allowance', () => {
  it('refuses to wait on a server that answers 429 forever: stops at throttleWaitMaxMs with ScimThrottledError', async () => {
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '3' }, { times: 1_000 });
    const t = throttledClient({ throttleWaitMaxMs: 10_000 });
    const err = await find(t.client, 'th.forever@example.com').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimThrottledError);
    expect(err).toBeInstanceOf(ScimRetryableError);
    // 3 s three times fits 10 s; the fourth would not.
    expect(err).toMatchObject({ status: 429, retryAfterMs: 3_000, throttledWaitMs: 9_000, method: 'GET' });
    expect(t.sleeps).toEqual([3_000, 3_000, 3_000]);
    expect(target.proxy.requests).toHaveLength(4);
  });

  it('counts each throttled answer at least 1 s: Retry-After 0 forever is asked a bounded number of times', async () => {
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '0' }, { times: 1_000 });
    const t = throttledClient({ throttleWaitMaxMs: 5_000 });
    const err = await find(t.client, 'th.zero@example.com').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimThrottledError);
    expect(target.proxy.requests).toHaveLength(6);
  });

  it('shares one allowance among the requests of one revocation', async () => {
    target.app.seed({ users: [{ userName: 'th.shared@example.com' }] });
    const rateLimited = { kind: 'status', status: 429, retryAfter: '4' } as const;
    const isFind = (r: { method: string; url: string }) => r.method === 'GET' && r.url.includes('filter=');
    target.proxy.inject(rateLimited, { when: isFind });
    target.proxy.inject(rateLimited, { when: (r) => r.method === 'PATCH' });
    target.proxy.inject(rateLimited, { when: (r) => r.method === 'GET' && !isFind(r) });
    const t = throttledClient({ throttleWaitMaxMs: 10_000 });
    const err = await t.client
      .revoke({
        match: { attribute: 'userName', value: 'th.shared@example.com' },
        action: 'deactivate',
        removeFromGroups: false,
      })
      .catch((e: unknown) => e);
    // find waited 4 s, the write 4 s; the read-back's 4 s more is past 10 s.
    expect(err).toMatchObject({ name: 'ScimThrottledError', retryAfterMs: 4_000, throttledWaitMs: 8_000 });
    expect(target.app.userByName('th.shared@example.com')?.active).toBe(false);
  });

  it('never waits with throttleWaitMaxMs 0', async () => {
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '7' });
    const t = throttledClient({ throttleWaitMaxMs: 0 });
    const err = await find(t.client, 'th.never@example.com').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ScimThrottledError', retryAfterMs: 7_000, throttledWaitMs: 0 });
    expect(t.sleeps).toEqual([]);
    expect(t.signals).toHaveLength(1);
  });

  it('refuses a negative throttleWaitMaxMs when built', () => {
    expect(() => target.client({}, { throttleWaitMaxMs: -1 })).toThrow(
      /throttleWaitMaxMs must be 0 or more, got -1/,
    );
  });
});
