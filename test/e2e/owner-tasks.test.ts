// Owner tasks end to end on the local runtime, through the CLI's AWS path (the runtime's AWS
// endpoint, the hosted operator function): a leaver's manual target becomes an open task, `tasks`
// lists it and `ack` closes it, and a task left open past its due time raises OwnerTaskOverdue on
// the runtime's clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskIdOf } from '../../lambdas/core/tasks/owner-task.ts';
import { awsCall, openStack, type StackContext } from '../../local/cli/stack.ts';
import { type AwsCaller, ackTask, listTasks } from '../../local/cli/task-commands.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, terminationOf } from '../support/local-runtime.ts';

let CALLER = '';
let runtime: LocalRuntime & { lines: string[] };
let stack: StackContext;
let aws: AwsCaller;

beforeAll(async () => {
  runtime = await startTestRuntime({ canary: false, reconcileOnSchedule: false });
  const ctx = await openStack({ url: runtime.url });
  stack = ctx;
  aws = (action, resource, call) => awsCall(ctx, action, resource, call);
  CALLER = await ctx.whoami();
});
afterAll(async () => {
  await runtime?.stop();
});

async function leaver(index: number): Promise<{ eventId: string; taskId: string }> {
  const person = runtime.people[index];
  if (!person) throw new Error(`no demo person ${index}`);
  const body = terminationOf(person);
  expect((await postSigned(runtime, body)).status).toBe(202);
  const { eventId } = JSON.parse(body) as { eventId: string };
  await eventually('the manual task of payroll', async () =>
    (await runtime.audit.forEvent(eventId)).some((e) => e.step === 'MANUAL_TASK' && e.targetId === 'payroll'),
  );
  return { eventId, taskId: taskIdOf(eventId, 'payroll') };
}

describe('local runtime: owner tasks of a manual target', () => {
  it('opens a task when the owner is told, lists it, and closes it on ack, audited with who', async () => {
    const { eventId, taskId } = await leaver(0);
    const told = runtime.owners.sent.find((n) => n.targetId === 'payroll' && n.subject.includes(taskId));
    expect(told?.message).toContain(`scimitar ack ${taskId}`);

    const lines: string[] = [];
    const open = await listTasks(stack, { print: (l) => lines.push(l), now: runtime.clock.now(), aws });
    expect(open.map((t) => t.taskId)).toContain(taskId);
    expect(lines.join('\n')).toMatch(new RegExp(`${taskId}\\s+due \\S+\\s+Legacy payroll \\(payroll\\)`));

    const json: string[] = [];
    await listTasks(stack, { json: true, print: (l) => json.push(l) });
    expect(JSON.parse(json.join('\n'))).toContainEqual(
      expect.objectContaining({
        taskId,
        status: 'open',
        targetId: 'payroll',
        owner: 'finance-systems@example.com',
      }),
    );

    const acked = await ackTask(stack, taskId.toLowerCase(), {
      by: 'Fin Owner',
      note: 'closed in payroll',
      print: (l) => lines.push(l),
    });
    expect(acked).toMatchObject({
      status: 'acked',
      ackedBy: `Fin Owner (${CALLER})`,
      note: 'closed in payroll',
    });
    expect((await listTasks(stack, { print: () => {}, aws })).map((t) => t.taskId)).not.toContain(taskId);
    const entry = (await runtime.audit.forEvent(eventId)).find((e) => e.step === 'TASK_ACKED');
    expect(entry).toMatchObject({
      targetId: 'payroll',
      actor: 'operator',
      detail: { taskId, by: `Fin Owner (${CALLER})` },
    });

    await expect(ackTask(stack, taskId, { print: () => {} })).rejects.toThrow(
      /ack refused \(CONFLICT\).*already by Fin Owner/,
    );
    await expect(ackTask(stack, 'T-00000000', { print: () => {} })).rejects.toThrow(
      /ack refused \(NOT_FOUND\).*scimitar tasks/,
    );
    await expect(ackTask(stack, 'payroll', { print: () => {} })).rejects.toThrow(
      /not a task id: they look like T-/,
    );
  });

  it('raises OwnerTaskOverdue once a task is open past its due time, and clears it after the ack', async () => {
    const { taskId } = await leaver(1);
    const overdueAlerts = () => runtime.alerts.sent.filter((a) => a.subject.includes('OwnerTaskOverdue'));
    await runtime.checkTargets();
    expect(overdueAlerts()).toEqual([]);

    // Two business days from any weekday or weekend are at most five calendar days away.
    await runtime.clock.advance('6d');
    await runtime.checkTargets();
    await eventually('the OwnerTaskOverdue alarm', () => overdueAlerts().length > 0);
    expect(overdueAlerts()).toEqual([
      expect.objectContaining({ subject: 'ALARM: OwnerTaskOverdue: 1 owner task open past due' }),
    ]);
    expect(overdueAlerts()[0]?.message).toContain('Runbook: docs/operations.md#owner-task-overdue');
    const lines: string[] = [];
    await listTasks(stack, { print: (l) => lines.push(l), now: runtime.clock.now(), aws });
    expect(lines.join('\n')).toMatch(new RegExp(`${taskId}\\s+OVERDUE since`));
    expect(lines[0]).toMatch(/overdue \(the OwnerTaskOverdue alarm\)/);

    // Acknowledged: the next check past the alarm's period finds none overdue and the alarm is OK,
    // so the next overdue task alarms again (a rule notifies once until it is OK).
    await ackTask(stack, taskId, { by: 'Fin Owner', print: () => {} });
    await runtime.clock.advance('2h');
    await runtime.checkTargets();
    expect(overdueAlerts()).toHaveLength(1);
    await leaver(2);
    await runtime.clock.advance('6d');
    await runtime.checkTargets();
    await eventually('OwnerTaskOverdue again', () => overdueAlerts().length === 2);
  });
});
