// Lambda entry of the ingest function (API Gateway POST /events/{source}): its wiring
// (lambdas/aws/wiring/ingest.ts) with the real clients, built once per container at cold start;
// a missing variable fails the init loudly.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SystemClock } from '../../core/model/ports.ts';
import { runtimeConfig } from '../env.ts';
import { wireIngest } from '../wiring/ingest.ts';

export const handler = wireIngest({
  config: runtimeConfig(),
  env: process.env,
  clock: new SystemClock(),
  logger: new Logger(),
  metrics: new Metrics(),
});
