import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsDeadLetterQueue } from '../../../lambdas/aws/adapters/sqs-dead-letter-queue.ts';
import { type LocalSqs, startLocalSqs } from '../../support/fauxqs.ts';
import { laneMessage } from '../../support/lane-message.ts';

let local: LocalSqs;
beforeAll(async () => {
  local = await startLocalSqs();
});
afterAll(() => local.close());

describe('SQS dead-letter queue (fauxqs)', () => {
  it('parks the lane message as a redrive sends it back, the failure in bounded attributes', async () => {
    const { queueUrl } = local.fauxqs.createQueue('park-dlq');
    const message = laneMessage('ada@example.com', 'dlq-1');
    await new SqsDeadLetterQueue(queueUrl, local.sqs).park(message, {
      error: 'ScimCredentialError',
      cause: 'x'.repeat(5_000),
      at: '2026-11-28T10:00:00.000Z',
    });
    const { Messages = [] } = await local.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages[0]?.Body ?? '')).toEqual(message);
    const attributes = Messages[0]?.MessageAttributes ?? {};
    expect(attributes.failureError?.StringValue).toBe('ScimCredentialError');
    expect(attributes.failureCause?.StringValue).toHaveLength(1_000);
    expect(attributes.failedAt?.StringValue).toBe('2026-11-28T10:00:00.000Z');
  });

  it('fails loudly when the queue does not exist, so the worker retries rather than dropping the message', async () => {
    const missing = `${local.fauxqs.address}/000000000000/no-such-dlq`;
    await expect(
      new SqsDeadLetterQueue(missing, local.sqs).park(laneMessage('x@example.com', 'dlq-2'), {
        error: 'E',
        cause: '',
        at: '2026-11-28T10:00:00.000Z',
      }),
    ).rejects.toThrow();
  });
});
