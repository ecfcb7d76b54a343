// Credentials that never silently expire: the rotation function Secrets Manager calls for targets
// whose tokens scimitar can renew (strategies 'api' and 'oauth2'), the credential canary on a
// schedule, and the alarms that say when either fails or a hand-renewed token grows old.
import { Duration, Tags, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { scheduleIntervalMs } from '../lambdas/core/canary.ts';
import type { ScimitarConfig, ScimTargetConfig } from '../lambdas/core/config.ts';
import { warnAtDays } from '../lambdas/core/credential-age.ts';
import { TARGET_TAG } from '../lambdas/core/rotation.ts';
import { invokeOnSchedule } from './schedule-role.ts';
import { METRICS_NAMESPACE, ScimitarFunction, serviceName } from './scimitar-function.ts';

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
   * The secret of every SCIM target, by target id. Each must be the secret the functions read by
   * name: the target's `auth.secretName` (default `scimitar/targets/<id>`).
   */
  readonly targetSecrets: Readonly<Record<string, ISecret>>;
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
  /** Per SCIM target: its latest probe failed. */
  public readonly canaryFailedAlarms: Readonly<Record<string, Alarm>>;
  /** Per target with rotation strategy 'manual': its token reached maxAgeDays - warnDaysBefore. */
  public readonly credentialAgeAlarms: Readonly<Record<string, Alarm>>;

  private readonly metricPeriod: Duration;

  constructor(scope: Construct, id: string, props: CredentialRotationProps) {
    super(scope, id);
    const { config } = props;
    const scimTargets = config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
    validate(scimTargets, props.targetSecrets);
    const secretOf = (target: ScimTargetConfig) => props.targetSecrets[target.id] as ISecret;
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
      for (const target of rotating) {
        const rotation = target.rotation as Exclude<ScimTargetConfig['rotation'], { strategy: 'manual' }>;
        const secret = secretOf(target);
        Tags.of(secret).add(TARGET_TAG, target.id);
        // Grants the function the protocol's four actions on this secret only (DescribeSecret,
        // GetSecretValue, PutSecretValue, UpdateSecretVersionStage), KMS through Secrets Manager,
        // and lets Secrets Manager invoke it. The schedule is the secret's child: id 'Rotation'
        // keeps the logical id TokenVault gave it, so a deployed schedule is updated in place
        // rather than replaced (a secret has only one rotation schedule).
        secret.addRotationSchedule('Rotation', {
          rotationLambda: fn,
          automaticallyAfter: Duration.days(rotation.everyDays),
        });
      }
      if (fn.role) {
        Validations.of(fn.role).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'addRotationSchedule grants secretsmanager:GetRandomPassword, which supports only Resource "*" and reads no secret (ScimitarFunction acknowledges the X-Ray actions); every secret the function may change is named.',
        });
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
    for (const target of scimTargets) secretOf(target).grantRead(this.canaryFunction);
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

    const canaryFailed: Record<string, Alarm> = {};
    const ageAlarms: Record<string, Alarm> = {};
    for (const target of scimTargets) {
      const failed = new Alarm(this, `CanaryFailed-${target.id}`, {
        alarmDescription: `scimitar: the canary's read-only probe of target "${target.id}" (${target.displayName}) failed; leavers there would fail too. Owner: ${target.owner}. Runbook: ${RUNBOOK}#canary-failed`,
        metric: this.metricCanaryFailed(target.id),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means the canary did not run: CanaryMissing says so.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      failed.addAlarmAction(alarmAction);
      canaryFailed[target.id] = failed;

      if (target.rotation.strategy === 'manual') {
        const rotation = target.rotation;
        const age = new Alarm(this, `CredentialAge-${target.id}`, {
          alarmDescription: `scimitar: the token of target "${target.id}" (${target.displayName}) is ${warnAtDays(rotation)} days old or more, within ${rotation.warnDaysBefore} days of its ${rotation.maxAgeDays}-day limit; renew it in the application's console. Owner: ${target.owner}. Runbook: ${RUNBOOK}#credential-age`,
          metric: this.metricCredentialAgeDays(target.id),
          threshold: warnAtDays(rotation),
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // No data means no measurement: CanaryErrors or CanaryMissing says so.
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        age.addAlarmAction(alarmAction);
        ageAlarms[target.id] = age;
      }
    }
    this.canaryFailedAlarms = canaryFailed;
    this.credentialAgeAlarms = ageAlarms;
  }

  /** 1 when the target's latest probe failed, 0 when it passed (Maximum per canary interval). */
  public metricCanaryFailed(targetId: string): Metric {
    return this.metric('CanaryFailed', targetId);
  }

  /** Age in days of a manual target's AWSCURRENT credential (Maximum per canary interval). */
  public metricCredentialAgeDays(targetId: string): Metric {
    return this.metric('CredentialAgeDays', targetId);
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

function validate(targets: readonly ScimTargetConfig[], secrets: Readonly<Record<string, ISecret>>): void {
  const problems: string[] = [];
  for (const target of targets) {
    if (!secrets[target.id]) {
      problems.push(
        `targetSecrets has no secret for SCIM target "${target.id}"; add targetSecrets["${target.id}"]`,
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
  const known = new Set(targets.map((t) => t.id));
  for (const id of Object.keys(secrets)) {
    if (!known.has(id)) problems.push(`targetSecrets["${id}"] names no SCIM target in the config; remove it`);
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
