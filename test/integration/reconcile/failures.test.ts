import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../../lambdas/core/reconcile/reconcile.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { ago, configFor, DAY, depsFor, freshId, statesByUser, type TestDeps } from './world.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterEach(async () => {
  await target?.close();
});
afterAll(async () => {
  await dynamo.close();
});

const userNames = (n: number) =>
  Array.from({ length: n }, (_, i) => `user${String(i + 1).padStart(3, '0')}@example.com`);

/** n accounts, all of them active people in the roster. */
function seed(deps: TestDeps, n: number): string[] {
  const names = userNames(n);
  target.app.seed({ users: names.map((userName) => ({ userName })) });
  deps.roster.roster = {
    asOf: ago(60_000),
    people: names.map((userName, i) => ({ employeeId: `E${i}`, userName })),
  };
  return names;
}

const listRequests = () =>
  target.proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('/Users?'));

describe('reconciliation: failures are never clean', () => {
  it('marks a target whose server fails halfway as incomplete, keeps no account count, and starts over next time', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }]));
    seed(deps, 30);
    target.proxy.inject(
      { kind: 'status', status: 500 },
      { times: 10, when: (r) => r.url.includes('startIndex=11') },
    );

    const [outcome] = (await reconcile({}, deps)).outcomes;

    expect(outcome).toMatchObject({
      status: 'incomplete',
      counts: expect.objectContaining({ accounts: 10 }),
    });
    expect(outcome?.error).toMatch(/ScimRetryableError.*500/);
    const state = await deps.store.target(id);
    expect(state.last).toMatchObject({ status: 'incomplete', error: outcome?.error });
    expect(state.lastComplete).toBeUndefined();
    expect(state.current).toBeUndefined();
    expect(await deps.budget.accountCount(id)).toBeUndefined();
    // Four reads of the failing page: the first and three retries.
    expect(listRequests().filter((r) => r.url.includes('startIndex=11'))).toHaveLength(4);

    // Once the server recovers, the next run reads everything from the start.
    target.proxy.reset();
    const [again] = (await reconcile({}, deps)).outcomes;
    expect(again).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ accounts: 30, managed: 30 }),
    });
    expect(listRequests()[0]?.url).toContain('startIndex=1&');
  });

  it('reads a page again after a passing 503, and completes', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }]));
    seed(deps, 30);
    target.proxy.inject(
      { kind: 'status', status: 503, retryAfter: '0' },
      { when: (r) => r.url.includes('startIndex=21') },
    );
    const [outcome] = (await reconcile({}, deps)).outcomes;
    expect(outcome).toMatchObject({ status: 'complete', counts: expect.objectContaining({ accounts: 30 }) });
  });

  it('sees every account exactly once when the server caps count silently', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }]));
    const names = seed(deps, 30);
    target.proxy.misbehave({ capCount: 7 });

    const [outcome] = (await reconcile({}, deps)).outcomes;

    expect(outcome).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ accounts: 30, managed: 30 }),
    });
    expect(Object.keys(await statesByUser(deps, id)).sort()).toEqual(names);
    expect(listRequests().map((r) => new URL(r.url, 'http://x').searchParams.get('startIndex'))).toEqual([
      '1',
      '8',
      '15',
      '22',
      '29',
    ]);
    expect(await deps.budget.accountCount(id)).toBe(30);
  });

  it('fails loudly, never clean, when the server ignores startIndex', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }]));
    seed(deps, 30);
    target.proxy.misbehave({ ignoreStartIndex: true });

    const [outcome] = (await reconcile({}, deps)).outcomes;

    expect(outcome?.status).toBe('incomplete');
    expect(outcome?.error).toMatch(/ScimPagingError.*ignores startIndex/);
    expect((await deps.store.target(id)).lastComplete).toBeUndefined();
    expect(await deps.budget.accountCount(id)).toBeUndefined();
  });

  it('reads a cursor-paged server to the end', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(
      dynamo,
      configFor([{ id, baseUrl: target.proxy.url, quirks: { paging: 'cursor', maxPageSize: 10 } }]),
    );
    seed(deps, 25);
    target.proxy.misbehave({ cursorPaging: true });
    const [outcome] = (await reconcile({}, deps)).outcomes;
    expect(outcome).toMatchObject({ status: 'complete', counts: expect.objectContaining({ accounts: 25 }) });
    expect(listRequests()).toHaveLength(3);
  });

  it('refuses to call anything an orphan without a roster, or with a stale one', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]), { roster: undefined });
    target.app.seed({ users: [{ userName: 'x@example.com' }] });

    const [missing] = (await reconcile({}, deps)).outcomes;
    expect(missing).toMatchObject({ status: 'incomplete', error: expect.stringMatching(/no HR roster/) });

    deps.roster.roster = { asOf: ago(4 * DAY), people: [{ employeeId: 'E1', userName: 'x@example.com' }] };
    const [stale] = (await reconcile({}, deps)).outcomes;
    expect(stale).toMatchObject({
      status: 'incomplete',
      error: expect.stringMatching(/older than reconciliation.rosterMaxAgeHours \(72\)/),
    });
    expect(listRequests()).toEqual([]);
    expect(deps.queue.sent).toEqual([]);
  });

  it('keeps reconciling the other targets when one fails', async () => {
    target = await startTarget();
    const broken = freshId('broken');
    const fine = freshId('fine');
    const deps = depsFor(
      dynamo,
      configFor([
        { id: broken, baseUrl: `${target.proxy.url}/nowhere`, tier: 'privileged' },
        { id: fine, baseUrl: target.proxy.url },
      ]),
    );
    seed(deps, 3);
    const result = await reconcile({}, deps);
    expect(result.outcomes.map((o) => [o.targetId, o.status])).toEqual([
      [broken, 'incomplete'],
      [fine, 'complete'],
    ]);
  });
});
