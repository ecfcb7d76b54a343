import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import type { MessageVisibility } from '../../../lambdas/aws/adapters/sqs-visibility.ts';
import { createWorkerHandler } from '../../../lambdas/handlers/worker.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock } from '../../support/recorders.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynalite(), startTarget()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});

class RecordingVisibility implements MessageVisibility {
  readonly delays: [string, number][] = [];
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    this.delays.push([receiptHandle, seconds]);
  }
}

function record(id: string, body: unknown, receiveCount = 1): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:app',
    awsRegion: 'local',
  };
}

const context = {
  functionName: 'worker',
  awsRequestId: 'r1',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

function handler(visibility: RecordingVisibility, maxAttempts = 3) {
  return createWorkerHandler({
    targetId: 'app',
    scim: target.client(),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    callback: new RecordingTaskCallback(),
    clock: new FixedClock(new Date('2026-11-28T10:00:01Z')),
    maxAttempts,
    visibility,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
}

describe('worker handler (SQS batch)', () => {
  it('reports only the records that must come again, delaying each by its Retry-After', async () => {
    target.app.seed({ users: [{ userName: 'wh.ok@example.com' }, { userName: 'wh.rl@example.com' }] });
    target.proxy.inject(
      { kind: 'status', status: 429, retryAfter: '11' },
      { when: (r) => r.url.includes('wh.rl') },
    );
    const visibility = new RecordingVisibility();
    const event: SQSEvent = {
      Records: [
        record('m1', laneMessage('wh.ok@example.com', 'wh-1')),
        record('m2', laneMessage('wh.rl@example.com', 'wh-2')),
      ],
    };
    const response = await handler(visibility)(event, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    expect(visibility.delays).toEqual([['rh-m2', 11]]);
    expect(target.app.userByName('wh.ok@example.com')?.active).toBe(false);
  });

  it('makes an exhausted record visible at once so SQS moves it to the DLQ', async () => {
    target.app.seed({ users: [{ userName: 'wh.down@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 503 }, { times: 5 });
    const visibility = new RecordingVisibility();
    const response = await handler(visibility, 3)(
      { Records: [record('m3', laneMessage('wh.down@example.com', 'wh-3'), 3)] },
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm3' }]);
    expect(visibility.delays).toEqual([['rh-m3', 0]]);
  });

  it('fails an unreadable record (not JSON, or not a lane message) so it ends in the DLQ, not lost', async () => {
    const visibility = new RecordingVisibility();
    const response = await handler(visibility)(
      { Records: [record('bad1', '{not json'), record('bad2', { eventId: 'x' })] },
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad1' }, { itemIdentifier: 'bad2' }]);
  });
});
