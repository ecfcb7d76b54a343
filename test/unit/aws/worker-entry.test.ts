// The shared lane worker's Lambda entry: one function for every lane, so each batch must run as
// the lane of the queue it came from (the event source ARN names it), with that target's
// credential, queue and misroute check. AWS clients are mocked; no SCIM request is made here.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { projectConfig } from '../../../lib/config-projection.ts';
import sample from '../../../scimitar.config.ts';
import { laneMessage } from '../../support/lane-message.ts';

const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const secretsManager = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
const ALERT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alerts';

const PREFIX = 'https://sqs.eu-west-1.amazonaws.com/123456789012/';
const queueArn = (name: string) => `arn:aws:sqs:eu-west-1:123456789012:${name}`;
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

function record(id: string, queue: string, body: unknown): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `receipt-${id}`,
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1' },
    eventSourceARN: queueArn(queue),
  } as unknown as SQSRecord;
}

beforeEach(() => {
  vi.resetModules();
  vi.stubEnv('LANE_QUEUE_URL_PREFIX', PREFIX);
  vi.stubEnv('MAX_ATTEMPTS', '5');
  vi.stubEnv('ALERT_TOPIC_ARN', ALERT_TOPIC);
  vi.stubEnv('AUDIT_TABLE', 'audit');
  vi.stubEnv('STATE_TABLE', 'state');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('SCIMITAR_CONFIG', JSON.stringify(projectConfig('worker', parseConfig(sample))));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
  sns.on(PublishCommand).resolves({});
});

afterEach(() => {
  for (const mock of [sfn, sqs, dynamo, secretsManager, sns]) mock.reset();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('lane worker entry: one function, one lane per queue', () => {
  it("runs a batch as the lane of the queue it came from: a message for another target is refused by that lane's misroute check, before any credential is read", async () => {
    const { handler } = await import('../../../lambdas/aws/entries/worker.ts');
    // From the code lane's queue, addressed to chat.
    const message = laneMessage('ada@example.com', 'evt-1', { targetId: 'chat' });
    const response = await handler({ Records: [record('m1', 'Scimitar_lane_code', message)] }, context);

    expect(response).toEqual({ batchItemFailures: [] }); // permanent: not retried, not dead-lettered
    const failed = dynamo
      .commandCalls(PutCommand)
      .map((c) => c.args[0].input.Item)
      .find((item) => item?.step === 'FAILED');
    expect(failed).toMatchObject({
      targetId: 'code',
      detail: { error: 'LaneMisroutedError', messageTargetId: 'chat' },
    });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
      taskToken: 'token-evt-1',
      error: 'LaneMisroutedError',
    });
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it("runs a session target's lane from its projected config: the provider and its fields reach the worker", async () => {
    const { handler } = await import('../../../lambdas/aws/entries/worker.ts');
    // From the sso lane (a session target), addressed to code: the lane is built, then refuses it.
    const message = laneMessage('ada@example.com', 'evt-s', { targetId: 'code' });
    const response = await handler({ Records: [record('ms', 'Scimitar_lane_sso', message)] }, context);

    expect(response).toEqual({ batchItemFailures: [] });
    const failed = dynamo
      .commandCalls(PutCommand)
      .map((c) => c.args[0].input.Item)
      .find((item) => item?.step === 'FAILED');
    expect(failed).toMatchObject({ targetId: 'sso', detail: { error: 'LaneMisroutedError' } });
  });

  it("parks a permanent failure no workflow reports in the dead-letter queue of the lane it came from, by the naming convention, and alerts with that queue's redrive command", async () => {
    const { handler } = await import('../../../lambdas/aws/entries/worker.ts');
    // A remediation (no task token) in the code lane's queue, addressed to chat: refused as
    // misrouted (permanent) with nobody waiting, so it is parked rather than deleted.
    const message = laneMessage('ada@example.com', 'evt-2', { targetId: 'chat' }, { taskToken: undefined });
    const response = await handler({ Records: [record('m2', 'Scimitar_lane_code', message)] }, context);

    expect(response).toEqual({ batchItemFailures: [] });
    const parked = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(parked).toHaveLength(1);
    expect(parked[0]?.QueueUrl).toBe(`${PREFIX}Scimitar_dlq_code`);
    expect(JSON.parse(parked[0]?.MessageBody ?? '{}')).toMatchObject({ eventId: 'evt-2' });
    const alerts = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.TopicArn).toBe(ALERT_TOPIC);
    expect(alerts[0]?.Message).toContain(
      'aws sqs start-message-move-task --source-arn arn:aws:sqs:eu-west-1:123456789012:Scimitar_dlq_code',
    );
    expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it("runs a batch from a lane's priority queue as that lane, parking in the lane's one dead-letter queue", async () => {
    const { handler } = await import('../../../lambdas/aws/entries/worker.ts');
    const message = laneMessage('ada@example.com', 'evt-3', { targetId: 'chat' }, { taskToken: undefined });
    const response = await handler({ Records: [record('m3', 'Scimitar_prio_code', message)] }, context);

    expect(response).toEqual({ batchItemFailures: [] });
    const failed = dynamo
      .commandCalls(PutCommand)
      .map((c) => c.args[0].input.Item)
      .find((item) => item?.step === 'FAILED');
    expect(failed).toMatchObject({ targetId: 'code', detail: { error: 'LaneMisroutedError' } });
    const parked = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(parked.map((p) => p.QueueUrl)).toEqual([`${PREFIX}Scimitar_dlq_code`]);
  });

  it('fails the whole batch of a queue that is no lane of this stack (another stack, a dead-letter queue), touching nothing', async () => {
    const { handler } = await import('../../../lambdas/aws/entries/worker.ts');
    for (const queue of ['Other_lane_code', 'Scimitar_dlq_code', 'Scimitar_lane_payroll']) {
      const event: SQSEvent = {
        Records: [record('m1', queue, laneMessage('ada@example.com', 'evt-2', { targetId: 'code' }))],
      };
      await expect(handler(event, context), queue).rejects.toThrow(
        /is no lane of a SCIM or session target of stack Scimitar/,
      );
    }
    expect(dynamo.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it("splits a batch by queue, each record run by its own queue's lane", async () => {
    const { handler } = await import('../../../lambdas/aws/entries/worker.ts');
    // Not JSON: each lane reports its record as failed and leaves its visibility to SQS.
    const response = await handler(
      {
        Records: [
          { ...record('a', 'Scimitar_lane_code', {}), body: 'not json' },
          { ...record('b', 'Scimitar_lane_wiki', {}), body: 'not json' },
        ],
      },
      context,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a', 'b']);
    // Misrouted messages from two queues: each refused by its own lane.
    await handler(
      {
        Records: [
          record('c', 'Scimitar_lane_code', laneMessage('x@example.com', 'evt-3', { targetId: 'wiki' })),
          record('d', 'Scimitar_lane_wiki', laneMessage('y@example.com', 'evt-4', { targetId: 'code' })),
        ],
      },
      context,
    );
    const failed = dynamo
      .commandCalls(PutCommand)
      .map((c) => c.args[0].input.Item)
      .filter((item) => item?.step === 'FAILED')
      .map((item) => [item?.targetId, item?.detail?.messageTargetId]);
    expect(failed.sort()).toEqual([
      ['code', 'wiki'],
      ['wiki', 'code'],
    ]);
  });
});
