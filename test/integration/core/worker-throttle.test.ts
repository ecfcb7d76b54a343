// A target that throttles a leaver more times than the lane has attempts, through the real worker
// wiring, a real SQS API (fauxqs, with the lane's redrive policy) and a SCIM server on loopback:
// the rate limit spends no attempt, so nothing is dead-lettered and the leaver ends revoked.

import { Logger } from '@aws-lambda-powertools/logger';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { wireWorkerLane } from '../../../lambdas/aws/wiring/worker.ts';
import type { LaneResult } from '../../../lambdas/core/model/messages.ts';
import { SqsEventSource } from '../../../local/sqs-event-source.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { eventually } from '../../support/eventually.ts';
import { type LocalSqs, startLocalSqs } from '../../support/fauxqs.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
let local: LocalSqs;
beforeAll(async () => {
  [dynamo, target, local] = await Promise.all([startDynalite(), startTarget(), startLocalSqs()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close(), local.close()]);
});

const MAX_ATTEMPTS = 2;

/** A lane as the stack builds it: its queue dead-letters after MAX_ATTEMPTS receives. */
function laneQueues(name: string) {
  const dlq = local.fauxqs.createQueue(`${name}-dlq`);
  const queue = local.fauxqs.createQueue(name, {
    attributes: {
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.queueArn,
        maxReceiveCount: String(MAX_ATTEMPTS),
      }),
    },
  });
  return { queue, dlq };
}

async function depth(queueUrl: string): Promise<number> {
  const { Attributes } = await local.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return Object.values(Attributes ?? {}).reduce((n, v) => n + Number(v), 0);
}

describe('worker: a 429 is never a failure (fauxqs, real worker wiring, SCIM on loopback)', () => {
  it('revokes and verifies a leaver the target throttles more times than the lane has attempts: THROTTLED, no attempt spent, nothing dead-lettered', async () => {
    const { queue, dlq } = laneQueues('throttled-lane');
    target.app.seed({ users: [{ userName: 'wq.leaver@example.com' }] });
    // Every request of this leaver is refused until the target has said 429 three times.
    const throttles = MAX_ATTEMPTS + 1;
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '1' }, { times: throttles });
    const audit = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const ledger = new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client });
    const callback = new RecordingTaskCallback();
    const handler = wireWorkerLane({
      targetId: 'app',
      queueUrl: queue.queueUrl,
      deadLetterQueueUrl: dlq.queueUrl,
      sqs: local.sqs,
      // The client waits out no 429 itself: every one reaches the lane.
      scim: target.client({}, { throttleWaitMaxMs: 0 }),
      audit,
      ledger,
      callback,
      alerts: new RecordingNotifier(),
      clock: new FixedClock(new Date('2026-11-28T10:00:01Z')),
      logger: new Logger({ logLevel: 'SILENT' }),
      maxAttempts: MAX_ATTEMPTS,
      redriveCommand: 'npm run scimitar -- redrive app',
    });
    const source = new SqsEventSource({
      client: local.sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      functionName: 'worker',
      handler,
      batchSize: 5,
    });
    source.start();
    try {
      const message = laneMessage('wq.leaver@example.com', 'wq-1');
      await local.sqs.send(
        new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: JSON.stringify(message) }),
      );
      const [reported] = await eventually(
        'the workflow told of the revocation',
        () => (callback.succeeded.length > 0 ? callback.succeeded : undefined),
        { seen: async () => (await audit.forEvent('wq-1')).map((e) => e.step) },
      );
      expect(reported?.taskToken).toBe('token-wq-1');
      // The delivery that revoked counts as the first attempt: the three throttled ones spent none.
      expect(reported?.output).toMatchObject({
        status: 'revoked',
        attempts: 1,
      } satisfies Partial<LaneResult>);
    } finally {
      await source.stop();
    }
    expect(target.app.userByName('wq.leaver@example.com')?.active).toBe(false);
    const entries = await audit.forEvent('wq-1');
    expect(entries.map((e) => e.step)).toEqual([
      ...Array(throttles).fill('THROTTLED'),
      'FOUND',
      'WRITE_SENT',
      'DEACTIVATED',
      'VERIFIED',
    ]);
    expect(entries.filter((e) => e.step === 'THROTTLED').map((e) => e.detail)).toEqual(
      Array(throttles).fill(
        expect.objectContaining({
          attempt: 1,
          attemptsSpent: 0,
          attemptSpent: false,
          status: 429,
          delaySeconds: 1,
        }),
      ),
    );
    expect(await ledger.forPerson('E-wq-1')).toEqual([expect.objectContaining({ outcome: 'revoked' })]);
    expect(callback.failed).toEqual([]);
    expect(await depth(dlq.queueUrl)).toBe(0);
    expect(await depth(queue.queueUrl)).toBe(0);
  });
});
