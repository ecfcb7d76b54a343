// Lambda entry of the workflow's Plan step: its wiring (lambdas/aws/wiring/workflow-steps.ts)
// with the real clients, run once at cold start.
import { Logger } from '@aws-lambda-powertools/logger';
import { SystemClock } from '../../core/model/ports.ts';
import { runtimeConfig } from '../env.ts';
import { wirePlan } from '../wiring/workflow-steps.ts';

export const handler = wirePlan({
  config: runtimeConfig(),
  env: process.env,
  clock: new SystemClock(),
  logger: new Logger(),
});
