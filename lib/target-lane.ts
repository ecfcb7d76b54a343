// One lane per SCIM target: a queue the workflow sends the leaver to, its dead-letter queue,
// and the worker that revokes the account at that target, at the target's pace.
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type Metric,
  type MetricOptions,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ScimitarConfig, ScimTargetConfig } from '../lambdas/core/config.ts';
import type { AuditStore } from './audit-store.ts';
import { ScimitarFunction } from './scimitar-function.ts';

/** Lambda refuses an SQS event source maximum concurrency below 2. */
export const MIN_SQS_MAX_CONCURRENCY = 2;
/** SQS keeps messages at most 14 days. */
const MAX_RETENTION = Duration.days(14);
/** SQS visibility timeout is at most 12 hours. */
const MAX_VISIBILITY = Duration.hours(12);

export interface TargetLaneProps {
  /** The validated config: `maxAttempts` and, inlined in the worker's bundle, everything else. */
  readonly config: ScimitarConfig;
  /** The SCIM target this lane revokes access in. */
  readonly target: ScimTargetConfig;
  /** The target's credential; the worker may read this secret and no other. */
  readonly secret: ISecret;
  /** Audit log (append) and state table (ledger, budget) the worker writes to. */
  readonly auditStore: AuditStore;
  /**
   * How long one worker invocation may run (a batch of SCIM find, write, read back).
   * The queue's visibility timeout is six times this, as Lambda advises for SQS sources.
   * @default Duration.seconds(60)
   */
  readonly workerTimeout?: Duration;
  /** Messages per worker invocation; failures are reported per message. @default 5 */
  readonly batchSize?: number;
  /** How long a message waits on the queue. @default Duration.days(4) */
  readonly queueRetention?: Duration;
  /** How long a dead letter is kept for inspection and redrive; must exceed queueRetention. @default Duration.days(14) */
  readonly deadLetterRetention?: Duration;
}

export class TargetLane extends Construct {
  public readonly targetId: string;
  /** Where the workflow sends one message per leaver (a `LaneMessage` with a task token). */
  public readonly queue: Queue;
  /** Where a message goes after `config.maxAttempts` receives. */
  public readonly deadLetterQueue: Queue;
  /** The worker that consumes {@link queue}. */
  public readonly worker: ScimitarFunction;
  /** Fires when any message is in the dead-letter queue. */
  public readonly deadLetterAlarm: Alarm;
  /** The event source's maximum concurrency: the target's burst, at least 2 (Lambda's floor). */
  public readonly maxConcurrency: number;

  constructor(scope: Construct, id: string, props: TargetLaneProps) {
    super(scope, id);
    const { config, target } = props;
    this.targetId = target.id;
    const workerTimeout = props.workerTimeout ?? Duration.seconds(60);
    const batchSize = props.batchSize ?? 5;
    const queueRetention = props.queueRetention ?? Duration.days(4);
    const deadLetterRetention = props.deadLetterRetention ?? MAX_RETENTION;
    const visibilityTimeout = Duration.seconds(workerTimeout.toSeconds() * 6);
    validate(id, { batchSize, queueRetention, deadLetterRetention, visibilityTimeout });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: queueRetention,
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.maxAttempts },
    });

    this.worker = new ScimitarFunction(this, 'Worker', {
      entry: 'worker',
      config,
      description: `scimitar worker: revokes leavers in ${target.displayName} (${target.id})`,
      timeout: workerTimeout,
      environment: {
        TARGET_ID: target.id,
        TARGET_SECRET_ARN: props.secret.secretArn,
        QUEUE_URL: this.queue.queueUrl,
        MAX_ATTEMPTS: String(config.maxAttempts),
      },
    });
    props.secret.grantRead(this.worker);
    props.auditStore.bindAppend(this.worker);
    props.auditStore.bindState(this.worker);

    // Concurrency is the target's burst: the worker never runs more requests at once than the
    // target allows. Lambda's floor is 2, so a burst of 1 is paced by the worker itself.
    this.maxConcurrency = Math.max(MIN_SQS_MAX_CONCURRENCY, target.rateBudget.burst);
    // The event source grants the worker sqs:ReceiveMessage, DeleteMessage, ChangeMessageVisibility
    // (Retry-After), GetQueueAttributes and GetQueueUrl on this queue only.
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: this.maxConcurrency,
      }),
    );

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: `scimitar: a revocation for target "${target.id}" exhausted its ${config.maxAttempts} attempts and is in the dead-letter queue. Runbook: docs/operations.md#dead-letter-queue`,
      metric: this.metricDeadLetters(),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** Messages waiting in the dead-letter queue (maximum over 1 minute). */
  public metricDeadLetters(options?: MetricOptions): Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period: Duration.minutes(1),
      ...options,
    });
  }

  /** Age of the oldest message on the lane's queue: how far the worker is behind. */
  public metricOldestMessageAge(options?: MetricOptions): Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...options });
  }

  /** Worker invocations that ended in an error (sum over 5 minutes). */
  public metricWorkerErrors(options?: MetricOptions): Metric {
    return this.worker.metricErrors({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }

  /** Worker invocations throttled (sum over 5 minutes). */
  public metricWorkerThrottles(options?: MetricOptions): Metric {
    return this.worker.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }
}

function validate(
  id: string,
  p: {
    batchSize: number;
    queueRetention: Duration;
    deadLetterRetention: Duration;
    visibilityTimeout: Duration;
  },
): void {
  if (!Number.isInteger(p.batchSize) || p.batchSize < 1 || p.batchSize > 10) {
    throw new Error(`TargetLane ${id}: batchSize ${p.batchSize} is out of range; use 1 to 10`);
  }
  if (p.visibilityTimeout.toSeconds() > MAX_VISIBILITY.toSeconds()) {
    throw new Error(
      `TargetLane ${id}: workerTimeout is too long: six times it (${p.visibilityTimeout.toHumanString()}) exceeds the SQS visibility limit of 12 hours; use at most 2 hours`,
    );
  }
  if (p.deadLetterRetention.toSeconds() > MAX_RETENTION.toSeconds()) {
    throw new Error(
      `TargetLane ${id}: deadLetterRetention ${p.deadLetterRetention.toHumanString()} exceeds the SQS limit of 14 days`,
    );
  }
  if (p.queueRetention.toSeconds() >= p.deadLetterRetention.toSeconds()) {
    throw new Error(
      `TargetLane ${id}: queueRetention (${p.queueRetention.toHumanString()}) must be shorter than deadLetterRetention (${p.deadLetterRetention.toHumanString()}), or a message's age could expire it in the dead-letter queue before anyone sees it`,
    );
  }
}
