import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoAuditLog, documentClient } from '../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../lambdas/aws/adapters/dynamo-state.ts';
import { auditTableSchema, stateTableSchema } from '../../lambdas/aws/adapters/table-schemas.ts';
import {
  actAs,
  localArns,
  partitionKeys,
  RECORD_AWS_CALLS_ENV,
  type RecordedCall,
  recordSdkCalls,
} from '../../local/aws-calls.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const schemas = [auditTableSchema('audit'), stateTableSchema('state')];
let dynamoServer: { close(done: () => void): void; address(): AddressInfo; listen(...args: unknown[]): void };
let dynamo: DynamoDBClient;
let fauxqs: FauxqsServer;
let sqs: SQSClient;
let dir: string;

beforeAll(async () => {
  dynamoServer = dynalite({ createTableMs: 0 });
  await new Promise<void>((ready) => dynamoServer.listen(0, '127.0.0.1', ready));
  const endpoint = `http://127.0.0.1:${dynamoServer.address().port}`;
  dynamo = recordSdkCalls(
    new DynamoDBClient({ endpoint, region: 'local', credentials }),
    Object.assign({}, ...schemas.map(partitionKeys)),
  );
  for (const schema of schemas) await dynamo.send(new CreateTableCommand(schema));
  fauxqs = await startFauxqs({ port: 0, logger: false });
  sqs = recordSdkCalls(new SQSClient({ endpoint: fauxqs.address, region: 'us-east-1', credentials }));
});
afterAll(async () => {
  dynamo.destroy();
  sqs.destroy();
  await fauxqs.stop();
  await new Promise<void>((done) => dynamoServer.close(() => done()));
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-aws-calls-'));
  vi.stubEnv(RECORD_AWS_CALLS_ENV, dir);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function recorded(): RecordedCall[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('calls-'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'))
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordedCall);
}
const worker = { entry: 'worker', targetId: 'code', stack: 'test' };
const ledger = () => new DynamoLeaverLedger({ tableName: 'state', client: documentClient(dynamo) });
const entry = {
  personId: 'E1',
  targetId: 'code',
  status: 'revoked',
  at: '2026-01-01T00:00:00.000Z',
} as never;

describe('AWS call recorder', () => {
  it('records a DynamoDB write through the document client with its table and leading keys, as the acting function', async () => {
    await actAs(worker, () => ledger().record(entry));

    expect(recorded()).toEqual([
      {
        ...worker,
        action: 'dynamodb:PutItem',
        resources: [localArns.table('state')],
        leadingKeys: ['LEAVER#E1'],
        via: 'sdk',
      },
      {
        ...worker,
        action: 'dynamodb:PutItem',
        resources: [localArns.table('state')],
        leadingKeys: ['TARGET#code'],
        via: 'sdk',
      },
    ]);
  });

  it('records the partition key a Query fixes, and the index it reads', async () => {
    await actAs({ entry: 'plan', stack: 'test' }, async () => {
      await ledger().forPerson('E7');
      await new DynamoAuditLog({ tableName: 'audit', client: documentClient(dynamo) }).forPerson('E7');
    });

    expect(recorded().map((c) => [c.action, c.resources, c.leadingKeys])).toEqual([
      ['dynamodb:Query', [localArns.table('state')], ['LEAVER#E7']],
      ['dynamodb:Query', [`${localArns.table('audit')}/index/byPerson`], ['E7']],
    ]);
  });

  it('records SQS calls by queue ARN, a batch delete as the sqs:DeleteMessage IAM authorizes', async () => {
    const queue = fauxqs.createQueue('code-queue');
    await actAs(worker, async () => {
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: '{}' }));
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl }));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    });

    expect(recorded().map((c) => [c.action, c.resources])).toEqual([
      ['sqs:SendMessage', [localArns.queue('code-queue')]],
      ['sqs:ReceiveMessage', [localArns.queue('code-queue')]],
      ['sqs:DeleteMessage', [localArns.queue('code-queue')]],
    ]);
  });

  it("records a Secrets Manager read by the secret's ARN, whether the code names it by name or ARN", async () => {
    // Recorded before the request is sent: nothing listens on this port, the call itself fails.
    const secrets = recordSdkCalls(
      new SecretsManagerClient({
        endpoint: 'http://127.0.0.1:9',
        region: 'local',
        credentials,
        maxAttempts: 1,
      }),
    );
    const arn = localArns.secret('scimitar/targets/chat');
    await actAs(worker, async () => {
      for (const SecretId of ['scimitar/targets/chat', arn])
        await expect(secrets.send(new GetSecretValueCommand({ SecretId }))).rejects.toThrow();
    });
    secrets.destroy();

    expect(recorded().map((c) => [c.action, c.resources])).toEqual([
      ['secretsmanager:GetSecretValue', [arn]],
    ]);
  });

  it('keeps the acting function across async continuations, and each function its own', async () => {
    await Promise.all([
      actAs(worker, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await ledger().forPerson('A');
      }),
      actAs({ entry: 'summarize', stack: 'test' }, () => ledger().forPerson('B')),
    ]);

    const byEntry = Object.fromEntries(recorded().map((c) => [c.entry, c.leadingKeys]));
    expect(byEntry).toEqual({ worker: ['LEAVER#A'], summarize: ['LEAVER#B'] });
  });

  it('writes a repeated call once per process', async () => {
    await actAs(worker, async () => {
      await ledger().forPerson('R');
      await ledger().forPerson('R');
    });

    expect(recorded()).toHaveLength(1);
  });

  it("records nothing made outside any function (the runtime's own plumbing)", async () => {
    await ledger().forPerson('nobody');

    expect(recorded()).toEqual([]);
  });

  it('records nothing when no directory is named', async () => {
    vi.stubEnv(RECORD_AWS_CALLS_ENV, '');
    await actAs(worker, () => ledger().forPerson('E1'));

    expect(readdirSync(dir)).toEqual([]);
  });
});
