// The lane priority the plan gives a termination: urgent for an involuntary exit, an operator's
// revoke-now, and a leaver the last reconciliation saw holding an account in a privileged-tier
// target; normal otherwise. State on dynalite, written through the reconciler's own store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoReconciliationStore } from '../../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { parseLifecycleEvent } from '../../../lambdas/core/model/event.ts';
import type { WorkflowInput } from '../../../lambdas/core/model/messages.ts';
import type { AccountState, Classification, RunCounts } from '../../../lambdas/core/reconcile/state.ts';
import { emptyCounts } from '../../../lambdas/core/reconcile/state.ts';
import { type PlanDeps, planRevocation } from '../../../lambdas/core/revocation/plan.ts';
import { ReconciledPrivilegedHolders } from '../../../lambdas/core/revocation/priority.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';

let dynamo: LocalDynamo;
let store: DynamoReconciliationStore;
beforeAll(async () => {
  dynamo = await startDynalite();
  store = new DynamoReconciliationStore({ tableName: dynamo.stateTable, client: dynamo.client });
});
afterAll(async () => dynamo.close());

const config = parseConfig(sample);
let seq = 0;

function termination(extra: Record<string, unknown> = {}, employeeId = `P${++seq}`): WorkflowInput {
  return {
    receivedAt: '2026-11-28T10:00:00.000Z',
    event: parseLifecycleEvent({
      eventId: `evt-priority-${++seq}`,
      source: 'generic',
      occurredAt: '2026-11-28T09:59:00Z',
      kind: 'termination',
      terminationType: 'voluntary',
      person: { employeeId, userName: `${employeeId}@example.com`, emails: [`${employeeId}@example.com`] },
      ...extra,
    }),
  };
}

function deps(privileged = new ReconciledPrivilegedHolders(config, store)): PlanDeps {
  return {
    config,
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    privileged,
    owners: new RecordingNotifier(),
    clock: new FixedClock(new Date('2026-11-28T10:00:01Z')),
  };
}

function account(
  targetId: string,
  personId: string,
  classification: Classification,
  runId: string,
): AccountState {
  return {
    targetId,
    scimId: `${targetId}-${personId}`,
    userName: `${personId}@example.com`,
    active: classification !== 'inactive',
    classification,
    ...(classification === 'managed' || classification === 'drift' ? { personId } : {}),
    firstSeen: '2026-11-27T00:00:00.000Z',
    lastSeen: '2026-11-27T00:00:00.000Z',
    runId,
    page: 0,
  };
}

/** A complete reconciliation pass of a target that saw these accounts. */
async function reconciled(targetId: string, runId: string, accounts: AccountState[]): Promise<void> {
  await store.putAccounts(accounts);
  const counts: RunCounts = { ...emptyCounts(), accounts: accounts.length };
  const result = {
    runId,
    startedAt: '2026-11-27T00:00:00.000Z',
    finishedAt: '2026-11-27T00:10:00.000Z',
    status: 'complete' as const,
    counts,
  };
  const current = await store.target(targetId);
  await store.saveTarget({ ...current, last: result, lastComplete: result });
}

const priorities = (lanes: { targetId: string; priority?: string }[]) =>
  Object.fromEntries(lanes.map((l) => [l.targetId, l.priority]));

describe('plan: lane priority', () => {
  it('plans a voluntary leaver with no privileged account as normal in every lane', async () => {
    const plan = await planRevocation(termination(), deps());
    expect(priorities(plan.lanes)).toEqual({ code: 'normal', chat: 'normal', wiki: 'normal', sso: 'normal' });
  });

  it('plans an involuntary termination as urgent in every lane, and audits why', async () => {
    const input = termination({ terminationType: 'involuntary' });
    const d = deps();
    const plan = await planRevocation(input, d);
    expect(priorities(plan.lanes)).toEqual({ code: 'urgent', chat: 'urgent', wiki: 'urgent', sso: 'urgent' });
    const planned = (await d.audit.forEvent(input.event.eventId)).find((e) => e.step === 'PLANNED');
    expect(planned?.detail?.urgent).toEqual(['involuntary']);
  });

  it("plans an operator's revoke-now (urgent: true) as urgent in every lane", async () => {
    const input = termination({ urgent: true });
    const d = deps();
    const plan = await planRevocation(input, d);
    expect(priorities(plan.lanes)).toEqual({ code: 'urgent', chat: 'urgent', wiki: 'urgent', sso: 'urgent' });
    const planned = (await d.audit.forEvent(input.event.eventId)).find((e) => e.step === 'PLANNED');
    expect(planned?.detail?.urgent).toEqual(['revoke-now']);
  });

  it('plans a leaver the last reconciliation saw holding an account in a privileged-tier target as urgent in every lane', async () => {
    await reconciled('code', 'run-1', [
      account('code', 'ADMIN1', 'managed', 'run-1'),
      account('code', 'GONE1', 'inactive', 'run-1'),
    ]);
    const holders = new ReconciledPrivilegedHolders(config, store);
    const admin = termination({}, 'ADMIN1');
    const plan = await planRevocation(admin, deps(holders));
    expect(priorities(plan.lanes)).toEqual({ code: 'urgent', chat: 'urgent', wiki: 'urgent', sso: 'urgent' });
    // An inactive account there is no privileged access; a standard-tier account is not either.
    await reconciled('chat', 'run-c1', [account('chat', 'CHATTER', 'managed', 'run-c1')]);
    for (const personId of ['GONE1', 'CHATTER']) {
      const other = await planRevocation(termination({}, personId), deps(holders));
      expect(priorities(other.lanes), personId).toEqual({
        code: 'normal',
        chat: 'normal',
        wiki: 'normal',
        sso: 'normal',
      });
    }
  });

  it('learns privileged holders from the next complete pass, not before', async () => {
    const holders = new ReconciledPrivilegedHolders(config, store);
    expect(await holders.targetsOf('ADMIN2')).toEqual([]);
    // Written by a pass in progress: not yet what a complete pass saw, and the cache stands.
    await store.putAccounts([account('code', 'ADMIN2', 'managed', 'run-2')]);
    expect(await holders.targetsOf('ADMIN2')).toEqual([]);
    await reconciled('code', 'run-2', []);
    expect(await holders.targetsOf('ADMIN2')).toEqual(['code']);
  });

  it('refuses urgent on an event that is not a termination', () => {
    expect(() =>
      parseLifecycleEvent({
        eventId: 'evt-urgent-hire',
        source: 'generic',
        occurredAt: '2026-11-28T09:59:00Z',
        kind: 'hire',
        urgent: true,
        person: { employeeId: 'H1' },
      }),
    ).toThrow(/urgent.*applies to a termination only/);
  });
});
