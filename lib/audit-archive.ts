// The tamper-evident copy of the audit log: the audit table's stream feeds a function that writes
// every entry, as written, to an S3 bucket with Object Lock in compliance mode; overwrites and
// deletions of entries are archived too and alarm. Optionally, the raw HRIS deliveries, kept for
// a set number of days in a bucket of their own.
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarm,
  Metric,
  type MetricOptions,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import { AUDIT_ARCHIVE_METRICS } from '../lambdas/core/model/metrics.ts';
import { METRICS_NAMESPACE, ScimitarFunction, serviceName } from './scimitar-function.ts';

const RUNBOOK = 'docs/operations.md';
/** Each alarm's runbook heading in docs/operations.md, as GitHub anchors it. */
export const RUNBOOK_ANCHORS: Readonly<Record<string, string>> = {
  ArchiveFailedAlarm: 'audit-entries-not-archived-archivefailedalarm',
  ArchiveLagAlarm: 'audit-archive-behind-archivelagalarm',
  AuditEntryChangedAlarm: 'audit-entry-changed-auditentrychangedalarm',
};
/** Prefixes the archive function writes: inserted entries, and changes to entries. */
export const ARCHIVE_PREFIXES = ['entries/', 'changes/'] as const;
/** Prefix of the raw HRIS deliveries in their bucket. */
export const DELIVERY_PREFIX = 'deliveries/';
/** Attempts per batch of stream records before its range goes to the failure destination. */
export const ARCHIVE_RETRY_ATTEMPTS = 10;
/** How far behind the stream the archive may fall before it alarms; the stream keeps records 24 hours. */
export const ARCHIVE_LAG_ALARM = Duration.hours(1);

/** A function that receives a bucket's name in its environment. */
type BindableFunction = IFunction & { addEnvironment(key: string, value: string): unknown };

export interface AuditArchiveProps {
  /** The validated config: `audit.archiveRetentionDays`, `audit.rawPayloadRetentionDays`; inlined in the function. */
  readonly config: ScimitarConfig;
  /** The audit table; it must have a stream with new and old images (AuditStore sets it). */
  readonly auditTable: ITable;
  /** Where the archive's alarms go. */
  readonly alarmTopic: ITopic;
  /**
   * What happens to the buckets when the stack is deleted. The archive is evidence: keep it
   * (a bucket with locked objects cannot be emptied before they expire anyway).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class AuditArchive extends Construct {
  /** The archive: versioned, Object Lock in compliance mode with the configured default retention. */
  public readonly bucket: Bucket;
  /** Server access logs of the archive (and of the deliveries bucket): who read or wrote evidence. */
  public readonly accessLogBucket: Bucket;
  /** Raw HRIS deliveries, expired after `audit.rawPayloadRetentionDays`; absent when that is 0. */
  public readonly deliveryBucket?: Bucket;
  /** The stream consumer that writes the archive. */
  public readonly function: ScimitarFunction;
  /** Failure destination of the stream: ranges of records the function could not archive. */
  public readonly failedRecordsQueue: Queue;
  /** Some audit records could not be archived (their range is in the failure destination). */
  public readonly failedRecordsAlarm: IAlarm;
  /** The archive falls behind the audit table (records expire from the stream after 24 hours). */
  public readonly lagAlarm: IAlarm;
  /** An audit entry was overwritten or deleted in the table. */
  public readonly entryChangedAlarm: IAlarm;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    const { config, auditTable } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retentionDays = config.audit.archiveRetentionDays;
    if (!auditTable.tableStreamArn) {
      throw new Error(
        `AuditArchive ${id}: auditTable has no stream; give the table stream NEW_AND_OLD_IMAGES (AuditStore does)`,
      );
    }

    const secured = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    } as const;

    // Log delivery is granted by a bucket policy on the log bucket (naming the source bucket and
    // account), not the LogDeliveryWrite ACL: ACLs stay disabled on every bucket here.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.accessLogBucket = new Bucket(this, 'AccessLogBucket', {
      ...secured,
      // Log delivery writes with SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      lifecycleRules: [
        { expiration: Duration.days(retentionDays), noncurrentVersionExpiration: Duration.days(1) },
      ],
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket holds the server access logs of the audit archive and the deliveries bucket; logging it into itself would loop.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      ...secured,
      // SSE-S3: no key that someone could disable or schedule for deletion to make the archive unreadable.
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(retentionDays)),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'archive/',
    });

    const rawDays = config.audit.rawPayloadRetentionDays;
    if (rawDays > 0) {
      this.deliveryBucket = new Bucket(this, 'DeliveryBucket', {
        ...secured,
        encryption: BucketEncryption.S3_MANAGED,
        serverAccessLogsBucket: this.accessLogBucket,
        serverAccessLogsPrefix: 'deliveries/',
        // Unversioned: when the rule expires a delivery, it is gone for good.
        lifecycleRules: [{ prefix: DELIVERY_PREFIX, expiration: Duration.days(rawDays) }],
      });
    }

    this.failedRecordsQueue = new Queue(this, 'FailedRecords', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedRecordsQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: the stream event source's on-failure destination, holding the ranges of audit records the archive could not write; its alarm is ArchiveFailedAlarm.",
    });

    this.function = new ScimitarFunction(this, 'Function', {
      entry: 'audit-archive',
      config,
      description: 'scimitar audit archive: copy every audit entry to the Object Lock bucket',
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment: { ARCHIVE_BUCKET: this.bucket.bucketName },
    });
    // s3:PutObject only, on the two prefixes: no delete, no retention or legal-hold change, no read.
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: ARCHIVE_PREFIXES.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    this.function.addEventSource(
      new DynamoEventSource(auditTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: ARCHIVE_RETRY_ATTEMPTS,
        onFailure: new SqsDlq(this.failedRecordsQueue),
      }),
    );
    if (this.function.role) {
      const role = this.function.role;
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The DynamoDB stream event source grants dynamodb:ListStreams, which supports only Resource "*" and reads no data; the stream itself is named for the read actions.',
      });
      for (const prefix of ARCHIVE_PREFIXES) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.bucket)}.Arn>/${prefix}*]`,
          reason: `Each audit entry is a new object whose key is known only when it is written: s3:PutObject (and nothing else) under ${prefix} of the archive bucket.`,
        });
      }
    }

    const action = new SnsAction(props.alarmTopic);
    const alarm = (alarmId: string, description: string, metric: Metric, threshold: number) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: `scimitar: ${description}. Runbook: ${RUNBOOK}#${RUNBOOK_ANCHORS[alarmId]}`,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      return created;
    };
    this.failedRecordsAlarm = alarm(
      'ArchiveFailedAlarm',
      'audit entries could not be archived; the failed range is in the FailedRecords queue',
      this.failedRecordsQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      1,
    );
    this.lagAlarm = alarm(
      'ArchiveLagAlarm',
      `the audit archive is more than ${ARCHIVE_LAG_ALARM.toHumanString()} behind the audit table (the stream keeps records 24 hours)`,
      this.function.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
      ARCHIVE_LAG_ALARM.toMilliseconds(),
    );
    this.entryChangedAlarm = alarm(
      'AuditEntryChangedAlarm',
      'an audit entry was overwritten or deleted in the audit table; the archive holds it before and after',
      this.metricEntryChanged(),
      1,
    );
  }

  /** Overwritten or deleted audit entries the archive saw (Sum per 5 minutes). */
  public metricEntryChanged(options?: MetricOptions): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: AUDIT_ARCHIVE_METRICS.entryChanged,
      dimensionsMap: { service: serviceName('audit-archive') },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...options,
    });
  }

  /**
   * Lets the ingest function keep raw deliveries, when the config keeps them: sets `DELIVERY_BUCKET`
   * in its environment and grants `s3:PutObject` on `deliveries/*` of the deliveries bucket, nothing
   * else. Does nothing when `audit.rawPayloadRetentionDays` is 0.
   */
  public bindDeliveryStore(fn: BindableFunction): void {
    if (!this.deliveryBucket) return;
    fn.addEnvironment('DELIVERY_BUCKET', this.deliveryBucket.bucketName);
    fn.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.deliveryBucket.arnForObjects(`${DELIVERY_PREFIX}*`)],
      }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.deliveryBucket)}.Arn>/${DELIVERY_PREFIX}*]`,
        reason:
          'Each raw delivery is a new object named by its SHA-256, known only when it arrives: s3:PutObject (and nothing else) under deliveries/ of the deliveries bucket.',
      });
    }
  }

  private logicalIdOf(bucket: Bucket): string {
    return Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement);
  }
}
