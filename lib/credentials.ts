// Credentials that never silently expire: the rotation function Secrets Manager calls for targets
// whose tokens scimitar can renew (strategies 'api' and 'oauth2'), the credential canary on a
// schedule, and the alarms that say when either fails or a hand-renewed token grows old.
import { Duration, Stack, Tags } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import { CfnRotationSchedule, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { scheduleIntervalMs } from '../lambdas/core/credentials/canary.ts';
import { TARGET_TAG } from '../lambdas/core/credentials/rotation.ts';
import type { ScimitarConfig, ScimTargetConfig } from '../lambdas/core/model/config.ts';
import { CREDENTIAL_AGE_METRICS, CREDENTIAL_METRICS } from '../lambdas/core/model/metrics.ts';
import { invokeOnSchedule } from './schedule-role.ts';
import { METRICS_NAMESPACE, ScimitarFunction, serviceName } from './scimitar-function.ts';
import type { TokenVault } from './token-vault.ts';

/** Powertools adds `service` to every metric's dimensions: alarms must name the same value. */
export const CANARY_SERVICE = serviceName('canary');
export const ROTATION_SERVICE = serviceName('rotation');

const RUNBOOK = 'docs/credentials.md';

/**
 * The period of alarms on what the canary publishes: metrics arrive once per canary run, so the
 * period follows the schedule (5 minutes to one day, CloudWatch's longest period).
 */
export function canaryMetricPeriod(schedule: string): Duration {
  const intervalSeconds = Math.round(scheduleIntervalMs(schedule) / 1000);
  return Duration.seconds(Math.min(Math.max(intervalSeconds, 300), 86_400));
}

export interface CredentialRotationProps {
  /** The validated config: its SCIM targets, their rotation strategies and `canary.schedule`. */
  readonly config: ScimitarConfig;
  /**
   * The vault holding every SCIM target's secret (created in the lane shards before this
   * construct): the canary reads them all, the rotation function changes the rotating ones.
   */
  readonly vault: TokenVault;
  /** The state table (pk, sk): the canary writes one item per target (`TARGET#<id>` / `CANARY`). */
  readonly stateTable: ITable;
  /** Every alarm of this construct notifies this topic. */
  readonly alarmTopic: ITopic;
  /** How long the functions' logs are kept. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

export class CredentialRotation extends Construct {
  /**
   * The function Secrets Manager calls for targets with rotation strategy 'api' or 'oauth2'.
   * @default - undefined when every target rotates manually
   */
  public readonly rotationFunction?: ScimitarFunction;
  /** Probes every SCIM target and measures the age of hand-renewed credentials. */
  public readonly canaryFunction: ScimitarFunction;
  public readonly canarySchedule: Schedule;
  /** Canary runs Scheduler could not deliver, and failed asynchronous invocations of the canary. */
  public readonly canaryDeadLetterQueue: Queue;
  /** Fires on any message in {@link canaryDeadLetterQueue}. */
  public readonly canaryDeadLetterAlarm: Alarm;
  /** Any failed rotation step. @default - undefined without a rotation function */
  public readonly rotationFailedAlarm?: Alarm;
  /** The canary crashed, or could not measure a credential's age. */
  public readonly canaryErrorsAlarm: Alarm;
  /** The canary has not run for two of its intervals (capped at one day). */
  public readonly canaryMissingAlarm: Alarm;
  /** Any SCIM target's latest probe failed (Metrics Insights; contributors name the targets). */
  public readonly canaryFailedAlarm: Alarm;
  /**
   * Any manual target's token reached its maxAgeDays - warnDaysBefore (Metrics Insights;
   * contributors name the targets). @default - undefined without manual targets
   */
  public readonly credentialAgeAlarm?: Alarm;
  /** The SCIM targets the canary probes, in config order. */
  public readonly probedTargetIds: readonly string[];
  /** The targets whose credential age is measured (rotation strategy 'manual'). */
  public readonly agedTargetIds: readonly string[];

  private readonly metricPeriod: Duration;

  constructor(scope: Construct, id: string, props: CredentialRotationProps) {
    super(scope, id);
    const { config } = props;
    const scimTargets = config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
    const targetSecrets = props.vault.targetSecrets();
    // Session targets' secrets are in the vault too; they are neither probed nor rotated here.
    const sessionTargetIds = config.targets.filter((t) => t.kind === 'session').map((t) => t.id);
    validate(scimTargets, targetSecrets, sessionTargetIds);
    const secretOf = (target: ScimTargetConfig) => targetSecrets[target.id] as ISecret;
    this.probedTargetIds = scimTargets.map((t) => t.id);
    this.agedTargetIds = scimTargets.filter((t) => t.rotation.strategy === 'manual').map((t) => t.id);
    const alarmAction: IAlarmAction = new SnsAction(props.alarmTopic);

    const intervalSeconds = Math.round(scheduleIntervalMs(config.canary.schedule) / 1000);
    this.metricPeriod = canaryMetricPeriod(config.canary.schedule);
    const missingPeriod = Duration.seconds(Math.min(Math.max(2 * intervalSeconds, 300), 86_400));

    const rotating = scimTargets.filter((t) => t.rotation.strategy !== 'manual');
    if (rotating.length > 0) {
      const fn = new ScimitarFunction(this, 'RotationFunction', {
        entry: 'rotation',
        config,
        description: 'scimitar: rotates target credentials (Secrets Manager four-step protocol)',
        timeout: Duration.minutes(1),
        logRetention: props.logRetention,
      });
      this.rotationFunction = fn;
      // Secrets Manager invokes the function for this account's secrets only.
      fn.addPermission('SecretsManagerInvoke', {
        principal: new ServicePrincipal('secretsmanager.amazonaws.com'),
        sourceAccount: Stack.of(this).account,
      });
      // The four protocol actions (DescribeSecret, GetSecretValue, PutSecretValue,
      // UpdateSecretVersionStage) on this stack's target secrets that carry the rotation tag, which
      // only rotating targets' secrets get: never a manual target's token. One statement whatever
      // the target count; adopted secrets are named one by one.
      const protocol = [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ];
      props.vault.grantOnTargetSecrets(
        fn,
        protocol,
        `Rotates the credentials of this stack's rotating targets: secret names "${props.vault.targetSecretPrefix}*" that carry the ${TARGET_TAG} tag (only 'api' and 'oauth2' targets' secrets do), one statement for any number of targets.`,
        { Null: { [`secretsmanager:ResourceTag/${TARGET_TAG}`]: 'false' } },
      );
      props.vault.grantKeyForTargetSecrets(fn, ['kms:Decrypt', 'kms:GenerateDataKey']);
      for (const target of rotating) {
        const rotation = target.rotation as Exclude<ScimTargetConfig['rotation'], { strategy: 'manual' }>;
        const secret = secretOf(target);
        Tags.of(secret).add(TARGET_TAG, target.id);
        // An adopted secret has no rotation tag: granted by its own ARN (and its key), one by one.
        if (props.vault.isAdopted(target.id)) props.vault.grantRotateAdoptedSecret(target.id, fn, protocol);
        // L1, in the secret's own (shard) template: the L2 schedule would add this secret's ARN to
        // the function's policy, a cross-stack reference per target.
        new CfnRotationSchedule(secret, 'Rotation', {
          secretId: secret.secretArn,
          rotationLambdaArn: fn.functionArn,
          rotationRules: { scheduleExpression: `rate(${rotation.everyDays} days)` },
        });
        // The schedule invokes the function at once (first rotation): its permission must exist.
        Stack.of(secret).node.addDependency(fn);
      }
      this.rotationFailedAlarm = new Alarm(this, 'RotationFailed', {
        alarmDescription: `scimitar: a credential rotation step failed; AWSCURRENT is unchanged unless the log says the old token could not be revoked. Runbook: ${RUNBOOK}#rotation-failed`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.rotationFailedAlarm.addAlarmAction(alarmAction);
    }

    this.canaryFunction = new ScimitarFunction(this, 'CanaryFunction', {
      entry: 'canary',
      config,
      description: 'scimitar: credential canary (read-only probe per target) and credential age',
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      environment: { STATE_TABLE: props.stateTable.tableName },
    });
    props.vault.grantReadTargetSecrets(this.canaryFunction);
    grantCanaryWrite(props.stateTable, this.canaryFunction);

    // The schedule's own role, inside this construct (LambdaInvoke would otherwise share one at
    // stack level), and a dead-letter queue for runs that were never delivered or failed.
    const scheduled = invokeOnSchedule(this, {
      fn: this.canaryFunction,
      what: 'credential canary',
      description: 'scimitar: credential canary',
      expression: config.canary.schedule,
      input: {},
      // The next run is at most one interval away; a stale retry adds nothing.
      deliveryRetries: {
        attempts: 2,
        maxEventAge: Duration.seconds(Math.min(Math.max(intervalSeconds, 60), 86_400)),
      },
      // A failed run is repeated by the next one; CanaryErrors says it failed.
      invocationRetries: 0,
      alarmTopic: props.alarmTopic,
      runbook: 'docs/operations.md#lost-scheduled-runs',
      ids: { role: 'CanaryScheduleRole', schedule: 'CanarySchedule' },
    });
    this.canarySchedule = scheduled.schedule;
    this.canaryDeadLetterQueue = scheduled.deadLetterQueue;
    this.canaryDeadLetterAlarm = scheduled.deadLetterAlarm;

    this.canaryErrorsAlarm = new Alarm(this, 'CanaryErrors', {
      alarmDescription: `scimitar: the credential canary failed to run or could not measure a credential's age. Runbook: ${RUNBOOK}#canary-errors`,
      metric: this.canaryFunction.metricErrors({ period: this.metricPeriod, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.canaryErrorsAlarm.addAlarmAction(alarmAction);

    this.canaryMissingAlarm = new Alarm(this, 'CanaryMissing', {
      alarmDescription: `scimitar: the credential canary has not run on its schedule (${config.canary.schedule}); no credential is being watched. Runbook: ${RUNBOOK}#canary-errors`,
      metric: this.canaryFunction.metricInvocations({ period: missingPeriod, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
    this.canaryMissingAlarm.addAlarmAction(alarmAction);

    // One Metrics Insights alarm per concern, whatever the target count; each target in ALARM is
    // a contributor the notification names. Metrics arrive once per canary run: between runs the
    // alarm keeps its state (missing data ignored); no data at all is CanaryMissing's concern.
    // Alarms on Metrics Insights evaluate at most the last three hours: the period stays within.
    const insightsPeriod = Duration.seconds(Math.min(this.metricPeriod.toSeconds(), 3600));
    this.canaryFailedAlarm = new Alarm(this, 'CanaryFailed', {
      alarmDescription: `scimitar: the canary's read-only probe of a target failed; leavers there would fail too. The alarm's contributors name the targets. Runbook: ${RUNBOOK}#canary-failed`,
      metric: new MathExpression({
        expression: canaryQuery(CREDENTIAL_METRICS.canaryFailed),
        usingMetrics: {},
        period: insightsPeriod,
        label: CREDENTIAL_METRICS.canaryFailed,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.IGNORE,
    });
    this.canaryFailedAlarm.addAlarmAction(alarmAction);

    if (this.agedTargetIds.length > 0) {
      this.credentialAgeAlarm = new Alarm(this, 'CredentialAge', {
        alarmDescription: `scimitar: the token of a manual target is within warnDaysBefore of its maxAgeDays limit; renew it in the application's console. The alarm's contributors name the targets. Runbook: ${RUNBOOK}#credential-age`,
        metric: new MathExpression({
          expression: canaryQuery(CREDENTIAL_AGE_METRICS.renewalDue),
          usingMetrics: {},
          period: insightsPeriod,
          label: CREDENTIAL_AGE_METRICS.renewalDue,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.IGNORE,
      });
      this.credentialAgeAlarm.addAlarmAction(alarmAction);
    }
  }

  /** 1 when the target's latest probe failed, 0 when it passed (Maximum per canary interval). */
  public metricCanaryFailed(targetId: string): Metric {
    return this.metric(CREDENTIAL_METRICS.canaryFailed, targetId);
  }

  /** Age in days of a manual target's AWSCURRENT credential (Maximum per canary interval). */
  public metricCredentialAgeDays(targetId: string): Metric {
    return this.metric(CREDENTIAL_AGE_METRICS.credential, targetId);
  }

  private metric(metricName: string, targetId: string): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: CANARY_SERVICE, target: targetId },
      statistic: 'Maximum',
      period: this.metricPeriod,
    });
  }
}

/**
 * A Metrics Insights query over one canary metric, one series per target.
 * Grammar checked against AWS's page (SELECT FUNCTION(metric) FROM namespace | SCHEMA(namespace,
 * labelKey, …) [WHERE labelKey OPERATOR 'value' [AND …]] [GROUP BY labelKey] [ORDER BY FUNCTION()
 * [DESC|ASC]] [LIMIT n]; MAX is one of AVG, COUNT, MAX, MIN, SUM; a namespace with "/" is
 * double-quoted, a plain one such as Scimitar need not be):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html
 * An alarm on it evaluates at most the last 3 hours, and up to 500 series (one per target here):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html
 */
export function canaryQuery(metricName: string): string {
  return `SELECT MAX(${metricName}) FROM SCHEMA(${METRICS_NAMESPACE}, service, target) WHERE service = '${CANARY_SERVICE}' GROUP BY target`;
}

function validate(
  targets: readonly ScimTargetConfig[],
  secrets: Readonly<Record<string, ISecret>>,
  sessionTargetIds: readonly string[] = [],
): void {
  const problems: string[] = [];
  for (const target of targets) {
    if (!secrets[target.id]) {
      problems.push(
        `the vault has no secret for SCIM target "${target.id}"; create it with vault.addTargetSecret (LaneFleet does) before CredentialRotation`,
      );
    }
    const { rotation, auth } = target;
    if (rotation.strategy === 'api' && auth.type !== 'bearer') {
      problems.push(
        `target "${target.id}" field "rotation.strategy": 'api' mints bearer tokens, but auth.type is '${auth.type}'; use 'oauth2' or auth.type 'bearer'`,
      );
    }
    if (rotation.strategy === 'oauth2' && auth.type !== 'oauth2-client-credentials') {
      problems.push(
        `target "${target.id}" field "rotation.strategy": 'oauth2' needs auth.type 'oauth2-client-credentials', got '${auth.type}'; use 'api' or 'manual'`,
      );
    }
  }
  const known = new Set([...targets.map((t) => t.id), ...sessionTargetIds]);
  for (const id of Object.keys(secrets)) {
    if (!known.has(id))
      problems.push(`the vault holds a secret for "${id}", which is no SCIM or session target of the config`);
  }
  if (problems.length > 0) throw new Error(`CredentialRotation: ${problems.join('; ')}`);
}

/**
 * The canary writes its items only: dynamodb:UpdateItem on the state table, limited to partition
 * keys `TARGET#...`, plus `kms:Decrypt`, `kms:Encrypt`, `kms:GenerateDataKey` on the table's key
 * when it has its own (the actions AuditStore grants its writers; no wildcard actions).
 */
function grantCanaryWrite(table: ITable, fn: ScimitarFunction): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TARGET#*'] } },
    }),
  );
  table.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
}
