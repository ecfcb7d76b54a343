// Reconciliation without a running runtime, with the same core and adapters as the Lambda:
//   scimitar reconcile run [--target ID]... [--roster FILE] [--restart] [--json] [--list N]
//                          [--dynamo ENDPOINT] [--sqs ENDPOINT --queue ID=URL ...]
//   scimitar reconcile coverage [--json] [--list N] [--dynamo ENDPOINT | --state-table NAME]
// (`npm run reconcile -- run|coverage` is the same.) Without --dynamo, `run` keeps state in an
// in-process dynalite (gone at exit); --state-table reads a deployed stack's table with the usual
// AWS credentials. Without --sqs nothing can be re-queued, so `run` is a dry run: it classifies,
// records and audits, and writes nowhere. Both list the orphan and drift accounts, at most --list
// per target (default 100), and count the rest.
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoReconciliationStore } from '../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger } from '../../lambdas/aws/adapters/dynamo-state.ts';
import { SqsLaneQueue } from '../../lambdas/aws/adapters/sqs-lane-queue.ts';
import { reconcileDeps } from '../../lambdas/aws/wiring/reconcile.ts';
import { SystemClock } from '../../lambdas/core/model/ports.ts';
import {
  coverageReport,
  gatherCoverageFacts,
  renderCoverageTable,
} from '../../lambdas/core/reconcile/coverage.ts';
import { reconcile } from '../../lambdas/core/reconcile/reconcile.ts';
import { DEFAULT_FINDINGS_LIMIT } from '../../lambdas/core/reconcile/state.ts';
import { LaneQueue } from '../../lambdas/core/revocation/ports.ts';
import { renderReconcileOutcomes } from '../report-format.ts';
import { FileRosterSource } from '../roster-file.ts';
import { DEFAULT_DATA_DIR } from '../runtime-defaults.ts';
import { LocalSecretSource } from '../secrets.ts';
import { UsageError } from '../send-event.ts';
import { localSqsClient } from '../sqs-client.ts';
import { type Args, loadConfig } from './context.ts';

const LOCAL = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

function findingsLimit(args: Args): number {
  const limit = args.list === undefined ? DEFAULT_FINDINGS_LIMIT : Number(args.list);
  if (!Number.isInteger(limit) || limit < 0)
    throw new UsageError(
      `--list ${JSON.stringify(args.list)}: give a whole number of accounts, 0 or more`,
      2,
    );
  return limit;
}

interface StateTables {
  readonly dynamo: DynamoDBClient;
  readonly stateTable: string;
  readonly auditTable: string;
  close(): Promise<void>;
}

/** The tables a pass reads and writes: at --dynamo, a deployed --state-table, or a dynalite of its own. */
async function stateTables(args: Args): Promise<StateTables> {
  const named = {
    stateTable: args['state-table'] ?? 'state',
    auditTable: args['audit-table'] ?? 'audit',
  };
  if (args.dynamo) {
    const dynamo = new DynamoDBClient({ endpoint: args.dynamo, ...LOCAL });
    return { dynamo, ...named, close: async () => dynamo.destroy() };
  }
  if (args['state-table']) {
    const dynamo = new DynamoDBClient({});
    return { dynamo, ...named, close: async () => dynamo.destroy() };
  }
  // The local runtime's dynalite (local/dynamo.ts), in memory.
  const { startDynamo } = await import('../dynamo.ts');
  const inProcess = await startDynamo();
  return {
    dynamo: inProcess.raw,
    stateTable: inProcess.stateTable,
    auditTable: inProcess.auditTable,
    close: inProcess.close,
  };
}

/** `reconcile coverage`: the coverage report of a state table. */
export async function coverageOfTable(args: Args): Promise<void> {
  if (!args.dynamo && !args['state-table']) {
    throw new UsageError(
      'coverage reads reconciliation state: give --dynamo ENDPOINT (a DynamoDB endpoint holding it) or --state-table NAME (a deployed stack); for the running local runtime: npm run scimitar -- coverage',
      2,
    );
  }
  const limit = findingsLimit(args);
  const config = await loadConfig(args);
  const tables = await stateTables(args);
  try {
    const state = { tableName: tables.stateTable, client: documentClient(tables.dynamo) };
    const facts = await gatherCoverageFacts(config, {
      store: new DynamoReconciliationStore(state),
      leavers: new DynamoLeaverLedger(state),
      findingsLimit: limit,
    });
    const report = coverageReport(config, facts, new Date());
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderCoverageTable(report));
  } finally {
    await tables.close();
  }
}

/** `reconcile run`: one pass from the terminal; a dry run unless --sqs names the lanes' queues. */
export async function passWithoutRuntime(args: Args): Promise<void> {
  const limit = findingsLimit(args);
  let config = await loadConfig(args);
  const dataDir = args['data-dir'] ?? DEFAULT_DATA_DIR;
  const tables = await stateTables(args);
  try {
    const client = documentClient(tables.dynamo);
    let queue: LaneQueue;
    if (args.sqs) {
      const urls = Object.fromEntries((args.queue ?? []).map((q) => q.split('=', 2) as [string, string]));
      queue = new SqsLaneQueue(urls, localSqsClient({ endpoint: args.sqs, ...LOCAL }));
    } else {
      config = { ...config, dryRun: true };
      queue = new (class extends LaneQueue {
        async send(): Promise<void> {
          throw new Error('no lane queue: pass --sqs and --queue to re-queue');
        }
      })();
    }
    // The reconciler's own wiring (lambdas/aws/wiring/reconcile.ts), with a roster file.
    const result = await reconcile(
      { ...(args.target && { targets: args.target }), restart: args.restart ?? false, findingsLimit: limit },
      reconcileDeps({
        config,
        env: { STATE_TABLE: tables.stateTable, AUDIT_TABLE: tables.auditTable },
        secrets: new LocalSecretSource({ file: args.secrets ?? join(dataDir, 'secrets.json') }),
        clock: new SystemClock(),
        dynamo: client,
        roster: new FileRosterSource(args.roster ?? join(dataDir, 'roster.csv')),
        queue,
      }),
    );
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(renderReconcileOutcomes(result.outcomes));
      if (config.dryRun && !args.sqs) console.log('(dry run: no --sqs given, nothing was re-queued)');
    }
    if (result.outcomes.some((o) => o.status === 'incomplete')) process.exitCode = 1;
  } finally {
    await tables.close();
  }
}
