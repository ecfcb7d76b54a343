// The target lanes: per SCIM target a queue the workflow sends the leaver to, a priority queue for
// urgent leavers, their shared dead-letter queue, and an event source per queue with the target's
// own concurrency cap, all consumed by one shared worker function. Lanes (and their targets' secrets) live in nested stacks, sharded by a stable
// hash of the target id, so the root template does not grow with the target count and a target
// never moves between shards when others are added or removed (ARCHITECTURE.md, "Scale").
import { createHash } from 'node:crypto';
import { Aws, Duration, NestedStack } from 'aws-cdk-lib';
import { type IMetric, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  deadLetterQueueName,
  deadLetterQueuePrefix,
  LANE_ENV,
  laneMaxConcurrency,
  laneQueueName,
  laneQueuePrefix,
  MAX_QUEUE_NAME_LENGTH,
  priorityQueueName,
  priorityQueuePrefix,
} from '../lambdas/aws/target-env.ts';
import { hasLane, type LaneTargetConfig, type ScimitarConfig } from '../lambdas/core/model/config.ts';
import { LANE_QUEUE_RETENTION_DAYS } from '../lambdas/core/model/messages.ts';
import type { AuditStore } from './audit-store.ts';
import { grantOnPattern, type NamePattern, namePattern } from './name-pattern.ts';
import { ScimitarFunction } from './scimitar-function.ts';
import type { TokenVault } from './token-vault.ts';

/** SQS keeps messages at most 14 days. */
const MAX_RETENTION = Duration.days(14);
/** SQS visibility timeout is at most 12 hours. */
const MAX_VISIBILITY = Duration.hours(12);

/**
 * Lane shards: a target's shard is a hash of its id modulo this number. Fixed for good: changing
 * it would move lanes between nested stacks, which replaces their queues and collides with their
 * retained secrets.
 */
export const LANE_SHARDS = 16;
/** Resources one lane adds to its shard, at most. */
export const RESOURCES_PER_LANE = 13;
/**
 * Lanes one shard may hold: each lane is at most {@link RESOURCES_PER_LANE} resources (queue,
 * priority queue, dead-letter queue, their three policies, two event source mappings, secret,
 * rotation schedule, and its three alarms: dead letters, oldest message, oldest urgent message),
 * so 34 lanes stay at 442 of CloudFormation's 500 resources per template (the rest is headroom).
 */
export const MAX_LANES_PER_SHARD = 34;

/** The shard of a target: stable across config changes (a function of the id alone). */
export function laneShardOf(targetId: string): number {
  return createHash('sha256').update(targetId).digest().readUInt32BE(0) % LANE_SHARDS;
}

export interface TargetLaneProps {
  /** The validated config: `stackName` (queue names) and `maxAttempts`. */
  readonly config: ScimitarConfig;
  /** The SCIM target this lane revokes access in, or the session target whose sessions it ends. */
  readonly target: LaneTargetConfig;
  /** The shared worker that consumes every lane's queue. */
  readonly worker: ScimitarFunction;
  /**
   * Messages per worker invocation; failures are reported per message. One by default: a worker
   * runs a batch's records one after another, so a record waits on the others' rate-budget waits,
   * and the lane's concurrency is its revocations in flight.
   * @default 1
   */
  readonly batchSize?: number;
  /** The lane queue's visibility timeout (six times the worker timeout). */
  readonly visibilityTimeout: Duration;
  /** How long a message waits on the queue. @default Duration.days(4) */
  readonly queueRetention?: Duration;
  /** How long a dead letter is kept for inspection and redrive; must exceed queueRetention. @default Duration.days(14) */
  readonly deadLetterRetention?: Duration;
}

/**
 * One target's lane: its queue, its priority queue, their dead-letter queue and an event source per
 * queue (the worker is shared). The workflow sends urgent leavers (involuntary, privileged-tier,
 * operator revoke-now) to the priority queue: they never wait behind the bulk of a layoff in the
 * lane queue, and their requests take the target's rate budget first (request class `urgent`).
 */
export class TargetLane extends Construct {
  public readonly targetId: string;
  /** Where the workflow sends one message per leaver (a `LaneMessage` with a task token). */
  public readonly queue: Queue;
  /** Where the workflow sends an urgent leaver (`lane.priority: 'urgent'`); same shape of message. */
  public readonly priorityQueue: Queue;
  /** Where a message of either queue goes after `config.maxAttempts` receives. */
  public readonly deadLetterQueue: Queue;
  /** The event sources' maximum concurrency: `laneMaxConcurrency` (the target's rate budget's). */
  public readonly maxConcurrency: number;
  /** The queue's name, a literal (`<stackName>_lane_<target>`): the alarms' QueueName dimension. */
  public readonly queueName: string;
  /** The priority queue's name, a literal (`<stackName>_prio_<target>`). */
  public readonly priorityQueueName: string;
  /** The dead-letter queue's name (`<stackName>_dlq_<target>`). */
  public readonly deadLetterQueueName: string;

  constructor(scope: Construct, id: string, props: TargetLaneProps) {
    super(scope, id);
    const { config, target } = props;
    this.targetId = target.id;
    const batchSize = props.batchSize ?? 1;
    const queueRetention = props.queueRetention ?? Duration.days(LANE_QUEUE_RETENTION_DAYS);
    const deadLetterRetention = props.deadLetterRetention ?? MAX_RETENTION;
    validate(id, {
      batchSize,
      queueRetention,
      deadLetterRetention,
      visibilityTimeout: props.visibilityTimeout,
    });

    this.queueName = laneQueueName(config.stackName, target.id);
    this.priorityQueueName = priorityQueueName(config.stackName, target.id);
    this.deadLetterQueueName = deadLetterQueueName(config.stackName, target.id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: this.deadLetterQueueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });
    const queueProps = {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: queueRetention,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.maxAttempts },
    };
    this.queue = new Queue(this, 'Queue', { queueName: this.queueName, ...queueProps });
    this.priorityQueue = new Queue(this, 'PriorityQueue', {
      queueName: this.priorityQueueName,
      ...queueProps,
    });

    // Concurrency follows the target's rate (rateBudget.concurrency, else two seconds of it): a
    // slow target holds at most this many instances, and the shared rate budget paces their
    // requests whatever their number.
    this.maxConcurrency = laneMaxConcurrency(target);
    // Mappings, not SqsEventSource: that would add the queue's ARN to the shared worker's policy
    // (200 ARNs overflow IAM's policy size); LaneFleet grants the worker the lanes by name pattern.
    // The priority queue has a source of its own, so an urgent leaver is received at once, however
    // long the lane queue's backlog; the target's shared rate budget serves its requests first.
    for (const [id, queue] of [
      ['WorkerSource', this.queue],
      ['PriorityWorkerSource', this.priorityQueue],
    ] as const) {
      new EventSourceMapping(this, id, {
        target: props.worker,
        eventSourceArn: queue.queueArn,
        batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: this.maxConcurrency,
      });
    }
  }

  /** Messages in this lane's dead-letter queue (maximum per minute; no label, so an alarm on it is a plain metric alarm). */
  public metricDeadLetters(): Metric {
    return sqsMaximum('ApproximateNumberOfMessagesVisible', this.deadLetterQueueName, Duration.minutes(1));
  }

  /** Age of the oldest message in this lane's queue (seconds, maximum per 5 minutes). */
  public metricOldestMessageAge(): Metric {
    return sqsMaximum('ApproximateAgeOfOldestMessage', this.queueName, Duration.minutes(5));
  }

  /** Age of the oldest urgent leaver in this lane's priority queue (seconds, maximum per minute). */
  public metricOldestUrgentMessageAge(): Metric {
    return sqsMaximum('ApproximateAgeOfOldestMessage', this.priorityQueueName, Duration.minutes(1));
  }
}

/** An AWS/SQS metric of one queue, by its name (its only dimension), maximum per period. */
function sqsMaximum(metricName: string, queueName: string, period: Duration): Metric {
  return new Metric({
    namespace: 'AWS/SQS',
    metricName,
    dimensionsMap: { QueueName: queueName },
    statistic: 'Maximum',
    period,
  });
}

/** A nested stack holding the lanes (and their targets' secrets) of one shard. */
export class LaneShard extends NestedStack {
  public readonly shard: number;
  constructor(scope: Construct, shard: number) {
    super(scope, `Lanes${String(shard).padStart(2, '0')}`, {
      description: `scimitar: target lanes, shard ${shard} of ${LANE_SHARDS}`,
    });
    this.shard = shard;
  }
}

export interface LaneFleetProps {
  /** The validated config: its SCIM targets get a lane each; `maxAttempts`; inlined in the worker. */
  readonly config: ScimitarConfig;
  /** Creates each target's secret in the target's shard; the worker reads them. */
  readonly vault: TokenVault;
  /** Audit log (append) and state table (ledger) the worker writes to. */
  readonly auditStore: AuditStore;
  /**
   * How long one worker invocation may run (a batch of SCIM find, write, read back).
   * The queues' visibility timeout is six times this, as Lambda advises for SQS sources.
   * @default Duration.seconds(60)
   */
  readonly workerTimeout?: Duration;
  /** Messages per worker invocation (see TargetLaneProps.batchSize). @default 1 */
  readonly batchSize?: number;
  /**
   * How long a message waits on a lane queue, every lane's the same. The reconciler is told
   * ({@link LaneFleet.queueRetention}): it counts a remediation it queued as waiting this long.
   * @default Duration.days(4)
   */
  readonly queueRetention?: Duration;
  /** How long a dead letter is kept. @default Duration.days(14) */
  readonly deadLetterRetention?: Duration;
}

/**
 * Every SCIM target's lane, sharded into nested stacks, and the one worker function that serves
 * them all. Grants are by name pattern (`<stackName>_lane_*`), so no policy grows with the
 * target count.
 */
export class LaneFleet extends Construct {
  /** The shared worker: one function, one event source mapping per lane queue. */
  public readonly worker: ScimitarFunction;
  /** One lane per SCIM target, in config order. */
  public readonly lanes: readonly TargetLane[];
  /** The nested stacks holding the lanes, by shard number (only shards with lanes exist). */
  public readonly shards: ReadonlyMap<number, LaneShard>;
  /** `https://sqs.<region>.<suffix>/<account>/`: a lane queue's URL is this plus its name. */
  public readonly queueUrlPrefix: string;
  /** How long every lane's queues keep a message (each lane's `queueRetention`). */
  public readonly queueRetention: Duration;
  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: LaneFleetProps) {
    super(scope, id);
    const { config, vault, auditStore } = props;
    this.stackName = config.stackName;
    // SCIM and session targets alike: a session target's lane is the same queue, DLQ and alarms.
    const scimTargets = config.targets.filter(hasLane);
    validateFleet(config, scimTargets);
    const workerTimeout = props.workerTimeout ?? Duration.seconds(60);
    this.queueRetention = props.queueRetention ?? Duration.days(LANE_QUEUE_RETENTION_DAYS);
    this.queueUrlPrefix = `https://sqs.${Aws.REGION}.${Aws.URL_SUFFIX}/${Aws.ACCOUNT_ID}/`;

    this.worker = new ScimitarFunction(this, 'Worker', {
      entry: 'worker',
      config,
      description: 'scimitar worker: revokes leavers in every SCIM target, one lane (queue) per target',
      timeout: workerTimeout,
      environment: {
        [LANE_ENV.queueUrlPrefix]: this.queueUrlPrefix,
        MAX_ATTEMPTS: String(config.maxAttempts),
      },
    });
    vault.grantReadTargetSecrets(this.worker);
    auditStore.bindAppend(this.worker);
    auditStore.bindState(this.worker);
    // What an SQS event source needs (as SqsEventSource grants it), plus ChangeMessageVisibility
    // for Retry-After and backoff, and SendMessage to hand a throttled message back to the queue it
    // came from: on this stack's lane and priority queues only, never their dead letters. One
    // statement per kind of queue, whatever the number of targets.
    const consume = [
      'sqs:ReceiveMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueUrl',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:SendMessage',
    ];
    grantOnPattern(
      this.worker,
      consume,
      this.lanePattern(),
      `The shared worker consumes every lane queue of this stack (names "${laneQueuePrefix(config.stackName)}*"; "_" cannot occur in a stack name, so no other stack's queue matches), one statement for any number of targets; never consumes the dead-letter queues (it may only send to them: lib/unreported-failures.ts).`,
    );
    grantOnPattern(
      this.worker,
      consume,
      this.priorityPattern(),
      `The shared worker consumes every lane's priority queue of this stack (names "${priorityQueuePrefix(config.stackName)}*"; "_" cannot occur in a stack name, so no other stack's queue matches), one statement for any number of targets.`,
    );

    const shards = new Map<number, LaneShard>();
    const visibilityTimeout = Duration.seconds(workerTimeout.toSeconds() * 6);
    this.lanes = scimTargets.map((target) => {
      const n = laneShardOf(target.id);
      let shard = shards.get(n);
      if (!shard) {
        shard = new LaneShard(this, n);
        // The event source mappings need the worker's policy in place when they are created.
        shard.node.addDependency(this.worker);
        shards.set(n, shard);
      }
      vault.addTargetSecret(shard, target);
      return new TargetLane(shard, `Lane-${target.id}`, {
        config,
        target,
        worker: this.worker,
        visibilityTimeout,
        batchSize: props.batchSize,
        queueRetention: this.queueRetention,
        deadLetterRetention: props.deadLetterRetention,
      });
    });
    this.shards = shards;
  }

  /** The lane of a target. Throws for a target without one. */
  public lane(targetId: string): TargetLane {
    const lane = this.lanes.find((l) => l.targetId === targetId);
    if (!lane) {
      throw new Error(
        `LaneFleet: no lane for target "${targetId}" (SCIM targets: ${this.lanes.map((l) => l.targetId).join(', ') || 'none'})`,
      );
    }
    return lane;
  }

  /** `arn:<partition>:sqs:<region>:<account>:<stackName>_lane_*`: this stack's lane queues only. */
  public laneQueueArnPattern(): string {
    return this.lanePattern().arn;
  }

  private lanePattern(): NamePattern {
    return namePattern(
      { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID },
      'sqs',
      `${laneQueuePrefix(this.stackName)}*`,
    );
  }

  private priorityPattern(): NamePattern {
    return namePattern(
      { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID },
      'sqs',
      `${priorityQueuePrefix(this.stackName)}*`,
    );
  }

  private deadLetterPattern(): NamePattern {
    return namePattern(
      { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID },
      'sqs',
      `${deadLetterQueuePrefix(this.stackName)}*`,
    );
  }

  /**
   * Lets a grantee park messages in any lane's dead-letter queue of this stack: `sqs:SendMessage`
   * on the queues named `<stackName>_dlq_*` (SQS-managed encryption: no KMS grant). The shared
   * worker parks a failure no workflow reports in the dead-letter queue of the lane it came from.
   */
  public grantSendToDeadLetterQueues(grantee: IGrantable): void {
    grantOnPattern(
      grantee,
      ['sqs:SendMessage'],
      this.deadLetterPattern(),
      `Parks a failed message in the dead-letter queue of its lane (names "${deadLetterQueuePrefix(this.stackName)}*"; "_" cannot occur in a stack name, so no other stack's queue matches), one statement for any number of targets; send only.`,
    );
  }

  /** The lane queue URL for a target id: `queueUrlPrefix` + `<stackName>_lane_<id>`. */
  public get laneQueueUrlPrefix(): string {
    return `${this.queueUrlPrefix}${laneQueuePrefix(this.stackName)}`;
  }

  /** The priority queue URL for a target id: `queueUrlPrefix` + `<stackName>_prio_<id>`. */
  public get priorityQueueUrlPrefix(): string {
    return `${this.queueUrlPrefix}${priorityQueuePrefix(this.stackName)}`;
  }

  /**
   * Lets a grantee send urgent leavers to any lane's priority queue of this stack: `sqs:SendMessage`
   * on the queues named `<stackName>_prio_*`. The workflow only: reconciler remediations are bulk.
   */
  public grantSendToPriorityLanes(grantee: IGrantable): void {
    grantOnPattern(
      grantee,
      ['sqs:SendMessage'],
      this.priorityPattern(),
      `Sends urgent leavers to every lane's priority queue of this stack (names "${priorityQueuePrefix(this.stackName)}*"; "_" cannot occur in a stack name, so no other stack's queue matches), one statement for any number of targets.`,
    );
  }

  /**
   * Lets a grantee send leavers or fixes to any lane of this stack: `sqs:SendMessage` on the
   * queues named `<stackName>_lane_*` (queues are SQS-managed encrypted: no KMS grant). Not
   * their dead-letter queues.
   */
  public grantSendToLanes(grantee: IGrantable): void {
    grantOnPattern(
      grantee,
      ['sqs:SendMessage'],
      this.lanePattern(),
      `Sends to every lane queue of this stack (names "${laneQueuePrefix(this.stackName)}*"; "_" cannot occur in a stack name, so no other stack's queue matches), one statement for any number of targets; never the dead-letter queues.`,
    );
  }

  /**
   * The ten fullest queues of the account and region, for the dashboard (maximum per minute). No
   * prefix filter: AWS's Metrics Insights WHERE takes only `=`, `!=` and `AND`
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html,
   * "WHERE", "Supported operators"), so the lanes' queues cannot be selected by name here; the
   * alarms are per lane ({@link TargetLane.metricDeadLetters}).
   */
  public metricFullestQueues(): IMetric {
    return new MathExpression({
      expression:
        'SELECT MAX(ApproximateNumberOfMessagesVisible) FROM SCHEMA("AWS/SQS", QueueName) GROUP BY QueueName ORDER BY MAX() DESC LIMIT 10',
      usingMetrics: {},
      period: Duration.minutes(1),
      label: 'messages visible',
    });
  }

  /** Age of the oldest message, the ten oldest queues of the account and region (seconds, maximum per 5 minutes). */
  public metricOldestQueues(): IMetric {
    return new MathExpression({
      expression:
        'SELECT MAX(ApproximateAgeOfOldestMessage) FROM SCHEMA("AWS/SQS", QueueName) GROUP BY QueueName ORDER BY MAX() DESC LIMIT 10',
      usingMetrics: {},
      period: Duration.minutes(5),
      label: 'oldest message (s)',
    });
  }

  /** Worker invocations that ended in an error, over every lane (sum over 5 minutes). */
  public metricWorkerErrors(): IMetric {
    return this.worker.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) });
  }

  /** Worker invocations throttled, over every lane (sum over 5 minutes). */
  public metricWorkerThrottles(): IMetric {
    return this.worker.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) });
  }
}

function validateFleet(config: ScimitarConfig, scimTargets: readonly LaneTargetConfig[]): void {
  const longest = scimTargets.reduce((a, t) => (t.id.length > a.length ? t.id : a), '');
  const name = laneQueueName(config.stackName, longest);
  if (longest && name.length > MAX_QUEUE_NAME_LENGTH) {
    throw new Error(
      `LaneFleet: stackName "${config.stackName}" is too long for the lane queue names: "${name}" has ${name.length} characters, SQS allows ${MAX_QUEUE_NAME_LENGTH}; use a stackName of at most ${MAX_QUEUE_NAME_LENGTH - laneQueuePrefix('').length - longest.length} characters or a shorter target id`,
    );
  }
  const perShard = new Map<number, string[]>();
  for (const target of scimTargets) {
    const n = laneShardOf(target.id);
    perShard.set(n, [...(perShard.get(n) ?? []), target.id]);
  }
  for (const [n, ids] of perShard) {
    if (ids.length > MAX_LANES_PER_SHARD) {
      throw new Error(
        `LaneFleet: lane shard ${n} would hold ${ids.length} targets (${ids.join(', ')}), more than ${MAX_LANES_PER_SHARD} fit in one nested stack's 500 resources (${RESOURCES_PER_LANE} each); split the targets over two deployments`,
      );
    }
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
