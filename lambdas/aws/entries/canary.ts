// Lambda entry of the credential canary (and the age check of hand-renewed credentials): its
// wiring (lambdas/aws/wiring/canary.ts) with the real clients, run once at cold start.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SystemClock } from '../../core/model/ports.ts';
import { SecretsManagerStore } from '../adapters/secrets-manager-store.ts';
import { runtimeConfig } from '../env.ts';
import { wireCanary } from '../wiring/canary.ts';

export const handler = wireCanary({
  config: runtimeConfig(),
  env: process.env,
  store: new SecretsManagerStore(),
  clock: new SystemClock(),
  logger: new Logger(),
  metrics: new Metrics(),
});
