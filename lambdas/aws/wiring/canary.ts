// The credential canary's wiring, shared by its Lambda entry and the local runtime: the status
// table from the function's environment (STATE_TABLE), the secret store and clients given.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CanaryStatus } from '../../core/credentials/canary.ts';
import type { SecretSource } from '../../core/credentials/secret-source.ts';
import { CurrentSecretSource, type SecretStore } from '../../core/credentials/secret-store.ts';
import type { ScimitarConfig } from '../../core/model/config.ts';
import type { Clock } from '../../core/model/ports.ts';
import type { RateBudgets } from '../../core/targets/rate-budget.ts';
import type { OwnerTaskBoard } from '../../core/tasks/ports.ts';
import { createCanaryHandler } from '../../handlers/canary.ts';
import { DynamoCanaryStatus } from '../adapters/dynamo-canary-status.ts';
import { DynamoOwnerTasks } from '../adapters/dynamo-owner-tasks.ts';
import { dynamoRateBudgets } from '../adapters/dynamo-rate-budget.ts';
import { type FunctionEnv, requireEnv } from '../env.ts';

export interface CanaryWiring {
  readonly config: ScimitarConfig;
  /** STATE_TABLE, unless `status` and `budgets` are given. */
  readonly env: FunctionEnv;
  /** Versions and dates of the secrets (credential ages). */
  readonly store: SecretStore;
  /** The credentials the probes use. @default - the store's AWSCURRENT versions */
  readonly secrets?: SecretSource;
  /** Where results are kept. @default - the state table */
  readonly status?: CanaryStatus;
  /** Each target's rate budget, which the probes take as leavers do. @default - the shared one on the state table */
  readonly budgets?: RateBudgets;
  /** Owner tasks, checked for overdue ones. @default - the state table's */
  readonly tasks?: OwnerTaskBoard;
  /** @default - a client from the Lambda's environment */
  readonly dynamo?: DynamoDBDocumentClient;
  /** Per HTTP request of a probe. @default the core's 10 s */
  readonly timeoutMs?: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The canary's handler. */
export function wireCanary(wiring: CanaryWiring) {
  const client = wiring.dynamo && { client: wiring.dynamo };
  return createCanaryHandler({
    config: wiring.config,
    store: wiring.store,
    secrets: wiring.secrets ?? new CurrentSecretSource(wiring.store),
    status:
      wiring.status ??
      new DynamoCanaryStatus({
        tableName: requireEnv('STATE_TABLE', wiring.env),
        ...client,
      }),
    budgets:
      wiring.budgets ?? dynamoRateBudgets({ tableName: requireEnv('STATE_TABLE', wiring.env), ...client }),
    tasks:
      wiring.tasks ?? new DynamoOwnerTasks({ tableName: requireEnv('STATE_TABLE', wiring.env), ...client }),
    clock: wiring.clock,
    logger: wiring.logger,
    metrics: wiring.metrics,
    ...(wiring.timeoutMs !== undefined && { timeoutMs: wiring.timeoutMs }),
  });
}
