// The local runtime's queues as the layoff benchmark reads them: work still waiting anywhere (a
// queue with a redrive policy: the lanes' queues and any queue added beside them), and what sits
// in each dead-letter queue (a queue another one's redrive policy names).
import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueDepths {
  /** Messages visible, in flight or delayed in the queues that have a dead-letter queue. */
  readonly work: number;
  /** Messages in each dead-letter queue, by queue name. */
  readonly deadLetters: ReadonlyMap<string, number>;
}

export async function queueDepths(sqs: SQSClient): Promise<QueueDepths> {
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
  const queues = await Promise.all(
    QueueUrls.map(async (url) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'QueueArn',
            'RedrivePolicy',
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const depth =
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
      const redrive = Attributes.RedrivePolicy
        ? (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn: string })
        : undefined;
      return { name: url.split('/').at(-1) ?? url, arn: Attributes.QueueArn ?? '', depth, redrive };
    }),
  );
  const deadLetterArns = new Set(queues.flatMap((q) => (q.redrive ? [q.redrive.deadLetterTargetArn] : [])));
  return {
    work: queues.filter((q) => q.redrive).reduce((sum, q) => sum + q.depth, 0),
    deadLetters: new Map(queues.filter((q) => deadLetterArns.has(q.arn)).map((q) => [q.name, q.depth])),
  };
}
