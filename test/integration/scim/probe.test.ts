import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BearerToken } from '../../../lambdas/core/scim/index.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { expectNoSecret } from '../../support/secrets.ts';

let target: ScimTarget;

beforeAll(async () => {
  target = await startTarget({ maxResults: 50 });
  target.app.seed({ users: [{ userName: 'someone@example.com' }] });
});
afterAll(() => target.close());
beforeEach(() => target.proxy.reset());

describe('SCIM client: probe', () => {
  it('reports what the server supports and that the credential works', async () => {
    const report = await target.client({ maxPageSize: 100 }).probe();
    expect(report).toMatchObject({
      reachable: true,
      authenticated: true,
      serviceProviderConfig: {
        patch: true,
        filter: true,
        bulk: false,
        etag: false,
        maxResults: 50,
        authenticationSchemes: ['oauthbearertoken'],
      },
    });
    expect(report.problems).toEqual(['filter.maxResults is 50, below quirks.maxPageSize 100']);
  });

  it('never writes', async () => {
    await target.client().probe();
    expect(target.proxy.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /scim/v2/ServiceProviderConfig',
      'GET /scim/v2/Users?count=1',
    ]);
  });

  it('reports a refused credential as a problem instead of throwing', async () => {
    const report = await target
      .client({}, { credentials: new BearerToken(async () => 'wrong-token-abcdef') })
      .probe();
    expect(report.reachable).toBe(true);
    expect(report.authenticated).toBe(false);
    expect(report.problems.join('\n')).toMatch(/401/);
    expectNoSecret(report, ['wrong-token-abcdef', TOKEN]);
  });

  it('reports a missing ServiceProviderConfig and a garbage user list', async () => {
    target.proxy.inject(
      { kind: 'status', status: 404 },
      { when: (r) => r.url.includes('ServiceProviderConfig') },
    );
    target.proxy.inject(
      { kind: 'malformed', body: '{"hello":"world"}' },
      { when: (r) => r.url.includes('/Users') },
    );
    const report = await target.client().probe();
    expect(report.serviceProviderConfig).toBeUndefined();
    expect(report.authenticated).toBe(false);
    expect(report.problems).toHaveLength(2);
    expect(report.problems[0]).toMatch(/ServiceProviderConfig.*404/);
    expect(report.problems[1]).toMatch(/invalid ListResponse/);
  });

  it('reports an unreachable server', async () => {
    target.proxy.inject({ kind: 'reset' }, { times: 2 });
    const report = await target.client().probe();
    expect(report).toMatchObject({ reachable: false, authenticated: false });
  });
});
