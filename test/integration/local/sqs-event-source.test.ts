import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FauxqsServer } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsEventSource } from '../../../local/sqs-event-source.ts';
import { type LocalSqs, startLocalSqs } from '../../support/fauxqs.ts';

let local: LocalSqs;
let fauxqs: FauxqsServer;
let sqs: SQSClient;
beforeAll(async () => {
  local = await startLocalSqs();
  ({ fauxqs, sqs } = local);
});
afterAll(() => local.close());

function lane(name: string, maxReceiveCount: number, visibility = 1) {
  const dlq = fauxqs.createQueue(`${name}-dlq`);
  const queue = fauxqs.createQueue(name, {
    attributes: {
      VisibilityTimeout: String(visibility),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.queueArn,
        maxReceiveCount: String(maxReceiveCount),
      }),
    },
  });
  return { queue, dlq };
}

async function depth(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('local SQS event source (fauxqs)', () => {
  it('hands messages to the handler and deletes the ones it processed', async () => {
    const { queue } = lane('ok-lane', 3);
    const seen: string[] = [];
    const source = new SqsEventSource({
      client: sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      functionName: 'worker-ok',
      batchSize: 5,
      handler: async (event: SQSEvent) => {
        for (const r of event.Records) seen.push(r.body);
        return { batchItemFailures: [] };
      },
    });
    source.start();
    for (const body of ['a', 'b', 'c'])
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: body }));
    await until(() => seen.length === 3);
    await source.stop();
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
    expect(await depth(queue.queueUrl)).toBe(0);
  });

  it('redelivers only the reported failures, counting receives, then SQS moves them to the DLQ', async () => {
    const { queue, dlq } = lane('failing-lane', 2);
    const receives: Record<string, string[]> = {};
    const source = new SqsEventSource({
      client: sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      functionName: 'worker-failing',
      batchSize: 10,
      handler: async (event: SQSEvent): Promise<SQSBatchResponse> => {
        for (const r of event.Records) {
          receives[r.body] = [...(receives[r.body] ?? []), r.attributes.ApproximateReceiveCount];
        }
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    });
    source.start();
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'poison' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'fine' }));
    await until(async () => (await depth(dlq.queueUrl)) === 1);
    await source.stop();
    expect(receives.fine).toEqual(['1']);
    expect(receives.poison).toEqual(['1', '2']);
    expect(await depth(queue.queueUrl)).toBe(0);
  });

  it('keeps polling when deleting a processed message fails; the message comes back and is done again', async () => {
    const { queue } = lane('delete-fails-lane', 5);
    let deletes = 0;
    // A client whose first DeleteMessageBatch fails, as a network blip would.
    const flaky = new Proxy(sqs, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return (command: { constructor: { name: string } }) => {
          if (command.constructor.name === 'DeleteMessageBatchCommand' && deletes++ === 0) {
            return Promise.reject(new Error('connection reset'));
          }
          return target.send(command as never);
        };
      },
    });
    const seen: string[] = [];
    const errors: unknown[] = [];
    const source = new SqsEventSource({
      client: flaky,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      functionName: 'worker-delete-fails',
      handler: async (event: SQSEvent) => {
        for (const r of event.Records) seen.push(r.body);
        return { batchItemFailures: [] };
      },
      onError: (err) => errors.push(err),
    });
    source.start();
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'once-more' }));
    await until(() => seen.length === 2);
    await until(async () => (await depth(queue.queueUrl)) === 0);
    await source.stop();
    expect(seen).toEqual(['once-more', 'once-more']);
    expect(errors).toHaveLength(1);
  });

  it('treats a thrown handler as a failed batch: every message comes back', async () => {
    const { queue } = lane('throwing-lane', 5);
    let calls = 0;
    const errors: unknown[] = [];
    const source = new SqsEventSource({
      client: sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      functionName: 'worker-throwing',
      handler: async () => {
        calls += 1;
        if (calls === 1) throw new Error('cold start failed');
        return { batchItemFailures: [] };
      },
      onError: (err) => errors.push(err),
    });
    source.start();
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'x' }));
    await until(() => calls === 2);
    await source.stop();
    expect(errors).toHaveLength(1);
    expect(await depth(queue.queueUrl)).toBe(0);
  });

  it('runs at most maxConcurrency batches at once, each of at most batchSize records', async () => {
    const { queue } = lane('bounded-lane', 3, 30);
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const seen: string[] = [];
    const source = new SqsEventSource({
      client: sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      functionName: 'worker-bounded',
      batchSize: 2,
      maxConcurrency: 2,
      handler: async (event: SQSEvent) => {
        running += 1;
        most = Math.max(most, running);
        sizes.push(event.Records.length);
        await new Promise((r) => setTimeout(r, 100));
        for (const r of event.Records) seen.push(r.body);
        running -= 1;
        return { batchItemFailures: [] };
      },
    });
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);
    for (const body of bodies)
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: body }));
    source.start();
    await until(() => seen.length === bodies.length);
    await source.stop();
    expect(seen.sort()).toEqual([...bodies].sort());
    expect(most).toBe(2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
    expect(await depth(queue.queueUrl)).toBe(0);
  });
});
