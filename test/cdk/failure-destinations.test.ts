import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { absenceWindow, invokeOnSchedule } from '../../lib/schedule-role.ts';
import { type Built, build, logicalId } from './fixture.ts';

describe('Failure destinations: no asynchronous invocation or schedule without one', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  const queueArn = (queue: Parameters<typeof logicalId>[0]) => ({ 'Fn::GetAtt': [logicalId(queue), 'Arn'] });

  it('gives every EventBridge Scheduler schedule a dead-letter queue and a retry policy', () => {
    const schedules = Object.values(built.template.findResources('AWS::Scheduler::Schedule'));
    expect(schedules.length).toBeGreaterThanOrEqual(2);
    for (const schedule of schedules) {
      expect(schedule.Properties.Target.DeadLetterConfig?.Arn).toBeDefined();
      expect(schedule.Properties.Target.RetryPolicy).toEqual({
        MaximumRetryAttempts: expect.any(Number),
        MaximumEventAgeInSeconds: expect.any(Number),
      });
    }
  });

  it("sends the canary's undelivered runs and failed invocations to its dead-letter queue", () => {
    const { credentials } = built.stack;
    built.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Description: 'scimitar: credential canary',
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(credentials.canaryFunction), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: queueArn(credentials.canaryDeadLetterQueue) },
        RoleArn: { 'Fn::GetAtt': [logicalId(credentials.node.findChild('CanaryScheduleRole')), 'Arn'] },
        Input: '{}',
      },
    });
    built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(credentials.canaryFunction) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: queueArn(credentials.canaryDeadLetterQueue) } },
    });
  });

  it("sends the reconciler's failed invocations, its own continuations included, to its dead-letter queue", () => {
    const { reconciler } = built.stack;
    built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(reconciler.function) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: queueArn(reconciler.deadLetterQueue) } },
    });
    built.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(reconciler.function), 'Arn'] },
        DeadLetterConfig: { Arn: queueArn(reconciler.deadLetterQueue) },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
  });

  it('gives every function that is invoked asynchronously an onFailure destination', () => {
    const configs = Object.values(built.template.findResources('AWS::Lambda::EventInvokeConfig'));
    const scheduled = Object.values(built.template.findResources('AWS::Scheduler::Schedule')).map(
      (s) => (s.Properties.Target.Arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
    );
    // The reconciler invokes itself with InvocationType Event: it is one of the scheduled ones.
    expect(scheduled).toContain(logicalId(built.stack.reconciler.function));
    for (const fn of scheduled) {
      const config = configs.find((c) => c.Properties.FunctionName.Ref === fn);
      expect(config?.Properties.DestinationConfig.OnFailure.Destination, fn).toBeDefined();
    }
  });

  it('alarms on any message in either dead-letter queue, notifying the alert topic', () => {
    const topic = { Ref: logicalId(built.stack.alerting.alertTopic) };
    for (const [queue, alarm] of [
      [built.stack.credentials.canaryDeadLetterQueue, built.stack.credentials.canaryDeadLetterAlarm],
      [built.stack.reconciler.deadLetterQueue, built.stack.reconciler.deadLetterAlarm],
    ] as const) {
      const alarms = built.template.findResources('AWS::CloudWatch::Alarm');
      expect(alarms[logicalId(alarm)]?.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
        AlarmDescription: expect.stringContaining('docs/operations.md#lost-scheduled-runs'),
      });
    }
  });

  it('keeps the dead letters 14 days, encrypted, over TLS only', () => {
    for (const queue of [
      built.stack.credentials.canaryDeadLetterQueue,
      built.stack.reconciler.deadLetterQueue,
    ]) {
      const resource = built.template.findResources('AWS::SQS::Queue')[logicalId(queue)];
      expect(resource?.Properties).toMatchObject({
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      });
    }
    const policies = Object.values(built.template.findResources('AWS::SQS::QueuePolicy'));
    for (const queue of [
      built.stack.credentials.canaryDeadLetterQueue,
      built.stack.reconciler.deadLetterQueue,
    ]) {
      const policy = policies.find((p) =>
        (p.Properties.Queues as unknown[]).some((q) => JSON.stringify(q).includes(logicalId(queue))),
      );
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('aws:SecureTransport');
    }
  });
});

describe('invokeOnSchedule: props', () => {
  function attempt(props: Partial<Parameters<typeof invokeOnSchedule>[1]>) {
    const stack = new Stack(new App(), 'S');
    const fn = new LambdaFunction(stack, 'Fn', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => {}'),
    });
    return () =>
      invokeOnSchedule(stack, {
        fn,
        what: 'probe',
        description: 'probe',
        expression: 'rate(1 hour)',
        input: {},
        deliveryRetries: { attempts: 1, maxEventAge: Duration.hours(1) },
        invocationRetries: 0,
        alarmTopic: new Topic(stack, 'Topic'),
        runbook: 'docs/operations.md',
        ids: { role: 'Role', schedule: 'Schedule' },
        ...props,
      });
  }

  it('refuses retry settings Scheduler or Lambda cannot honour, naming the prop and the range', () => {
    expect(attempt({ deliveryRetries: { attempts: 186, maxEventAge: Duration.hours(1) } })).toThrow(
      /deliveryRetries.attempts 186 is out of range; use 0 to 185/,
    );
    expect(attempt({ deliveryRetries: { attempts: 1, maxEventAge: Duration.seconds(30) } })).toThrow(
      /deliveryRetries.maxEventAge 30 seconds is out of range; use 1 minute to 24 hours/,
    );
    expect(attempt({ invocationRetries: 3 })).toThrow(/invocationRetries 3 is out of range; use 0 to 2/);
  });

  it('builds the schedule, its role, the dead-letter queue and its alarm for any function', () => {
    const build = attempt({});
    const { schedule, deadLetterQueue, deadLetterAlarm } = build();
    const template = Template.fromStack(Stack.of(schedule));
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    expect(deadLetterAlarm.node.scope).toBe(deadLetterQueue.node.scope);
  });
});

describe('absenceWindow: how long a schedule may stay silent before its alarm', () => {
  it('is two intervals in one period up to a day', () => {
    expect(absenceWindow(3_600_000)).toEqual({ period: Duration.seconds(7200), evaluationPeriods: 1 });
    expect(absenceWindow(43_200_000)).toEqual({ period: Duration.seconds(86_400), evaluationPeriods: 1 });
  });

  it('is days of one-day periods beyond a day, at most the 7 CloudWatch evaluates', () => {
    expect(absenceWindow(86_400_000)).toEqual({ period: Duration.days(1), evaluationPeriods: 2 });
    expect(absenceWindow(30 * 86_400_000)).toEqual({ period: Duration.days(1), evaluationPeriods: 7 });
  });

  it('never goes below five minutes', () => {
    expect(absenceWindow(60_000)).toEqual({ period: Duration.seconds(300), evaluationPeriods: 1 });
  });
});
