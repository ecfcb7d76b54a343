// Where a lane worker sends a failure that no waiting workflow reports (a redriven message, a
// reconciler remediation; lambdas/core/lane.ts): into its own dead-letter queue, so the queue's
// alarm fires and a redrive retries it, and to the alert topic, naming the leaver. Kept apart
// from TargetLane so this wiring survives a re-shaping of the lanes.
import { Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/** The part of a lane this wiring needs. */
export interface UnreportedFailureLane {
  readonly worker: IFunction & { addEnvironment(key: string, value: string): unknown };
  readonly deadLetterQueue: IQueue;
}

/**
 * Lets the lane's worker park messages in its own dead-letter queue (`sqs:SendMessage` on that
 * queue only, plus the queue key's actions when it has one) and publish to the alert topic
 * (`sns:Publish`, plus `kms:Decrypt` and `kms:GenerateDataKey*` on the topic's key), and sets
 * `DEAD_LETTER_QUEUE_URL`, `DEAD_LETTER_QUEUE_ARN` (for the redrive command the alert quotes) and
 * `ALERT_TOPIC_ARN` in its environment.
 */
export function routeUnreportedFailures(lane: UnreportedFailureLane, alertTopic: ITopic): void {
  lane.worker.addEnvironment('DEAD_LETTER_QUEUE_URL', lane.deadLetterQueue.queueUrl);
  lane.worker.addEnvironment('DEAD_LETTER_QUEUE_ARN', lane.deadLetterQueue.queueArn);
  lane.worker.addEnvironment('ALERT_TOPIC_ARN', alertTopic.topicArn);
  lane.deadLetterQueue.grantSendMessages(lane.worker);
  alertTopic.grantPublish(lane.worker);
  if (lane.worker.role) {
    Validations.of(lane.worker.role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the encrypted alert topic: SNS documents kms:GenerateDataKey* with kms:Decrypt for publishers; the statement names the one topic key.',
    });
  }
}
