// Lambda entry of the operator function (invoked by the CLI with the operator's IAM identity):
// its wiring (lambdas/aws/wiring/operator.ts) with the real clients, built once per container at
// cold start; a missing variable fails the init loudly.
import { Logger } from '@aws-lambda-powertools/logger';
import { SystemClock } from '../../core/model/ports.ts';
import { runtimeConfig } from '../env.ts';
import { wireOperator } from '../wiring/operator.ts';

export const handler = wireOperator({
  config: runtimeConfig(),
  env: process.env,
  clock: new SystemClock(),
  logger: new Logger(),
});
