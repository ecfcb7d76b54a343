import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signGeneric } from '../../../lambdas/core/ingest/signature.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { projectConfig } from '../../../lib/config-projection.ts';
import sample from '../../../scimitar.config.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:scimitar';
const KEY = 'entry-test-key-31c9';
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const secretsManager = mockClient(SecretsManagerClient);
const s3 = mockClient(S3Client);
const scheduler = mockClient(SchedulerClient);

const env = {
  AUDIT_TABLE: 'scimitar-audit',
  STATE_MACHINE_ARN: STATE_MACHINE,
  SCIMITAR_CONFIG: JSON.stringify(projectConfig('ingest', parseConfig(sample))),
  AWS_REGION: 'eu-west-1',
  STATE_TABLE: 'scimitar-state',
  SCHEDULE_GROUP: 'Scimitar-terminations',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
  SCHEDULE_DLQ_ARN: 'arn:aws:sqs:eu-west-1:123456789012:Scimitar-terminations-dlq',
  OWNER_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:owners',
};

function post(source: string, body: string, headers: Record<string, string>): APIGatewayProxyEvent {
  return {
    body,
    headers,
    isBase64Encoded: false,
    pathParameters: { source },
    httpMethod: 'POST',
  } as unknown as APIGatewayProxyEvent;
}

/** A signed generic termination for the entry to take. */
function signedTermination(
  eventId: string,
  effectiveAt?: string,
): { body: string; event: APIGatewayProxyEvent } {
  const body = JSON.stringify({
    eventId,
    source: 'generic',
    occurredAt: new Date().toISOString(),
    ...(effectiveAt && { effectiveAt }),
    kind: 'termination',
    terminationType: 'voluntary',
    person: { employeeId: 'E9' },
  });
  return {
    body,
    event: post('generic', body, { 'X-Scimitar-Signature': signGeneric(body, KEY, new Date()) }),
  };
}

beforeEach(() => {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  // No pending termination for the person yet.
  dynamo.on(GetCommand).resolves({});
});

afterEach(() => {
  sfn.reset();
  dynamo.reset();
  secretsManager.reset();
  s3.reset();
  scheduler.reset();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('ingest Lambda entry', () => {
  it('wires the AWS adapters: secret read, conditional audit put, StartExecution', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'Scimitar/sources/generic' })
      .resolves({ SecretString: KEY });
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(PutCommand).resolves({});
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    }));
    const { handler } = await import('../../../lambdas/aws/entries/ingest.ts');

    const { event } = signedTermination('evt-entry');
    const result = await handler(event);

    expect(result.statusCode).toBe(202);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'scimitar-audit',
      Item: { eventId: 'evt-entry', step: 'RECEIVED' },
      ConditionExpression: 'attribute_not_exists(entryId)',
    });
    // One conditional put on a deterministic key, no read first: concurrent deliveries cannot both write.
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item?.entryId).toBe('#RECEIVED#generic');
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(STATE_MACHINE);
  });

  it('keeps the raw delivery in DELIVERY_BUCKET when the stack sets it, before RECEIVED', async () => {
    vi.stubEnv('DELIVERY_BUCKET', 'scimitar-deliveries');
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(PutCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const { handler } = await import('../../../lambdas/aws/entries/ingest.ts');
    const { body, event } = signedTermination('evt-raw');

    const result = await handler(event);

    expect(result.statusCode).toBe(202);
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: 'scimitar-deliveries', IfNoneMatch: '*' });
    expect(put?.Key).toMatch(/^deliveries\/\d{4}-\d{2}-\d{2}\/generic\/[0-9a-f]{64}$/);
    expect(Buffer.from(put?.Body as Uint8Array).toString('utf8')).toBe(body);
    const item = dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item?.detail.rawDeliveryKey).toBe(put?.Key);
  });

  it('keeps no raw delivery when DELIVERY_BUCKET is not set', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(PutCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const { handler } = await import('../../../lambdas/aws/entries/ingest.ts');
    const { event } = signedTermination('evt-noraw');

    await handler(event);

    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item?.detail.rawDeliveryKey).toBeUndefined();
  });

  it("schedules a future termination in the stack's group (EventBridge Scheduler) and starts nothing now", async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    dynamo.on(PutCommand).resolves({});
    scheduler.on(CreateScheduleCommand).resolves({});
    const { handler } = await import('../../../lambdas/aws/entries/ingest.ts');
    const effectiveAt = new Date(Date.now() + 400 * 86_400_000).toISOString();
    const result = await handler(signedTermination('evt-later', effectiveAt).event);

    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body).executions[0].lifecycle).toMatchObject({ action: 'scheduled' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    const schedule = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(schedule).toMatchObject({
      GroupName: 'Scimitar-terminations',
      Target: {
        RoleArn: 'arn:aws:iam::123456789012:role/scheduler',
        DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:Scimitar-terminations-dlq' },
      },
    });
    expect(JSON.parse(schedule?.Target?.Input ?? '{}').StateMachineArn).toBe(STATE_MACHINE);
    const pending = dynamo.commandCalls(PutCommand)[1]?.args[0].input;
    expect(pending).toMatchObject({
      TableName: 'scimitar-state',
      Item: { pk: 'LEAVER#E9', sk: 'PENDING', eventId: 'evt-later', status: 'scheduled' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('answers 404 for a source the inlined config does not list', async () => {
    const { handler } = await import('../../../lambdas/aws/entries/ingest.ts');
    expect((await handler(post('workday', '{}', {}))).statusCode).toBe(404);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('fails at cold start when a variable is missing, naming it', async () => {
    vi.stubEnv('STATE_MACHINE_ARN', '');
    await expect(import('../../../lambdas/aws/entries/ingest.ts')).rejects.toThrow(/STATE_MACHINE_ARN/);
  });
});
