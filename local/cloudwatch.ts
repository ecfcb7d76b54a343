// CloudWatch for the local runtime: the template's alarms over what this runtime can measure
// (the handlers' EMF, failed executions, Lambda errors, SQS queue depths), evaluated on a tick and
// on demand, publishing to their topic as the platform. Alarms whose metrics exist only on AWS,
// or that watch an absence the local runtime has no history for, are named once at start.
import type { SQSClient } from '@aws-sdk/client-sqs';
import { countOf } from '../lambdas/core/model/count-noun.ts';
import { OWNER_TASK_METRICS, PULL_METRICS, RECONCILE_METRICS } from '../lambdas/core/model/metrics.ts';
import type { Clock, Notifier } from '../lambdas/core/model/ports.ts';
import type { LocalStack } from '../lib/asl.ts';
import { alarmText } from './alarm-text.ts';
import { capturedMetrics, LocalAlarms, MetricStore } from './alarms.ts';
import { asPlatform } from './aws-calls.ts';
import type { LocalAlarmState } from './aws-endpoint/services.ts';
import { depth } from './lanes.ts';
import type { LocalTopology } from './topology.ts';

/** Metrics the local runtime produces: whatever else an alarm reads never arrives here. */
const LOCAL_METRICS = new Set([
  'AWS/States ExecutionsFailed',
  'AWS/States ExecutionsTimedOut',
  'AWS/States ExecutionsAborted',
  'AWS/SQS ApproximateNumberOfMessagesVisible',
  'AWS/Lambda Errors',
  'Scimitar CanaryFailed',
  'Scimitar CredentialRenewalDue',
  'Scimitar SourceKeyAgeDays',
  'Scimitar DeliveryRefused',
  `Scimitar ${RECONCILE_METRICS.privilegedFindings}`,
  `Scimitar ${RECONCILE_METRICS.incomplete}`,
  `Scimitar ${OWNER_TASK_METRICS.overdue}`,
  `Scimitar ${PULL_METRICS.recordsRejected}`,
]);

export interface LocalCloudWatchProps {
  readonly stack: LocalStack;
  readonly topology: LocalTopology;
  readonly stackName: string;
  readonly clock: Clock;
  readonly sqs: SQSClient;
  /** Name → URL of every queue the runtime created (their depth is sampled). */
  readonly queues: ReadonlyMap<string, { url: string }>;
  /**
   * A queue's visible messages read from the queue service's own state, as CloudWatch samples SQS
   * without a consumer's API call. @default - read with GetQueueAttributes through `sqs`
   */
  readonly visibleMessages?: (queueName: string) => number | undefined;
  /** The alert topic's notifier. */
  readonly alerts: Notifier;
  readonly print: (line: string) => void;
}

export interface LocalCloudWatch {
  readonly metrics: MetricStore;
  /** Powertools Metrics for a function of the stack, with its namespace and service from the template. */
  metricsFor(entry: string): ReturnType<typeof capturedMetrics>;
  /** One AWS/Lambda Errors datapoint for a function of the stack. */
  functionError(entry: string): void;
  /** What Step Functions reports when an execution ends FAILED, TIMED_OUT or ABORTED. */
  executionEnded(status: string, detail: string): void;
  /** Samples and evaluates every alarm now, as the platform. */
  evaluate(): Promise<void>;
  /** An alarm's state as DescribeAlarms answers it; undefined for one not evaluated locally. */
  alarmState(logicalId: string): LocalAlarmState | undefined;
}

export function localCloudWatch(props: LocalCloudWatchProps): LocalCloudWatch {
  const { stack, topology, clock, sqs, print } = props;
  const metrics = new MetricStore(clock);
  const startedAt = clock.now();
  const fnOf = (entry: string) => Object.entries(stack.functions).find(([, f]) => f.entry === entry);
  // The alert topic as the functions that publish to it know it.
  const alertTopic = fnOf('summarize')?.[1].environment.ALERT_TOPIC_ARN;
  const evaluated = topology.alarms.filter(
    (a) =>
      a.treatMissingData !== 'breaching' && LOCAL_METRICS.has(`${a.query.namespace} ${a.query.metricName}`),
  );
  const skipped = [
    ...topology.alarms.filter((a) => !evaluated.includes(a)).map((a) => a.logicalId),
    ...topology.notLocal.filter((n) => !n.reason.startsWith('event source')).map((n) => n.logicalId),
  ];
  print(
    `local alarms: ${countOf(evaluated.length, 'alarm')} of the template evaluated here; not evaluated locally (their metrics, or the absence they watch, exist only on AWS): ${skipped.join(', ') || 'none'}`,
  );
  // Only the queues an evaluated alarm reads are sampled: each sample is a GetQueueAttributes call,
  // twice a second, on the one process's CPU. An insights query over SQS reads them all.
  const sqsRules = evaluated.filter((a) => a.query.namespace === 'AWS/SQS');
  const sampled = sqsRules.some((a) => a.query.kind !== 'metric')
    ? undefined
    : new Set(sqsRules.map((a) => (a.query.kind === 'metric' ? a.query.dimensions.QueueName : undefined)));
  const alarms = new LocalAlarms({
    rules: evaluated,
    store: metrics,
    clock,
    text: alarmText(props.stackName),
    onError: (err) => print(`local alarms: ${(err as Error).message}`),
    publish: async (topic, notification) => {
      if (topic === alertTopic) await props.alerts.notify(notification);
      else
        print(`alarm for a topic the local runtime has no stand-in for (${topic}): ${notification.subject}`);
    },
    sample: async () => {
      for (const [name, queue] of props.queues) {
        if (sampled && !sampled.has(name)) continue;
        const visible =
          props.visibleMessages?.(name) ??
          (await depth(sqs, queue.url).catch(() => ({ visible: 0 }))).visible;
        metrics.put({
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: name },
          value: visible,
        });
      }
    },
  });
  const executionMetric: Record<string, string> = {
    FAILED: 'ExecutionsFailed',
    TIMED_OUT: 'ExecutionsTimedOut',
    ABORTED: 'ExecutionsAborted',
  };
  // CloudWatch samples and evaluates: the platform's calls, whichever function's work asked.
  const evaluate = () => asPlatform(() => alarms.evaluate());
  return {
    metrics,
    metricsFor: (entry) => {
      const env = fnOf(entry)?.[1].environment ?? {};
      return capturedMetrics(metrics, {
        namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'Scimitar',
        serviceName: env.POWERTOOLS_SERVICE_NAME ?? `scimitar-${entry}`,
      });
    },
    functionError: (entry) => {
      const arn = fnOf(entry)?.[0];
      if (!arn) return;
      metrics.put({
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: arn },
        value: 1,
      });
    },
    executionEnded: (status, detail) => {
      const metricName = executionMetric[status];
      if (!metricName) return;
      for (const arn of topology.stateMachines) {
        metrics.put({
          namespace: 'AWS/States',
          metricName,
          dimensions: { StateMachineArn: arn },
          value: 1,
          detail,
        });
      }
      void evaluate();
    },
    evaluate,
    alarmState: (logicalId) => {
      if (!evaluated.some((a) => a.logicalId === logicalId)) return undefined;
      const series = alarms.statesOf(logicalId);
      const alarming = series.filter((s) => s.state === 'ALARM');
      const shown = alarming.length ? alarming : series;
      if (shown.length === 0)
        return { state: 'INSUFFICIENT_DATA', reason: 'no datapoints yet', updatedAt: startedAt };
      return {
        state: alarming.length ? 'ALARM' : 'OK',
        reason: shown.map((s) => s.reason).join('; '),
        updatedAt: new Date(Math.max(...shown.map((s) => s.at.getTime()))),
      };
    },
  };
}
