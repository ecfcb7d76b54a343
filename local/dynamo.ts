// DynamoDB on loopback: dynalite with scimitar's two tables, for the local runtime, the reconcile
// CLI and the tests (the one place dynalite is set up). The client records the calls each
// function makes for the IAM proof (local/aws-calls.ts).
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { documentClient } from '../lambdas/aws/adapters/dynamo-audit-log.ts';
import { auditTableSchema, stateTableSchema } from '../lambdas/aws/adapters/table-schemas.ts';
import { LOCAL_NAMES, partitionKeys, recordSdkCalls } from './aws-calls.ts';

import { LOCAL_CREDENTIALS, LOCAL_REGION } from './runtime-defaults.ts';

export { LOCAL_CREDENTIALS, LOCAL_REGION };

export interface LocalDynamo {
  readonly endpoint: string;
  readonly raw: DynamoDBClient;
  readonly client: DynamoDBDocumentClient;
  readonly auditTable: string;
  readonly stateTable: string;
  close(): Promise<void>;
}

/** Starts dynalite (in memory, or on disk under `path`) and creates the audit and state tables if missing. */
export async function startDynamo(options: { path?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  // Requests still being answered when the runtime stops: dynalite throws (uncaught) when one
  // reaches its store after the store closed, so closing waits for them first.
  let answering = 0;
  server.on('request', (_req: unknown, res: { on(event: 'close', listener: () => void): void }) => {
    answering++;
    res.on('close', () => answering--);
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const schemas = [auditTableSchema(LOCAL_NAMES.auditTable), stateTableSchema(LOCAL_NAMES.stateTable)];
  const raw = recordSdkCalls(
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    Object.assign({}, ...schemas.map(partitionKeys)),
  );
  for (const schema of schemas) {
    try {
      await raw.send(new CreateTableCommand(schema));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
  }
  return {
    endpoint,
    raw,
    client: documentClient(raw),
    auditTable: LOCAL_NAMES.auditTable,
    stateTable: LOCAL_NAMES.stateTable,
    close: async () => {
      raw.destroy();
      for (let waited = 0; answering > 0 && waited < 5_000; waited += 10) await setTimeout(10);
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
