// Summarize step of the workflow: audit the outcome, emit latency and outcome metrics.
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LifecycleWorkflowResumer } from '../core/ingest/lcw-resume.ts';
import { type Summary, summarizeInputSchema } from '../core/model/messages.ts';
import { METRIC_DIMENSIONS, WORKFLOW_METRICS } from '../core/model/metrics.ts';
import { parseOrThrow } from '../core/model/validation.ts';
import { type SummarizeDeps, summarize } from '../core/revocation/summarize.ts';

export function createSummarizeHandler(
  deps: SummarizeDeps & {
    readonly logger: Logger;
    readonly metrics: Metrics;
    /** Resumes the Lifecycle Workflows task an entra-lcw event came from. @default - none */
    readonly lcw?: LifecycleWorkflowResumer;
  },
) {
  return async (input: unknown): Promise<Summary> => {
    const parsed = parseOrThrow(summarizeInputSchema, input, 'invalid summarize input');
    const { summary, latencies } = await summarize(parsed, deps);
    for (const { targetId, latencyMs } of latencies) {
      const single = deps.metrics.singleMetric();
      single.addDimension(METRIC_DIMENSIONS.target, targetId);
      single.addMetric(WORKFLOW_METRICS.revocationLatency, MetricUnit.Milliseconds, latencyMs);
    }
    for (const target of summary.targets) {
      const single = deps.metrics.singleMetric();
      single.addDimension(METRIC_DIMENSIONS.target, target.targetId);
      single.addDimension(METRIC_DIMENSIONS.status, target.status);
      single.addMetric(WORKFLOW_METRICS.targetOutcome, MetricUnit.Count, 1);
    }
    deps.metrics.addMetric(
      summary.outcome === 'COMPLETED' ? WORKFLOW_METRICS.eventsCompleted : WORKFLOW_METRICS.eventsPartial,
      MetricUnit.Count,
      1,
    );
    deps.metrics.publishStoredMetrics();
    deps.logger.info('summarized', { ...summary });
    const resumed = deps.lcw ? await deps.lcw.resume(summary) : 'none';
    if (resumed !== 'none')
      deps.logger.info('lifecycle workflow task', { eventId: summary.eventId, resumed });
    return summary;
  };
}
