// The reconciler as one construct: its function (on a schedule, continuing itself when a round
// outlives one invocation), the roster upload function, least-privilege grants, and the alarms on
// privileged orphans or drift and on incomplete passes. No business logic here.
import { Aws, Duration, Fn, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmRule,
  ComparisonOperator,
  CompositeAlarm,
  type IAlarm,
  MathExpression,
  Metric,
  type MetricOptions,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TARGET_ENV, TARGET_ENV_BYTES_PER_TARGET } from '../lambdas/aws/target-env.ts';
import type { ScimitarConfig, ScimTargetConfig } from '../lambdas/core/config.ts';
import { RECONCILE_METRICS } from '../lambdas/handlers/reconcile.ts';
import type { AuditStore } from './audit-store.ts';
import { invokeOnSchedule } from './schedule-role.ts';
import { METRICS_NAMESPACE, ScimitarFunction, serviceName } from './scimitar-function.ts';

/** Powertools adds `service` to every metric's dimensions: the alarms must name the same value. */

/** Orphans plus drift of a target, a missing series counting as 0. */
export const PRIVILEGED_FINDINGS_EXPRESSION = 'FILL(orphans, 0) + FILL(drift, 0)';
export const RECONCILE_SERVICE = serviceName('reconcile');

const RUNBOOK = 'docs/reconciliation.md';

export interface ReconcilerTargetResources {
  /** The target's lane queue: drift is re-queued there. */
  readonly queue: IQueue;
  /** The target's SCIM credential. */
  readonly secret: ISecret;
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
  /** Lane queue and secret of every SCIM target in the config, by target id. */
  readonly targets: Readonly<Record<string, ReconcilerTargetResources>>;
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

/** Lambda caps environment variables at 4 KB; what is not per target takes about 600 bytes. */
const ENV_BUDGET_BYTES = 4096 - 600;

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
  /** Fires when any privileged-tier target has an orphan or drift; absent without privileged SCIM targets. */
  public readonly privilegedFindingsAlarm?: IAlarm;
  /** Fires when a target's pass ends incomplete. */
  public readonly incompleteAlarm: IAlarm;
  public readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const { config, auditStore } = props;
    const scimTargets = config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
    validateTargets(scimTargets, props.targets);
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
        ...targetEnvironment(this, scimTargets, props.targets),
      },
    });
    auditStore.bindAppend(this.function);
    auditStore.grantReconcile(this.function);
    for (const target of scimTargets) {
      const resources = props.targets[target.id] as ReconcilerTargetResources;
      resources.secret.grantRead(this.function);
      resources.queue.grantSendMessages(this.function);
    }
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
    // Metrics arrive once per pass: between passes the alarm keeps the state of the last one.
    const perTarget = (
      kind: 'Findings' | 'Incomplete',
      target: ScimTargetConfig,
      metric: MathExpression | Metric,
    ) =>
      new Alarm(this, `${kind}${pascal(target.id)}`, {
        alarmDescription: `scimitar: ${kind === 'Findings' ? 'orphans or drift' : 'incomplete reconciliation'} in ${target.displayName} (${target.id}). Runbook: ${RUNBOOK}#runbook-alarms`,
        metric,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.IGNORE,
      });

    const privileged = scimTargets.filter((t) => t.tier === 'privileged');
    if (privileged.length > 0) {
      const findings = privileged.map((t) =>
        perTarget(
          'Findings',
          t,
          new MathExpression({
            // An incomplete pass publishes only what it found: without FILL, a drift point with no
            // orphan point beside it would sum to no data, and the alarm would miss it.
            expression: PRIVILEGED_FINDINGS_EXPRESSION,
            usingMetrics: { orphans: this.metricOrphans(t.id), drift: this.metricDrift(t.id) },
            period: Duration.hours(1),
            label: `orphans and drift in ${t.id}`,
          }),
        ),
      );
      const alarm = new CompositeAlarm(this, 'PrivilegedFindingsAlarm', {
        alarmDescription: `scimitar: a privileged-tier target has an orphan or a drift account. Runbook: ${RUNBOOK}#privileged-orphan-or-drift-privilegedfindingsalarm`,
        alarmRule: AlarmRule.anyOf(...findings),
      });
      alarm.addAlarmAction(action);
      this.privilegedFindingsAlarm = alarm;
    }
    const incomplete = scimTargets.map((t) => perTarget('Incomplete', t, this.metricIncomplete(t.id)));
    const incompleteAlarm = new CompositeAlarm(this, 'IncompleteAlarm', {
      alarmDescription: `scimitar: a target could not be reconciled completely: it is not known to be clean. Runbook: ${RUNBOOK}#incomplete-reconciliation-incompletealarm`,
      alarmRule: AlarmRule.anyOf(...incomplete),
    });
    incompleteAlarm.addAlarmAction(action);
    this.incompleteAlarm = incompleteAlarm;

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

function pascal(id: string): string {
  return id
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function validateTargets(
  scimTargets: readonly ScimTargetConfig[],
  targets: Readonly<Record<string, ReconcilerTargetResources>>,
): void {
  const missing = scimTargets.filter((t) => !targets[t.id]).map((t) => t.id);
  if (missing.length > 0) {
    throw new Error(
      `Reconciler: props.targets has no queue and secret for SCIM target(s) ${missing.join(', ')}; give { queue, secret } for each SCIM target of the config`,
    );
  }
  const extra = Object.keys(targets).filter((id) => !scimTargets.some((t) => t.id === id));
  if (extra.length > 0) {
    throw new Error(
      `Reconciler: props.targets names ${extra.join(', ')}, which the config has no SCIM target for; remove them or add the targets to the config`,
    );
  }
  const estimate = scimTargets.reduce((sum, t) => sum + 2 * t.id.length + TARGET_ENV_BYTES_PER_TARGET, 0);
  if (estimate > ENV_BUDGET_BYTES) {
    throw new Error(
      `Reconciler: ${scimTargets.length} SCIM targets need about ${estimate} bytes of environment; Lambda allows 4 KB in total. Use shorter target ids, or reconcile the targets from more than one stack`,
    );
  }
}

/** The compact per-target environment of target-env.ts, resolved at deploy time. */
function targetEnvironment(
  scope: Construct,
  scimTargets: readonly ScimTargetConfig[],
  targets: Readonly<Record<string, ReconcilerTargetResources>>,
): Record<string, string> {
  const queues: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const target of scimTargets) {
    const { queue, secret } = targets[target.id] as ReconcilerTargetResources;
    // https://sqs.<region>.<suffix>/<account>/<name>  and  arn:<partition>:secretsmanager:<region>:<account>:secret:<name>
    queues[target.id] = Fn.select(4, Fn.split('/', queue.queueUrl));
    secrets[target.id] = Fn.select(6, Fn.split(':', secret.secretArn));
  }
  const stack = Stack.of(scope);
  return {
    [TARGET_ENV.queueUrlPrefix]: `https://sqs.${Aws.REGION}.${Aws.URL_SUFFIX}/${Aws.ACCOUNT_ID}/`,
    [TARGET_ENV.queues]: stack.toJsonString(queues),
    [TARGET_ENV.secretArnPrefix]: `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:`,
    [TARGET_ENV.secrets]: stack.toJsonString(secrets),
  };
}
