// Secrets Manager's rotation function: one protocol step per invocation ({SecretId,
// ClientRequestToken, Step}). A failed step throws, so Secrets Manager stops the rotation with
// AWSCURRENT untouched and the function's Errors alarm fires.
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import {
  type RotationDeps,
  type RotationOutcome,
  rotateSecret,
  rotationSteps,
} from '../core/credentials/rotation.ts';
import { CREDENTIAL_METRICS, METRIC_DIMENSIONS } from '../core/model/metrics.ts';
import { parseOrThrow } from '../core/model/validation.ts';
import { reportFailure } from './failure-report.ts';

export const rotationEventSchema = z.object({
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
  Step: z.enum(rotationSteps),
});

export interface RotationHandlerDeps extends RotationDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function createRotationHandler(deps: RotationHandlerDeps) {
  return async (event: unknown): Promise<RotationOutcome> => {
    const parsed = parseOrThrow(rotationEventSchema, event, 'invalid rotation event');
    const context = { secretId: parsed.SecretId, version: parsed.ClientRequestToken, step: parsed.Step };
    let outcome: RotationOutcome;
    try {
      outcome = await rotateSecret(
        { secretId: parsed.SecretId, token: parsed.ClientRequestToken, step: parsed.Step },
        deps,
      );
    } catch (err) {
      deps.logger.error('rotation step failed', { ...context, ...reportFailure(err) });
      const failed = deps.metrics.singleMetric();
      failed.addDimension(METRIC_DIMENSIONS.step, parsed.Step);
      failed.addMetric(CREDENTIAL_METRICS.rotationFailed, MetricUnit.Count, 1);
      throw err;
    }
    deps.logger.info('rotation step done', { ...context, ...outcome });
    if (outcome.action === 'promoted') {
      const rotated = deps.metrics.singleMetric();
      rotated.addDimension(METRIC_DIMENSIONS.target, outcome.targetId);
      rotated.addMetric(CREDENTIAL_METRICS.rotated, MetricUnit.Count, 1);
    }
    return outcome;
  };
}
