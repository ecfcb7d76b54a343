// The plan at the effective time: it claims the person's pending termination first, so a rescind
// that came before it wins (nothing planned, owners told nothing) and one after it finds it started.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import type { PendingTermination } from '../../../lambdas/core/lifecycle/ports.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { parseLifecycleEvent } from '../../../lambdas/core/model/event.ts';
import type { WorkflowInput } from '../../../lambdas/core/model/messages.ts';
import { type PlanDeps, planRevocation } from '../../../lambdas/core/revocation/plan.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemoryPendingTerminations } from '../../support/lifecycle.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';

const NOW = new Date('2026-11-28T10:00:01Z');
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

let terminations: InMemoryPendingTerminations;
beforeEach(() => {
  terminations = new InMemoryPendingTerminations();
});

let seq = 0;
function input(extra: Record<string, unknown> = {}): WorkflowInput {
  seq += 1;
  return {
    receivedAt: '2026-11-20T10:00:00.000Z',
    event: parseLifecycleEvent({
      eventId: `claim-${seq}`,
      source: 'generic',
      occurredAt: '2026-11-20T09:59:00Z',
      effectiveAt: '2026-11-28T10:00:00Z',
      kind: 'termination',
      terminationType: 'voluntary',
      person: { employeeId: `C${seq}`, userName: `c${seq}@example.com`, emails: [`c${seq}@example.com`] },
      ...extra,
    }),
  };
}

function pendingFor(i: WorkflowInput, over: Partial<PendingTermination> = {}): PendingTermination {
  const record: PendingTermination = {
    personId: i.event.person.employeeId,
    eventId: i.event.eventId,
    source: 'generic',
    executionName: 'x',
    effectiveAt: i.event.effectiveAt,
    startAt: '2026-11-28T10:00:00.000Z',
    terminationType: 'voluntary',
    status: 'scheduled',
    version: 1,
    ...over,
  };
  terminations.records.set(record.personId, record);
  return record;
}

function deps(): PlanDeps & { owners: RecordingNotifier } {
  return {
    config: parseConfig(sample),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    owners: new RecordingNotifier(),
    clock: new FixedClock(NOW),
    terminations,
  };
}

describe('plan: claims the pending termination before planning', () => {
  it('claims a scheduled termination (started, when) and plans every target', async () => {
    const i = input();
    pendingFor(i);
    const d = deps();
    const plan = await planRevocation(i, d);
    expect(plan.lanes.length).toBeGreaterThan(0);
    expect(plan.cancelled).toBeUndefined();
    expect(terminations.records.get(i.event.person.employeeId)).toMatchObject({
      status: 'started',
      startedAt: NOW.toISOString(),
      version: 2,
    });
    const [planned] = await d.audit.forEvent(i.event.eventId);
    expect(planned?.detail).toMatchObject({ claimedAt: NOW.toISOString() });
  });

  it('plans nothing when the rescind won, and says so; owners hear nothing', async () => {
    const i = input();
    pendingFor(i, {
      status: 'cancelled',
      cancelledAt: '2026-11-27T12:00:00.000Z',
      cancelledBy: { eventId: 'rescind-9', kind: 'rescind' },
    });
    const d = deps();
    const plan = await planRevocation(i, d);
    expect(plan.lanes).toEqual([]);
    expect(plan.settled).toEqual([]);
    expect(plan.cancelled).toMatch(/the rescind won: .*rescind-9.* at 2026-11-27T12:00:00.000Z/);
    expect(d.owners.sent).toEqual([]);
    const entries = await d.audit.forEvent(i.event.eventId);
    expect(entries.map((e) => e.step)).toEqual(['PLANNED']);
    expect(entries[0]?.detail?.reason).toBe(plan.cancelled);
  });

  it('plans nothing for an event a later termination superseded', async () => {
    const i = input();
    pendingFor(i, { eventId: 'later-event', effectiveAt: '2027-01-31T00:00:00.000Z' });
    const plan = await planRevocation(i, deps());
    expect(plan.lanes).toEqual([]);
    expect(plan.cancelled).toMatch(/superseded: .*later-event/);
  });

  it('waits until the claimed start: an involuntary exit claimed now does not wait for its later effectiveAt', async () => {
    const i = input({ terminationType: 'involuntary', effectiveAt: '2027-02-01T00:00:00Z' });
    pendingFor(i, { startAt: '2026-11-20T10:00:00.000Z' });
    const plan = await planRevocation(i, deps());
    expect(plan.effectiveAt).toBe('2026-11-20T10:00:00.000Z');
  });

  it('a retried plan returns its recorded plan and claims nothing twice', async () => {
    const i = input();
    pendingFor(i);
    const first = await planRevocation(i, deps());
    const again = await planRevocation(i, deps());
    expect(again).toEqual(first);
    expect(terminations.records.get(i.event.person.employeeId)?.version).toBe(2);
  });
});
