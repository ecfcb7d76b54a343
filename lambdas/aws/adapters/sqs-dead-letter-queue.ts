// DeadLetterQueue over SQS: parks a lane message in its target's dead-letter queue, the body as a
// redrive will send it back, the failure in message attributes for whoever inspects the queue.
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LaneMessage } from '../../core/model/messages.ts';
import { DeadLetterQueue } from '../../core/revocation/ports.ts';

/** SQS message attribute values are capped with the body at 256 KB; the reason needs far less. */
const MAX_ATTRIBUTE_CHARS = 1_000;

export class SqsDeadLetterQueue extends DeadLetterQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {
    super();
  }

  async park(message: LaneMessage, failure: { error: string; cause: string; at: string }): Promise<void> {
    const attribute = (value: string) => ({
      DataType: 'String',
      StringValue: value.slice(0, MAX_ATTRIBUTE_CHARS) || '-',
    });
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        MessageAttributes: {
          failureError: attribute(failure.error),
          failureCause: attribute(failure.cause),
          failedAt: attribute(failure.at),
        },
      }),
    );
  }
}
