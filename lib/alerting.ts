// Nothing fails silently: alarms on every dead letter, failed, aborted, throttled or timed-out
// execution, worker error, Lambda throttle, ingest 5XX and refused webhook, on HR events that stop
// arriving, a roster gone stale, a reconciler that stopped running and an aging source signing key
// go to the alert topic (CredentialRotation's and the Reconciler's alarms reach it too); target
// owners hear about manual tasks on their own topic; a dashboard shows latency, outcomes, dead
// letters, the credentials' health and reconciliation findings.
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';
import { warnAtDays } from '../lambdas/core/credentials/credential-age.ts';
import { type ScimitarConfig, sourceKeyAge } from '../lambdas/core/model/config.ts';
import { CREDENTIAL_AGE_METRICS, RECONCILE_METRICS, refusalCauses } from '../lambdas/core/model/metrics.ts';
import { scheduleIntervalMs } from '../lambdas/core/model/schedule.ts';
import { CANARY_SERVICE, type CredentialRotation, canaryMetricPeriod } from './credentials.ts';
import type { IngestApi } from './ingest-api.ts';
import type { Reconciler } from './reconciler.ts';
import type { RosterPull } from './roster-pull.ts';
import { absenceWindow } from './schedule-role.ts';
import { METRICS_NAMESPACE } from './scimitar-function.ts';
import type { LaneFleet } from './target-lane.ts';
import type { Workflow } from './workflow.ts';

/** CloudWatch lets a metric-math alarm read at most 10 metrics. */
const MAX_METRICS_PER_ALARM = 10;
/** Hours of 1-hour periods one alarm can evaluate (CloudWatch: at most 7 days). */
const MAX_EVALUATION_HOURS = 7 * 24;

/**
 * A lane queue's oldest message older than this alarms: a revocation normally leaves its lane in
 * minutes; an hour means the worker is not consuming the queue or the target keeps deferring it
 * (Retry-After), while the person keeps access.
 */
export const LANE_BACKLOG_ALARM = Duration.hours(1);

/**
 * A priority queue's oldest message older than this alarms: an urgent leaver (involuntary,
 * privileged-tier, revoke-now) is received at once beside any backlog and normally verified within
 * seconds; five minutes means the worker is not consuming it or the target is refusing it.
 */
export const URGENT_BACKLOG_ALARM = Duration.minutes(5);

/** Message attribute the owner topic filters on: plan must set it when it publishes. */
export const OWNER_TOPIC_TARGET_ATTRIBUTE = 'targetId';

export interface AlertingProps {
  /** `alerts.email` subscribes to the alert topic; owners of manual and custom targets to the owner topic. */
  readonly config: ScimitarConfig;
}

export class Alerting extends Construct {
  /** Alarms and partial revocations. */
  public readonly alertTopic: Topic;
  /** Manual tasks and delegated revocations, for target owners. */
  public readonly ownerTopic: Topic;
  public readonly dashboard: Dashboard;
  /** The key both topics are encrypted with; CloudWatch alarms may use it to publish. */
  public readonly encryptionKey: Key;
  private readonly routed: Alarm[] = [];
  private readonly config: ScimitarConfig;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;

    this.encryptionKey = new Key(this, 'Key', {
      description: 'scimitar alert and owner topics',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets them: the statement SNS
    // documents for AWS services that publish to encrypted topics, CloudWatch among them
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services):
    // principal cloudwatch.amazonaws.com, kms:Decrypt and kms:GenerateDataKey*, Resource "*". The
    // page rules out aws:SourceAccount and aws:SourceArn in the key policy for EventBridge
    // deliveries only, so the statement keeps both, narrowed to this account's alarms in this
    // region (no confused deputy). No offline test can show that CloudWatch's KMS request carries
    // them: the first post-deploy check does (`aws cloudwatch set-alarm-state`,
    // docs/operations.md#first-checks-after-deploy, which names the fix if it fails).
    const stack = Stack.of(this);
    const thisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    this.encryptionKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: thisAccountsAlarms,
      }),
    );

    this.alertTopic = new Topic(this, 'AlertTopic', {
      displayName: 'scimitar alerts',
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default policy: without
    // this statement no alarm action could publish ("no resource-based policy allows the
    // SNS:Publish action"). Only alarms of this account and region.
    this.alertTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
        conditions: thisAccountsAlarms,
      }),
    );
    if (config.alerts.email) {
      this.alertTopic.addSubscription(new EmailSubscription(config.alerts.email));
    }

    this.ownerTopic = new Topic(this, 'OwnerTopic', {
      displayName: 'scimitar tasks for application owners',
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    // Each owner receives only their targets' tasks; the alert address sees them all, so a
    // task whose publication lacks the targetId attribute still reaches a person.
    const targetsByOwner = new Map<string, string[]>();
    for (const target of config.targets) {
      // Owner tasks come from manual and custom targets; SCIM and session targets have lanes.
      if (target.kind === 'scim' || target.kind === 'session') continue;
      targetsByOwner.set(target.owner, [...(targetsByOwner.get(target.owner) ?? []), target.id]);
    }
    for (const [owner, targetIds] of targetsByOwner) {
      this.ownerTopic.addSubscription(
        new EmailSubscription(owner, {
          filterPolicy: {
            [OWNER_TOPIC_TARGET_ATTRIBUTE]: SubscriptionFilter.stringFilter({ allowlist: targetIds }),
          },
        }),
      );
    }
    if (config.alerts.email && targetsByOwner.size > 0) {
      this.ownerTopic.addSubscription(new EmailSubscription(config.alerts.email));
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# scimitar\nRevocation latency, outcomes and dead letters. Runbooks: docs/operations.md',
        width: 24,
        height: 2,
      }),
    );
  }

  /** Sends an alarm's ALARM state to the alert topic. */
  public route(alarm: Alarm): void {
    alarm.addAlarmAction(new SnsAction(this.alertTopic));
    this.routed.push(alarm);
  }

  /**
   * Every alarm this construct routed to the alert topic. CredentialRotation's and the
   * Reconciler's alarms are not among them: those constructs point them at the topic themselves
   * (their `alarmTopic`).
   */
  public get alarms(): readonly Alarm[] {
    return this.routed;
  }

  /**
   * Alarms on every lane's dead letters, its queue's oldest message and its priority queue's
   * oldest message, and on the shared worker's errors; the lanes' dashboard row. The lane alarms
   * are plain metric alarms, three per lane, in the lane's shard (nested stack), each named after its target: a Metrics Insights
   * query cannot select the stack's queues by name prefix (its WHERE takes only `=`, `!=` and
   * `AND`: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html),
   * and metric math reads at most 10 metrics per alarm.
   */
  public watchLanes(lanes: LaneFleet): void {
    const stackName = Stack.of(this).stackName;
    for (const lane of lanes.lanes) {
      this.route(
        new Alarm(lane, 'DeadLetterAlarm', {
          alarmName: `${stackName}-DeadLetters-${lane.targetId}`,
          alarmDescription: `scimitar: a revocation for target ${lane.targetId} exhausted its attempts and is in its dead-letter queue (${lane.deadLetterQueueName}). Runbook: docs/operations.md#dead-letter-queue`,
          metric: lane.metricDeadLetters(),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      this.route(
        new Alarm(lane, 'OldestMessageAlarm', {
          alarmName: `${stackName}-LaneBacklog-${lane.targetId}`,
          alarmDescription: `scimitar: a revocation for target ${lane.targetId} has waited in its lane queue (${lane.queueName}) for more than ${LANE_BACKLOG_ALARM.toHumanString()}: the worker is not consuming it, or the target keeps deferring it. Runbook: docs/operations.md#lane-backlog`,
          metric: lane.metricOldestMessageAge(),
          threshold: LANE_BACKLOG_ALARM.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      this.route(
        new Alarm(lane, 'UrgentBacklogAlarm', {
          alarmName: `${stackName}-UrgentBacklog-${lane.targetId}`,
          alarmDescription: `scimitar: an urgent leaver for target ${lane.targetId} has waited in its priority queue (${lane.priorityQueueName}) for more than ${URGENT_BACKLOG_ALARM.toHumanString()}: the worker is not consuming it, or the target keeps refusing or deferring it. Runbook: docs/operations.md#urgent-backlog`,
          metric: lane.metricOldestUrgentMessageAge(),
          threshold: URGENT_BACKLOG_ALARM.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    this.route(
      this.alarmOnAny('WorkerErrors', lanes.metricWorkerErrors(), {
        description:
          'scimitar: the lane worker failed an invocation (not a per-message failure: a crash, timeout or bug). Runbook: docs/operations.md#worker-errors',
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "The account's ten fullest queues (dead letters: <stack>_dlq_<target>), and ten oldest (s)",
        width: 12,
        left: [lanes.metricFullestQueues()],
        right: [lanes.metricOldestQueues()],
      }),
      new GraphWidget({
        title: 'Lane worker: errors and throttles',
        width: 12,
        left: [lanes.metricWorkerErrors(), lanes.metricWorkerThrottles()],
      }),
    );
  }

  /** Alarms on failed and timed-out executions; the latency and outcomes rows of the dashboard. */
  public watchWorkflow(workflow: Workflow): void {
    this.route(
      this.alarmOnAny('ExecutionsFailed', workflow.metricFailed(), {
        description:
          'scimitar: a revocation execution failed: at least one target was not revoked (PARTIAL) or a step errored. Runbook: docs/operations.md#executions-failed',
      }),
    );
    this.route(
      this.alarmOnAny('ExecutionsTimedOut', workflow.metricTimedOut(), {
        description:
          'scimitar: a revocation execution ran past its timeout. Runbook: docs/operations.md#executions-timed-out',
      }),
    );
    this.route(
      this.alarmOnAny('ExecutionsAborted', workflow.stateMachine.metricAborted(SUM_5_MIN), {
        description:
          'scimitar: a revocation execution was aborted (StopExecution by a person or a script): its targets may not all have been revoked. Runbook: docs/operations.md#executions-aborted',
      }),
    );
    this.route(
      this.alarmOnAny('ExecutionsThrottled', workflow.stateMachine.metricThrottled(SUM_5_MIN), {
        description:
          'scimitar: Step Functions throttled the workflow (StartExecution or a state transition): a revocation was delayed or, if ingest gave up, not started. Runbook: docs/operations.md#executions-throttled',
      }),
    );
    const outcomes: IMetric[] = [
      workflow.metricSucceeded({ label: 'completed' }),
      workflow.metricFailed({ label: 'failed or partial' }),
      workflow.metricTimedOut({ label: 'timed out' }),
    ];
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Revocation latency per target (p90, ms)',
        width: 12,
        left: [workflow.metricRevocationLatency()],
      }),
      new GraphWidget({
        title: 'Outcomes per target and status',
        width: 12,
        left: [workflow.metricTargetOutcomes()],
      }),
      new GraphWidget({ title: 'Revocation outcomes (executions)', width: 16, left: outcomes }),
      new SingleValueWidget({
        title: 'Outcomes, last day',
        width: 8,
        metrics: outcomes,
        setPeriodToTimeRange: true,
      }),
    );
  }

  /** Alarm on ingest 5XX answers; the ingest row of the dashboard. */
  private rosterPulls?: Pick<RosterPull, 'metricRosterPulled'>;

  /** Counts the roster pull's replacements with uploads in RosterStale; call before {@link watchIngestApi}. */
  public countRosterPulls(pull: Pick<RosterPull, 'metricRosterPulled'>): void {
    this.rosterPulls = pull;
  }

  public watchIngestApi(api: IngestApi): void {
    this.route(
      this.alarmOnAny('IngestServerErrors', api.metricServerErrors(), {
        description:
          'scimitar: the ingest API answered 5XX: an HRIS event or a roster upload may not have been accepted. Runbook: docs/operations.md#ingest-5xx',
      }),
    );
    const { alerts } = this.config;
    for (const cause of refusalCauses) {
      this.route(
        new Alarm(this, `IngestRefused${pascal(cause)}`, {
          alarmDescription: `scimitar: the ingest API refused ${alerts.refusedDeliveries} or more HRIS deliveries in 5 minutes for cause "${cause}" (${REFUSAL_MEANING[cause]}). Runbook: docs/operations.md#ingest-refused`,
          metric: api.metricDeliveriesRefused(cause),
          threshold: alerts.refusedDeliveries,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    // Silence is the failure here: no data for the whole window counts as breaching.
    const days = alerts.daysWithoutEvents;
    this.route(
      new Alarm(this, 'NoEventsAccepted', {
        alarmDescription: `scimitar: no HRIS delivery was accepted for ${days} day(s): the webhook may be broken, pointed elsewhere or signing with another key. Runbook: docs/operations.md#no-events-accepted`,
        metric: api.metricDeliveriesAccepted({ period: Duration.days(1) }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: days,
        datapointsToAlarm: days,
        treatMissingData: TreatMissingData.BREACHING,
      }),
    );
    if (api.rosterMethod) {
      // The roster's age passes rosterMaxAgeHours exactly when no upload succeeded within that many
      // hours (every upload replaces it). CloudWatch evaluates at most 7 days.
      const hours = Math.min(this.config.reconciliation.rosterMaxAgeHours, MAX_EVALUATION_HOURS);
      this.route(
        new Alarm(this, 'RosterStale', {
          alarmDescription: `scimitar: no roster upload${this.rosterPulls ? ' or pull' : ''} succeeded for ${hours} hours: the reconciler will refuse the stale roster (reconciliation.rosterMaxAgeHours ${this.config.reconciliation.rosterMaxAgeHours}). Runbook: docs/operations.md#roster-stale`,
          // With a roster pull, a pull replaces the roster as an upload does: either counts.
          metric: this.rosterPulls
            ? new MathExpression({
                expression: 'FILL(uploads, 0) + FILL(pulls, 0)',
                usingMetrics: {
                  uploads: api.metricRosterUploads({ period: Duration.hours(1) }),
                  pulls: this.rosterPulls.metricRosterPulled(Duration.hours(1)),
                },
                period: Duration.hours(1),
                label: 'roster uploads and pulls',
              })
            : api.metricRosterUploads({ period: Duration.hours(1) }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: hours,
          datapointsToAlarm: hours,
          treatMissingData: TreatMissingData.BREACHING,
        }),
      );
    }
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Ingest: events, client and server errors',
        width: 12,
        left: [api.metricRequests({ label: 'requests' })],
        right: [api.metricClientErrors({ label: '4XX' }), api.metricServerErrors({ label: '5XX' })],
      }),
      new GraphWidget({
        title: 'Ingest: deliveries accepted, and refused by cause',
        width: 12,
        left: [api.metricDeliveriesAccepted({ period: Duration.minutes(5), label: 'accepted' })],
        right: refusalCauses.map((cause) =>
          api.metricDeliveriesRefused(cause, { label: `refused: ${cause}` }),
        ),
      }),
    );
  }

  /**
   * Alarms when any Lambda function in `scope` (the stack) is throttled: one alarm per 10
   * functions (CloudWatch's limit for metric math), `LambdaThrottles`, `LambdaThrottles2`, ...
   * Call it after every function is created; a CDK test checks that none is left out.
   */
  public watchThrottles(scope: IConstruct): void {
    const functions = scope.node
      .findAll()
      .filter((c): c is LambdaFunction => c instanceof LambdaFunction)
      .sort((a, b) => a.node.path.localeCompare(b.node.path));
    for (let i = 0; i < functions.length; i += MAX_METRICS_PER_ALARM) {
      const group = functions.slice(i, i + MAX_METRICS_PER_ALARM);
      const n = i / MAX_METRICS_PER_ALARM + 1;
      this.route(
        new Alarm(this, n === 1 ? 'LambdaThrottles' : `LambdaThrottles${n}`, {
          alarmDescription: `scimitar: Lambda throttled ${group.length === 1 ? 'a function' : 'one of these functions'} (account concurrency exhausted or a reserved limit): ${group.map((f) => f.node.path).join(', ')}. Runbook: docs/operations.md#lambda-throttles`,
          metric: new MathExpression({
            expression: 'SUM(FILL(METRICS(), 0))',
            usingMetrics: Object.fromEntries(group.map((fn, j) => [`t${j}`, fn.metricThrottles(SUM_5_MIN)])),
            period: Duration.minutes(5),
            label: 'throttled invocations',
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }

  /**
   * The credentials row of the dashboard: canary probes per target, the age of hand-renewed
   * tokens against their alarm thresholds, and the state of every credential alarm. The alarms
   * themselves already notify the alert topic (CredentialRotation's `alarmTopic`).
   */
  public watchCredentials(credentials: CredentialRotation): void {
    const alarms = [
      ...(credentials.rotationFailedAlarm ? [credentials.rotationFailedAlarm] : []),
      credentials.canaryErrorsAlarm,
      credentials.canaryMissingAlarm,
      credentials.canaryFailedAlarm,
      ...(credentials.credentialAgeAlarm ? [credentials.credentialAgeAlarm] : []),
    ];
    const widgets: IWidget[] = [
      new TextWidget({
        markdown: '## Credentials\nCanary probes, credential age, rotation. Runbooks: docs/credentials.md',
        width: 24,
        height: 2,
      }),
    ];
    if (credentials.probedTargetIds.length > 0) {
      widgets.push(
        new GraphWidget({
          title: 'Canary: failed probe per target (1 = failed)',
          width: 12,
          left: [credentials.canaryFailedAlarm.metric],
          leftYAxis: { min: 0, max: 1 },
        }),
      );
    }
    if (credentials.credentialAgeAlarm) {
      widgets.push(
        new GraphWidget({
          title: 'Manual targets due for renewal (1 = due)',
          width: 12,
          left: [credentials.credentialAgeAlarm.metric],
          leftYAxis: { min: 0, max: 1 },
        }),
      );
    }
    // The canary measures the sources' signing keys too (SourceKeyAgeDays per source).
    const period = canaryMetricPeriod(this.config.canary.schedule);
    for (const source of this.config.sources) {
      const limit = sourceKeyAge(source);
      const alarm = new Alarm(this, `SourceKeyAge-${source.id}`, {
        alarmDescription: `scimitar: the signing key of HRIS source "${source.id}" is ${warnAtDays(limit)} days old or more, within ${limit.warnDaysBefore} days of its ${limit.maxAgeDays}-day limit; change it in the HRIS and the secret together. Runbook: docs/operations.md#source-key-age`,
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: CREDENTIAL_AGE_METRICS.sourceKey,
          dimensionsMap: { service: CANARY_SERVICE, source: source.id },
          statistic: 'Maximum',
          period,
        }),
        threshold: warnAtDays(limit),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // No data means no measurement: CanaryErrors or CanaryMissing says so.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.route(alarm);
      alarms.push(alarm);
    }
    widgets.push(new AlarmStatusWidget({ title: 'Credential alarms', width: 24, alarms }));
    this.dashboard.addWidgets(...widgets);
  }

  /**
   * The reconciliation row of the dashboard: orphans, drift and remediated writes per target, as
   * each target's last pass reported them, and the state of the reconciler's alarms. The alarms
   * already notify the alert topic (the Reconciler's `alarmTopic`).
   */
  public watchReconciler(reconciler: Reconciler): void {
    const perTarget = (title: string, metric: IMetric) =>
      new GraphWidget({ title, width: 8, left: [metric], leftYAxis: { min: 0 } });
    // The reconciler's heartbeat is its invocations: none for two scheduled intervals means it
    // stopped running (schedule disabled or deleted, role broken), which nothing else would say.
    const { period, evaluationPeriods } = absenceWindow(
      scheduleIntervalMs(this.config.reconciliation.schedule),
    );
    const missing = new Alarm(this, 'ReconcilerMissing', {
      alarmDescription: `scimitar: the reconciler has not run for two of its intervals (${this.config.reconciliation.schedule}): drift and orphans go unseen. Runbook: docs/operations.md#reconciler-missing`,
      metric: reconciler.function.metricInvocations({ statistic: 'Sum', period }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: TreatMissingData.BREACHING,
    });
    this.route(missing);
    const alarms = [
      ...(reconciler.privilegedFindingsAlarm ? [reconciler.privilegedFindingsAlarm] : []),
      reconciler.incompleteAlarm,
      reconciler.errorsAlarm,
      reconciler.deadLetterAlarm,
      missing,
    ];
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          "## Reconciliation\nWhat each target's last pass found and queued (the 20 highest). Runbooks: docs/reconciliation.md",
        width: 24,
        height: 2,
      }),
      perTarget('Orphans per target', reconciler.metricTopTargets(RECONCILE_METRICS.orphans)),
      perTarget('Drift per target', reconciler.metricTopTargets(RECONCILE_METRICS.drift)),
      perTarget('Remediated (queued) per target', reconciler.metricTopTargets(RECONCILE_METRICS.remediated)),
      new AlarmStatusWidget({ title: 'Reconciliation alarms', width: 24, alarms }),
    );
  }

  private alarmOnAny(id: string, metric: IMetric, options: { description: string }): Alarm {
    return new Alarm(this, id, {
      alarmDescription: options.description,
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

const SUM_5_MIN = { statistic: 'Sum', period: Duration.minutes(5) } as const;

/** What each refusal cause usually means, for the alarm description. */
const REFUSAL_MEANING: Record<(typeof refusalCauses)[number], string> = {
  signature: '401: a wrong or placeholder signing key, a clock skew, or a forgery',
  schema: '422: records that do not parse as the source kind, or an event naming another source',
  'unknown-source': '404: a delivery to a source id no config lists',
  payload: '400/413: a body that is not JSON, hostile or too large',
};

function pascal(id: string): string {
  return id
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
