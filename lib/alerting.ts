// Nothing fails silently: alarms on every dead letter, failed or timed-out execution, worker
// error and ingest 5XX go to the alert topic (CredentialRotation's and the Reconciler's alarms
// reach it too); target owners hear about manual tasks on their own topic; a dashboard shows
// latency, outcomes, dead letters, the credentials' health and reconciliation findings.
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ScimitarConfig } from '../lambdas/core/config.ts';
import type { CredentialRotation } from './credentials.ts';
import type { IngestApi } from './ingest-api.ts';
import type { Reconciler } from './reconciler.ts';
import type { TargetLane } from './target-lane.ts';
import type { Workflow } from './workflow.ts';

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

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { config } = props;

    this.encryptionKey = new Key(this, 'Key', {
      description: 'scimitar alert and owner topics',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets them.
    this.encryptionKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        // Only this account's alarms (no confused deputy through CloudWatch).
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
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
    const stack = Stack.of(this);
    this.alertTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
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
      if (target.kind === 'scim') continue;
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

  /** Alarms on the lane's dead letters and worker errors; dashboard rows for the lane. */
  public watchLane(lane: TargetLane): void {
    this.route(lane.deadLetterAlarm);
    this.route(
      this.alarmOnAny(`WorkerErrors-${lane.targetId}`, lane.metricWorkerErrors(), {
        description: `scimitar: the worker of target "${lane.targetId}" failed an invocation (not a per-message failure: a crash, timeout or bug). Runbook: docs/operations.md#worker-errors`,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${lane.targetId}: dead letters and queue age`,
        width: 12,
        left: [lane.metricDeadLetters({ label: 'dead letters' })],
        right: [lane.metricOldestMessageAge({ label: 'oldest message (s)' })],
      }),
      new GraphWidget({
        title: `${lane.targetId}: worker errors and throttles`,
        width: 12,
        left: [
          lane.metricWorkerErrors({ label: 'errors' }),
          lane.metricWorkerThrottles({ label: 'throttles' }),
        ],
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
  public watchIngestApi(api: IngestApi): void {
    this.route(
      this.alarmOnAny('IngestServerErrors', api.metricServerErrors(), {
        description:
          'scimitar: the ingest API answered 5XX: an HRIS event or a roster upload may not have been accepted. Runbook: docs/operations.md#ingest-5xx',
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Ingest: events, client and server errors',
        width: 24,
        left: [api.metricRequests({ label: 'requests' })],
        right: [api.metricClientErrors({ label: '4XX' }), api.metricServerErrors({ label: '5XX' })],
      }),
    );
  }

  /**
   * The credentials row of the dashboard: canary probes per target, the age of hand-renewed
   * tokens against their alarm thresholds, and the state of every credential alarm. The alarms
   * themselves already notify the alert topic (CredentialRotation's `alarmTopic`).
   */
  public watchCredentials(credentials: CredentialRotation): void {
    const probed = Object.keys(credentials.canaryFailedAlarms);
    const aged = Object.entries(credentials.credentialAgeAlarms);
    const alarms = [
      ...(credentials.rotationFailedAlarm ? [credentials.rotationFailedAlarm] : []),
      credentials.canaryErrorsAlarm,
      credentials.canaryMissingAlarm,
      ...Object.values(credentials.canaryFailedAlarms),
      ...aged.map(([, alarm]) => alarm),
    ];
    const widgets: IWidget[] = [
      new TextWidget({
        markdown: '## Credentials\nCanary probes, credential age, rotation. Runbooks: docs/credentials.md',
        width: 24,
        height: 2,
      }),
    ];
    if (probed.length > 0) {
      widgets.push(
        new GraphWidget({
          title: 'Canary: failed probe per target (1 = failed)',
          width: 12,
          left: probed.map((id) => credentials.metricCanaryFailed(id).with({ label: id })),
          leftYAxis: { min: 0, max: 1 },
        }),
      );
    }
    if (aged.length > 0) {
      widgets.push(
        new GraphWidget({
          title: 'Credential age of manual targets (days)',
          width: 12,
          left: aged.map(([id]) => credentials.metricCredentialAgeDays(id).with({ label: id })),
          leftAnnotations: aged.map(([id, alarm]) => ({ ...alarm.toAnnotation(), label: `${id}: alarm` })),
        }),
      );
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
    const perTarget = (title: string, metric: (id: string) => IMetric) =>
      new GraphWidget({
        title,
        width: 8,
        left: reconciler.targetIds.map((id) => metric(id)),
        leftYAxis: { min: 0 },
      });
    const alarms = [
      ...(reconciler.privilegedFindingsAlarm ? [reconciler.privilegedFindingsAlarm] : []),
      reconciler.incompleteAlarm,
      reconciler.errorsAlarm,
    ];
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          "## Reconciliation\nWhat each target's last pass found and queued. Runbooks: docs/reconciliation.md",
        width: 24,
        height: 2,
      }),
      perTarget('Orphans per target', (id) => reconciler.metricOrphans(id, { label: id })),
      perTarget('Drift per target', (id) => reconciler.metricDrift(id, { label: id })),
      perTarget('Remediated (queued) per target', (id) => reconciler.metricRemediated(id, { label: id })),
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
