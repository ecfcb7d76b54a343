// Child process of bench/reconcile.ts: the SCIM application (100,000 accounts seeded through its
// seed API) and dynalite with scimitar's tables, kept out of the benchmark's process so its memory
// figures are the reconciler's own. Reports its URLs over IPC, then serves until killed.

import { startDynamo } from '../local/dynamo.ts';
import { start } from '../local/scim-app.ts';
import { benchPopulation } from './reconcile-population.ts';

const accounts = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const maxResults = Number(process.env.BENCH_MAX_RESULTS ?? 1000);
const token = process.env.BENCH_TOKEN ?? 'bench-token';

const app = await start({ tokens: [token], maxResults });
const seeded = performance.now();
app.seed({ users: benchPopulation(accounts).accounts });
const seedMs = performance.now() - seeded;

// The local runtime's dynalite, tables 'audit' and 'state'.
const { endpoint } = await startDynamo();

process.send?.({ scimUrl: app.url, dynamoEndpoint: endpoint, seedMs });
