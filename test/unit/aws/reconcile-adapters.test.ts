import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LambdaReconcileContinuation } from '../../../lambdas/aws/adapters/lambda-continuation.ts';
import { SqsLaneQueue } from '../../../lambdas/aws/adapters/sqs-lane-queue.ts';
import { readTargetResources } from '../../../lambdas/aws/target-env.ts';
import type { LaneMessage } from '../../../lambdas/core/messages.ts';

const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
afterEach(() => {
  sqs.reset();
  lambda.reset();
  vi.unstubAllEnvs();
});

const message: LaneMessage = {
  eventId: 'reconcile-r1-abc',
  receivedAt: '2026-11-28T10:00:00.000Z',
  dryRun: false,
  person: { employeeId: 'E1' },
  lane: {
    targetId: 'code',
    tier: 'privileged',
    action: 'deactivate',
    matchAttribute: 'userName',
    matchValue: 'ada@example.com',
    removeFromGroups: false,
    reportOnly: false,
  },
};

describe('SQS lane queue', () => {
  it("sends the lane message to the target's queue, without a task token", async () => {
    sqs.on(SendMessageCommand).resolves({});
    await new SqsLaneQueue({ code: 'https://queue/code' }, new SQSClient({})).send('code', message);
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe('https://queue/code');
    expect(JSON.parse(input?.MessageBody ?? '')).toEqual(message);
  });

  it('refuses a target it has no queue for, naming the ones it has', async () => {
    await expect(new SqsLaneQueue({ code: 'u' }, new SQSClient({})).send('chat', message)).rejects.toThrow(
      /no lane queue URL for target "chat"; TARGET_QUEUES names code/,
    );
    expect(sqs.commandCalls(SendMessageCommand)).toEqual([]);
  });
});

describe('reconcile continuation', () => {
  it('invokes the function itself asynchronously with the round to continue', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const invocation = {
      source: 'continuation',
      restart: false,
      since: '2026-11-28T10:00:00Z',
      continuation: 2,
    } as const;
    await new LambdaReconcileContinuation('Scimitar-Reconciler', new LambdaClient({})).resume(invocation);
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ FunctionName: 'Scimitar-Reconciler', InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual(invocation);
  });
});

describe('per-target resources from the environment', () => {
  it('rebuilds queue URLs and secret ARNs from the prefixes and the compact maps', () => {
    vi.stubEnv('QUEUE_URL_PREFIX', 'https://sqs.eu-west-1.amazonaws.com/123456789012/');
    vi.stubEnv('TARGET_QUEUES', '{"code":"Lane-code","chat":"Lane-chat"}');
    vi.stubEnv('SECRET_ARN_PREFIX', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:');
    vi.stubEnv('TARGET_SECRETS', '{"code":"scimitar/targets/code-AbCdEf"}');
    expect(readTargetResources()).toEqual({
      queueUrls: {
        code: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Lane-code',
        chat: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Lane-chat',
      },
      secretArns: {
        code: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:scimitar/targets/code-AbCdEf',
      },
    });
  });

  it('fails at cold start on a missing or malformed map, naming the variable', () => {
    vi.stubEnv('QUEUE_URL_PREFIX', 'p');
    vi.stubEnv('SECRET_ARN_PREFIX', 'p');
    vi.stubEnv('TARGET_SECRETS', '{}');
    vi.stubEnv('TARGET_QUEUES', '');
    expect(() => readTargetResources()).toThrow(/TARGET_QUEUES is not set/);
    vi.stubEnv('TARGET_QUEUES', '["a"]');
    expect(() => readTargetResources()).toThrow(/TARGET_QUEUES must map target ids/);
  });
});
