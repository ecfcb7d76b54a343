// Where the lane worker sends a failure that no waiting workflow reports (a redriven message, a
// reconciler remediation; lambdas/core/revocation/lane.ts): into the dead-letter queue of the lane the
// message came from, so the dead-letter alarm fires and a redrive retries it, and to the alert
// topic, naming the leaver. The worker is shared by every lane: it derives each lane's
// dead-letter queue from the naming convention (`<stackName>_dlq_<id>`, lambdas/aws/target-env.ts),
// so no per-target variable or statement grows with the target count. Kept apart from LaneFleet
// so this wiring survives a re-shaping of the lanes.
import { Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';

/** The part of the lanes this wiring needs. */
export interface UnreportedFailureLanes {
  readonly worker: IFunction & { addEnvironment(key: string, value: string): unknown };
  grantSendToDeadLetterQueues(grantee: IGrantable): void;
}

/**
 * Lets the shared worker park messages in the lanes' dead-letter queues (`sqs:SendMessage` on
 * `<stackName>_dlq_*` only) and publish to the alert topic (`sns:Publish`, plus `kms:Decrypt` and
 * `kms:GenerateDataKey*` on the topic's key), and sets `ALERT_TOPIC_ARN` in its environment. The
 * dead-letter queue's URL and ARN (for the redrive command the alert quotes) are derived from the
 * lane queue's own.
 */
export function routeUnreportedFailures(lanes: UnreportedFailureLanes, alertTopic: ITopic): void {
  lanes.worker.addEnvironment('ALERT_TOPIC_ARN', alertTopic.topicArn);
  lanes.grantSendToDeadLetterQueues(lanes.worker);
  alertTopic.grantPublish(lanes.worker);
  if (lanes.worker.role) {
    Validations.of(lanes.worker.role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the encrypted alert topic: SNS documents kms:GenerateDataKey* with kms:Decrypt for publishers; the statement names the one topic key.',
    });
  }
}
