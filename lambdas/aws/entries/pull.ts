// Lambda entry of the pull function (roster pull, Workday polls): its wiring
// (lambdas/aws/wiring/pull.ts) with the real clients, run once at cold start.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SystemClock } from '../../core/model/ports.ts';
import { runtimeConfig } from '../env.ts';
import { wirePull } from '../wiring/pull.ts';

export const handler = wirePull({
  config: runtimeConfig(),
  env: process.env,
  clock: new SystemClock(),
  logger: new Logger(),
  metrics: new Metrics(),
});
