import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcile, type TargetOutcome } from '../../../lambdas/core/reconcile/reconcile.ts';
import type { TargetReconciliation } from '../../../lambdas/core/reconcile/state.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { ago, configFor, depsFor, freshId, seedPlaced, statesByUser, type TestDeps } from './world.ts';

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

const listRequests = () =>
  target.proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('/Users?'));
const startIndexes = () =>
  listRequests().map((r) => Number(new URL(r.url, 'http://x').searchParams.get('startIndex')));

/** n accounts: every third one a leaver's (drift), the rest active people. */
async function seed(deps: TestDeps, id: string, n: number) {
  const names = Array.from({ length: n }, (_, i) => `cp${String(i + 1).padStart(3, '0')}@example.com`);
  await seedPlaced(deps, target.app, id, names, (i) => (i % 3 === 2 ? 'leaver' : 'person'));
  return names;
}

/** A time budget that runs out after `pages` page reads in this invocation. */
function budgetOfPages(pages: number) {
  const before = listRequests().length;
  return () => (listRequests().length - before >= pages ? 1_000 : 10 * 60_000);
}

describe('reconciliation: checkpoint and resume', () => {
  it('stops cleanly when time runs short and continues where it stopped, seeing every account once', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(
      dynamo,
      configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }], {
        blastRadius: { floor: 100, maxShare: 0.1, windowMinutes: 60 },
      }),
    );
    const names = await seed(deps, id, 45);

    const outcomes: TargetOutcome[] = [];
    for (let invocation = 0; invocation < 10; invocation++) {
      const result = await reconcile({ remainingMs: budgetOfPages(2), reserveMs: 5_000 }, deps);
      const [outcome] = result.outcomes;
      if (!outcome) throw new Error('no outcome');
      outcomes.push(outcome);
      if (!result.paused) break;
      expect(result.progressed).toBe(true);
      // Between invocations, nobody holds the pass: the next invocation may take it at once.
      expect((await deps.store.target(id)).leaseUntil).toBeUndefined();
    }

    expect(outcomes.map((o) => o.status)).toEqual(['paused', 'paused', 'complete']);
    expect(outcomes.map((o) => o.steps)).toEqual([2, 2, 2]); // the last: one page and the sweep
    expect(outcomes.at(-1)?.counts).toMatchObject({ accounts: 45, managed: 30, drift: 15, remediated: 15 });
    expect(startIndexes()).toEqual([1, 11, 21, 31, 41]);
    expect(Object.keys(await statesByUser(deps, id)).sort()).toEqual(names);
    expect(new Set(deps.queue.sent.map((s) => s.message.lane.matchValue)).size).toBe(15);
    const state = await deps.store.target(id);
    expect(state.current).toBeUndefined();
    expect(state.lastComplete).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ accounts: 45 }),
    });
    expect(await deps.budget.accountCount(id)).toBe(45);
  });

  it('counts a page once when an invocation died after writing it and before saving its checkpoint', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }]));
    await seed(deps, id, 30);
    // The process "dies" at the checkpoint after page 2: no save succeeds from then on.
    let saves = 0;
    const dying = Object.create(deps.store) as typeof deps.store;
    dying.saveTarget = async (state: TargetReconciliation) => {
      saves += 1;
      // Saves: 1 take the pass, 2 after page 1, 3 after page 2 (dies here).
      if (saves >= 3) throw new Error('Lambda timed out');
      return deps.store.saveTarget(state);
    };
    // A checkpoint after every page, so the crash lands between two of them.
    const [died] = (await reconcile({}, { ...deps, store: dying, checkpointEveryMs: 0 })).outcomes;
    expect(died?.status).toBe('incomplete');
    const held = await deps.store.target(id);
    expect(held.current).toMatchObject({ pagesDone: 1, position: { startIndex: 11 } });
    expect(Date.parse(held.leaseUntil ?? '')).toBeGreaterThan(deps.clock.now().getTime());

    // While the dead invocation's lease lasts, nobody else takes the pass.
    const [busy] = (await reconcile({}, deps)).outcomes;
    expect(busy?.status).toBe('busy');

    deps.clock.advance(16 * 60_000);
    const [resumed] = (await reconcile({}, deps)).outcomes;
    expect(resumed).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ accounts: 30, managed: 20, drift: 10 }),
    });
  });

  it('saves its checkpoint at most every CHECKPOINT_EVERY_MS of the clock, and always after the last page', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }]));
    await seed(deps, id, 50);
    const counting = (clockStepMs: number, checkpointEveryMs?: number) => {
      const pages: number[] = [];
      /** Each save of page records, in order: per record, its page number and accounts listed. */
      const recorded: string[][] = [];
      const store = Object.create(deps.store) as typeof deps.store;
      store.saveTarget = async (state: TargetReconciliation) => {
        if (state.current) pages.push(state.current.pagesDone);
        return deps.store.saveTarget(state);
      };
      // Each page's read of stored states moves the clock on, as paging takes time.
      store.accountsByIds = async (targetId, ids) => {
        deps.clock.advance(clockStepMs);
        return deps.store.accountsByIds(targetId, ids);
      };
      store.recordPages = async (records) => {
        recorded.push(records.map((r) => `page ${r.page}: ${r.listed.size}`));
        return deps.store.recordPages(records);
      };
      return {
        pages,
        recorded,
        deps: { ...deps, store, ...(checkpointEveryMs !== undefined && { checkpointEveryMs }) },
      };
    };
    // The listing's checkpoints (the sweep's saves after it repeat the last page).
    const listing = (pages: number[]) => [...new Set(pages)];
    const everyPage = counting(0, 0);
    await reconcile({ restart: true }, everyPage.deps);
    expect(listing(everyPage.pages)).toEqual([0, 1, 2, 3, 4, 5]);
    // Pages 100 ms apart: only the pass's start and its last page are saved.
    const fast = counting(100);
    await reconcile({ restart: true }, fast.deps);
    expect(listing(fast.pages)).toEqual([0, 5]);
    // The pages judged since the last checkpoint are written together, just before it, as one
    // record under the checkpoint's last page.
    expect(fast.recorded).toEqual([['page 5: 50']]);
    // Pages 1.5 s apart: a checkpoint once 2 s have passed since the last (pages 2 and 4), and the last.
    const slow = counting(1_500);
    await reconcile({ restart: true }, slow.deps);
    expect(listing(slow.pages)).toEqual([0, 2, 4, 5]);
    expect(slow.recorded).toEqual([['page 2: 20'], ['page 4: 20'], ['page 5: 10']]);
    // Every page's listing was saved: the next pass knows all 50 accounts as unchanged.
    const next = counting(100);
    const [again] = (await reconcile({ restart: true }, next.deps)).outcomes;
    expect(again).toMatchObject({ status: 'complete', counts: expect.objectContaining({ accounts: 50 }) });
    expect(next.recorded).toEqual([['page 5: 50']]);
  });

  it('fails loudly when a resumed listing serves pages it served before the stop', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }]));
    await seed(deps, id, 30);
    const [first] = (await reconcile({ remainingMs: budgetOfPages(2), reserveMs: 5_000 }, deps)).outcomes;
    expect(first?.status).toBe('paused');
    // The next invocation's server forgets startIndex: page one comes back as if it were page three.
    target.proxy.misbehave({ ignoreStartIndex: true });
    const [second] = (await reconcile({}, deps)).outcomes;
    expect(second?.status).toBe('incomplete');
    expect(second?.error).toMatch(/ReconcilePagingError.*already read in this run/);
    expect((await deps.store.target(id)).lastComplete).toBeUndefined();
  });

  it('does each target once per round, and starts over when asked to', async () => {
    target = await startTarget();
    const a = freshId('a');
    const b = freshId('b');
    const deps = depsFor(
      dynamo,
      configFor([
        { id: a, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } },
        { id: b, baseUrl: target.proxy.url, quirks: { maxPageSize: 1 } },
      ]),
    );
    target.app.seed({ users: [{ userName: 'r1@example.com' }, { userName: 'r2@example.com' }] });
    deps.roster.roster = { asOf: ago(60_000), people: [{ employeeId: 'R1', userName: 'r1@example.com' }] };
    const since = deps.clock.now().toISOString();
    // Time runs short during target b (two pages of one): a is complete, b paused.
    const first = await reconcile({ since, remainingMs: budgetOfPages(2), reserveMs: 5_000 }, deps);
    expect(first.outcomes.map((o) => o.status)).toEqual(['complete', 'paused']);
    const second = await reconcile({ since }, deps);
    expect(second.outcomes.map((o) => o.status)).toEqual(['done', 'complete']);
    const fresh = await reconcile({ restart: true }, deps);
    expect(fresh.outcomes.map((o) => o.status)).toEqual(['complete', 'complete']);
  });
});
