// `redrive`: a target's dead letters moved back to its lane queue, through SQS as an operator
// may (receive, send, delete; no message-move task, which needs more than the operator policy
// grants), all of them or one by its message id, with the count shown as it moves.
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { deadLetterQueuePrefix } from '../../lambdas/aws/target-env.ts';
import { UsageError } from '../send-event.ts';
import { awsCall, type StackContext } from './stack.ts';

/** How long a message looked at (and not moved) while looking for one stays hidden. */
export const LOOK_VISIBILITY_SECONDS = 30;

export interface LaneQueues {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
}

/** A target's bulk queue and dead-letter queue, from the stack's outputs. */
export function laneQueuesOf(ctx: StackContext, targetId: string): LaneQueues {
  const dlqPrefix = ctx.output('DeadLetterQueueUrlPrefix');
  // A stack from before LaneQueueUrlPrefix: its queues share the dead-letter queues' URL base.
  const lanePrefix =
    ctx.outputs.LaneQueueUrlPrefix ??
    `${dlqPrefix.slice(0, dlqPrefix.length - deadLetterQueuePrefix(ctx.stackName).length)}${ctx.stackName}_lane_`;
  return { queueUrl: `${lanePrefix}${targetId}`, deadLetterQueueUrl: `${dlqPrefix}${targetId}` };
}

/** Messages waiting in a dead-letter queue; a UsageError naming the target if it has none. */
export async function deadLetterCount(
  ctx: StackContext,
  targetId: string,
  queue: LaneQueues,
): Promise<number> {
  const attributes = await awsCall(ctx, 'sqs:GetQueueAttributes', queue.deadLetterQueueUrl, () =>
    ctx.sqs
      .send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.deadLetterQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      )
      .catch((err: unknown) => {
        if (err instanceof QueueDoesNotExist) return undefined;
        throw err;
      }),
  );
  if (!attributes)
    throw new UsageError(
      `no SCIM target "${targetId}" in stack ${ctx.stackName}: it has no dead-letter queue (${queue.deadLetterQueueUrl}); check the target id in the config`,
    );
  return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
}

export interface RedriveOptions {
  /** Only the message with this SQS message id. */
  readonly messageId?: string;
  /** Called after each message moved, with the count so far. */
  readonly onMoved?: (moved: number) => void;
}

/** Moves a target's dead letters (or one of them) back to its queue; returns how many moved and looked at. */
export async function redriveDeadLetters(
  ctx: StackContext,
  queue: LaneQueues,
  options: RedriveOptions = {},
): Promise<{ moved: number; looked: number }> {
  let moved = 0;
  let looked = 0;
  for (;;) {
    const { Messages = [] } = await awsCall(ctx, 'sqs:ReceiveMessage', queue.deadLetterQueueUrl, () =>
      ctx.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          // Looking for one: the others stay hidden until the search is over, then come back.
          ...(options.messageId ? { VisibilityTimeout: LOOK_VISIBILITY_SECONDS } : {}),
        }),
      ),
    );
    if (Messages.length === 0) return { moved, looked };
    looked += Messages.length;
    for (const message of Messages) {
      if (options.messageId && message.MessageId !== options.messageId) continue;
      await move(ctx, queue, message);
      moved += 1;
      options.onMoved?.(moved);
      if (options.messageId) return { moved, looked };
    }
  }
}

// Send first, then delete: a failure in between duplicates a message (harmless: revocation is
// idempotent), never loses one.
async function move(ctx: StackContext, queue: LaneQueues, message: Message): Promise<void> {
  await awsCall(ctx, 'sqs:SendMessage', queue.queueUrl, () =>
    ctx.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.queueUrl,
        MessageBody: message.Body ?? '',
        ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
          ? { MessageAttributes: message.MessageAttributes }
          : {}),
      }),
    ),
  );
  await awsCall(ctx, 'sqs:DeleteMessage', queue.deadLetterQueueUrl, () =>
    ctx.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }),
    ),
  );
}
