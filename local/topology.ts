// The local runtime's topology, read from the synthesized templates (lib/asl.ts) rather than
// written again by hand: queues with their visibility and redrive policy, the SQS event sources
// of the functions, the schedules, and the alarms as rules the local alarm engine evaluates.

import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import {
  type CfnTemplate,
  type LocalStack,
  localArn,
  localQueueName,
  type ResolvableTemplate,
  resolveIntrinsics,
} from '../lib/asl.ts';
import type { ScimitarEntry } from '../lib/scimitar-function.ts';
import { insightsQuery } from './alarms.ts';
import { synthesizeCached } from './asl-cache.ts';

export interface QueueSpec {
  readonly logicalId: string;
  readonly name: string;
  /** @default - SQS's 30 s */
  readonly visibilityTimeoutSeconds?: number;
  /** @default - SQS's 4 days */
  readonly messageRetentionSeconds?: number;
  /** Where a message goes after `maxReceiveCount` receives. @default - no dead-letter queue */
  readonly redrive?: { readonly deadLetterQueue: string; readonly maxReceiveCount: number };
}

/** A Lambda event source mapping on an SQS queue. */
export interface SqsEventSourceSpec {
  readonly logicalId: string;
  /** The queue's name. */
  readonly queue: string;
  /** The function's placeholder ARN (a key of {@link LocalStack.functions}). */
  readonly functionArn: string;
  readonly entry: ScimitarEntry;
  /** @default 10 (Lambda's default for SQS) */
  readonly batchSize: number;
  /** @default - as many as Lambda scales to */
  readonly maxConcurrency?: number;
  readonly reportBatchItemFailures: boolean;
}

/** An EventBridge Scheduler schedule that invokes a function of the stack. */
export interface ScheduleSpec {
  readonly logicalId: string;
  /** `rate(...)` or `cron(...)`. */
  readonly expression: string;
  readonly functionArn: string;
  readonly entry: ScimitarEntry;
  /** The invocation's payload, parsed. */
  readonly input: unknown;
  readonly enabled: boolean;
}

export type Comparison =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** What an alarm reads: one metric, or a Metrics Insights query with one series per group. */
export type AlarmQuery =
  | {
      readonly kind: 'metric';
      readonly namespace: string;
      readonly metricName: string;
      readonly dimensions: Readonly<Record<string, string>>;
      readonly statistic: string;
    }
  | {
      readonly kind: 'insights';
      readonly namespace: string;
      readonly metricName: string;
      readonly statistic: string;
      readonly where: readonly {
        readonly dimension: string;
        readonly value: string;
      }[];
      readonly groupBy?: string;
    };

export interface AlarmRule {
  readonly logicalId: string;
  /** What an operator sees on AWS. */
  readonly description: string;
  /** Placeholder ARNs of the topics its ALARM state notifies. */
  readonly actions: readonly string[];
  readonly query: AlarmQuery;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly treatMissingData: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
}

export interface LocalTopology {
  readonly queues: readonly QueueSpec[];
  readonly eventSources: readonly SqsEventSourceSpec[];
  readonly schedules: readonly ScheduleSpec[];
  readonly alarms: readonly AlarmRule[];
  /** DynamoDB tables: the placeholder a Ref to one resolves to, and its partition key attribute. */
  readonly tables: readonly { readonly ref: string; readonly partitionKey: string }[];
  /** Placeholder ARNs of the state machines. */
  readonly stateMachines: readonly string[];
  /** Resources of the kinds above that the local runtime cannot reproduce, with the reason. */
  readonly notLocal: readonly { readonly logicalId: string; readonly reason: string }[];
}

type Resource = CfnTemplate['Resources'][string];

// A synth takes seconds; a restart (or a test starting several runtimes) reuses the result.

/** The stack the CDK app synthesizes for a config, and its topology (a copy of its own per call). */
export function hostedStack(config: ScimitarConfig): { stack: LocalStack; topology: LocalTopology } {
  const stack = synthesizeCached(config);
  return { stack, topology: readTopology(stack) };
}

/** Reads the topology from the templates of a local synth. */
export function readTopology(stack: Pick<LocalStack, 'templates' | 'functions'>): LocalTopology {
  const topology = {
    queues: [] as QueueSpec[],
    eventSources: [] as SqsEventSourceSpec[],
    schedules: [] as ScheduleSpec[],
    alarms: [] as AlarmRule[],
    tables: [] as { ref: string; partitionKey: string }[],
    stateMachines: [] as string[],
    notLocal: [] as { logicalId: string; reason: string }[],
  };
  const entryOf = (arn: string, logicalId: string): ScimitarEntry => {
    const fn = stack.functions[arn];
    if (!fn) throw new Error(`${logicalId}: invokes ${arn}, no function of the stack`);
    return fn.entry;
  };
  for (const source of stack.templates) {
    for (const [logicalId, resource] of Object.entries(source.template.Resources)) {
      const props = (): Record<string, unknown> =>
        resolveIntrinsics(resource.Properties ?? {}, source.template, source.parameters) as Record<
          string,
          unknown
        >;
      try {
        if (resource.Type === 'AWS::SQS::Queue') topology.queues.push(queueOf(logicalId, resource, props()));
        if (resource.Type === 'AWS::StepFunctions::StateMachine')
          topology.stateMachines.push(localArn(logicalId, resource.Type));
        if (resource.Type === 'AWS::DynamoDB::Table') {
          const keys = (resource.Properties?.KeySchema ?? []) as { AttributeName: string; KeyType: string }[];
          topology.tables.push({
            ref: String(resolveIntrinsics({ Ref: logicalId }, source.template, source.parameters)),
            partitionKey: keys.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
          });
        }
        if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
          const p = props();
          const queue = sqsQueueOf(String(p.EventSourceArn), source);
          if (!queue) {
            topology.notLocal.push({ logicalId, reason: `event source ${p.EventSourceArn} is no SQS queue` });
            continue;
          }
          const functionArn = functionArnOf(String(p.FunctionName));
          const scaling = p.ScalingConfig as { MaximumConcurrency?: number } | undefined;
          topology.eventSources.push({
            logicalId,
            queue,
            functionArn,
            entry: entryOf(functionArn, logicalId),
            batchSize: Number(p.BatchSize ?? 10),
            ...(scaling?.MaximumConcurrency ? { maxConcurrency: scaling.MaximumConcurrency } : {}),
            reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
              'ReportBatchItemFailures',
            ),
          });
        }
        if (resource.Type === 'AWS::Scheduler::Schedule') {
          const p = props();
          const target = p.Target as { Arn: string; Input?: string };
          topology.schedules.push({
            logicalId,
            expression: String(p.ScheduleExpression),
            functionArn: target.Arn,
            entry: entryOf(target.Arn, logicalId),
            input: target.Input === undefined ? {} : JSON.parse(target.Input),
            enabled: p.State !== 'DISABLED',
          });
        }
        if (resource.Type === 'AWS::CloudWatch::Alarm') {
          const rule = alarmOf(logicalId, props());
          if (typeof rule === 'string') topology.notLocal.push({ logicalId, reason: rule });
          else topology.alarms.push(rule);
        }
      } catch (err) {
        topology.notLocal.push({ logicalId, reason: (err as Error).message });
      }
    }
  }
  return topology;
}

function queueOf(logicalId: string, resource: Resource, p: Record<string, unknown>): QueueSpec {
  const redrive = p.RedrivePolicy as { deadLetterTargetArn?: string; maxReceiveCount?: number } | undefined;
  return {
    logicalId,
    name: localQueueName(logicalId, resource.Properties),
    ...(p.VisibilityTimeout !== undefined ? { visibilityTimeoutSeconds: Number(p.VisibilityTimeout) } : {}),
    ...(p.MessageRetentionPeriod !== undefined
      ? { messageRetentionSeconds: Number(p.MessageRetentionPeriod) }
      : {}),
    ...(redrive?.deadLetterTargetArn
      ? {
          redrive: {
            deadLetterQueue: redrive.deadLetterTargetArn.split(':').at(-1) ?? '',
            maxReceiveCount: Number(redrive.maxReceiveCount),
          },
        }
      : {}),
  };
}

/** The name of the queue an event source ARN names, if it is an SQS queue of these templates. */
function sqsQueueOf(arn: string, source: ResolvableTemplate): string | undefined {
  if (!arn.startsWith('arn:aws:sqs:')) return undefined;
  const name = arn.split(':').at(-1) ?? '';
  const declared = Object.entries(source.template.Resources).some(
    ([id, r]) => r.Type === 'AWS::SQS::Queue' && localQueueName(id, r.Properties) === name,
  );
  return declared ? name : undefined;
}

/** An event source names its function by name, ARN or (locally) the placeholder of either. */
function functionArnOf(name: string): string {
  return name.startsWith('arn:') ? name : localArn(name, 'AWS::Lambda::Function');
}

function alarmOf(logicalId: string, p: Record<string, unknown>): AlarmRule | string {
  const common = {
    logicalId,
    description: String(p.AlarmDescription ?? logicalId),
    actions: ((p.AlarmActions as unknown[] | undefined) ?? []).map(String),
    evaluationPeriods: Number(p.EvaluationPeriods ?? 1),
    datapointsToAlarm: Number(p.DatapointsToAlarm ?? p.EvaluationPeriods ?? 1),
    threshold: Number(p.Threshold),
    comparison: p.ComparisonOperator as Comparison,
    treatMissingData: (p.TreatMissingData ?? 'missing') as AlarmRule['treatMissingData'],
  };
  if (typeof p.MetricName === 'string') {
    const dimensions = Object.fromEntries(
      ((p.Dimensions as { Name: string; Value: string }[] | undefined) ?? []).map((d) => [d.Name, d.Value]),
    );
    return {
      ...common,
      periodSeconds: Number(p.Period),
      query: {
        kind: 'metric',
        namespace: String(p.Namespace),
        metricName: p.MetricName,
        dimensions,
        statistic: String(p.Statistic ?? p.ExtendedStatistic),
      },
    };
  }
  const metrics = (p.Metrics as { Expression?: string; Period?: number }[] | undefined) ?? [];
  const [only] = metrics;
  if (metrics.length !== 1 || !only?.Expression) return 'metric math over several metrics';
  const query = insightsQuery(only.Expression);
  if (!query) return `expression not evaluated locally: ${only.Expression}`;
  return { ...common, periodSeconds: Number(only.Period ?? 300), query };
}
