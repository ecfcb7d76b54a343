// The reconciler as one construct: its function (on a schedule, continuing itself when a round
// outlives one invocation), the roster upload function, least-privilege grants, and the alarms on
// privileged orphans or drift and on incomplete passes. No business logic here.
import { fileURLToPath } from 'node:url';
import { Aws, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmRule,
  ComparisonOperator,
  CompositeAlarm,
  type IAlarm,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TARGET_ENV, TARGET_ENV_BYTES_PER_TARGET } from '../lambdas/aws/target-env.ts';
import type { ScimitarConfig, ScimTargetConfig } from '../lambdas/core/config.ts';
import { RECONCILE_METRICS } from '../lambdas/handlers/reconcile.ts';

export interface ReconcilerTargetResources {
  /** The target's lane queue: drift is re-queued there. */
  readonly queue: IQueue;
  /** The target's SCIM credential. */
  readonly secret: ISecret;
}

export interface ReconcilerProps {
  /** The validated config; inlined into the bundle (SCIMITAR_CONFIG). */
  readonly config: ScimitarConfig;
  /** The audit log: the reconciler appends (PutItem) only. */
  readonly auditTable: ITable;
  /** The state table: ledger, budget, reconciliation state and roster. */
  readonly stateTable: ITable;
  /** Lane queue and secret of every SCIM target in the config, by target id. */
  readonly targets: Readonly<Record<string, ReconcilerTargetResources>>;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /**
   * CloudWatch namespace of the reconciler's metrics.
   * @default 'Scimitar'
   */
  readonly metricsNamespace?: string;
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
  /** @default RetentionDays.ONE_YEAR */
  readonly logRetention?: RetentionDays;
}

/** Lambda caps environment variables at 4 KB; what is not per target takes about 600 bytes. */
const ENV_BUDGET_BYTES = 4096 - 600;
const SERVICE = 'reconciler';

const entry = (file: string) => fileURLToPath(new URL(`../lambdas/aws/entries/${file}`, import.meta.url));
const projectRoot = fileURLToPath(new URL('..', import.meta.url));

export class Reconciler extends Construct {
  /** The reconciler function (schedule, CLI: `aws lambda invoke`, and its own continuations). */
  public readonly function: NodejsFunction;
  /** Roster upload (API Gateway proxy integration); attach it to an IAM-authorised route. */
  public readonly rosterUploadFunction: NodejsFunction;
  public readonly schedule: Schedule;
  /** Fires when any privileged-tier target has an orphan or drift; absent without privileged SCIM targets. */
  public readonly privilegedFindingsAlarm?: IAlarm;
  /** Fires when a target's pass ends incomplete. */
  public readonly incompleteAlarm: IAlarm;
  public readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const scimTargets = props.config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
    validateTargets(scimTargets, props.targets);
    const namespace = props.metricsNamespace ?? 'Scimitar';

    this.function = this.bundledFunction('Function', 'reconcile.ts', props, {
      description: 'scimitar reconciler: classifies every SCIM account, re-queues drift',
      timeout: props.timeout ?? Duration.minutes(15),
      memorySize: props.memorySize ?? 1024,
      // A failed invocation is retried by the next schedule, which resumes its checkpoint.
      retryAttempts: 0,
      environment: {
        AUDIT_TABLE: props.auditTable.tableName,
        STATE_TABLE: props.stateTable.tableName,
        POWERTOOLS_SERVICE_NAME: SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: namespace,
        ...targetEnvironment(this, scimTargets, props.targets),
      },
    });
    props.auditTable.grant(this.function, 'dynamodb:PutItem');
    props.stateTable.grant(
      this.function,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Query',
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
    );
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

    this.rosterUploadFunction = this.bundledFunction('RosterUploadFunction', 'roster-upload.ts', props, {
      description: 'scimitar roster upload: replaces the HR roster the reconciler reads',
      timeout: Duration.seconds(60),
      memorySize: 1024,
      environment: { STATE_TABLE: props.stateTable.tableName },
    });
    props.stateTable.grant(
      this.rosterUploadFunction,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:BatchWriteItem',
    );

    this.schedule = new Schedule(this, 'Schedule', {
      description: 'scimitar: reconcile every SCIM target',
      schedule: ScheduleExpression.expression(props.config.reconciliation.schedule),
      target: new LambdaInvoke(this.function, {
        input: ScheduleTargetInput.fromObject({ source: 'schedule' }),
        retryAttempts: 0,
        role: new Role(this, 'ScheduleRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') }),
      }),
    });

    const action = new SnsAction(props.alarmTopic);
    const metric = (metricName: string, targetId: string) =>
      new Metric({
        namespace,
        metricName,
        dimensionsMap: { service: SERVICE, target: targetId },
        statistic: 'Maximum',
        period: Duration.hours(1),
      });
    // Metrics arrive once per pass: between passes the alarm keeps the state of the last one.
    const perTarget = (kind: string, target: ScimTargetConfig, expression: MathExpression | Metric) =>
      new Alarm(this, `${kind}${pascal(target.id)}`, {
        alarmDescription: `${kind === 'Findings' ? 'Orphans or drift' : 'Incomplete reconciliation'} in ${target.displayName} (${target.id}); runbook: docs/reconciliation.md`,
        metric: expression,
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
            expression: 'orphans + drift',
            usingMetrics: {
              orphans: metric(RECONCILE_METRICS.orphans, t.id),
              drift: metric(RECONCILE_METRICS.drift, t.id),
            },
            period: Duration.hours(1),
            label: `orphans and drift in ${t.id}`,
          }),
        ),
      );
      const alarm = new CompositeAlarm(this, 'PrivilegedFindingsAlarm', {
        alarmDescription:
          'A privileged-tier target has an orphan or a drift account; runbook: docs/reconciliation.md "Privileged orphan or drift"',
        alarmRule: AlarmRule.anyOf(...findings),
      });
      alarm.addAlarmAction(action);
      this.privilegedFindingsAlarm = alarm;
    }
    const incomplete = scimTargets.map((t) =>
      perTarget('Incomplete', t, metric(RECONCILE_METRICS.incomplete, t.id)),
    );
    const incompleteAlarm = new CompositeAlarm(this, 'IncompleteAlarm', {
      alarmDescription:
        'A target could not be reconciled completely: it is not known to be clean; runbook: docs/reconciliation.md',
      alarmRule: AlarmRule.anyOf(...incomplete),
    });
    incompleteAlarm.addAlarmAction(action);
    this.incompleteAlarm = incompleteAlarm;

    this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmDescription:
        'The reconciler function failed (crash or timeout); its next run resumes the checkpoint',
      metric: this.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm.addAlarmAction(action);

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'AWSLambdaBasicExecutionRole only lets each function write its own logs',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) accepts no narrower resource',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnFunction)}.Arn>:*]`,
        reason:
          "The schedule's role may invoke the reconciler's versions and aliases, nothing else (grantInvoke)",
      },
    );
  }

  /** Node.js 24 on ARM, ESM bundle built with the local esbuild, the config inlined. */
  private bundledFunction(
    id: string,
    file: string,
    props: ReconcilerProps,
    extra: Partial<NodejsFunctionProps>,
  ): NodejsFunction {
    return new NodejsFunction(this, id, {
      entry: entry(file),
      projectRoot,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      logGroup: new LogGroup(this, `${id}Logs`, { retention: props.logRetention ?? RetentionDays.ONE_YEAR }),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        // The config rides in the bundle: Lambda environment variables cap at 4 KB in total.
        define: { 'process.env.SCIMITAR_CONFIG': JSON.stringify(JSON.stringify(props.config)) },
        // Some dependencies still require() Node built-ins.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      ...extra,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...extra.environment },
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
