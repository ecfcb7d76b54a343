// LaneRequeue over SQS: hands a throttled lane message back to the queue it came from as a new
// message, delayed (SQS allows at most 15 minutes; a longer pause is held again by the rate budget
// or the next throttled answer when it comes back).
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LaneMessage } from '../../core/model/messages.ts';
import { LaneRequeue } from '../../core/revocation/ports.ts';

/** SendMessage's DelaySeconds is 0 to 900. */
export const MAX_SQS_DELAY_SECONDS = 900;

export class SqsLaneRequeue extends LaneRequeue {
  constructor(
    /** The lane queue the worker consumes (the message goes back where it came from). */
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {
    super();
  }

  async later(message: LaneMessage, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.max(0, Math.min(MAX_SQS_DELAY_SECONDS, Math.round(delaySeconds))),
      }),
    );
  }
}
