import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ScimClient, ScimPagingError } from '../../../lambdas/core/scim/index.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';

let target: ScimTarget;
const NAMES = Array.from({ length: 47 }, (_, i) => `user${String(i).padStart(2, '0')}@example.com`);

beforeAll(async () => {
  target = await startTarget({ maxResults: 10 });
  target.app.seed({ users: NAMES.map((userName) => ({ userName })) });
});
afterAll(() => target.close());
beforeEach(() => target.proxy.reset());

async function names(client: ScimClient, pageSize?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const account of client.listAccounts(pageSize === undefined ? {} : { pageSize })) {
    out.push(account.userName);
  }
  return out;
}

const gets = () =>
  target.proxy.requests.filter((r) => r.method === 'GET').map((r) => new URL(r.url, 'http://x'));

describe('SCIM client: listing', () => {
  it('lists every account once with startIndex paging', async () => {
    expect(await names(target.client({ maxPageSize: 10 }))).toEqual(NAMES);
    expect(gets().map((u) => u.searchParams.get('startIndex'))).toEqual(['1', '11', '21', '31', '41']);
  });

  it('advances by what the server returned when it caps count silently', async () => {
    // The client asks for 25; the application answers at most 10 and reports no error.
    expect(await names(target.client({ maxPageSize: 25 }))).toEqual(NAMES);
    expect(gets().map((u) => u.searchParams.get('count'))).toEqual(['25', '25', '25', '25', '25']);
  });

  it('advances by what the server returned when a proxy lowers count', async () => {
    target.proxy.misbehave({ capCount: 3 });
    expect(await names(target.client({ maxPageSize: 10 }))).toEqual(NAMES);
    expect(gets()).toHaveLength(16);
  });

  it('fails with a paging error, not a loop, when the server ignores startIndex', async () => {
    target.proxy.misbehave({ ignoreStartIndex: true });
    const seen: string[] = [];
    const run = async () => {
      for await (const a of target.client({ maxPageSize: 10 }).listAccounts()) seen.push(a.userName);
    };
    await expect(run()).rejects.toThrow(ScimPagingError);
    expect(seen).toEqual(NAMES.slice(0, 10));
    expect(gets()).toHaveLength(2);
  });

  it('uses a smaller page when asked, never a larger one than the quirks allow', async () => {
    expect(await names(target.client({ maxPageSize: 10 }), 7)).toEqual(NAMES);
    expect(gets()[0]?.searchParams.get('count')).toBe('7');
    target.proxy.reset();
    await names(target.client({ maxPageSize: 10 }), 500);
    expect(gets()[0]?.searchParams.get('count')).toBe('10');
  });

  it('lists every account once with cursor paging', async () => {
    target.proxy.misbehave({ cursorPaging: true });
    expect(await names(target.client({ paging: 'cursor', maxPageSize: 10 }))).toEqual(NAMES);
    const cursors = gets().map((u) => u.searchParams.get('cursor'));
    expect(cursors[0]).toBe('');
    expect(cursors).toHaveLength(5);
    expect(new Set(cursors).size).toBe(5);
    expect(gets().every((u) => !u.searchParams.has('startIndex'))).toBe(true);
  });

  it('finds through cursor paging when the server ignores the filter', async () => {
    target.proxy.misbehave({ cursorPaging: true, ignoreFilter: true });
    const result = await target
      .client({ paging: 'cursor', maxPageSize: 10 })
      .findAccount({ attribute: 'userName', value: 'user46@example.com' });
    expect(result).toMatchObject({ status: 'found', account: { userName: 'user46@example.com' } });
  });

  it('holds one page at a time: a consumer that stops early stops the requests', async () => {
    for await (const _ of target.client({ maxPageSize: 10 }).listAccounts()) break;
    expect(gets()).toHaveLength(1);
  });
});
