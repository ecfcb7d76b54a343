// Child process of bench/reconcile.ts: the SCIM application (100,000 accounts seeded through its
// seed API) and dynalite with scimitar's tables, kept out of the benchmark's process so its memory
// figures are the reconciler's own. Reports its URLs over IPC, then serves until killed.

import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { auditTableSchema, stateTableSchema } from '../lambdas/aws/adapters/table-schemas.ts';
import { start } from '../local/scim-app.ts';
import { benchPopulation } from './reconcile-population.ts';

const accounts = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const maxResults = Number(process.env.BENCH_MAX_RESULTS ?? 1000);
const token = process.env.BENCH_TOKEN ?? 'bench-token';

const app = await start({ tokens: [token], maxResults });
const seeded = performance.now();
app.seed({ users: benchPopulation(accounts).accounts });
const seedMs = performance.now() - seeded;

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const raw = new DynamoDBClient({
  endpoint,
  region: 'local',
  credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
});
await raw.send(new CreateTableCommand(auditTableSchema('audit')));
await raw.send(new CreateTableCommand(stateTableSchema('state')));

process.send?.({ scimUrl: app.url, dynamoEndpoint: endpoint, seedMs });
