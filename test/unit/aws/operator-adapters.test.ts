import { DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { scheduleName } from '../../../lambdas/aws/adapters/eventbridge-termination-scheduler.ts';
import { SfnExecutionHistory } from '../../../lambdas/aws/adapters/sfn-execution-history.ts';
import { CancelOnlyScheduler } from '../../../lambdas/aws/wiring/operator.ts';

const sfn = mockClient(SFNClient);
const scheduler = mockClient(SchedulerClient);
afterEach(() => {
  sfn.reset();
  scheduler.reset();
});

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:scimitar';

describe('SfnExecutionHistory', () => {
  it("answers an execution's status, described by the ARN derived from the name", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    expect(await new SfnExecutionHistory(STATE_MACHINE, new SFNClient({})).status('generic-abc')).toBe(
      'FAILED',
    );
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:scimitar:generic-abc',
    });
  });

  it('answers undefined for an execution that does not exist', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    expect(await new SfnExecutionHistory(STATE_MACHINE, new SFNClient({})).status('nope')).toBeUndefined();
  });

  it('fails on any other error (access denied, throttling)', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new Error('AccessDeniedException'));
    await expect(new SfnExecutionHistory(STATE_MACHINE, new SFNClient({})).status('x')).rejects.toThrow(
      /AccessDenied/,
    );
  });
});

describe("CancelOnlyScheduler: revoke-now's scheduler", () => {
  it("deletes the person's schedule in the stack's group, and takes an absent one as deleted", async () => {
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));
    await new CancelOnlyScheduler('scimitar-group', new SchedulerClient({})).cancel('E-1');
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0]?.args[0].input).toEqual({
      Name: scheduleName('E-1'),
      GroupName: 'scimitar-group',
    });
  });

  it('refuses to schedule: an urgent termination starts at once', async () => {
    await expect(
      new CancelOnlyScheduler('g', new SchedulerClient({})).schedule({
        personId: 'E-1',
        executionName: 'operator-x',
        startAt: new Date('2026-12-03T00:00:00Z'),
        input: {},
      }),
    ).rejects.toThrow(/schedules nothing/);
  });
});
