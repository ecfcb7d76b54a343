import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, targetSecretName } from '../../../lambdas/core/model/config.ts';
import { demoTargetsOf, startDemoApps } from '../../../local/demo-apps.ts';
import { demoPeople } from '../../../local/demo-people.ts';
import { type ScimApp, start } from '../../../local/scim-app.ts';
import sample from '../../../scimitar.config.ts';

// The demo application's vendor-style rate limit, against a loopback client. The windows are cut
// from an injected time, so the test moves it instead of waiting.
let app: ScimApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const get = (path: string) => fetch(`${app?.url}${path}`, { headers: { authorization: 'Bearer t' } });

describe('local SCIM app: rate limit', () => {
  it('answers N requests per one-second window and 429 with Retry-After past them', async () => {
    let now = 1_700_000_000_250; // 250 ms into a second: 750 ms left in the window
    app = await start({ tokens: ['t'], rateLimit: { requestsPerSecond: 3, now: () => now } });
    app.seed({ users: [{ userName: 'ada' }] });

    const answered = [];
    for (let i = 0; i < 3; i++) answered.push(await get('/Users?filter=userName%20eq%20%22ada%22'));
    const refused = await get('/Users?filter=userName%20eq%20%22ada%22');

    expect(answered.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(answered.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(answered[0]?.headers.get('ratelimit-limit')).toBe('3');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(await refused.json()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '429',
      detail: 'rate limit of 3 requests per second exceeded; retry after 1 s',
    });
    expect(app.requests).toHaveLength(3);
    expect(app.throttled.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /Users?filter=userName%20eq%20%22ada%22',
    ]);
    expect(app.rateLimit).toEqual({ limit: 3, answered: 3, throttled: 1 });

    // The next window answers again, in full.
    now += 750;
    const next = [];
    for (let i = 0; i < 4; i++) next.push((await get('/Users')).status);
    expect(next).toEqual([200, 200, 200, 429]);
    expect(app.rateLimit).toEqual({ limit: 3, answered: 6, throttled: 2 });
  });

  it('counts writes and reads alike, and refuses a write without applying it', async () => {
    const now = 5_000;
    app = await start({ tokens: ['t'], rateLimit: { requestsPerSecond: 1, now: () => now } });
    const [ada] = app.seed({ users: [{ userName: 'ada' }] }).users;
    const patch = () =>
      fetch(`${app?.url}/Users/${ada?.id}`, {
        method: 'PATCH',
        headers: { authorization: 'Bearer t', 'content-type': 'application/scim+json' },
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        }),
      });

    expect((await get('/Users')).status).toBe(200);
    const refused = await patch();

    expect(refused.status).toBe(429);
    expect(app.userByName('ada')?.active).toBe(true);
    expect(app.throttled.map((r) => r.method)).toEqual(['PATCH']);
  });

  it('has no limit unless asked (npm start)', async () => {
    app = await start({ tokens: ['t'] });
    const statuses = await Promise.all(Array.from({ length: 50 }, () => get('/Users').then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(app.rateLimit).toBeUndefined();
    expect(app.throttled).toEqual([]);
  });

  it('refuses a limit that is not a positive integer', async () => {
    await expect(start({ tokens: ['t'], rateLimit: { requestsPerSecond: 0 } })).rejects.toThrow(
      'scim-app: options.rateLimit.requestsPerSecond must be a positive integer, got 0',
    );
  });
});

describe('demo applications: rate limit', () => {
  it('gives each demo application a limit of its own when asked', async () => {
    const config = parseConfig(sample);
    const stoppers: (() => Promise<void>)[] = [];
    const targets = demoTargetsOf(config);
    const tokens = Object.fromEntries(targets.map((t) => [targetSecretName(t), `tok-${t.id}`]));
    try {
      const { apps } = await startDemoApps(config, targets, {
        tokens,
        people: demoPeople(3),
        ephemeral: true,
        stoppers,
        rateLimit: { requestsPerSecond: 2, now: () => 42_000 },
      });
      const statuses: Record<string, number[]> = {};
      for (const [id, app] of apps) {
        statuses[id] = [];
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`${app.url}/Users`, { headers: { authorization: `Bearer tok-${id}` } });
          statuses[id].push(res.status);
        }
      }

      expect(statuses).toEqual({ code: [200, 200, 429], chat: [200, 200, 429], wiki: [200, 200, 429] });
    } finally {
      for (const stop of stoppers) await stop();
    }
  });
});
