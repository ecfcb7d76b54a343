import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoOwnerTasks, ownerTaskKey } from '../../../lambdas/aws/adapters/dynamo-owner-tasks.ts';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import { taskIdOf } from '../../../lambdas/core/tasks/owner-task.ts';
import {
  ackOwnerTask,
  ackTaskOp,
  checkOwnerTasks,
  OwnerTaskAlreadyAckedError,
  OwnerTaskNotFoundError,
  openOwnerTask,
} from '../../../lambdas/core/tasks/tasks.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock } from '../../support/recorders.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

let seq = 0;
function setup(now = '2026-11-30T10:00:00.000Z') {
  const tasks = new DynamoOwnerTasks({ tableName: dynamo.stateTable, client: dynamo.client });
  const audit = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
  const clock = new FixedClock(new Date(now));
  seq += 1;
  const eventId = `evt-task-${seq}-${Math.random().toString(36).slice(2, 8)}`;
  const request = {
    taskId: taskIdOf(eventId, 'payroll'),
    eventId,
    personId: `P${seq}`,
    person: `Ada Lovelace, employee P${seq}`,
    targetId: 'payroll',
    targetName: 'Legacy payroll',
    owner: 'finance-systems@example.com',
  };
  return { tasks, audit, clock, eventId, request, deps: { tasks, audit, clock } };
}

describe('owner tasks on the state table (dynalite)', () => {
  it('opens a task once, due after the configured business days; a retried open keeps the first', async () => {
    const { tasks, clock, request } = setup();
    const first = await openOwnerTask(tasks, request, 2, clock.now());
    expect(first).toMatchObject({ status: 'open', dueAt: '2026-12-02T10:00:00.000Z' });
    clock.advance(60_000);
    const again = await openOwnerTask(tasks, request, 5, clock.now());
    expect(again).toEqual(first);
    expect(await tasks.get(request.taskId)).toEqual(first);
  });

  it('spreads tasks over eight partitions and lists the open ones from all of them, oldest first', async () => {
    const shards = new Set(Array.from({ length: 40 }, (_, i) => ownerTaskKey(taskIdOf(`e${i}`, 't')).pk));
    expect([...shards].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `TASK#${i}`));
    const a = setup('2026-11-30T09:00:00.000Z');
    const b = setup('2026-11-30T11:00:00.000Z');
    await openOwnerTask(b.tasks, b.request, 2, b.clock.now());
    await openOwnerTask(a.tasks, a.request, 2, a.clock.now());
    const listed = (await a.tasks.listOpen()).map((t) => t.taskId);
    expect(listed.indexOf(a.request.taskId)).toBeGreaterThanOrEqual(0);
    expect(listed.indexOf(a.request.taskId)).toBeLessThan(listed.indexOf(b.request.taskId));
  });

  it('acknowledges an open task: TASK_ACKED audited with who and the note, the task closed and no longer listed', async () => {
    const { tasks, audit, clock, eventId, request, deps } = setup();
    await openOwnerTask(tasks, request, 2, clock.now());
    clock.advance(3_600_000);
    const acked = await ackOwnerTask(
      {
        taskId: request.taskId.toLowerCase(),
        by: 'alice (arn:aws:iam::1:user/alice)',
        note: 'disabled in payroll',
      },
      deps,
    );
    expect(acked).toMatchObject({
      status: 'acked',
      ackedBy: 'alice (arn:aws:iam::1:user/alice)',
      note: 'disabled in payroll',
    });
    expect(await tasks.get(request.taskId)).toMatchObject({
      status: 'acked',
      ackedAt: '2026-11-30T11:00:00.000Z',
    });
    expect((await tasks.listOpen()).map((t) => t.taskId)).not.toContain(request.taskId);
    const entries = (await audit.forEvent(eventId)).filter((e) => e.step === 'TASK_ACKED');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      personId: request.personId,
      targetId: 'payroll',
      actor: 'operator',
      detail: {
        taskId: request.taskId,
        by: 'alice (arn:aws:iam::1:user/alice)',
        note: 'disabled in payroll',
      },
    });
  });

  it('refuses a second ack, naming who acknowledged it and when', async () => {
    const { tasks, clock, request, deps } = setup();
    await openOwnerTask(tasks, request, 2, clock.now());
    await ackOwnerTask({ taskId: request.taskId, by: 'alice' }, deps);
    await expect(ackOwnerTask({ taskId: request.taskId, by: 'bob' }, deps)).rejects.toThrow(
      new OwnerTaskAlreadyAckedError(request.taskId, 'alice', '2026-11-30T10:00:00.000Z'),
    );
  });

  it('lets exactly one of two concurrent acks win', async () => {
    const { tasks, audit, clock, eventId, request, deps } = setup();
    await openOwnerTask(tasks, request, 2, clock.now());
    const results = await Promise.allSettled([
      ackOwnerTask({ taskId: request.taskId, by: 'alice' }, deps),
      ackOwnerTask({ taskId: request.taskId, by: 'bob' }, deps),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(OwnerTaskAlreadyAckedError);
    expect((await audit.forEvent(eventId)).filter((e) => e.step === 'TASK_ACKED')).toHaveLength(1);
  });

  it('completes an ack whose entry was written but whose task stayed open (a crash between the two)', async () => {
    const { tasks, clock, request, deps } = setup();
    await openOwnerTask(tasks, request, 2, clock.now());
    const crashing = {
      ...deps,
      tasks: Object.assign(Object.create(tasks), {
        close: async () => {
          throw new Error('crash');
        },
      }),
    };
    await expect(
      ackOwnerTask({ taskId: request.taskId, by: 'alice', note: 'done' }, crashing),
    ).rejects.toThrow('crash');
    expect((await tasks.get(request.taskId))?.status).toBe('open');
    await expect(ackOwnerTask({ taskId: request.taskId, by: 'bob' }, deps)).rejects.toThrow(
      /already by alice/,
    );
    expect(await tasks.get(request.taskId)).toMatchObject({
      status: 'acked',
      ackedBy: 'alice',
      note: 'done',
    });
  });

  it('refuses an unknown task, saying how to list the open ones', async () => {
    const { deps } = setup();
    const missing = taskIdOf('no-such-event', 'payroll');
    const refusal = ackOwnerTask({ taskId: missing, by: 'alice' }, deps);
    await expect(refusal).rejects.toBeInstanceOf(OwnerTaskNotFoundError);
    await expect(refusal).rejects.toThrow(/scimitar tasks/);
  });

  it('refuses a malformed ack: a wrong id, no one named', async () => {
    const { deps } = setup();
    await expect(ackOwnerTask({ taskId: 'payroll', by: 'alice' }, deps)).rejects.toThrow(ValidationError);
    await expect(ackOwnerTask({ taskId: 'payroll', by: 'alice' }, deps)).rejects.toThrow(/like T-7K2M9QXA/);
    await expect(ackOwnerTask({ taskId: taskIdOf('e', 't'), by: '  ' }, deps)).rejects.toThrow(
      ValidationError,
    );
  });

  it("serves the operator function's ack op: its payload with `op`, the closed task as result", async () => {
    const { tasks, clock, request, deps } = setup();
    await openOwnerTask(tasks, request, 2, clock.now());
    const answer = await ackTaskOp(deps, { op: 'ack', taskId: request.taskId, by: 'alice' });
    expect(answer.task).toMatchObject({ taskId: request.taskId, status: 'acked', ackedBy: 'alice' });
    const refusal = ackTaskOp(deps, { op: 'ack', taskId: request.taskId, by: 'alice' });
    await expect(refusal).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(ackTaskOp(deps, { op: 'ack', taskId: taskIdOf('x', 'y'), by: 'a' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('counts the open tasks past due, most overdue first; acknowledged ones never count', async () => {
    const a = setup('2026-11-23T10:00:00.000Z'); // Monday a week earlier: due Wednesday 25th
    const b = setup('2026-11-27T10:00:00.000Z'); // Friday: due Tuesday 1 December, 10:00
    const c = setup('2026-11-26T10:00:00.000Z'); // acknowledged
    for (const s of [a, b, c]) await openOwnerTask(s.tasks, s.request, 2, s.clock.now());
    await ackOwnerTask({ taskId: c.request.taskId, by: 'carol' }, c.deps);
    const mine = (ids: readonly { taskId: string }[]) =>
      ids.map((t) => t.taskId).filter((id) => [a, b, c].some((s) => s.request.taskId === id));
    const before = await checkOwnerTasks(a.tasks, new Date('2026-12-01T09:59:00Z'));
    expect(mine(before.overdue)).toEqual([a.request.taskId]);
    const after = await checkOwnerTasks(a.tasks, new Date('2026-12-01T10:00:00Z'));
    expect(mine(after.overdue)).toEqual([a.request.taskId, b.request.taskId]);
    expect(after.open).toBeGreaterThanOrEqual(2);
  });
});
