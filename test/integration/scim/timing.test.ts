import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryRateBudget } from '../../../lambdas/core/targets/pacing.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';

let target: ScimTarget;
beforeAll(async () => {
  target = await startTarget();
  target.app.seed({
    users: [{ userName: 'timing.ada@example.com' }, { userName: 'timing.bob@example.com' }],
  });
});
afterAll(async () => target.close());

describe('SCIM client: request timing evidence', () => {
  it("records the server's time and the client's own rate-limit wait apart", async () => {
    // A clock the test moves: each pacing wait takes 150 ms, each answer 12 ms.
    let now = 1_000_000;
    const client = target.client(
      {},
      {
        clock: () => now,
        pace: async () => {
          now += 150;
        },
        fetch: async (input, init) => {
          const answer = await fetch(input, init);
          now += 12;
          return answer;
        },
      },
    );
    const evidence = await client.revoke({
      match: { attribute: 'userName', value: 'timing.ada@example.com' },
      action: 'deactivate',
    });
    expect(evidence.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
      'PATCH 200',
      'GET 200',
    ]);
    for (const r of evidence.requests) expect(r).toMatchObject({ durationMs: 12, waitMs: 150 });
  });

  it('never counts the pacing wait against the request timeout', async () => {
    const client = target.client(
      {},
      {
        timeoutMs: 4_000,
        // Longer than the timeout: were the timer started before the wait, the request would abort.
        pace: () => new Promise((resolve) => setTimeout(resolve, 4_500)),
      },
    );
    const found = await client.findAccount({ attribute: 'userName', value: 'timing.bob@example.com' });
    expect(found.status).toBe('found');
  });

  it("records the wait a target's rate budget imposes beyond its burst", async () => {
    // The budget of a target allowing 5 requests a second, burst 1, on the test's clock: its sleeps
    // move the clock, the server's answers do not.
    let now = 1_000_000;
    const budget = new InMemoryRateBudget({
      ratePerSecond: 5,
      burst: 1,
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
    });
    const client = target.client({}, { clock: () => now, pace: () => budget.take('leaver') });
    const evidence = await client.revoke({
      match: { attribute: 'userName', value: 'timing.bob@example.com' },
      action: 'deactivate',
    });
    expect(evidence.requests.map((r) => [r.waitMs, r.durationMs])).toEqual([
      [0, 0],
      [200, 0],
      [200, 0],
    ]);
  });
});
