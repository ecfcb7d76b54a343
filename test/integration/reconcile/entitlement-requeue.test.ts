// An entitlement drift removal the reconciler queued is not queued again while it may still wait
// in the lane, against a real SCIM app (SCIMMY behind the faulty proxy) and dynalite.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcile, type TargetOutcome } from '../../../lambdas/core/reconcile/reconcile.ts';
import { REQUEUE_AFTER_MS } from '../../../lambdas/core/reconcile/remediate.ts';
import { renderReconcileOutcomes } from '../../../local/report-format.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { ago, configFor, DAY, depsFor, freshId, NOW, type TestDeps } from './world.ts';

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

/**
 * One target whose drift is removed: ada (Engineering) and bob (now Finance, an Analyst) are in
 * `engineering`, which only Engineering is granted; `admins` (granted to SREs) is empty.
 */
async function company() {
  target = await startTarget();
  const id = freshId('entq');
  const config = configFor(
    [
      {
        id,
        baseUrl: target.proxy.url,
        entitlements: {
          managedGroups: ['engineering', 'admins'],
          rules: [
            { group: 'engineering', when: { department: 'Engineering' } },
            { group: 'admins', when: { title: 'SRE' } },
          ],
          removeDrift: true,
        },
      },
    ],
    {
      blastRadius: { floor: 100, maxShare: 1, windowMinutes: 60 },
      reconciliation: { rosterMaxAgeHours: 24 * 31 },
    },
  );
  const plain = depsFor(dynamo, config);
  // Counts the blast-radius guard's slots asked for.
  const guard = { takes: 0 };
  const budget = Object.create(plain.budget) as TestDeps['budget'];
  budget.tryConsume = (...args) => {
    guard.takes += 1;
    return plain.budget.tryConsume(...args);
  };
  const deps: TestDeps = { ...plain, budget };
  target.app.seed({
    users: [{ userName: 'ada@example.com' }, { userName: 'bob@example.com' }],
    groups: [
      { displayName: 'engineering', members: ['ada@example.com', 'bob@example.com'] },
      { displayName: 'admins', members: [] },
    ],
  });
  deps.roster.roster = {
    asOf: ago(60_000),
    people: [
      { employeeId: 'E-ada', userName: 'ada@example.com', attributes: { department: 'Engineering' } },
      {
        employeeId: 'E-bob',
        userName: 'bob@example.com',
        attributes: { department: 'Finance', title: 'Analyst' },
      },
    ],
  };
  const group = (name: string) => {
    const found = [...target.app.groups.values()].find((g) => g.displayName === name);
    if (!found) throw new Error(`no group ${name}`);
    return found;
  };
  const bob = [...target.app.users.values()].find((u) => u.userName === 'bob@example.com');
  if (!bob) throw new Error('no bob');
  return { id, deps, group, bob, guard };
}

async function pass(deps: TestDeps, id: string): Promise<TargetOutcome> {
  const [outcome] = (await reconcile({ targets: [id] }, deps)).outcomes;
  if (outcome?.status !== 'complete') throw new Error(`pass ${outcome?.status}: ${outcome?.error}`);
  return outcome;
}

/** The reconciler's entitlement-drift audit steps of bob. */
async function bobSteps(deps: TestDeps, id: string): Promise<string[]> {
  const entries = await deps.audit.forPerson('E-bob');
  return entries
    .filter((e) => e.targetId === id && (e.detail as { kind?: string }).kind === 'entitlement-drift')
    .map((e) => e.step);
}

describe('reconciler: an entitlement drift removal still waiting in the lane is not queued again', () => {
  it('does not queue, take the guard for or audit it again; counts it already queued and still lists the drift', async () => {
    const { id, deps, guard } = await company();
    const first = await pass(deps, id);
    expect(first.entitlements).toMatchObject({ accounts: 1, queued: 1, alreadyQueued: 0 });
    const [sent] = deps.queue.drain();
    expect(sent?.message.lane.action).toBe('entitlements');

    // A day later the message still waits in the lane (behind leavers, a rate limit).
    expect(guard.takes).toBe(1);
    deps.clock.advance(DAY);
    const second = await pass(deps, id);

    expect(deps.queue.drain()).toEqual([]);
    expect(second.entitlements).toMatchObject({
      accounts: 1,
      memberships: 1,
      queued: 0,
      refused: 0,
      alreadyQueued: 1,
    });
    // Counted with the remediations still waiting: the pass's count (ReconcileAlreadyQueued) and result.
    expect(second.counts.alreadyQueued).toBe(1);
    expect((await deps.store.target(id)).lastComplete?.counts.alreadyQueued).toBe(1);
    expect(second.entitlements?.findings).toEqual([
      expect.objectContaining({
        userName: 'bob@example.com',
        groups: ['engineering'],
        action: 'already-queued',
        reason: `queued by an earlier pass at ${NOW.toISOString()} (event ${sent?.message.eventId}); still waiting in the lane`,
      }),
    ]);
    expect(renderReconcileOutcomes([second])).toContain(
      'among 2 members of 2 managed groups; queued 0 (1 still queued by an earlier pass), refused 0',
    );
    expect(await bobSteps(deps, id)).toEqual(['REMEDIATED']);
    expect(guard.takes).toBe(1);
  });

  it('queues it again when the drift changed: another group to remove', async () => {
    const { id, deps, group, bob } = await company();
    await pass(deps, id);
    const [first] = deps.queue.drain();
    deps.clock.advance(60 * 60_000);
    expect((await pass(deps, id)).entitlements).toMatchObject({ queued: 0, alreadyQueued: 1 });

    group('admins').members.push({ value: bob.id, display: bob.userName });
    deps.clock.advance(60 * 60_000);
    const changed = await pass(deps, id);

    expect(changed.entitlements).toMatchObject({ accounts: 1, memberships: 2, queued: 1, alreadyQueued: 0 });
    expect(changed.counts.alreadyQueued).toBe(0);
    const again = deps.queue.drain();
    expect(again).toHaveLength(1);
    expect(again[0]?.message.eventId).not.toBe(first?.message.eventId);
    expect(await bobSteps(deps, id)).toEqual(['REMEDIATED', 'REMEDIATED']);
  });

  it("queues it again once the lanes' retention has passed since", async () => {
    const { id, deps } = await company();
    await pass(deps, id);
    deps.queue.drain();

    deps.clock.advance(REQUEUE_AFTER_MS - 60_000);
    expect((await pass(deps, id)).entitlements).toMatchObject({ queued: 0, alreadyQueued: 1 });
    expect(deps.queue.drain()).toEqual([]);

    deps.clock.advance(60_000);
    const due = await pass(deps, id);
    expect(due.entitlements).toMatchObject({ queued: 1, alreadyQueued: 0 });
    expect(deps.queue.drain()).toHaveLength(1);
  });

  it('forgets it once a pass finds the drift gone, so the same drift coming back is queued again', async () => {
    const { id, deps, group, bob } = await company();
    await pass(deps, id);
    deps.queue.drain();
    deps.clock.advance(60 * 60_000);
    expect((await pass(deps, id)).entitlements).toMatchObject({ alreadyQueued: 1 });

    // The lane removes bob from engineering; a pass finds no drift.
    const engineering = group('engineering');
    engineering.members = engineering.members.filter((m) => m.value !== bob.id);
    deps.clock.advance(60 * 60_000);
    expect((await pass(deps, id)).entitlements).toMatchObject({ accounts: 0, alreadyQueued: 0 });
    expect(await deps.store.entitlementRemovals(id)).toEqual(new Map());

    // Someone adds him back the same day: the same drift, queued again.
    engineering.members.push({ value: bob.id, display: bob.userName });
    deps.clock.advance(60 * 60_000);
    const back = await pass(deps, id);
    expect(back.entitlements).toMatchObject({ accounts: 1, queued: 1, alreadyQueued: 0 });
    expect(deps.queue.drain()).toHaveLength(1);
  });
});
