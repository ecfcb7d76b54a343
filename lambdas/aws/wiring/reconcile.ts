// The reconciler's wiring, shared by its Lambda entry, the local runtime, the reconcile CLI and
// the benchmark: adapters built from the function's environment (STATE_TABLE, AUDIT_TABLE,
// LANE_QUEUE_URL_PREFIX, LANE_QUEUE_RETENTION_SECONDS) and the SDK clients given, real on Lambda, pointed at emulators locally.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretSource } from '../../core/credentials/secret-source.ts';
import { type ScimitarConfig, type ScimTargetConfig, targetSecretName } from '../../core/model/config.ts';
import type { Clock } from '../../core/model/ports.ts';
import type { ReconcileContinuation, RosterSource } from '../../core/reconcile/ports.ts';
import type { ReconcileDeps } from '../../core/reconcile/reconcile.ts';
import type { LaneQueue } from '../../core/revocation/ports.ts';
import type { ScimClient } from '../../core/scim/index.ts';
import type { RateBudgets } from '../../core/targets/rate-budget.ts';
import { scimClientFor } from '../../core/targets/target-client.ts';
import { createReconcileHandler, type ReconcileHandlerDeps } from '../../handlers/reconcile.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { dynamoRateBudgets } from '../adapters/dynamo-rate-budget.ts';
import { DynamoReconciliationStore } from '../adapters/dynamo-reconciliation.ts';
import { DynamoRosterStore } from '../adapters/dynamo-roster.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../adapters/dynamo-state.ts';
import { SqsLaneQueue } from '../adapters/sqs-lane-queue.ts';
import { type FunctionEnv, requireEnv } from '../env.ts';
import { readLaneQueueRetentionMs, readLaneQueueUrls } from '../target-env.ts';

export interface ReconcileWiring {
  readonly config: ScimitarConfig;
  /**
   * STATE_TABLE and AUDIT_TABLE; LANE_QUEUE_URL_PREFIX unless `queue` is given;
   * LANE_QUEUE_RETENTION_SECONDS when the lanes' retention is known (the stack sets it).
   */
  readonly env: FunctionEnv;
  readonly secrets: SecretSource;
  readonly clock: Clock;
  /** @default - a client from the Lambda's environment */
  readonly dynamo?: DynamoDBDocumentClient;
  /** @default - a client from the Lambda's environment */
  readonly sqs?: SQSClient;
  /** Where the HR roster is read. @default - the uploaded roster in the state table */
  readonly roster?: RosterSource;
  /** Where drift goes back to. @default - the lane queues, by LANE_QUEUE_URL_PREFIX */
  readonly queue?: LaneQueue;
  /**
   * The SCIM client of a target. @default - one per target, built at first use and kept (its
   * credential is cached), taking the target's shared budget as 'background'
   */
  readonly scim?: (target: ScimTargetConfig) => ScimClient;
  /** Each target's rate budget. @default - the shared one on the state table */
  readonly budgets?: RateBudgets;
}

/** The core's dependencies, as the handler and the CLI both use them. */
export function reconcileDeps(wiring: ReconcileWiring): ReconcileDeps {
  const { config, env, secrets } = wiring;
  const laneQueueRetentionMs = readLaneQueueRetentionMs(env);
  const client = wiring.dynamo ? { client: wiring.dynamo } : {};
  const state = { tableName: requireEnv('STATE_TABLE', env), ...client };
  const clients = new Map<string, ScimClient>();
  const budgets = wiring.budgets ?? dynamoRateBudgets(state);
  const scim =
    wiring.scim ??
    ((target: ScimTargetConfig) => {
      let known = clients.get(target.id);
      if (!known) {
        known = scimClientFor(target, {
          secretId: targetSecretName(target),
          secrets,
          // Behind leavers: spends what the lanes leave of the target's rate.
          budget: budgets(target),
          requestClass: 'background',
        });
        clients.set(target.id, known);
      }
      return known;
    });
  return {
    config,
    scim,
    store: new DynamoReconciliationStore(state),
    leavers: new DynamoLeaverLedger(state),
    roster: wiring.roster ?? new DynamoRosterStore(state),
    queue: wiring.queue ?? new SqsLaneQueue(readLaneQueueUrls(config, env), wiring.sqs),
    budget: new DynamoRevocationBudget(state),
    audit: new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE', env), ...client }),
    clock: wiring.clock,
    ...(laneQueueRetentionMs !== undefined && { laneQueueRetentionMs }),
  };
}

/** The reconciler's handler. */
export function wireReconcile(
  wiring: ReconcileWiring &
    Pick<ReconcileHandlerDeps, 'maxContinuations' | 'reserveMs'> & {
      readonly continuation: ReconcileContinuation;
      readonly logger: Logger;
      readonly metrics: Metrics;
    },
) {
  return createReconcileHandler({
    ...reconcileDeps(wiring),
    continuation: wiring.continuation,
    logger: wiring.logger,
    metrics: wiring.metrics,
    ...(wiring.maxContinuations !== undefined && { maxContinuations: wiring.maxContinuations }),
    ...(wiring.reserveMs !== undefined && { reserveMs: wiring.reserveMs }),
  });
}
