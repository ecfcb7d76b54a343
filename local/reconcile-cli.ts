// Reconciliation on demand, from a terminal, with the same core and adapters as the Lambda:
//   npm run reconcile -- run [--target ID]... [--roster FILE] [--restart] [--json] [--list N]
//                            [--dynamo ENDPOINT] [--sqs ENDPOINT --queue ID=URL ...]
//   npm run reconcile -- coverage [--json] [--list N] [--dynamo ENDPOINT | --state-table NAME]
// Without --dynamo, `run` keeps state in an in-process dynalite (gone at exit); --state-table reads a
// deployed stack's table with the usual AWS credentials. Without --sqs nothing can be re-queued, so
// `run` is a dry run: it classifies, records and audits, and writes nowhere. Both list the orphan and
// drift accounts, at most --list per target (default 100), and count the rest.
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAuditLog, documentClient } from '../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoReconciliationStore } from '../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../lambdas/aws/adapters/dynamo-state.ts';
import { SqsLaneQueue } from '../lambdas/aws/adapters/sqs-lane-queue.ts';
import { auditTableSchema, stateTableSchema } from '../lambdas/aws/adapters/table-schemas.ts';
import { targetSecretName } from '../lambdas/core/model/config.ts';
import { ValidationError } from '../lambdas/core/model/errors.ts';
import { SystemClock } from '../lambdas/core/model/ports.ts';
import {
  coverageReport,
  gatherCoverageFacts,
  renderCoverageTable,
} from '../lambdas/core/reconcile/coverage.ts';
import { reconcile } from '../lambdas/core/reconcile/reconcile.ts';
import { DEFAULT_FINDINGS_LIMIT } from '../lambdas/core/reconcile/state.ts';
import { LaneQueue } from '../lambdas/core/revocation/ports.ts';
import { scimClientFor } from '../lambdas/core/targets/target-client.ts';
import { ConfigFileError, loadConfigFile } from '../lib/config-file.ts';
import { renderReconcileOutcomes } from './report-format.ts';
import { FileRosterSource } from './roster-file.ts';
import { LocalSecretSource } from './secrets.ts';
import { localSqsClient } from './sqs-client.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    config: { type: 'string' },
    target: { type: 'string', multiple: true },
    roster: { type: 'string', default: '.scimitar/roster.csv' },
    secrets: { type: 'string', default: '.scimitar/secrets.json' },
    restart: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    dynamo: { type: 'string' },
    'state-table': { type: 'string' },
    'audit-table': { type: 'string' },
    sqs: { type: 'string' },
    queue: { type: 'string', multiple: true },
    list: { type: 'string' },
  },
});
const command = positionals[0];
if (command !== 'run' && command !== 'coverage') {
  console.error('usage: npm run reconcile -- run|coverage [options] (see local/reconcile-cli.ts)');
  process.exit(2);
}
if (command === 'coverage' && !values.dynamo && !values['state-table']) {
  console.error(
    'coverage reads reconciliation state: give --dynamo ENDPOINT (a DynamoDB endpoint holding it) or --state-table NAME (a deployed stack); for the running local runtime: npm run scimitar -- coverage',
  );
  process.exit(2);
}
const findingsLimit = values.list === undefined ? DEFAULT_FINDINGS_LIMIT : Number(values.list);
if (!Number.isInteger(findingsLimit) || findingsLimit < 0) {
  console.error(`--list ${JSON.stringify(values.list)}: give a whole number of accounts, 0 or more`);
  process.exit(2);
}

/** Errors a user can fix, in one line each; anything else is a bug and keeps its stack. */
function explain(err: unknown): string | undefined {
  if (err instanceof ValidationError || err instanceof ConfigFileError) return err.message;
  return undefined;
}

let config: Awaited<ReturnType<typeof loadConfigFile>>;
try {
  config = await loadConfigFile(values.config);
} catch (err) {
  const text = explain(err);
  if (text === undefined) throw err;
  console.error(text);
  process.exit(1);
}
const local = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
let stopDynalite = async () => {};
let dynamo: DynamoDBClient;
let stateTable = values['state-table'] ?? 'state';
let auditTable = values['audit-table'] ?? 'audit';
if (values.dynamo) dynamo = new DynamoDBClient({ endpoint: values.dynamo, ...local });
else if (values['state-table']) dynamo = new DynamoDBClient({});
else {
  // @ts-expect-error dynalite ships no types
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dynamo = new DynamoDBClient({ endpoint: `http://127.0.0.1:${server.address().port}`, ...local });
  const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
  stateTable = 'state';
  auditTable = 'audit';
  await dynamo.send(new CreateTableCommand(stateTableSchema(stateTable)));
  await dynamo.send(new CreateTableCommand(auditTableSchema(auditTable)));
  stopDynalite = () => new Promise((resolve) => server.close(() => resolve()));
}
const client = documentClient(dynamo);
const state = { tableName: stateTable, client };
const store = new DynamoReconciliationStore(state);
const ledger = new DynamoLeaverLedger(state);

try {
  if (command === 'coverage') {
    const report = coverageReport(
      config,
      await gatherCoverageFacts(config, { store, leavers: ledger, findingsLimit }),
      new Date(),
    );
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderCoverageTable(report));
  } else {
    let queue: LaneQueue;
    if (values.sqs) {
      const urls = Object.fromEntries((values.queue ?? []).map((q) => q.split('=', 2) as [string, string]));
      queue = new SqsLaneQueue(urls, localSqsClient({ endpoint: values.sqs, ...local }));
    } else {
      config = { ...config, dryRun: true };
      queue = new (class extends LaneQueue {
        async send(): Promise<void> {
          throw new Error('no lane queue: pass --sqs and --queue to re-queue');
        }
      })();
    }
    const secrets = new LocalSecretSource({ file: values.secrets });
    const result = await reconcile(
      { ...(values.target && { targets: values.target }), restart: values.restart, findingsLimit },
      {
        config,
        scim: (target) => scimClientFor(target, { secretId: targetSecretName(target), secrets }),
        store,
        leavers: ledger,
        roster: new FileRosterSource(values.roster),
        queue,
        budget: new DynamoRevocationBudget(state),
        audit: new DynamoAuditLog({ tableName: auditTable, client }),
        clock: new SystemClock(),
      },
    );
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(renderReconcileOutcomes(result.outcomes));
      if (config.dryRun && !values.sqs) console.log('(dry run: no --sqs given, nothing was re-queued)');
    }
    if (result.outcomes.some((o) => o.status === 'incomplete')) process.exitCode = 1;
  }
} catch (err) {
  const text = explain(err);
  if (text === undefined) throw err;
  console.error(text);
  process.exitCode = 1;
} finally {
  dynamo.destroy();
  await stopDynalite();
}
