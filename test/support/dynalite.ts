// A real DynamoDB API on loopback for tests: dynalite in memory, scimitar's tables created.
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { documentClient } from '../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { auditTableSchema, stateTableSchema } from '../../lambdas/aws/adapters/table-schemas.ts';
import { partitionKeys, recordSdkCalls } from '../../local/aws-calls.ts';

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBDocumentClient;
  auditTable: string;
  stateTable: string;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const auditTable = 'audit';
  const stateTable = 'state';
  // Calls a test makes as a function (local/aws-calls.ts actAs) go into the IAM proof.
  const raw = recordSdkCalls(
    new DynamoDBClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    { ...partitionKeys(auditTableSchema(auditTable)), ...partitionKeys(stateTableSchema(stateTable)) },
  );
  await raw.send(new CreateTableCommand(auditTableSchema(auditTable)));
  await raw.send(new CreateTableCommand(stateTableSchema(stateTable)));
  return {
    endpoint,
    client: documentClient(raw),
    auditTable,
    stateTable,
    close: async () => {
      raw.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
