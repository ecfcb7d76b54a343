// The local runtime answers AWS API calls on its port: the real SDK clients of the CLI's stack
// context (local/cli/stack.ts), their endpoint the runtime's URL, reach dynalite and fauxqs
// through it and get in-process answers for CloudFormation, Lambda, CloudWatch, Step Functions
// and STS, from the stack the runtime hosts.
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanaryRun } from '../../../lambdas/handlers/canary.ts';
import type { Args } from '../../../local/cli/context.ts';
import { closeStack, invokeFunction, openStack, type StackContext } from '../../../local/cli/stack.ts';
import { eventually } from '../../support/eventually.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

type Runtime = Awaited<ReturnType<typeof startTestRuntime>>;

describe('local AWS endpoint: the stack the runtime hosts, through the SDK', () => {
  let runtime: Runtime;
  let ctx: StackContext;
  let targetId: string;
  beforeAll(async () => {
    runtime = await startTestRuntime({ canary: false, reconcileOnSchedule: false });
    ctx = await openStack({ url: runtime.url } as Args);
    targetId = [...runtime.lanes.keys()][0] ?? '';
  }, 120_000);
  afterAll(async () => {
    if (ctx) closeStack(ctx);
    await runtime?.stop();
  });

  it('CloudFormation DescribeStacks: the outputs name the local tables, state machine, function and queues', () => {
    expect(ctx.local).toBe(true);
    expect(ctx.stackName).toBe(runtime.config.stackName);
    expect(ctx.output('StateTableName')).toBe('state');
    expect(ctx.output('AuditTableName')).toBe('audit');
    expect(ctx.output('StateMachineArn')).toBe(
      `arn:aws:states:local:000000000000:stateMachine:${runtime.config.stackName}-workflow`,
    );
    expect(runtime.functions.invocable()).toContain(ctx.output('ReconcilerFunctionName'));
    expect(ctx.output('DeadLetterQueueUrlPrefix')).toBe(
      `${runtime.url}/000000000000/${runtime.config.stackName}_dlq_`,
    );
    expect(ctx.output('AlertTopicArn')).toBe('arn:aws:sns:local:000000000000:alerts');
    // The API's URL names nothing the runtime hosts under that address: left out, not a placeholder.
    expect(ctx.outputs.EventsUrl).toBeUndefined();
  });

  it('refuses an output the stack does not have, naming the output and the stack', () => {
    expect(() => ctx.output('NoSuchOutput')).toThrow(
      `the local runtime's stack "${runtime.config.stackName}" has no output NoSuchOutput`,
    );
  });

  it('SQS through the runtime: a message sent to the DLQ the output names is in the lane DLQ the runtime reads', async () => {
    const dlq = `${ctx.output('DeadLetterQueueUrlPrefix')}${targetId}`;
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: '{"probe":"endpoint"}' }));
    expect(await runtime.deadLetters(targetId)).toBe(1);
    const { Attributes } = await ctx.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe('1');
  });

  it('CloudWatch DescribeAlarms: the DLQ alarm of that lane moves to ALARM with the local evaluation', async () => {
    const name = `${runtime.config.stackName}-DeadLetters-${targetId}`;
    const alarm = await eventually(`${name} in ALARM`, async () => {
      const { MetricAlarms = [] } = await ctx.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [name] }),
      );
      return MetricAlarms[0]?.StateValue === 'ALARM' && MetricAlarms;
    });
    expect(alarm.map((a) => a.AlarmName)).toEqual([name]);
    expect(alarm[0]?.StateUpdatedTimestamp).toBeInstanceOf(Date);
    expect(alarm[0]?.StateReason).toContain('breached the threshold');
  });

  it('CloudWatch DescribeAlarms: every alarm of the templates, those only AWS can evaluate as INSUFFICIENT_DATA with the reason', async () => {
    const alarms = [];
    let NextToken: string | undefined;
    do {
      const page = await ctx.cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 20, NextToken }));
      alarms.push(...(page.MetricAlarms ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    const names = alarms.map((a) => a.AlarmName);
    for (const id of runtime.lanes.keys())
      expect(names).toContain(`${runtime.config.stackName}-DeadLetters-${id}`);
    const throttled = alarms.find((a) => a.AlarmName?.includes('ExecutionsThrottled'));
    expect(throttled?.StateValue).toBe('INSUFFICIENT_DATA');
    expect(throttled?.StateReason).toContain('not evaluated by the local runtime');
    const { MetricAlarms = [] } = await ctx.cloudwatch.send(
      new DescribeAlarmsCommand({ StateValue: 'ALARM' }),
    );
    expect(MetricAlarms.every((a) => a.StateValue === 'ALARM')).toBe(true);
  });

  it('SQS through the runtime: receive and delete empty the DLQ again', async () => {
    const dlq = `${ctx.output('DeadLetterQueueUrlPrefix')}${targetId}`;
    const { Messages = [] } = await ctx.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1 }),
    );
    expect(Messages.map((m) => m.Body)).toEqual(['{"probe":"endpoint"}']);
    await ctx.sqs.send(
      new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: Messages[0]?.ReceiptHandle }),
    );
    expect(await runtime.deadLetters(targetId)).toBe(0);
  });

  it('Lambda Invoke: the canary by its physical name answers its run, and its status lands in the state table (DynamoDB through the runtime)', async () => {
    const canary = runtime.functions.nameOf('canary') ?? '';
    const answer = await ctx.lambda.send(
      new InvokeCommand({
        FunctionName: canary,
        Payload: Buffer.from(JSON.stringify({ targetIds: [targetId] })),
      }),
    );
    expect(answer.FunctionError).toBeUndefined();
    const run = JSON.parse(Buffer.from(answer.Payload ?? []).toString('utf8')) as CanaryRun;
    expect(run.results.map((r) => [r.targetId, r.ok])).toEqual([[targetId, true]]);
    const { Item } = await ctx.dynamo.send(
      new GetCommand({
        TableName: ctx.output('StateTableName'),
        Key: { pk: `TARGET#${targetId}`, sk: 'CANARY' },
      }),
    );
    expect(Item?.ok).toBe(true);
  });

  it('Lambda Invoke: the reconciler the output names, and its handler refusing a payload as a function error', async () => {
    const result = await invokeFunction<{ outcomes: { targetId: string }[] }>(ctx, 'ReconcilerFunctionName', {
      source: 'cli',
      targets: [targetId],
    });
    expect(result.outcomes.map((o) => o.targetId)).toEqual([targetId]);
    await expect(invokeFunction(ctx, 'ReconcilerFunctionName', { source: 42 })).rejects.toThrow(
      /failed: \w+: invalid reconciliation request/,
    );
  });

  it('Lambda Invoke of type Event: accepted at once (202), the function run in the background', async () => {
    const canaryStatus = async () =>
      (
        await ctx.dynamo.send(
          new GetCommand({
            TableName: ctx.output('StateTableName'),
            Key: { pk: `TARGET#${targetId}`, sk: 'CANARY' },
          }),
        )
      ).Item?.checkedAt as string | undefined;
    const before = await canaryStatus();
    await runtime.clock.advance('1m'); // the next probe's checkedAt is later
    const answer = await ctx.lambda.send(
      new InvokeCommand({
        FunctionName: runtime.functions.nameOf('canary'),
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ targetIds: [targetId] })),
      }),
    );
    expect(answer.StatusCode).toBe(202);
    await eventually('the background probe recorded', async () => (await canaryStatus()) !== before);
  });

  it('fails a Lambda Invoke of a function the stack does not have as ResourceNotFoundException', async () => {
    await expect(
      ctx.lambda.send(new InvokeCommand({ FunctionName: 'no-such-function', Payload: Buffer.from('{}') })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: /Function not found: no-such-function/,
    });
  });

  it('Step Functions: StartExecution, DescribeExecution and ListExecutions on the local workflow', async () => {
    const stateMachineArn = ctx.output('StateMachineArn');
    const { executionArn } = await ctx.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'endpoint-probe', input: '{"not":"an event"}' }),
    );
    expect(executionArn).toBe(
      `arn:aws:states:local:000000000000:execution:${runtime.config.stackName}-workflow:endpoint-probe`,
    );
    const execution = await eventually('the probe execution to fail', async () => {
      const described = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return described.status !== 'RUNNING' && described;
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBeTruthy();
    expect(execution.input).toBe('{"not":"an event"}');
    expect(execution.startDate).toBeInstanceOf(Date);
    const { executions = [] } = await ctx.sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED' }),
    );
    expect(executions.map((e) => e.name)).toContain('endpoint-probe');
    await expect(
      ctx.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'endpoint-probe', input: '{}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(
      ctx.sfn.send(new DescribeExecutionCommand({ executionArn: `${executionArn}-unknown` })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('STS GetCallerIdentity: whoami is the local user', async () => {
    expect(await ctx.whoami()).toBe(`arn:aws:iam::000000000000:user/${process.env.USER || 'local'}`);
  });
});
