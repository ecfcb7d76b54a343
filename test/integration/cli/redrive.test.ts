// `redrive` on SQS as an operator may use it (receive, send, delete), against fauxqs: every dead
// letter of a target back to its queue, or only the one --message names.
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { deadLetterCount, laneQueuesOf, redriveDeadLetters } from '../../../local/cli/dead-letters.ts';
import { type LocalSqs, startLocalSqs } from '../../support/fauxqs.ts';
import { testStackContext } from '../../support/stack-context.ts';

describe('CLI: redrive a target’s dead letters', () => {
  let local: LocalSqs;
  let base: string;
  let n = 0;
  /** A stack of its own per test: fresh queues for target `code`. */
  async function stackWithLane(withLanePrefix = true) {
    const stackName = `S${++n}`;
    const lane = local.fauxqs.createQueue(`${stackName}_lane_code`);
    const dlq = local.fauxqs.createQueue(`${stackName}_dlq_code`);
    base = dlq.queueUrl.slice(0, dlq.queueUrl.lastIndexOf('/') + 1);
    const ctx = testStackContext({
      stackName,
      dynamo: documentClient(),
      sqs: local.sqs,
      outputs: {
        DeadLetterQueueUrlPrefix: `${base}${stackName}_dlq_`,
        ...(withLanePrefix ? { LaneQueueUrlPrefix: `${base}${stackName}_lane_` } : {}),
      },
    });
    return { ctx, lane: lane.queueUrl, dlq: dlq.queueUrl };
  }
  const send = (url: string, body: string) =>
    local.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  const depth = async (url: string) => {
    const { Attributes } = await local.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  };

  beforeAll(async () => {
    local = await startLocalSqs();
  });
  afterAll(async () => {
    await local?.close();
  });

  it('moves every dead letter back to the lane queue, counting each as it moves', async () => {
    const { ctx, lane, dlq } = await stackWithLane();
    for (let i = 0; i < 12; i++) await send(dlq, `{"n":${i}}`);
    const queues = laneQueuesOf(ctx, 'code');
    expect(queues).toEqual({ queueUrl: lane, deadLetterQueueUrl: dlq });
    expect(await deadLetterCount(ctx, 'code', queues)).toBe(12);

    const counted: number[] = [];
    const { moved } = await redriveDeadLetters(ctx, queues, { onMoved: (m) => counted.push(m) });

    expect(moved).toBe(12);
    expect(counted).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await depth(dlq)).toBe(0);
    const { Messages = [] } = await local.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: lane, MaxNumberOfMessages: 10 }),
    );
    expect(Messages.map((m) => JSON.parse(m.Body ?? '{}').n)).toEqual(expect.arrayContaining([0, 1, 2]));
  });

  it('moves only the message --message names and leaves the others in the dead-letter queue', async () => {
    const { ctx, lane, dlq } = await stackWithLane();
    await send(dlq, 'first');
    const { MessageId } = await send(dlq, 'second');
    await send(dlq, 'third');

    const { moved } = await redriveDeadLetters(ctx, laneQueuesOf(ctx, 'code'), {
      messageId: MessageId ?? '',
    });

    expect(moved).toBe(1);
    const { Messages = [] } = await local.sqs.send(new ReceiveMessageCommand({ QueueUrl: lane }));
    expect(Messages.map((m) => m.Body)).toEqual(['second']);
    expect(await depth(dlq)).toBe(2);
  });

  it('moves nothing for a message id the dead-letter queue does not hold', async () => {
    const { ctx, dlq } = await stackWithLane();
    await send(dlq, 'only');
    const result = await redriveDeadLetters(ctx, laneQueuesOf(ctx, 'code'), { messageId: 'nope' });
    expect(result).toEqual({ moved: 0, looked: 1 });
    expect(await depth(dlq)).toBe(1);
  });

  it('finds the lane queue of a stack from before LaneQueueUrlPrefix by its name', async () => {
    const { ctx, lane } = await stackWithLane(false);
    expect(laneQueuesOf(ctx, 'code').queueUrl).toBe(lane);
  });

  it('refuses a target without a dead-letter queue, naming the target and the stack', async () => {
    const { ctx } = await stackWithLane();
    await expect(deadLetterCount(ctx, 'nope', laneQueuesOf(ctx, 'nope'))).rejects.toThrow(
      `no SCIM target "nope" in stack ${ctx.stackName}`,
    );
  });
});
