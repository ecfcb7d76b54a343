import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scimClientFor } from '../../../lambdas/core/target-client.ts';
import { LocalSecretSource } from '../../../local/secrets.ts';
import { testConfig } from '../../support/local-runtime.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';

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
        timeoutMs: 1_000,
        pace: () => new Promise((resolve) => setTimeout(resolve, 1_500)),
      },
    );
    const found = await client.findAccount({ attribute: 'userName', value: 'timing.bob@example.com' });
    expect(found.status).toBe('found');
  });

  it("records the wait a target's rate budget imposes beyond its burst", async () => {
    const base = testConfig().targets.find((t) => t.kind === 'scim');
    if (base?.kind !== 'scim') throw new Error('the sample config has no SCIM target');
    const client = scimClientFor(
      {
        ...base,
        baseUrl: target.proxy.url,
        auth: { type: 'bearer' },
        rateBudget: { requestsPerSecond: 5, burst: 1 },
      },
      { secretId: 'token', secrets: new LocalSecretSource({ values: { token: TOKEN }, env: {} }) },
    );
    const evidence = await client.revoke({
      match: { attribute: 'userName', value: 'timing.bob@example.com' },
      action: 'deactivate',
    });
    const [first, ...paced] = evidence.requests;
    expect(first?.waitMs).toBe(0);
    // Beyond the burst of 1, each request waited for its token (about 200 ms at 5 per second).
    for (const r of paced) expect(r.waitMs).toBeGreaterThan(0);
  });
});
