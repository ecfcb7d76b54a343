// Lambda's SQS event source, in process: polls a queue (fauxqs locally), hands batches to the
// same worker handler Lambda would run, deletes what succeeded and leaves reported failures to
// come back after their visibility timeout; SQS itself moves exhausted messages to the DLQ.
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface SqsEventSourceProps {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** Function name, for the invocation context. */
  readonly functionName: string;
  /** @default 1 */
  readonly batchSize?: number;
  /** Batches in flight at once, as the event source's maximum concurrency. @default 2 */
  readonly maxConcurrency?: number;
  /** The handler reports failed messages (ReportBatchItemFailures); without, a returned batch succeeded whole. @default true */
  readonly reportBatchItemFailures?: boolean;
  /** Long-poll wait per receive. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Called when the handler throws (Lambda would log it and retry the whole batch). */
  readonly onError?: (err: unknown) => void;
}

function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function context(functionName: string, requestId: string): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export class SqsEventSource {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Wakes the poller when a batch ends and frees a slot. */
  private slotFreed: (() => void) | undefined;
  private invocations = 0;

  constructor(private readonly props: SqsEventSourceProps) {}

  /** The mapping's settings as this source applies them (its defaults filled in). */
  get settings(): { batchSize: number; maxConcurrency: number; reportBatchItemFailures: boolean } {
    return {
      batchSize: this.props.batchSize ?? 1,
      maxConcurrency: this.props.maxConcurrency ?? 2,
      reportBatchItemFailures: this.props.reportBatchItemFailures !== false,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.poll();
  }

  /** Stops polling and waits for batches in flight to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.slotFreed?.();
    await this.loop;
    this.loop = undefined;
    await Promise.all([...this.inFlight]);
  }

  /**
   * One poller per source, as Lambda's pollers: it long-polls only while a batch slot is free,
   * for as many messages as the free slots take, and starts a batch per `batchSize` of them.
   * (One long poll per slot would wake every slot for each message; all but one would find the
   * queue empty and poll again, a wasted receive per idle slot per message.)
   */
  private async poll(): Promise<void> {
    const { client, queueUrl } = this.props;
    const { batchSize, maxConcurrency } = this.settings;
    const region = (await client.config.region()) ?? 'local';
    while (this.running) {
      if (this.inFlight.size >= maxConcurrency) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
        this.slotFreed = undefined;
        continue;
      }
      let messages: Message[] = [];
      try {
        const answer = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            // SQS hands out at most 10 messages per receive.
            MaxNumberOfMessages: Math.min(10, (maxConcurrency - this.inFlight.size) * batchSize),
            WaitTimeSeconds: this.props.waitTimeSeconds ?? 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = answer.Messages ?? [];
      } catch (err) {
        if (!this.running) return;
        this.props.onError?.(err);
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      for (let i = 0; i < messages.length; i += batchSize) {
        const batch = this.invoke(messages.slice(i, i + batchSize), region).finally(() => {
          this.inFlight.delete(batch);
          this.slotFreed?.();
        });
        this.inFlight.add(batch);
      }
    }
  }

  private async invoke(messages: Message[], region: string): Promise<void> {
    const records = messages.map((m) => toRecord(m, this.props.queueArn, region));
    this.invocations += 1;
    let failed: Set<string>;
    try {
      const response = await this.props.handler(
        { Records: records },
        context(this.props.functionName, `local-${this.invocations}`),
      );
      const reported =
        this.props.reportBatchItemFailures === false ? [] : (response?.batchItemFailures ?? []);
      failed = new Set(reported.map((f) => f.itemIdentifier));
    } catch (err) {
      // As Lambda: a thrown handler fails the whole batch; every message comes back.
      this.props.onError?.(err);
      return;
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length === 0) return;
    try {
      const answer = await this.props.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.props.queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      // As Lambda: a message not deleted comes back and is processed again (revocation is idempotent).
      for (const miss of answer.Failed ?? []) {
        this.props.onError?.(
          new Error(`could not delete a processed message: ${miss.Code ?? ''} ${miss.Message ?? ''}`),
        );
      }
    } catch (err) {
      // The poller carries on; the messages reappear after their visibility timeout.
      this.props.onError?.(err);
    }
  }
}
