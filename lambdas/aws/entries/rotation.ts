// Lambda entry of the rotation function that Secrets Manager calls for the targets' secrets.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createRotationHandler } from '../../handlers/rotation.ts';
import { dynamoRateBudgets } from '../adapters/dynamo-rate-budget.ts';
import { SecretsManagerStore } from '../adapters/secrets-manager-store.ts';
import { requireEnv, runtimeConfig } from '../env.ts';

export const handler = createRotationHandler({
  store: new SecretsManagerStore(),
  config: runtimeConfig(),
  // The pending credential's test spends the target's shared budget, as the lanes' requests do.
  budgets: dynamoRateBudgets({ tableName: requireEnv('STATE_TABLE') }),
  logger: new Logger(),
  metrics: new Metrics(),
});
