// Lambda entry of the reconciler: reads its environment once at cold start (AUDIT_TABLE,
// STATE_TABLE, the lane queue URL prefix of target-env.ts, the inlined SCIMITAR_CONFIG); secrets
// are read by the names the config gives them.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type ScimTargetConfig, targetSecretName } from '../../core/model/config.ts';
import { SystemClock } from '../../core/model/ports.ts';
import type { ScimClient } from '../../core/scim/index.ts';
import { scimClientFor } from '../../core/targets/target-client.ts';
import { createReconcileHandler } from '../../handlers/reconcile.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoReconciliationStore } from '../adapters/dynamo-reconciliation.ts';
import { DynamoRosterStore } from '../adapters/dynamo-roster.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../adapters/dynamo-state.ts';
import { LambdaReconcileContinuation } from '../adapters/lambda-continuation.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { SqsLaneQueue } from '../adapters/sqs-lane-queue.ts';
import { requireEnv, runtimeConfig } from '../env.ts';
import { readLaneQueueUrls } from '../target-env.ts';

const config = runtimeConfig();
const stateTable = { tableName: requireEnv('STATE_TABLE') };
const queueUrls = readLaneQueueUrls(config);
const secrets = new SecretsManagerSecretSource();
// One client per target for the life of the container: its credential is cached between walks.
const clients = new Map<string, ScimClient>();
function clientFor(target: ScimTargetConfig): ScimClient {
  let client = clients.get(target.id);
  if (!client) {
    client = scimClientFor(target, { secretId: targetSecretName(target), secrets });
    clients.set(target.id, client);
  }
  return client;
}

export const handler = createReconcileHandler({
  config,
  scim: clientFor,
  store: new DynamoReconciliationStore(stateTable),
  leavers: new DynamoLeaverLedger(stateTable),
  roster: new DynamoRosterStore(stateTable),
  queue: new SqsLaneQueue(queueUrls),
  budget: new DynamoRevocationBudget(stateTable),
  audit: new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE') }),
  clock: new SystemClock(),
  continuation: new LambdaReconcileContinuation(requireEnv('AWS_LAMBDA_FUNCTION_NAME')),
  logger: new Logger(),
  metrics: new Metrics(),
});
