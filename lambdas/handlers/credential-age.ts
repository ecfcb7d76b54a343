// Age check of hand-renewed credentials (rotation strategy 'manual'): publishes CredentialAgeDays
// per target for its alarm, and fails when an age could not be measured, so a missing metric is
// never silent. The canary function runs it on the canary's schedule.
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type CredentialAgeReport,
  measureCredentialAges,
  type SourceKeyAgeReport,
} from '../core/credentials/credential-age.ts';
import type { SecretStore } from '../core/credentials/secret-store.ts';
import type { ScimitarConfig } from '../core/model/config.ts';
import { ScimitarError } from '../core/model/errors.ts';
import { CREDENTIAL_AGE_METRICS, METRIC_DIMENSIONS } from '../core/model/metrics.ts';
import type { Clock } from '../core/model/ports.ts';

/** Some manual target's credential age is unknown: its max-age alarm cannot see it. */
export class CredentialAgeUnknownError extends ScimitarError {
  readonly targetIds: readonly string[];
  constructor(failures: CredentialAgeReport['failures']) {
    super(
      `could not measure the credential age of ${failures.map((f) => `"${f.targetId}" (${f.reason})`).join(', ')}`,
    );
    this.name = 'CredentialAgeUnknownError';
    this.targetIds = failures.map((f) => f.targetId);
  }
}

/** Some HRIS source's signing key age is unknown: its SourceKeyAge alarm cannot see it. */
export class SourceKeyAgeUnknownError extends ScimitarError {
  readonly sourceIds: readonly string[];
  constructor(failures: SourceKeyAgeReport['failures']) {
    super(
      `could not measure the signing key age of source ${failures.map((f) => `"${f.sourceId}" (${f.reason})`).join(', ')}`,
    );
    this.name = 'SourceKeyAgeUnknownError';
    this.sourceIds = failures.map((f) => f.sourceId);
  }
}

export interface CredentialAgeDeps {
  readonly config: ScimitarConfig;
  readonly store: SecretStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Publishes the ages, then throws CredentialAgeUnknownError if any target could not be measured. */
export function publishCredentialAges(
  report: CredentialAgeReport,
  deps: Pick<CredentialAgeDeps, 'logger' | 'metrics'>,
): void {
  publishAges(
    report.ages.map((age) => ({ id: age.targetId, age })),
    {
      dimension: METRIC_DIMENSIONS.target,
      metric: CREDENTIAL_AGE_METRICS.credential,
      // 1 once the age reaches the target's own threshold: one alarm watches every target this way.
      dueMetric: CREDENTIAL_AGE_METRICS.renewalDue,
      due: 'credential due for renewal',
      ok: 'credential age',
    },
    deps,
  );
  if (report.failures.length > 0) {
    deps.logger.error('credential age unknown', { failures: report.failures });
    throw new CredentialAgeUnknownError(report.failures);
  }
}

/** Publishes SourceKeyAgeDays per source, then throws SourceKeyAgeUnknownError if any could not be measured. */
export function publishSourceKeyAges(
  report: SourceKeyAgeReport,
  deps: Pick<CredentialAgeDeps, 'logger' | 'metrics'>,
): void {
  publishAges(
    report.ages.map((age) => ({ id: age.sourceId, age })),
    {
      dimension: METRIC_DIMENSIONS.source,
      metric: CREDENTIAL_AGE_METRICS.sourceKey,
      due: 'source signing key due for change',
      ok: 'source signing key age',
    },
    deps,
  );
  if (report.failures.length > 0) {
    deps.logger.error('source signing key age unknown', { failures: report.failures });
    throw new SourceKeyAgeUnknownError(report.failures);
  }
}

/**
 * One metric per measured secret (dimension: whose), with `dueMetric` 1 when it is due (else 0),
 * and a log line, a warning once it is due.
 */
function publishAges(
  measured: readonly { id: string; age: { ageDays: number; due: boolean } }[],
  how: { dimension: string; metric: string; dueMetric?: string; due: string; ok: string },
  deps: Pick<CredentialAgeDeps, 'logger' | 'metrics'>,
): void {
  for (const { id, age } of measured) {
    const single = deps.metrics.singleMetric();
    single.addDimension(how.dimension, id);
    single.addMetric(how.metric, MetricUnit.Count, age.ageDays);
    if (how.dueMetric) {
      const due = deps.metrics.singleMetric();
      due.addDimension(how.dimension, id);
      due.addMetric(how.dueMetric, MetricUnit.Count, age.due ? 1 : 0);
    }
    if (age.due) deps.logger.warn(how.due, { ...age });
    else deps.logger.info(how.ok, { ...age });
  }
}

export function createCredentialAgeHandler(deps: CredentialAgeDeps) {
  return async (): Promise<CredentialAgeReport> => {
    const report = await measureCredentialAges(deps.config, deps);
    publishCredentialAges(report, deps);
    return report;
  };
}
