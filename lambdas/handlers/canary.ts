// The credential canary's function: on schedule (or invoked with `{ "targetIds": [...] }`), probes
// every SCIM target read-only, records each result, publishes CanaryFailed per target (1 or 0, so
// the alarm also clears), then measures the age of hand-renewed credentials and of the HRIS
// sources' signing keys.
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { type CanaryDeps, type CanaryResult, checkTargets } from '../core/credentials/canary.ts';
import {
  type CredentialAgeReport,
  measureCredentialAges,
  measureSourceKeyAges,
  type SourceKeyAgeReport,
} from '../core/credentials/credential-age.ts';
import type { SecretStore } from '../core/credentials/secret-store.ts';
import type { ScimitarConfig } from '../core/model/config.ts';
import { CREDENTIAL_METRICS, METRIC_DIMENSIONS } from '../core/model/metrics.ts';
import { parseOrThrow } from '../core/model/validation.ts';
import type { OwnerTaskBoard } from '../core/tasks/ports.ts';
import type { OwnerTaskCheck } from '../core/tasks/tasks.ts';
import { publishCredentialAges, publishSourceKeyAges } from './credential-age.ts';
import { publishOwnerTaskCheck } from './owner-tasks.ts';

// Scheduler sends `{}`; anything else it might add is ignored.
export const canaryInputSchema = z.object({ targetIds: z.array(z.string().min(1)).min(1).optional() });

export interface CanaryHandlerDeps extends CanaryDeps {
  readonly config: ScimitarConfig;
  /** For the age of manual targets' credentials. */
  readonly store: SecretStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Owner tasks, checked for overdue ones on every run (OwnerTasksOverdue).
   * @default - not checked
   */
  readonly tasks?: OwnerTaskBoard;
}

export interface CanaryRun {
  readonly results: readonly CanaryResult[];
  readonly ages: CredentialAgeReport;
  readonly sourceKeys: SourceKeyAgeReport;
  readonly ownerTasks?: OwnerTaskCheck;
}

export function createCanaryHandler(deps: CanaryHandlerDeps) {
  return async (input: unknown): Promise<CanaryRun> => {
    const { targetIds } = parseOrThrow(canaryInputSchema, input ?? {}, 'invalid canary input');
    const results = await checkTargets(deps.config, deps, targetIds ? { targetIds } : {});
    for (const result of results) {
      const single = deps.metrics.singleMetric();
      single.addDimension(METRIC_DIMENSIONS.target, result.targetId);
      single.addMetric(CREDENTIAL_METRICS.canaryFailed, MetricUnit.Count, result.ok ? 0 : 1);
      if (result.ok) deps.logger.info('canary passed', { ...result });
      else deps.logger.error('canary failed', { ...result });
    }
    const ages = await measureCredentialAges(deps.config, deps);
    const sourceKeys = await measureSourceKeyAges(deps.config, deps);
    // Both are published before a failure is raised: one unknown age hides no other.
    let unknownCredentialAge: unknown;
    try {
      publishCredentialAges(ages, deps);
    } catch (err) {
      unknownCredentialAge = err;
    }
    publishSourceKeyAges(sourceKeys, deps);
    const ownerTasks = deps.tasks && (await publishOwnerTaskCheck({ ...deps, tasks: deps.tasks }));
    if (unknownCredentialAge) throw unknownCredentialAge;
    return { results, ages, sourceKeys, ...(ownerTasks && { ownerTasks }) };
  };
}
