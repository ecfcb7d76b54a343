import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  atExpression,
  EventBridgeTerminationScheduler,
  START_EXECUTION_TARGET,
  scheduleName,
} from '../../../lambdas/aws/adapters/eventbridge-termination-scheduler.ts';

const scheduler = mockClient(SchedulerClient);
afterEach(() => scheduler.reset());

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:scimitar';
const ROLE = 'arn:aws:iam::123456789012:role/scimitar-scheduler';
const adapter = () =>
  new EventBridgeTerminationScheduler({
    groupName: 'Scimitar-terminations',
    stateMachineArn: STATE_MACHINE,
    roleArn: ROLE,
    client: new SchedulerClient({}),
  });
const start = {
  personId: 'E1',
  executionName: 'generic-evt-1-abc',
  startAt: new Date('2027-12-01T09:00:00.250Z'),
  input: { event: { eventId: 'evt-1' }, receivedAt: '2026-11-28T09:00:00.000Z' },
};

describe('EventBridge Scheduler: a termination schedule', () => {
  it('creates a one-time schedule in the group that starts the named execution, deleted after it runs', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});
    await adapter().schedule(start);
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Name: scheduleName('E1'),
      GroupName: 'Scimitar-terminations',
      ScheduleExpression: 'at(2027-12-01T09:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: START_EXECUTION_TARGET, RoleArn: ROLE },
    });
    const target = JSON.parse(input?.Target?.Input ?? '{}');
    expect(target).toEqual({
      StateMachineArn: STATE_MACHINE,
      Name: start.executionName,
      Input: JSON.stringify(start.input),
    });
  });

  it("replaces the person's schedule when one exists (a reschedule)", async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    scheduler.on(UpdateScheduleCommand).resolves({});
    await adapter().schedule({ ...start, startAt: new Date('2028-01-15T00:00:00Z') });
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toMatchObject({
      Name: scheduleName('E1'),
      ScheduleExpression: 'at(2028-01-15T00:00:00)',
    });
  });

  it('deletes the schedule on cancel, and a schedule already gone is fine', async () => {
    scheduler
      .on(DeleteScheduleCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));
    await expect(adapter().cancel('E1')).resolves.toBeUndefined();
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0]?.args[0].input).toEqual({
      Name: scheduleName('E1'),
      GroupName: 'Scimitar-terminations',
    });
  });

  it('fails on any other error, so the sender retries the delivery', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new Error('ThrottlingException'));
    await expect(adapter().schedule(start)).rejects.toThrow('ThrottlingException');
  });

  it("names a schedule without the person's id, within Scheduler's 64 characters", () => {
    const name = scheduleName('jane.doe@example.com');
    expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(name).not.toContain('jane');
    expect(atExpression(new Date('2027-01-02T03:04:05.678Z'))).toBe('at(2027-01-02T03:04:05)');
  });
});
