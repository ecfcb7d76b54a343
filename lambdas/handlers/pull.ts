// The pull function, invoked by its schedules (lib/roster-pull.ts): `{ job: 'roster' }` replaces
// the roster from the configured HRIS, `{ job: 'terminations', source }` polls a Workday source.
// A failure is thrown after it is logged: the function's Errors alarm fires and Lambda's
// asynchronous retries, then the schedule's dead-letter queue, keep the run.
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { METRIC_DIMENSIONS, PULL_METRICS } from '../core/model/metrics.ts';
import { parseOrThrow } from '../core/model/validation.ts';
import type { RosterPull, RosterPullOutcome } from '../core/pull/roster-pull.ts';
import type { PollOutcome, TerminationPoll } from '../core/pull/termination-poll.ts';
import { RosterInvalidError } from '../core/reconcile/roster.ts';

export const pullInvocationSchema = z.discriminatedUnion('job', [
  z.object({ job: z.literal('roster') }).strict(),
  z.object({ job: z.literal('terminations'), source: z.string().min(1).max(64) }).strict(),
]);
export type PullInvocation = z.infer<typeof pullInvocationSchema>;

export interface PullHandlerDeps {
  /** Absent without `roster` in the config. */
  readonly roster?: RosterPull;
  /** Absent without a Workday source that polls terminations. */
  readonly poll?: TerminationPoll;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type PullResult =
  | ({ readonly job: 'roster' } & RosterPullOutcome)
  | ({ readonly job: 'terminations' } & PollSummary);

/** What a poll did, without the people (the result is logged and may be shown). */
export interface PollSummary {
  readonly sourceId: string;
  readonly window: PollOutcome['window'];
  readonly rows: number;
  readonly alreadyRead: number;
  readonly started: number;
  readonly ignored: number;
  readonly rejected: PollOutcome['ingest']['rejected'];
  readonly cursorMoved: boolean;
}

export function createPullHandler(deps: PullHandlerDeps) {
  return async (input: unknown): Promise<PullResult> => {
    const invocation = parseOrThrow(pullInvocationSchema, input, 'invalid pull invocation');
    try {
      const result =
        invocation.job === 'roster' ? await pullRoster(deps) : await poll(deps, invocation.source);
      deps.logger.info('pull done', { ...result });
      return result;
    } catch (err) {
      // Messages name the source and the fix; none carries a credential (lambdas/core/pull/hris-request.ts).
      deps.logger.error('pull failed', {
        ...invocation,
        error: (err as Error).message,
        ...(err instanceof RosterInvalidError && { problems: err.problems.slice(0, 20) }),
      });
      throw err;
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

async function pullRoster(deps: PullHandlerDeps): Promise<PullResult> {
  if (!deps.roster) throw new Error('no roster pull is configured (config roster.source)');
  const outcome = await deps.roster.pull();
  deps.metrics.addMetric(PULL_METRICS.rosterPulled, MetricUnit.Count, 1);
  return { job: 'roster', ...outcome };
}

async function poll(deps: PullHandlerDeps, sourceId: string): Promise<PullResult> {
  if (!deps.poll)
    throw new Error(`no Workday source polls terminations; "${sourceId.slice(0, 64)}" cannot be polled`);
  const outcome = await deps.poll.poll(sourceId);
  const single = deps.metrics.singleMetric();
  single.addDimension(METRIC_DIMENSIONS.source, outcome.sourceId);
  single.addMetric(PULL_METRICS.recordsRejected, MetricUnit.Count, outcome.ingest.rejected.length);
  return {
    job: 'terminations',
    sourceId: outcome.sourceId,
    window: outcome.window,
    rows: outcome.rows,
    alreadyRead: outcome.alreadyRead,
    started: outcome.ingest.started.length,
    ignored: outcome.ingest.ignored.length,
    rejected: outcome.ingest.rejected,
    cursorMoved: outcome.cursorMoved,
  };
}
