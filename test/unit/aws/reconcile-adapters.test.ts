import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LambdaReconcileContinuation } from '../../../lambdas/aws/adapters/lambda-continuation.ts';
import { SqsLaneQueue } from '../../../lambdas/aws/adapters/sqs-lane-queue.ts';
import { SqsLaneRequeue } from '../../../lambdas/aws/adapters/sqs-requeue.ts';
import {
  deadLetterQueueOfLane,
  laneQueueUrl,
  readLaneQueueUrls,
  targetOfLaneQueue,
} from '../../../lambdas/aws/target-env.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import type { LaneMessage } from '../../../lambdas/core/model/messages.ts';

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
      /no lane queue URL for target "chat"; the lanes are code/,
    );
    expect(sqs.commandCalls(SendMessageCommand)).toEqual([]);
  });
});

describe('SQS lane requeue', () => {
  it('sends a throttled message back to its own queue, delayed, with the attempts it spent', async () => {
    sqs.on(SendMessageCommand).resolves({});
    const handedBack = { ...message, taskToken: 'tok', attemptsSpent: 2 };
    await new SqsLaneRequeue('https://queue/code', new SQSClient({})).later(handedBack, 40);
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ QueueUrl: 'https://queue/code', DelaySeconds: 40 });
    expect(JSON.parse(input?.MessageBody ?? '')).toEqual(handedBack);
  });

  it("keeps the delay within SQS's 0 to 900 seconds", async () => {
    sqs.on(SendMessageCommand).resolves({});
    const requeue = new SqsLaneRequeue('https://queue/code', new SQSClient({}));
    await requeue.later(message, 3_600);
    await requeue.later(message, -1);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.DelaySeconds)).toEqual([900, 0]);
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

describe('lane queues by naming convention (target-env.ts)', () => {
  const config = parseConfig({
    stackName: 'Prod',
    sources: [{ id: 'generic', kind: 'generic' }],
    targets: [
      {
        id: 'code',
        kind: 'scim',
        displayName: 'Code',
        owner: 'o@example.com',
        baseUrl: 'https://code.example.com/scim/v2',
      },
      {
        id: 'chat',
        kind: 'scim',
        displayName: 'Chat',
        owner: 'o@example.com',
        baseUrl: 'https://chat.example.com/scim/v2',
      },
      {
        id: 'payroll',
        kind: 'manual',
        displayName: 'Payroll',
        owner: 'o@example.com',
        coverage: { status: 'manual-runbook', compensatingControl: 'by hand', reviewCadenceDays: 30 },
      },
    ],
  });

  it("builds every SCIM target's lane queue URL from one variable and the stack name", () => {
    vi.stubEnv('LANE_QUEUE_URL_PREFIX', 'https://sqs.eu-west-1.amazonaws.com/123456789012/');
    expect(readLaneQueueUrls(config)).toEqual({
      code: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Prod_lane_code',
      chat: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Prod_lane_chat',
    });
  });

  it('fails at cold start without the URL prefix, naming the variable', () => {
    vi.stubEnv('LANE_QUEUE_URL_PREFIX', '');
    expect(() => readLaneQueueUrls(config)).toThrow(/LANE_QUEUE_URL_PREFIX is not set/);
  });

  it("tells a lane queue's target from its ARN or URL, and refuses another stack's queue or a dead-letter queue", () => {
    expect(targetOfLaneQueue('Prod', 'arn:aws:sqs:eu-west-1:123456789012:Prod_lane_code')).toBe('code');
    expect(targetOfLaneQueue('Prod', 'https://sqs.eu-west-1.amazonaws.com/123456789012/Prod_lane_a-b')).toBe(
      'a-b',
    );
    // A stack whose name starts with this one's: "_" cannot occur in a stack name.
    expect(targetOfLaneQueue('Prod', 'arn:aws:sqs:eu-west-1:123456789012:Prod-eu_lane_code')).toBeUndefined();
    expect(targetOfLaneQueue('Prod', 'arn:aws:sqs:eu-west-1:123456789012:Prod_dlq_code')).toBeUndefined();
    expect(targetOfLaneQueue('Prod', 'arn:aws:sqs:eu-west-1:123456789012:Prod_lane_')).toBeUndefined();
  });

  it("derives a lane's dead-letter queue URL and ARN from its queue's, and refuses a queue of no lane", () => {
    expect(deadLetterQueueOfLane('Prod', 'arn:aws:sqs:eu-west-1:123456789012:Prod_lane_code')).toBe(
      'arn:aws:sqs:eu-west-1:123456789012:Prod_dlq_code',
    );
    expect(
      deadLetterQueueOfLane('Prod', 'https://sqs.eu-west-1.amazonaws.com/123456789012/Prod_lane_a-b'),
    ).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/Prod_dlq_a-b');
    expect(() =>
      deadLetterQueueOfLane('Prod', 'arn:aws:sqs:eu-west-1:123456789012:Prod-eu_lane_code'),
    ).toThrow(/no lane queue of stack Prod/);
  });

  it('rebuilds a queue URL from its ARN', () => {
    expect(
      laneQueueUrl(
        'https://sqs.eu-west-1.amazonaws.com/123456789012/',
        'arn:aws:sqs:eu-west-1:123456789012:Prod_lane_code',
      ),
    ).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/Prod_lane_code');
  });
});
