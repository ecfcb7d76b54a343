import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScimAmbiguousMatchError } from '../../../lambdas/core/scim/index.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';

let target: ScimTarget;

beforeAll(async () => {
  target = await startTarget({ maxResults: 50 });
  target.app.seed({
    users: [
      {
        userName: 'alice@example.com',
        externalId: 'HR-1001',
        emails: [{ value: 'Alice.Smith@Example.com' }],
      },
      { userName: 'alicia@example.com', externalId: 'hr-1001', emails: [{ value: 'alicia@example.com' }] },
      { userName: 'bob@example.com', externalId: 'HR-1002', emails: [{ value: 'shared@example.com' }] },
      { userName: 'carol@example.com', externalId: 'HR-1003', emails: [{ value: 'shared@example.com' }] },
      ...Array.from({ length: 120 }, (_, i) => ({ userName: `filler${i}@example.com` })),
    ],
  });
});
afterAll(() => target.close());
beforeEach(() => target.proxy.reset());

describe('SCIM client: find', () => {
  it('finds an account by userName, whatever the case', async () => {
    const result = await target.client().findAccount({ attribute: 'userName', value: 'ALICE@example.com' });
    expect(result).toMatchObject({
      status: 'found',
      account: { userName: 'alice@example.com', active: true },
    });
  });

  it('sends the whole filter URL-encoded as one parameter', async () => {
    await target.client().findAccount({ attribute: 'userName', value: 'alice@example.com' });
    const [sent] = target.proxy.requests;
    expect(sent?.url).toMatch(/^\/scim\/v2\/Users\?filter=userName\+eq\+%22alice%40example\.com%22&/);
    expect(new URL(sent?.url ?? '', 'http://x').searchParams.get('filter')).toBe(
      'userName eq "alice@example.com"',
    );
  });

  it('identifies itself with a User-Agent and asks for SCIM JSON', async () => {
    await target.client().findAccount({ attribute: 'userName', value: 'alice@example.com' });
    await target.client({}, { userAgent: 'acme-offboarding/2' }).getAccount('x');
    const [first, second] = target.proxy.requests;
    expect(first?.headers['user-agent']).toMatch(/^scimitar\/\d+\.\d+\.\d+$/);
    expect(first?.headers.accept).toContain('application/scim+json');
    expect(second?.headers['user-agent']).toBe('acme-offboarding/2');
  });

  it('finds by externalId case-sensitively', async () => {
    const client = target.client();
    const upper = await client.findAccount({ attribute: 'externalId', value: 'HR-1001' });
    const lower = await client.findAccount({ attribute: 'externalId', value: 'hr-1001' });
    expect(upper).toMatchObject({ status: 'found', account: { userName: 'alice@example.com' } });
    expect(lower).toMatchObject({ status: 'found', account: { userName: 'alicia@example.com' } });
  });

  it('finds by any email, whatever the case', async () => {
    const result = await target
      .client()
      .findAccount({ attribute: 'email', value: 'alice.smith@example.COM' });
    expect(result).toMatchObject({ status: 'found', account: { userName: 'alice@example.com' } });
  });

  it('answers none for an unknown person', async () => {
    expect(await target.client().findAccount({ attribute: 'userName', value: 'nobody@example.com' })).toEqual(
      {
        status: 'none',
      },
    );
  });

  it('refuses to choose when two accounts match exactly', async () => {
    const find = target.client().findAccount({ attribute: 'email', value: 'shared@example.com' });
    await expect(find).rejects.toThrow(ScimAmbiguousMatchError);
    const err = (await find.catch((e: unknown) => e)) as ScimAmbiguousMatchError;
    expect(err.retryable).toBe(false);
    expect([...err.accountIds].sort()).toEqual(
      [target.app.userByName('bob@example.com')?.id, target.app.userByName('carol@example.com')?.id].sort(),
    );
  });

  it('ignores candidates that do not match exactly when the server ignores the filter', async () => {
    target.proxy.misbehave({ ignoreFilter: true, capCount: 20 });
    const result = await target
      .client()
      .findAccount({ attribute: 'userName', value: 'filler97@example.com' });
    expect(result).toMatchObject({ status: 'found', account: { userName: 'filler97@example.com' } });
    // 124 users in pages of 20: the client read every page the server said there was.
    expect(target.proxy.requests.filter((r) => r.method === 'GET')).toHaveLength(7);
  });

  it('still notices ambiguity on a later page when the server ignores the filter', async () => {
    target.proxy.misbehave({ ignoreFilter: true, capCount: 10 });
    await expect(
      target.client().findAccount({ attribute: 'email', value: 'shared@example.com' }),
    ).rejects.toThrow(ScimAmbiguousMatchError);
  });

  it('reads an account by id, and answers undefined for an unknown id', async () => {
    const client = target.client();
    const id = target.app.userByName('bob@example.com')?.id ?? '';
    expect(await client.getAccount(id)).toMatchObject({
      id,
      userName: 'bob@example.com',
      externalId: 'HR-1002',
    });
    expect(await client.getAccount('no-such-id')).toBeUndefined();
  });
});
