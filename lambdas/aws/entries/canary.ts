// Lambda entry of the credential canary (and the age check of hand-renewed credentials).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CurrentSecretSource } from '../../core/credentials/secret-store.ts';
import { SystemClock } from '../../core/model/ports.ts';
import { createCanaryHandler } from '../../handlers/canary.ts';
import { DynamoCanaryStatus } from '../adapters/dynamo-canary-status.ts';
import { SecretsManagerStore } from '../adapters/secrets-manager-store.ts';
import { requireEnv, runtimeConfig } from '../env.ts';

const store = new SecretsManagerStore();

export const handler = createCanaryHandler({
  config: runtimeConfig(),
  store,
  secrets: new CurrentSecretSource(store),
  status: new DynamoCanaryStatus({ tableName: requireEnv('STATE_TABLE') }),
  clock: new SystemClock(),
  logger: new Logger(),
  metrics: new Metrics(),
});
