// The CLI's door for writes (the operator function), the credential canary per target, and the
// alarms view: Lambda and CloudWatch mocked (no emulator here), the state table on dynalite.
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCanaryStatus } from '../../../lambdas/aws/adapters/dynamo-canary-status.ts';
import {
  recentDays,
  recentNotifications,
  renderAlarms,
  renderNotifications,
  stackAlarms,
} from '../../../local/cli/alarms.ts';
import {
  FunctionFailedError,
  invokeOperator,
  OperatorRefusedError,
  operatorIdentity,
} from '../../../local/cli/operator.ts';
import { checkOne } from '../../../local/cli/targets-check.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { testStackContext } from '../../support/stack-context.ts';

const lambda = mockClient(LambdaClient);
const cloudwatch = mockClient(CloudWatchClient);
/** A Lambda answer as the SDK hands it over: the bytes, with the SDK's string adapter. */
const payload = (value: unknown) => {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return Object.assign(bytes, { transformToString: () => new TextDecoder().decode(bytes) });
};
const sentPayload = (i = 0) =>
  JSON.parse(
    new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[i]?.args[0].input.Payload as Uint8Array),
  );

describe('CLI: operator function, canary and alarms', () => {
  let dynamo: LocalDynamo;
  const ctx = () =>
    testStackContext({
      dynamo: dynamo.client,
      sqs: new SQSClient({ region: 'us-east-1' }),
      caller: 'arn:aws:iam::000000000000:user/alice',
      outputs: {
        StateTableName: dynamo.stateTable,
        OperatorFunctionName: 'Scimitar-operator',
        CanaryFunctionName: 'Scimitar-canary',
      },
    });
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => dynamo?.close());
  afterEach(() => {
    lambda.reset();
    cloudwatch.reset();
  });

  it('invokes the operator function with the op and who asks, and returns its result', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ Payload: payload({ ok: true, result: { approvedBy: 'x', targets: ['code'] } }) });
    const by = await operatorIdentity(ctx(), { by: 'alice' });

    const result = await invokeOperator(ctx(), { op: 'approve', eventId: 'ev-1', by });

    expect(by).toBe('alice (arn:aws:iam::000000000000:user/alice)');
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName).toBe('Scimitar-operator');
    expect(sentPayload()).toEqual({ op: 'approve', eventId: 'ev-1', by });
    expect(result).toEqual({ approvedBy: 'x', targets: ['code'] });
    expect(await operatorIdentity(ctx(), {})).toBe('arn:aws:iam::000000000000:user/alice');
  });

  it('refuses with the function’s own words: a conflict exits 1, invalid input exits 2', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({
        Payload: payload({
          ok: false,
          error: { code: 'CONFLICT', message: 'it succeeded: nothing to retry' },
        }),
      })
      .resolvesOnce({
        Payload: payload({ ok: false, error: { code: 'INVALID', message: 'count must be positive' } }),
      });
    const conflict = invokeOperator(ctx(), { op: 'retry', eventId: 'ev-1', by: 'a' });
    await expect(conflict).rejects.toThrow(
      new OperatorRefusedError('CONFLICT', 'it succeeded: nothing to retry'),
    );
    await expect(conflict).rejects.toMatchObject({ exitCode: 1 });
    await expect(
      invokeOperator(ctx(), { op: 'approve-burst', targets: 'all', count: 0, by: 'a', reason: 'r' }),
    ).rejects.toMatchObject({ message: 'count must be positive', exitCode: 2 });
  });

  it('fails with the function’s error message and its problems when the function itself fails', async () => {
    lambda.on(InvokeCommand).resolves({
      FunctionError: 'Unhandled',
      Payload: payload({
        errorType: 'ValidationError',
        errorMessage: 'invalid roster file r.csv:',
        problems: ['E1 twice'],
      }),
    });
    const failed = invokeOperator(ctx(), { op: 'retry', eventId: 'ev-1', by: 'a' });
    await expect(failed).rejects.toBeInstanceOf(FunctionFailedError);
    await expect(failed).rejects.toThrow('invalid roster file r.csv:\n  - E1 twice');
  });

  it('fails naming the function when the stack has none of that name', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));
    await expect(invokeOperator(ctx(), { op: 'retry', eventId: 'ev-1', by: 'a' })).rejects.toThrow(
      'the local runtime does not host function Scimitar-operator (Function not found): restart it after updating scimitar',
    );
  });

  it('refuses an answer that is not an operator answer, saying to deploy the function again', async () => {
    lambda.on(InvokeCommand).resolves({ Payload: payload({ hello: 1 }) });
    await expect(invokeOperator(ctx(), { op: 'retry', eventId: 'ev-1', by: 'a' })).rejects.toThrow(
      /not an operator answer; is the stack's operator function up to date/,
    );
  });

  it('checks one target with the canary function and returns its probe', async () => {
    const probe = {
      targetId: 'code',
      checkedAt: new Date().toISOString(),
      ok: true,
      reachable: true,
      authenticated: true,
      problems: [],
      durationMs: 12,
    };
    lambda.on(InvokeCommand).resolves({ Payload: payload({ results: [probe], ages: {}, sourceKeys: {} }) });
    expect(await checkOne(ctx(), 'code')).toEqual(probe);
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName).toBe('Scimitar-canary');
    expect(sentPayload()).toEqual({ targetIds: ['code'] });
  });

  it('reads the probe the canary recorded before failing (an unknown credential age), else reports its error', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ FunctionError: 'Unhandled', Payload: payload({ errorMessage: 'age unknown' }) });
    await new DynamoCanaryStatus({ tableName: dynamo.stateTable, client: dynamo.client }).record({
      targetId: 'wiki',
      checkedAt: new Date().toISOString(),
      ok: false,
      reachable: true,
      authenticated: false,
      problems: ['401 Unauthorized'],
      durationMs: 30,
    });
    expect(await checkOne(ctx(), 'wiki')).toMatchObject({
      targetId: 'wiki',
      ok: false,
      problems: ['401 Unauthorized'],
    });
    expect(await checkOne(ctx(), 'chat')).toMatchObject({
      targetId: 'chat',
      ok: false,
      problems: ['the canary failed: age unknown'],
    });
  });

  it('lists the stack’s alarms by its name prefix, firing ones first, across pages', async () => {
    const client = new CloudWatchClient({ region: 'us-east-1' });
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({
        MetricAlarms: [
          { AlarmName: 'Scimitar-LaneBacklog-code', StateValue: 'OK' },
          {
            AlarmName: 'Scimitar-DeadLetters-code',
            StateValue: 'ALARM',
            StateReason: 'Threshold Crossed: 1 datapoint',
          },
        ],
        NextToken: 't',
      })
      .resolvesOnce({
        MetricAlarms: [{ AlarmName: 'Scimitar-CanaryFailed', StateValue: 'INSUFFICIENT_DATA' }],
      });

    const alarms = await stackAlarms({ ...ctx(), cloudwatch: client });

    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNamePrefix).toBe(
      'Scimitar-',
    );
    expect(alarms.map((a) => [a.state, a.name])).toEqual([
      ['ALARM', 'DeadLetters-code'],
      ['INSUFFICIENT_DATA', 'CanaryFailed'],
      ['OK', 'LaneBacklog-code'],
    ]);
    expect(renderAlarms(alarms)).toMatch(
      /^alarms: 1 in ALARM, 1 OK, 1 without data\n {2}✖ ALARM {13}DeadLetters-code\n {6}Threshold Crossed: 1 datapoint\n/,
    );
  });

  it('reads the notifications kept for the last days from the NOTIFY items, newest first', async () => {
    const now = new Date('2026-07-10T12:00:00.000Z');
    const put = (at: string, item: Record<string, unknown>) =>
      dynamo.client.send(
        new PutCommand({
          TableName: dynamo.stateTable,
          Item: { pk: `NOTIFY#${at.slice(0, 10)}`, sk: `${at}#${Math.random()}`, at, ...item },
        }),
      );
    await put('2026-07-10T09:00:00.000Z', { kind: 'alert', subject: 'ALARM: dead letters in code' });
    await put('2026-07-08T09:00:00.000Z', {
      kind: 'owner',
      subject: 'close the account of E1',
      owner: 'o@example.com',
    });
    await put('2026-06-20T09:00:00.000Z', { kind: 'alert', subject: 'too old' });

    const kept = await recentNotifications(ctx(), now, 7);

    expect(recentDays(now, 3)).toEqual(['2026-07-10', '2026-07-09', '2026-07-08']);
    expect(kept.map((k) => k.subject)).toEqual(['ALARM: dead letters in code', 'close the account of E1']);
    expect(renderNotifications(kept, 7, 50)).toBe(
      [
        'alerts (last 7 days):',
        '  2026-07-10T09:00:00.000Z  ALARM: dead letters in code',
        'owner notifications:',
        '  2026-07-08T09:00:00.000Z  o@example.com: close the account of E1',
      ].join('\n'),
    );
    expect(renderNotifications(kept, 7, 1)).toContain('(1 older not shown: --list N)');
  });
});
