// Lambda entry of the rotation function that Secrets Manager calls for the targets' secrets.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createRotationHandler } from '../../handlers/rotation.ts';
import { SecretsManagerStore } from '../adapters/secrets-manager-store.ts';
import { runtimeConfig } from '../env.ts';

export const handler = createRotationHandler({
  store: new SecretsManagerStore(),
  config: runtimeConfig(),
  logger: new Logger(),
  metrics: new Metrics(),
});
