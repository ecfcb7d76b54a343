// The pulls as one construct: one function on EventBridge Scheduler schedules (the roster pull on
// `roster.schedule`; each Workday source's terminations poll on its own schedule), least-privilege
// grants, and the alarms: a failed pull (the function's Errors), a lost run (the schedules' one
// dead-letter queue) and Workday rows refused as unreadable. No business logic here.
import { Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ScimitarConfig, SourceConfig, WorkdaySourceConfig } from '../lambdas/core/model/config.ts';
import { PULL_METRICS } from '../lambdas/core/model/metrics.ts';
import type { AuditStore } from './audit-store.ts';
import { invokeOnSchedule } from './schedule-role.ts';
import { METRICS_NAMESPACE, ScimitarFunction, serviceName } from './scimitar-function.ts';
import type { TerminationSchedules } from './termination-schedules.ts';
import type { TokenVault } from './token-vault.ts';

export const PULL_SERVICE = serviceName('pull');
const RUNBOOK = 'docs/operations.md#roster-pull-failed';

/** The Workday sources whose terminations are polled. */
export function polledSources(config: Pick<ScimitarConfig, 'sources'>): WorkdaySourceConfig[] {
  return config.sources.filter(
    (s): s is WorkdaySourceConfig => s.kind === 'workday' && s.terminations !== undefined,
  );
}

/** Whether the config asks for the pull function at all: a roster pull or a polled source. */
export function needsPull(config: Pick<ScimitarConfig, 'sources' | 'roster'>): boolean {
  return config.roster !== undefined || polledSources(config).length > 0;
}

/** The workflow as a poll starts it (a termination effective now). */
export interface PullWorkflow {
  readonly stateMachine: { readonly stateMachineArn: string };
  grantStartExecution(grantee: IGrantable): unknown;
}

export interface RosterPullProps {
  /** The validated config; inlined into the bundle (its `pull` projection). */
  readonly config: ScimitarConfig;
  /**
   * The roster (`grantReplaceRoster`), the polls' cursors (`grantPollCursors`), and for polls the
   * audit log and pending terminations, as ingest has them.
   */
  readonly auditStore: AuditStore;
  /** The HRIS credentials (`grantReadPullSecrets`: the pulled sources' only). */
  readonly vault: Pick<TokenVault, 'grantReadPullSecrets'>;
  /** Polls start terminations effective now. */
  readonly workflow: PullWorkflow;
  /** Polls schedule later terminations. */
  readonly schedules: Pick<TerminationSchedules, 'bind'>;
  /** Polls tell owners of a rescind after the start, as ingest does. */
  readonly ownerTopic: ITopic;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /** @default RetentionDays.ONE_YEAR */
  readonly logRetention?: RetentionDays;
}

export class RosterPull extends Construct {
  public readonly function: ScimitarFunction;
  /** The roster pull's schedule; absent without `roster` in the config. */
  public readonly rosterSchedule?: Schedule;
  /** One per polled Workday source, by source id. */
  public readonly pollSchedules: ReadonlyMap<string, Schedule>;
  /** Undelivered runs and failed invocations (after Lambda's retries) of every schedule. */
  public readonly deadLetterQueue: Queue;
  public readonly deadLetterAlarm: Alarm;
  /** Fires when a pull or a poll failed: the roster in place stays, the poll's window is read again. */
  public readonly failedAlarm: Alarm;
  /** Fires when a poll refused rows it could not read; absent without polled sources. */
  public readonly rejectedAlarm?: Alarm;

  constructor(scope: Construct, id: string, props: RosterPullProps) {
    super(scope, id);
    const { config, auditStore } = props;
    const polled = polledSources(config);
    if (!needsPull(config)) {
      throw new Error(`RosterPull ${id}: the config has no roster pull and no polled Workday source`);
    }

    this.function = new ScimitarFunction(this, 'Function', {
      entry: 'pull',
      config,
      description: 'scimitar pull: replaces the roster from the HRIS, polls Workday terminations',
      // A whole roster in one answer (HiBob does not page); well within Lambda's 15 minutes.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      logRetention: props.logRetention ?? RetentionDays.ONE_YEAR,
      environment: { STATE_TABLE: auditStore.stateTable.tableName },
    });
    const fn = this.function;
    const pulled: SourceConfig[] = [
      ...config.sources.filter((s) => s.id === config.roster?.source),
      ...polled.filter((s) => s.id !== config.roster?.source),
    ];
    props.vault.grantReadPullSecrets(fn, pulled);
    if (config.roster) auditStore.grantReplaceRoster(fn);
    if (polled.length > 0) {
      // What ingest holds for the same work: RECEIVED, the pending termination, its schedule or start.
      fn.addEnvironment('STATE_MACHINE_ARN', props.workflow.stateMachine.stateMachineArn);
      fn.addEnvironment('OWNER_TOPIC_ARN', props.ownerTopic.topicArn);
      props.workflow.grantStartExecution(fn);
      auditStore.bindAppend(fn);
      auditStore.grantReadAudit(fn);
      auditStore.bindPendingTerminations(fn);
      auditStore.bindRecordNotifications(fn);
      auditStore.grantPollCursors(fn);
      props.schedules.bind(fn);
      props.ownerTopic.grantPublish(fn);
      if (fn.role) {
        Validations.of(fn.role).acknowledge({
          id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
          reason:
            'SNS documents kms:GenerateDataKey* with kms:Decrypt for publishers to an encrypted topic; the statement names the one topic key.',
        });
      }
    }

    // One dead-letter queue and role for every schedule: a function has one asynchronous invoke config.
    const jobs = [
      ...(config.roster
        ? [
            {
              id: 'RosterSchedule',
              expression: config.roster.schedule,
              input: { job: 'roster' },
              what: 'roster pull',
            },
          ]
        : []),
      ...polled.map((s) => ({
        id: `Poll-${s.id}`,
        expression: s.terminations?.schedule ?? 'rate(15 minutes)',
        input: { job: 'terminations', source: s.id },
        what: `Workday poll of ${s.id}`,
      })),
    ];
    const [first, ...rest] = jobs as [(typeof jobs)[number], ...typeof jobs];
    const scheduled = invokeOnSchedule(this, {
      fn,
      what: 'pull function',
      description: `scimitar: ${first.what}`,
      expression: first.expression,
      input: first.input,
      // Scheduler retries a delivery Lambda refused; Lambda retries a failed pull twice.
      deliveryRetries: { attempts: 3, maxEventAge: Duration.hours(1) },
      invocationRetries: 2,
      alarmTopic: props.alarmTopic,
      runbook: RUNBOOK,
      ids: { role: 'ScheduleRole', schedule: first.id },
    });
    this.deadLetterQueue = scheduled.deadLetterQueue;
    this.deadLetterAlarm = scheduled.deadLetterAlarm;
    const schedules = new Map<string, Schedule>([[first.id, scheduled.schedule]]);
    for (const job of rest) {
      schedules.set(
        job.id,
        new Schedule(this, job.id, {
          description: `scimitar: ${job.what}`,
          schedule: ScheduleExpression.expression(job.expression),
          target: new LambdaInvoke(fn, {
            role: scheduled.role,
            input: ScheduleTargetInput.fromObject(job.input),
            retryAttempts: 3,
            maxEventAge: Duration.hours(1),
            deadLetterQueue: scheduled.deadLetterQueue,
          }),
        }),
      );
    }
    this.rosterSchedule = schedules.get('RosterSchedule');
    this.pollSchedules = new Map(polled.map((s) => [s.id, schedules.get(`Poll-${s.id}`) as Schedule]));

    const action = new SnsAction(props.alarmTopic);
    this.failedAlarm = new Alarm(this, 'FailedAlarm', {
      alarmDescription: `scimitar: a roster pull or a Workday poll failed (a refused credential, the HRIS unreachable or throttling, a roster refused by validation): the roster in place stays, a poll reads its window again. Runbook: ${RUNBOOK}`,
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.failedAlarm.addAlarmAction(action);

    if (polled.length > 0) {
      this.rejectedAlarm = new Alarm(this, 'RejectedAlarm', {
        alarmDescription: `scimitar: a Workday poll refused report rows it could not read (no event reference, a bad date): those terminations were not acted on. Runbook: docs/operations.md#workday-rows-rejected`,
        metric: new MathExpression({
          expression: `SELECT MAX(${PULL_METRICS.recordsRejected}) FROM SCHEMA(${METRICS_NAMESPACE}, service, source) WHERE service = '${PULL_SERVICE}' GROUP BY source`,
          usingMetrics: {},
          period: Duration.minutes(15),
          label: PULL_METRICS.recordsRejected,
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.rejectedAlarm.addAlarmAction(action);
    }
  }

  /** Rosters replaced by pulls (Sum per hour); the stale-roster alarm adds them to uploads. */
  public metricRosterPulled(period = Duration.hours(1)): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: PULL_METRICS.rosterPulled,
      dimensionsMap: { service: PULL_SERVICE },
      statistic: 'Sum',
      period,
    });
  }
}
