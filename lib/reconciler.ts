// The reconciler as one construct: its function (on a schedule, continuing itself when a round
// outlives one invocation), the roster upload function, least-privilege grants, and the alarms on
// privileged orphans or drift and on incomplete passes. No business logic here.
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarm,
  MathExpression,
  Metric,
  type MetricOptions,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type IGrantable, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LANE_ENV } from '../lambdas/aws/target-env.ts';
import type { ScimitarConfig, ScimTargetConfig } from '../lambdas/core/model/config.ts';
import { RECONCILE_METRICS } from '../lambdas/core/model/metrics.ts';
import type { AuditStore } from './audit-store.ts';
import { invokeOnSchedule } from './schedule-role.ts';
import { METRICS_NAMESPACE, ScimitarFunction, serviceName } from './scimitar-function.ts';

export const RECONCILE_SERVICE = serviceName('reconcile');

const RUNBOOK = 'docs/reconciliation.md';

/** The lanes as the reconciler uses them: drift goes back to a target's lane queue. */
export interface ReconcilerLanes {
  /** `https://sqs.<region>.<suffix>/<account>/`: the reconciler derives each lane's URL from it. */
  readonly queueUrlPrefix: string;
  /** How long every lane queue keeps a message: a remediation queued counts as waiting this long. */
  readonly queueRetention: Duration;
  /** Lets the reconciler send to every lane queue of the stack. */
  grantSendToLanes(grantee: IGrantable): void;
}

/** The targets' credentials as the reconciler uses them. */
export interface ReconcilerSecrets {
  /** Lets the reconciler read every SCIM target's credential. */
  grantReadTargetSecrets(grantee: IGrantable): void;
}

/**
 * A Metrics Insights query over one reconciler metric, one series per target (GROUP BY target):
 * an alarm on it names the targets in ALARM as its contributors, whatever their number.
 * Grammar checked against AWS's page (SELECT FUNCTION(metric) FROM namespace | SCHEMA(namespace,
 * labelKey, …) [WHERE labelKey OPERATOR 'value' [AND …]] [GROUP BY labelKey] [ORDER BY FUNCTION()
 * [DESC|ASC]] [LIMIT n]; MAX is one of AVG, COUNT, MAX, MIN, SUM; a namespace with "/" is
 * double-quoted, a plain one such as Scimitar need not be):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html
 * An alarm on it evaluates at most the last 3 hours, and up to 500 series (one per target here):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html
 */
export function reconcileQuery(metricName: string): string {
  return `SELECT MAX(${metricName}) FROM SCHEMA(${METRICS_NAMESPACE}, service, target) WHERE service = '${RECONCILE_SERVICE}' GROUP BY target`;
}

export interface ReconcilerProps {
  /** The validated config; inlined into the bundles (SCIMITAR_CONFIG). */
  readonly config: ScimitarConfig;
  /**
   * Audit log and state table. The reconciler appends to the audit log (`grantAppend`) and
   * writes only its `TARGET#` items of the state table (`grantReconcile`); the roster upload
   * writes only the roster (`grantReplaceRoster`).
   */
  readonly auditStore: AuditStore;
  /** Every SCIM target's lane queue (drift is re-queued there). */
  readonly lanes: ReconcilerLanes;
  /** Every SCIM target's credential. */
  readonly secrets: ReconcilerSecrets;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /**
   * Time per invocation; a round that needs longer continues in the next invocation.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * The roster and one page are in memory; 100,000 people take about 100 MB.
   * @default 1024
   */
  readonly memorySize?: number;
  /** How long both functions' logs are kept. @default RetentionDays.ONE_YEAR */
  readonly logRetention?: RetentionDays;
}

export class Reconciler extends Construct {
  /** The reconciler function (schedule, CLI: `aws lambda invoke`, and its own continuations). */
  public readonly function: ScimitarFunction;
  /** Roster upload (API Gateway proxy integration); attach it to an IAM-authorised route. */
  public readonly rosterUploadFunction: ScimitarFunction;
  public readonly schedule: Schedule;
  /** Scheduled runs never delivered, and failed asynchronous invocations (its continuations included). */
  public readonly deadLetterQueue: Queue;
  /** Fires on any message in {@link deadLetterQueue}. */
  public readonly deadLetterAlarm: Alarm;
  /** The SCIM targets reconciled, in config order. */
  public readonly targetIds: readonly string[];
  /**
   * Fires when any privileged-tier target has an orphan or drift (its contributors name the
   * targets); absent without privileged SCIM targets.
   */
  public readonly privilegedFindingsAlarm?: IAlarm;
  /** Fires when any target's pass ends incomplete (its contributors name the targets). */
  public readonly incompleteAlarm: IAlarm;
  public readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const { config, auditStore } = props;
    const scimTargets = config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
    this.targetIds = scimTargets.map((t) => t.id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_YEAR;

    this.function = new ScimitarFunction(this, 'Function', {
      entry: 'reconcile',
      config,
      description: 'scimitar reconciler: classifies every SCIM account, re-queues drift',
      timeout: props.timeout ?? Duration.minutes(15),
      memorySize: props.memorySize ?? 1024,
      logRetention,
      environment: {
        STATE_TABLE: auditStore.stateTable.tableName,
        // One variable whatever the target count: lane queue names follow the stack's convention.
        [LANE_ENV.queueUrlPrefix]: props.lanes.queueUrlPrefix,
        // Every lane's retention (one for all lanes): how long a remediation queued may still wait.
        [LANE_ENV.queueRetentionSeconds]: String(props.lanes.queueRetention.toSeconds()),
      },
    });
    auditStore.bindAppend(this.function);
    auditStore.grantReconcile(this.function);
    props.secrets.grantReadTargetSecrets(this.function);
    props.lanes.grantSendToLanes(this.function);
    // In its own policy: the function's default policy referring to the function would be a cycle.
    new Policy(this, 'ContinuePolicy', {
      roles: this.function.role ? [this.function.role] : [],
      statements: [
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
      ],
    });

    this.rosterUploadFunction = new ScimitarFunction(this, 'RosterUploadFunction', {
      entry: 'roster-upload',
      config,
      description: 'scimitar roster upload: replaces the HR roster the reconciler reads',
      // Within API Gateway's 29-second integration limit: a slower answer would be a 5XX for an
      // upload that may still succeed.
      timeout: Duration.seconds(28),
      memorySize: 1024,
      logRetention,
      environment: { STATE_TABLE: auditStore.stateTable.tableName },
    });
    auditStore.grantReplaceRoster(this.rosterUploadFunction);

    const scheduled = invokeOnSchedule(this, {
      fn: this.function,
      what: 'reconciler',
      description: 'scimitar: reconcile every SCIM target',
      expression: config.reconciliation.schedule,
      input: { source: 'schedule' },
      // Scheduler retries only a delivery Lambda refused: no pass runs twice.
      deliveryRetries: { attempts: 3, maxEventAge: Duration.hours(1) },
      // A failed invocation is retried by the next schedule, which resumes its checkpoint; a failed
      // continuation keeps its payload (the round's place) in the dead-letter queue.
      invocationRetries: 0,
      alarmTopic: props.alarmTopic,
      runbook: 'docs/operations.md#lost-scheduled-runs',
      ids: { role: 'ScheduleRole', schedule: 'Schedule' },
    });
    this.schedule = scheduled.schedule;
    this.deadLetterQueue = scheduled.deadLetterQueue;
    this.deadLetterAlarm = scheduled.deadLetterAlarm;

    const action = new SnsAction(props.alarmTopic);
    // Metrics arrive once per pass: between passes the alarms keep the state of the last one
    // (missing data ignored). One Metrics Insights alarm per concern covers every target; each
    // target in ALARM is a contributor the notification names.
    const anyTarget = (id: string, metricName: string, description: string) => {
      const alarm = new Alarm(this, id, {
        alarmDescription: description,
        metric: new MathExpression({
          expression: reconcileQuery(metricName),
          usingMetrics: {},
          period: Duration.hours(1),
          label: metricName,
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.IGNORE,
      });
      alarm.addAlarmAction(action);
      return alarm;
    };
    if (scimTargets.some((t) => t.tier === 'privileged')) {
      this.privilegedFindingsAlarm = anyTarget(
        'PrivilegedFindingsAlarm',
        RECONCILE_METRICS.privilegedFindings,
        `scimitar: a privileged-tier target has an orphan or a drift account. Runbook: ${RUNBOOK}#privileged-orphan-or-drift-privilegedfindingsalarm`,
      );
    }
    this.incompleteAlarm = anyTarget(
      'IncompleteAlarm',
      RECONCILE_METRICS.incomplete,
      `scimitar: a target could not be reconciled completely: it is not known to be clean. Runbook: ${RUNBOOK}#incomplete-reconciliation-incompletealarm`,
    );

    this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmDescription: `scimitar: the reconciler function failed (crash or timeout); its next run resumes the checkpoint. Runbook: ${RUNBOOK}#reconciler-errors-errorsalarm`,
      metric: this.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm.addAlarmAction(action);
  }

  /** Orphans a target's last pass found (Maximum per hour; an incomplete pass reports only non-zero). */
  public metricOrphans(targetId: string, options?: MetricOptions): Metric {
    return this.metric(RECONCILE_METRICS.orphans, targetId, options);
  }

  /** Drift accounts a target's last pass found (Maximum per hour; an incomplete pass reports only non-zero). */
  public metricDrift(targetId: string, options?: MetricOptions): Metric {
    return this.metric(RECONCILE_METRICS.drift, targetId, options);
  }

  /** Writes a target's last pass queued: drift, due deletions, orphans when deactivated (Maximum per hour). */
  public metricRemediated(targetId: string, options?: MetricOptions): Metric {
    return this.metric(RECONCILE_METRICS.remediated, targetId, options);
  }

  /** 1 when a target's last pass ended incomplete, 0 when it completed (Maximum per hour). */
  public metricIncomplete(targetId: string, options?: MetricOptions): Metric {
    return this.metric(RECONCILE_METRICS.incomplete, targetId, options);
  }

  /** One reconciler metric per target, the 20 highest (Metrics Insights; for dashboards). */
  public metricTopTargets(metricName: string): MathExpression {
    return new MathExpression({
      expression: `${reconcileQuery(metricName)} ORDER BY MAX() DESC LIMIT 20`,
      usingMetrics: {},
      period: Duration.hours(1),
      label: metricName,
    });
  }

  private metric(metricName: string, targetId: string, options?: MetricOptions): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: RECONCILE_SERVICE, target: targetId },
      statistic: 'Maximum',
      period: Duration.hours(1),
      ...options,
    });
  }
}
