import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoOwnerTasks } from '../../../lambdas/aws/adapters/dynamo-owner-tasks.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { parseLifecycleEvent } from '../../../lambdas/core/model/event.ts';
import type { WorkflowInput } from '../../../lambdas/core/model/messages.ts';
import { planRevocation } from '../../../lambdas/core/revocation/plan.ts';
import { ownerTaskFromAudit } from '../../../lambdas/core/tasks/from-audit.ts';
import { taskIdOf } from '../../../lambdas/core/tasks/owner-task.ts';
import { ackOwnerTask } from '../../../lambdas/core/tasks/tasks.ts';
import { publishOwnerTaskCheck } from '../../../lambdas/handlers/owner-tasks.ts';
import { configFor } from '../../../lib/config-projection.ts';
import sample from '../../../scimitar.config.ts';
import { captureOutput } from '../../support/captured-output.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

function termination(eventId: string, employeeId: string): WorkflowInput {
  return {
    receivedAt: '2026-12-04T10:00:00.000Z',
    event: parseLifecycleEvent({
      eventId,
      source: 'generic',
      occurredAt: '2026-12-04T09:59:00Z',
      kind: 'termination',
      terminationType: 'voluntary',
      person: { employeeId, userName: 'ada', emails: ['ada@example.com'], displayName: 'Ada Lovelace' },
    }),
  };
}

function deps(clock: FixedClock, dueBusinessDays = 2) {
  // As the plan function sees the config on AWS: its projection carries ownerTasks.
  const config = configFor('plan', parseConfig({ ...sample, ownerTasks: { dueBusinessDays } }));
  return {
    config,
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    tasks: new DynamoOwnerTasks({ tableName: dynamo.stateTable, client: dynamo.client }),
    owners: new RecordingNotifier(),
    clock,
  };
}

describe('plan: a manual target becomes an owner task', () => {
  it('opens the task before telling the owner, names it and the ack command in the message, and audits its id', async () => {
    const clock = new FixedClock(new Date('2026-12-04T10:00:01Z')); // a Friday
    const d = deps(clock, 3);
    await planRevocation(termination('evt-plan-1', 'E1'), d);
    const taskId = taskIdOf('evt-plan-1', 'payroll');
    expect(await d.tasks.get(taskId)).toMatchObject({
      status: 'open',
      eventId: 'evt-plan-1',
      personId: 'E1',
      person: 'Ada Lovelace, employee E1',
      targetId: 'payroll',
      owner: 'finance-systems@example.com',
      dueAt: '2026-12-09T10:00:01.000Z', // Friday plus 3 business days: Wednesday
    });
    expect(d.owners.sent).toHaveLength(1);
    expect(d.owners.sent[0]?.subject).toContain(`(task ${taskId})`);
    expect(d.owners.sent[0]?.message).toContain(`scimitar ack ${taskId} --by`);
    const manual = (await d.audit.forEvent('evt-plan-1')).find((e) => e.step === 'MANUAL_TASK');
    expect(manual?.detail).toMatchObject({ taskId, dueAt: '2026-12-09T10:00:01.000Z' });
  });

  it('leaves in the audit log what the task was and how it ended, for reports after its item expired', async () => {
    const clock = new FixedClock(new Date('2026-12-04T10:00:01Z'));
    const d = deps(clock);
    await planRevocation(termination('evt-plan-4', 'E4'), d);
    const taskId = taskIdOf('evt-plan-4', 'payroll');
    expect(ownerTaskFromAudit(await d.audit.forEvent('evt-plan-4'), 'payroll')).toEqual({
      taskId,
      targetId: 'payroll',
      status: 'open',
      openedAt: '2026-12-04T10:00:01.000Z',
      owner: 'finance-systems@example.com',
      dueAt: '2026-12-08T10:00:01.000Z',
    });
    clock.advance(3_600_000);
    await ackOwnerTask({ taskId, by: 'finance', note: 'closed' }, d);
    expect(ownerTaskFromAudit(await d.audit.forEvent('evt-plan-4'), 'payroll')).toMatchObject({
      status: 'acked',
      ackedAt: '2026-12-04T11:00:01.000Z',
      ackedBy: 'finance',
      note: 'closed',
    });
    expect(ownerTaskFromAudit(await d.audit.forEvent('evt-plan-4'), 'code')).toBeUndefined();
  });

  it('keeps one task per event and target when the plan runs again', async () => {
    const clock = new FixedClock(new Date('2026-12-04T10:00:01Z'));
    await planRevocation(termination('evt-plan-2', 'E2'), deps(clock));
    clock.advance(5_000);
    // A plan whose PLANNED entry was lost (crashed before it): it opens the task again.
    const d = deps(clock);
    const forgetful = Object.assign(Object.create(d.audit), { forEvent: async () => [] });
    await planRevocation(termination('evt-plan-2', 'E2'), { ...d, audit: forgetful });
    expect(d.owners.sent).toHaveLength(1); // told again, as before tasks existed
    const open = (await d.tasks.listOpen()).filter((t) => t.eventId === 'evt-plan-2');
    expect(open).toHaveLength(1);
    expect(open[0]?.createdAt).toBe('2026-12-04T10:00:01.000Z');
  });

  it('opens no task in a dry run', async () => {
    const clock = new FixedClock(new Date('2026-12-04T10:00:01Z'));
    const d = deps(clock);
    const dry = { ...d, config: { ...d.config, dryRun: true } };
    await planRevocation(termination('evt-plan-3', 'E3'), dry);
    expect(await d.tasks.get(taskIdOf('evt-plan-3', 'payroll'))).toBeUndefined();
  });
});

describe('owner tasks: the scheduled overdue check', () => {
  it('publishes OwnerTasksOverdue (0, then the count once past due, then 0 after the ack) and logs whom to chase', async () => {
    const clock = new FixedClock(new Date('2026-12-04T10:00:01Z'));
    const tasks = new DynamoOwnerTasks({ tableName: dynamo.stateTable, client: dynamo.client });
    for (const t of await tasks.listOpen()) {
      await ackOwnerTask({ taskId: t.taskId, by: 'cleanup' }, { ...deps(clock), tasks });
    }
    await planRevocation(termination('evt-check-1', 'E9'), deps(clock));
    const check = async () => {
      const output = captureOutput();
      try {
        await publishOwnerTaskCheck({
          tasks,
          clock,
          logger: new Logger({ serviceName: 'canary' }),
          metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'canary' }),
        });
        return {
          overdue: output.metric('OwnerTasksOverdue'),
          open: output.metric('OwnerTasksOpen'),
          warned: output.records.filter((r) => r.message === 'owner task overdue'),
        };
      } finally {
        output.restore();
      }
    };
    expect(await check()).toMatchObject({
      overdue: [{ value: 0, dimensions: { service: 'canary' } }],
      open: [{ value: 1 }],
      warned: [],
    });
    clock.advance(4 * 86_400_000); // Tuesday 10:00:01: past Friday plus 2 business days
    const late = await check();
    expect(late.overdue).toEqual([{ value: 1, dimensions: { service: 'canary' } }]);
    expect(late.warned).toEqual([
      expect.objectContaining({
        taskId: taskIdOf('evt-check-1', 'payroll'),
        owner: 'finance-systems@example.com',
        targetId: 'payroll',
      }),
    ]);
    await ackOwnerTask(
      { taskId: taskIdOf('evt-check-1', 'payroll'), by: 'finance' },
      { ...deps(clock), tasks },
    );
    expect((await check()).overdue).toEqual([{ value: 0, dimensions: { service: 'canary' } }]);
  });
});
