// Lambda entry of the workflow's Summarize step: its wiring (lambdas/aws/wiring/workflow-steps.ts)
// with the real clients, run once at cold start.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SystemClock } from '../../core/model/ports.ts';
import { runtimeConfig } from '../env.ts';
import { wireSummarize } from '../wiring/workflow-steps.ts';

export const handler = wireSummarize({
  config: runtimeConfig(),
  env: process.env,
  clock: new SystemClock(),
  logger: new Logger(),
  metrics: new Metrics(),
});
