// A function invoked on an EventBridge Scheduler schedule, with nothing lost in between: the role
// the schedule assumes (only Scheduler of this account's default group may assume it, and it may
// invoke that function only), a retry policy, and one dead-letter queue that receives both what
// Scheduler could not deliver and the function's failed asynchronous invocations (Lambda's
// onFailure destination), with an alarm on any message in it.
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Lambda keeps an asynchronous event at most 6 hours. */
const MAX_ASYNC_EVENT_AGE = Duration.hours(6);

export function scheduleRoleFor(scope: Construct, id: string, fn: IFunction, what: string): Role {
  const stack = Stack.of(scope);
  const role = new Role(scope, id, {
    description: `scimitar: EventBridge Scheduler invokes the ${what}`,
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: 'default',
          }),
        },
      },
    }),
  });
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
    reason: `LambdaInvoke's grantInvoke lets the schedule call the ${what} function's versions and aliases (function ARN with a qualifier); no other function.`,
  });
  return role;
}

export interface ScheduledInvocationProps {
  /** The function the schedule invokes (asynchronously, as Scheduler always does for Lambda). */
  readonly fn: IFunction;
  /** What the function is, for descriptions: 'credential canary'. */
  readonly what: string;
  /** The schedule's description. */
  readonly description: string;
  /** The config's schedule expression, `rate(...)` or `cron(...)`. */
  readonly expression: string;
  /** The event the function receives. */
  readonly input: Record<string, unknown>;
  /**
   * How often Scheduler retries a delivery the Lambda service refused (throttled, unavailable),
   * and for how long, before the event goes to the dead-letter queue.
   */
  readonly deliveryRetries: { readonly attempts: number; readonly maxEventAge: Duration };
  /**
   * How often Lambda retries an invocation that failed (an error, a timeout) before it goes to
   * the dead-letter queue; the same applies to the function's other asynchronous invocations.
   */
  readonly invocationRetries: number;
  /** Where the dead-letter alarm notifies. */
  readonly alarmTopic: ITopic;
  /** The runbook the alarm names. */
  readonly runbook: string;
  /** Construct ids, kept as they were deployed: changing one replaces the resource. */
  readonly ids: { readonly role: string; readonly schedule: string };
}

export interface ScheduledInvocation {
  readonly role: Role;
  readonly schedule: Schedule;
  /** Undelivered schedule events and failed asynchronous invocations of the function, 14 days. */
  readonly deadLetterQueue: Queue;
  /** Fires on any message in {@link deadLetterQueue}. */
  readonly deadLetterAlarm: Alarm;
}

/**
 * Invokes `fn` on a schedule. Construct ids: `ids.role`, `ids.schedule`, and `<ids.schedule>DeadLetters`,
 * `<ids.schedule>DeadLetterAlarm` for the queue and its alarm.
 */
export function invokeOnSchedule(scope: Construct, props: ScheduledInvocationProps): ScheduledInvocation {
  const { fn, what, ids } = props;
  validate(props);
  const deadLetterQueue = new Queue(scope, `${ids.schedule}DeadLetters`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself a dead-letter queue: EventBridge Scheduler's DeadLetterConfig for the ${what} schedule and the ${what} function's asynchronous onFailure destination (SQS redrive policies are not the only way a queue serves as one).`,
  });
  // Failed asynchronous invocations (the schedule's, and any other, e.g. the reconciler's own
  // continuations) reach the queue with their payload; grants the function sqs:SendMessage on it.
  fn.configureAsyncInvoke({
    onFailure: new SqsDestination(deadLetterQueue),
    retryAttempts: props.invocationRetries,
    maxEventAge: MAX_ASYNC_EVENT_AGE,
  });

  const role = scheduleRoleFor(scope, ids.role, fn, what);
  const schedule = new Schedule(scope, ids.schedule, {
    description: props.description,
    schedule: ScheduleExpression.expression(props.expression),
    // Grants the role lambda:InvokeFunction on the function and sqs:SendMessage on the queue.
    target: new LambdaInvoke(fn, {
      role,
      input: ScheduleTargetInput.fromObject(props.input),
      retryAttempts: props.deliveryRetries.attempts,
      maxEventAge: props.deliveryRetries.maxEventAge,
      deadLetterQueue,
    }),
  });

  const deadLetterAlarm = alarmOnDeadLetters(
    scope,
    `${ids.schedule}DeadLetterAlarm`,
    deadLetterQueue,
    `scimitar: a run of the ${what} was lost: Scheduler could not invoke it, or the invocation failed after its retries; the event is in the dead-letter queue. Runbook: ${props.runbook}`,
    props.alarmTopic,
  );
  return { role, schedule, deadLetterQueue, deadLetterAlarm };
}

/** An alarm on any message in a schedule's dead-letter queue (max over 5 minutes), to `topic`. */
export function alarmOnDeadLetters(
  scope: Construct,
  id: string,
  queue: Queue,
  description: string,
  topic: ITopic,
): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmDescription: description,
    metric: queue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period: Duration.minutes(5),
    }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new SnsAction(topic));
  return alarm;
}

/**
 * The window of a "did not run" alarm on a schedule of this interval: two intervals, within
 * CloudWatch's limits (a period of at most one day, an evaluation of at most 7 days).
 */
export function absenceWindow(intervalMs: number): { period: Duration; evaluationPeriods: number } {
  const windowSeconds = Math.min(Math.max(Math.round((2 * intervalMs) / 1000), 300), 7 * 86_400);
  if (windowSeconds <= 86_400) {
    return { period: Duration.seconds(Math.ceil(windowSeconds / 60) * 60), evaluationPeriods: 1 };
  }
  return { period: Duration.days(1), evaluationPeriods: Math.ceil(windowSeconds / 86_400) };
}

function validate(props: ScheduledInvocationProps): void {
  const { attempts, maxEventAge } = props.deliveryRetries;
  // EventBridge Scheduler's RetryPolicy: 0-185 attempts, 60 seconds to 24 hours of event age.
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 185) {
    throw new Error(
      `invokeOnSchedule (${props.what}): deliveryRetries.attempts ${attempts} is out of range; use 0 to 185`,
    );
  }
  if (maxEventAge.toSeconds() < 60 || maxEventAge.toSeconds() > 86_400) {
    throw new Error(
      `invokeOnSchedule (${props.what}): deliveryRetries.maxEventAge ${maxEventAge.toHumanString()} is out of range; use 1 minute to 24 hours`,
    );
  }
  // Lambda's asynchronous invocation config: 0-2 retries.
  if (
    !Number.isInteger(props.invocationRetries) ||
    props.invocationRetries < 0 ||
    props.invocationRetries > 2
  ) {
    throw new Error(
      `invokeOnSchedule (${props.what}): invocationRetries ${props.invocationRetries} is out of range; use 0 to 2`,
    );
  }
}
