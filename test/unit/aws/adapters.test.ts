import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SfnTaskCallback } from '../../../lambdas/aws/adapters/sfn-task-callback.ts';
import { SnsNotifier } from '../../../lambdas/aws/adapters/sns-notifier.ts';
import { SqsMessageVisibility } from '../../../lambdas/aws/adapters/sqs-visibility.ts';
import { TaskNotWaitingError } from '../../../lambdas/core/revocation/ports.ts';

const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  sfn.reset();
  sns.reset();
  sqs.reset();
});

describe('Step Functions task callback', () => {
  it('sends the lane result as JSON output', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    await new SfnTaskCallback(new SFNClient({})).succeed('tok', { targetId: 'code', status: 'revoked' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'tok',
      output: '{"targetId":"code","status":"revoked"}',
    });
  });

  it('clips error and cause to what SendTaskFailure accepts', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await new SfnTaskCallback(new SFNClient({})).fail('tok', 'E'.repeat(300), 'c'.repeat(40_000));
    const input = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(input?.error).toHaveLength(256);
    expect(input?.cause).toHaveLength(32_768);
  });

  it('reports a task nobody waits for as TaskNotWaitingError (timed out or invalid token)', async () => {
    sfn.on(SendTaskSuccessCommand).rejectsOnce(new TaskTimedOut({ message: 'timed out', $metadata: {} }));
    sfn.on(SendTaskFailureCommand).rejectsOnce(new InvalidToken({ message: 'bad', $metadata: {} }));
    const callback = new SfnTaskCallback(new SFNClient({}));
    await expect(callback.succeed('tok', {})).rejects.toBeInstanceOf(TaskNotWaitingError);
    await expect(callback.fail('tok', 'E', 'c')).rejects.toBeInstanceOf(TaskNotWaitingError);
  });

  it('fails loudly on any other error (e.g. throttling), so the lane retries', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new Error('Rate exceeded'));
    await expect(new SfnTaskCallback(new SFNClient({})).succeed('tok', {})).rejects.toThrow('Rate exceeded');
  });
});

describe('SNS notifier', () => {
  it('addresses owner notifications through the targetId attribute the owner subscriptions filter on', async () => {
    sns.on(PublishCommand).resolves({});
    await new SnsNotifier('arn:topic', new SNSClient({})).notify({
      subject: 's',
      message: 'm',
      owner: 'o@example.com',
      targetId: 'legacy',
    });
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: 'arn:topic',
      Subject: 's',
      Message: 'm',
      MessageAttributes: {
        owner: { DataType: 'String', StringValue: 'o@example.com' },
        targetId: { DataType: 'String', StringValue: 'legacy' },
      },
    });
  });

  it('keeps subjects within what SNS email accepts: ASCII, one line, at most 100 characters', async () => {
    sns.on(PublishCommand).resolves({});
    await new SnsNotifier('arn:topic', new SNSClient({})).notify({
      subject: `Zoë\n${'x'.repeat(200)}`,
      message: 'm',
    });
    const subject = sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject ?? '';
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('SQS message visibility', () => {
  it('clamps delays to what SQS allows (0 to 12 hours)', async () => {
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    const visibility = new SqsMessageVisibility('https://queue', new SQSClient({}));
    await visibility.delay('rh', 99_999);
    await visibility.delay('rh', -5);
    expect(
      sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input.VisibilityTimeout),
    ).toEqual([43_200, 0]);
  });
});
