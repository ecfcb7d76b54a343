// Delays the next delivery of a lane message: honours Retry-After and backoff through the
// message's visibility, and sends an exhausted message to the DLQ without waiting.
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MessageVisibility } from '../../core/revocation/ports.ts';

export class SqsMessageVisibility extends MessageVisibility {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {
    super();
  }

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
      }),
    );
  }
}
