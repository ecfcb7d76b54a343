// LaneQueue over SQS: the reconciler sends re-queued revocations to a target's lane queue. The
// message has no task token, so the lane worker treats it as "no workflow waits".
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LaneMessage } from '../../core/model/messages.ts';
import { LaneQueue } from '../../core/revocation/ports.ts';

export class SqsLaneQueue extends LaneQueue {
  constructor(
    /** Queue URL per target id. */
    private readonly queueUrls: Readonly<Record<string, string>>,
    private readonly client: SQSClient = new SQSClient({}),
  ) {
    super();
  }

  async send(targetId: string, message: LaneMessage): Promise<void> {
    const queueUrl = this.queueUrls[targetId];
    if (!queueUrl) {
      throw new Error(
        `no lane queue URL for target ${JSON.stringify(targetId)}; the lanes are ${Object.keys(this.queueUrls).join(', ') || 'none'}`,
      );
    }
    await this.client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }),
    );
  }
}
