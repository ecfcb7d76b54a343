// Delays the next delivery of a lane message: honours Retry-After and backoff through the
// message's visibility, and sends an exhausted message to the DLQ without waiting.
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface MessageVisibility {
  delay(receiptHandle: string, seconds: number): Promise<void>;
}

export class SqsMessageVisibility implements MessageVisibility {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {}

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
