// Lambda entry of the reconciler: its wiring (lambdas/aws/wiring/reconcile.ts) with the real
// clients, run once at cold start; secrets are read by the names the config gives them.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SystemClock } from '../../core/model/ports.ts';
import { LambdaReconcileContinuation } from '../adapters/lambda-continuation.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { requireEnv, runtimeConfig } from '../env.ts';
import { wireReconcile } from '../wiring/reconcile.ts';

export const handler = wireReconcile({
  config: runtimeConfig(),
  env: process.env,
  secrets: new SecretsManagerSecretSource(),
  clock: new SystemClock(),
  continuation: new LambdaReconcileContinuation(requireEnv('AWS_LAMBDA_FUNCTION_NAME')),
  logger: new Logger(),
  metrics: new Metrics(),
});
