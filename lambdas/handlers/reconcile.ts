// The reconciler function: invoked by the schedule, by an operator (CLI) or by itself to continue a
// round that ran out of time. Parses the request, reconciles until the time budget is short, emits
// metrics per finished target, and hands the rest of the round to the next invocation.
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, RECONCILE_METRICS } from '../core/model/metrics.ts';
import { parseOrThrow } from '../core/model/validation.ts';
import { type ReconcileContinuation, reconcileInvocationSchema } from '../core/reconcile/ports.ts';
import {
  type ReconcileDeps,
  type ReconcileResult,
  reconcile,
  type TargetOutcome,
} from '../core/reconcile/reconcile.ts';

export interface ReconcileHandlerDeps extends ReconcileDeps {
  readonly continuation: ReconcileContinuation;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Invocations one round may chain before it stops and says so. @default 50 */
  readonly maxContinuations?: number;
  /** Time kept back per invocation for saving progress. @default 30_000 */
  readonly reserveMs?: number;
}

export interface ReconcileResponse extends ReconcileResult {
  /** Another invocation was started to continue the round. */
  readonly continued: boolean;
}

export function createReconcileHandler(deps: ReconcileHandlerDeps) {
  return async (
    input: unknown,
    context?: { getRemainingTimeInMillis(): number },
  ): Promise<ReconcileResponse> => {
    const invocation = parseOrThrow(reconcileInvocationSchema, input ?? {}, 'invalid reconciliation request');
    const since = invocation.since ?? deps.clock.now().toISOString();
    const result = await reconcile(
      {
        ...(invocation.targets && { targets: invocation.targets }),
        restart: invocation.restart,
        ...(invocation.since && { since: invocation.since }),
        ...(context && { remainingMs: () => context.getRemainingTimeInMillis() }),
        reserveMs: deps.reserveMs ?? 30_000,
      },
      deps,
    );
    for (const outcome of result.outcomes) {
      const privileged = deps.config.targets.some(
        (t) => t.id === outcome.targetId && t.tier === 'privileged',
      );
      emitMetrics(deps.metrics, outcome, privileged);
      const log = outcome.status === 'incomplete' ? deps.logger.error : deps.logger.info;
      // The account list stays out of the log (userNames, up to findingsLimit per target): the
      // response carries it, and the coverage report reads it from the state table.
      const { findings: _listed, ...logged } = outcome;
      log.call(deps.logger, 'reconciliation', { ...logged, source: invocation.source });
    }

    let continued = false;
    if (result.paused) {
      const max = deps.maxContinuations ?? 50;
      if (!result.progressed) {
        deps.logger.error('reconciliation made no progress in this invocation; not continuing', {
          continuation: invocation.continuation,
        });
      } else if (invocation.continuation >= max) {
        deps.logger.error(`reconciliation round stopped after ${max} continuations`, { since });
      } else {
        await deps.continuation.resume({
          ...invocation,
          source: 'continuation',
          restart: false,
          since,
          continuation: invocation.continuation + 1,
        });
        continued = true;
      }
    }
    return { ...result, continued };
  };
}

/**
 * Per target, once its pass ends. An incomplete pass never reports zero orphans or drift (the alarm
 * would clear on a pass that did not look everywhere); it reports what it found, and Incomplete.
 */
function emitMetrics(metrics: Metrics, outcome: TargetOutcome, privileged: boolean): void {
  if (outcome.status !== 'complete' && outcome.status !== 'incomplete') return;
  const complete = outcome.status === 'complete';
  const emit = (name: string, value: number) => {
    const single = metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.target, outcome.targetId);
    single.addMetric(name, MetricUnit.Count, value);
  };
  emit(RECONCILE_METRICS.incomplete, complete ? 0 : 1);
  if (complete) emit(RECONCILE_METRICS.accounts, outcome.counts.accounts);
  if (complete || outcome.counts.orphan > 0) emit(RECONCILE_METRICS.orphans, outcome.counts.orphan);
  if (complete || outcome.counts.drift > 0) emit(RECONCILE_METRICS.drift, outcome.counts.drift);
  emit(RECONCILE_METRICS.remediated, outcome.counts.remediated);
  emit(RECONCILE_METRICS.alreadyQueued, outcome.counts.alreadyQueued);
  // Only a complete pass checks entitlements: an incomplete one reports no entitlement drift.
  const entitlementDrift = outcome.entitlements?.accounts ?? 0;
  if (outcome.entitlements) emit(RECONCILE_METRICS.entitlementDrift, entitlementDrift);
  const findings = outcome.counts.orphan + outcome.counts.drift + entitlementDrift;
  if (privileged && (complete || findings > 0)) emit(RECONCILE_METRICS.privilegedFindings, findings);
}
