import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { executionArnFor, SfnWorkflowStarter } from '../../../lambdas/aws/adapters/sfn-workflow-starter.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:scimitar-revocation';
const NAME = 'generic-0123456789abcdef0123456789abcdef01234567';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:scimitar-revocation:${NAME}`;
const NOW = new Date('2026-11-28T09:00:00Z');

const sfn = mockClient(SFNClient);
const starter = () =>
  new SfnWorkflowStarter({ stateMachineArn: STATE_MACHINE, client: new SFNClient({}), now: () => NOW });

afterEach(() => {
  sfn.reset();
});

describe('Step Functions workflow starter', () => {
  it('starts an execution with the given name and the input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: NOW });
    const input = { event: { eventId: 'evt-1' }, receivedAt: NOW.toISOString() };

    await expect(starter().start(NAME, input)).resolves.toEqual({
      executionArn: EXECUTION,
      alreadyStarted: false,
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE,
      name: NAME,
      input: JSON.stringify(input),
    });
  });

  it('reports a duplicate when the name exists already (ExecutionAlreadyExists), with its ARN', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(
        new ExecutionAlreadyExists({ message: `Execution Already Exists: '${EXECUTION}'`, $metadata: {} }),
      );
    await expect(starter().start(NAME, {})).resolves.toEqual({
      executionArn: EXECUTION,
      alreadyStarted: true,
    });
  });

  it('reports a duplicate when Step Functions answers an idempotent start with the earlier execution', async () => {
    // Same name and same input while it runs: 200 with the existing ARN and its original start date.
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: EXECUTION, startDate: new Date(NOW.getTime() - 60_000) });
    await expect(starter().start(NAME, {})).resolves.toEqual({
      executionArn: EXECUTION,
      alreadyStarted: true,
    });
  });

  it('fails on any other Step Functions error', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('ThrottlingException'));
    await expect(starter().start(NAME, {})).rejects.toThrow('ThrottlingException');
  });

  it('refuses a state machine ARN that is not one, naming the prop', () => {
    expect(() => new SfnWorkflowStarter({ stateMachineArn: 'scimitar' })).toThrow(
      /stateMachineArn "scimitar"/,
    );
  });

  it('derives execution ARNs in any partition', () => {
    expect(executionArnFor('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:sm', 'n')).toBe(
      'arn:aws-cn:states:cn-north-1:123456789012:execution:sm:n',
    );
  });
});
