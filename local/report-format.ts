// What the reconcile commands print: one line of counts per target, its error, then its orphan and
// drift accounts. Shared by `npm run scimitar -- reconcile` (the running runtime) and
// `npm run reconcile -- run` (one pass from the terminal), so both say the same thing.
import { renderEntitlementDrift, renderFindings } from '../lambdas/core/reconcile/findings.ts';
import type { TargetOutcome } from '../lambdas/core/reconcile/reconcile.ts';

/** The fields of an outcome these lines use (the runtime's API answers with outcomes as JSON). */
export type ReconcileOutcomeView = Pick<
  TargetOutcome,
  'targetId' | 'status' | 'counts' | 'error' | 'findings' | 'entitlements'
>;

export function renderReconcileOutcomes(outcomes: readonly ReconcileOutcomeView[]): string {
  const lines: string[] = [];
  const width = Math.max(10, ...outcomes.map((o) => o.targetId.length));
  for (const o of outcomes) {
    const c = o.counts;
    lines.push(
      `  ${o.targetId.padEnd(width)} ${o.status.padEnd(10)} accounts ${c.accounts}: managed ${c.managed}, drift ${c.drift}, orphan ${c.orphan}, accepted ${c.accepted}, inactive ${c.inactive}; re-queued ${c.remediated}${c.alreadyQueued ? ` (${c.alreadyQueued} still queued by an earlier pass)` : ''}, refused ${c.refused}`,
    );
    if (o.error) lines.push(`      ${o.error}`);
    if (o.findings) lines.push(...renderFindings(o.findings, '      '));
    if (o.entitlements) lines.push(...renderEntitlementDrift(o.entitlements, '      '));
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
