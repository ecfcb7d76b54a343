import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { parseConfig, type ScimitarConfig } from '../../../lambdas/core/model/config.ts';
import { parseLifecycleEvent } from '../../../lambdas/core/model/event.ts';
import type { WorkflowInput } from '../../../lambdas/core/model/messages.ts';
import { revocationLimit } from '../../../lambdas/core/revocation/blast-radius.ts';
import { type PlanDeps, planRevocation } from '../../../lambdas/core/revocation/plan.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

let seq = 0;
function termination(
  person: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): WorkflowInput {
  seq += 1;
  return {
    receivedAt: '2026-11-28T10:00:00.000Z',
    event: parseLifecycleEvent({
      eventId: `evt-${seq}`,
      source: 'generic',
      occurredAt: '2026-11-28T09:59:00Z',
      kind: 'termination',
      terminationType: 'voluntary',
      person: {
        employeeId: `E${seq}`,
        userName: `u${seq}@example.com`,
        emails: [`u${seq}@example.com`],
        ...person,
      },
      ...extra,
    }),
  };
}

function deps(config: ScimitarConfig = parseConfig(sample)): PlanDeps & { owners: RecordingNotifier } {
  return {
    config,
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    budget: new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client }),
    owners: new RecordingNotifier(),
    clock: new FixedClock(new Date('2026-11-28T10:00:01Z')),
  };
}

describe('plan: a termination', () => {
  it('sends every SCIM target to its lane, privileged first, with the value each matches by', async () => {
    const d = deps();
    const plan = await planRevocation(termination({ userName: 'ada', emails: ['ada@example.com'] }), d);
    expect(plan.lanes.map((l) => [l.targetId, l.action, l.matchAttribute, l.matchValue])).toEqual([
      ['code', 'deactivate', 'userName', 'ada'],
      ['chat', 'delete', 'userName', 'ada'],
      ['wiki', 'deactivate', 'email', 'ada@example.com'],
      // The session target: the same lane machinery, ending the person's Okta sessions.
      ['sso', 'revoke-sessions', 'email', 'ada@example.com'],
    ]);
    expect(plan.lanes[0]).toMatchObject({ tier: 'privileged', removeFromGroups: true, reportOnly: false });
  });

  it('turns a manual target into a task for its owner, audited', async () => {
    const d = deps();
    const input = termination({ displayName: 'Ada Lovelace' });
    const plan = await planRevocation(input, d);
    expect(plan.settled).toEqual([expect.objectContaining({ targetId: 'payroll', status: 'manual-task' })]);
    expect(d.owners.sent).toHaveLength(1);
    expect(d.owners.sent[0]).toMatchObject({ owner: 'finance-systems@example.com', targetId: 'payroll' });
    expect(d.owners.sent[0]?.subject).toContain('Ada Lovelace');
    expect(d.owners.sent[0]?.message).toContain('Legacy payroll');
    const steps = (await d.audit.forEvent(input.event.eventId)).map((e) => [e.step, e.targetId ?? '-']);
    expect(steps).toEqual([
      ['PLANNED', '-'],
      ['MANUAL_TASK', 'payroll'],
    ]);
  });

  it('normalises effectiveAt to UTC for the workflow Wait state', async () => {
    const plan = await planRevocation(termination({}, { effectiveAt: '2026-12-31T17:00:00+01:00' }), deps());
    expect(plan.effectiveAt).toBe('2026-12-31T16:00:00.000Z');
  });

  it('fails a target it cannot match the person at, and says why', async () => {
    const d = deps();
    const input = termination({ userName: undefined, emails: ['x@example.com'] });
    const plan = await planRevocation(input, d);
    expect(plan.lanes.map((l) => l.targetId)).toEqual(['wiki', 'sso']);
    const failed = plan.settled.filter((s) => s.status === 'failed');
    expect(failed.map((s) => s.targetId)).toEqual(['code', 'chat']);
    expect(failed[0]?.reason).toContain('no userName');
    const audited = (await d.audit.forEvent(input.event.eventId)).filter((e) => e.step === 'FAILED');
    expect(audited).toHaveLength(2);
  });

  it('records a target as not matchable when its match field was unusable, and plans the others', async () => {
    const d = deps();
    const input = termination({ userName: 'ada', emails: ['ada at example.com'] });
    const plan = await planRevocation(input, d);
    expect(plan.lanes.map((l) => l.targetId)).toEqual(['code', 'chat']);
    const [wiki] = plan.settled.filter((s) => s.status === 'failed');
    expect(wiki?.targetId).toBe('wiki');
    expect(wiki?.reason).toContain('not matchable');
    expect(wiki?.reason).toContain('person.emails[0]');
    expect(wiki?.reason).toContain('must be an e-mail address');
    const [audited] = (await d.audit.forEvent(input.event.eventId)).filter((e) => e.step === 'FAILED');
    expect(audited).toMatchObject({
      targetId: 'wiki',
      actor: 'plan',
      detail: {
        notMatchable: true,
        matchAttribute: 'email',
        unusable: [expect.objectContaining({ field: 'person.emails[0]' })],
      },
    });
  });

  it('plans nothing for a hire, and records why', async () => {
    const d = deps();
    const input = termination();
    input.event = { ...input.event, kind: 'hire', terminationType: undefined };
    const plan = await planRevocation(input, d);
    expect(plan.lanes).toEqual([]);
    expect(d.owners.sent).toEqual([]);
    const [planned] = await d.audit.forEvent(input.event.eventId);
    expect(planned?.detail?.reason).toBe('a hire event revokes nothing');
  });
});

describe('plan: retried', () => {
  it('returns the plan it recorded, taking no budget and telling no owner a second time', async () => {
    const config = parseConfig({
      ...sample,
      targets: sample.targets.filter((t) => t.id === 'chat' || t.id === 'payroll'),
      blastRadius: { maxShare: 0.5, floor: 1, windowMinutes: 60 },
    });
    // A window of its own, with room for exactly one revocation at chat.
    const d = { ...deps(config), clock: new FixedClock(new Date('2026-11-30T08:30:00Z')) };
    const input = termination();
    const first = await planRevocation(input, d);
    const second = await planRevocation(input, d);
    expect(second).toEqual(first);
    expect(first.lanes.map((l) => l.targetId)).toEqual(['chat']);
    expect(d.owners.sent).toHaveLength(1);
    expect((await d.audit.forEvent(input.event.eventId)).filter((e) => e.step === 'PLANNED')).toHaveLength(1);
    // The budget's one unit went to the first call: another event is now refused.
    const other = await planRevocation(termination(), d);
    expect(other.settled).toContainEqual(expect.objectContaining({ targetId: 'chat', status: 'refused' }));
  });
});

describe('plan: dry run and report-only', () => {
  it('in a dry run, plans lanes but notifies no owner and consumes no budget', async () => {
    const config = parseConfig({ ...sample, dryRun: true, blastRadius: { floor: 0, maxShare: 0.0001 } });
    const d = deps(config);
    const input = termination();
    const plan = await planRevocation(input, d);
    expect(plan.dryRun).toBe(true);
    expect(plan.lanes).toHaveLength(4);
    expect(d.owners.sent).toEqual([]);
    expect((await d.audit.forEvent(input.event.eventId)).map((e) => e.step)).toContain('DRY_RUN');
  });

  it('marks report-only targets so their lane never writes, outside the budget', async () => {
    const raw = structuredClone(sample);
    raw.targets = raw.targets.map((t) =>
      t.id === 'chat' ? { ...t, mode: 'report-only' } : t,
    ) as typeof raw.targets;
    raw.blastRadius = { floor: 0, maxShare: 0.0001 };
    const plan = await planRevocation(termination(), deps(parseConfig(raw)));
    expect(plan.lanes.map((l) => [l.targetId, l.reportOnly])).toEqual([['chat', true]]);
  });
});

describe('plan: blast-radius guard', () => {
  it('computes the limit as a share of the accounts, never below the floor', () => {
    const config = parseConfig({ ...sample, blastRadius: { maxShare: 0.1, floor: 3 } });
    expect(revocationLimit(config, undefined)).toBe(3);
    expect(revocationLimit(config, 10)).toBe(3);
    expect(revocationLimit(config, 1000)).toBe(100);
  });

  it('refuses a burst beyond the limit per target and window, and records the refusal', async () => {
    const config = parseConfig({
      ...sample,
      targets: sample.targets.filter((t) => t.id === 'chat'),
      blastRadius: { maxShare: 0.5, floor: 2, windowMinutes: 60 },
    });
    // A window of its own: earlier tests consumed budget in the default clock's window.
    const d = { ...deps(config), clock: new FixedClock(new Date('2026-11-29T15:30:00Z')) };
    await (d.budget as DynamoRevocationBudget).setAccountCount('chat', 6, '2026-11-28T00:00:00Z');
    const plans = [];
    for (let i = 0; i < 5; i++) plans.push(await planRevocation(termination(), d));
    const refused = plans.filter((p) => p.settled.some((s) => s.status === 'refused'));
    expect(plans.filter((p) => p.lanes.length === 1)).toHaveLength(3);
    expect(refused).toHaveLength(2);
    expect(refused[0]?.settled[0]?.reason).toContain('blast-radius guard');
    // With the match, so the ledger lets the reconciler find the account the guard spared.
    expect(refused[0]?.settled[0]).toMatchObject({
      matchAttribute: 'userName',
      matchValue: expect.stringMatching(/@example\.com$/),
    });
    const last = refused[1];
    const steps = (await d.audit.forEvent(last?.eventId ?? '')).map((e) => e.step);
    expect(steps).toEqual(['PLANNED', 'REFUSED']);
  });
});
