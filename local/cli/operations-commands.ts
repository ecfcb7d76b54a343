// The operator's commands against the running runtime: `redrive` a target's dead letters, a
// `reconcile` pass, the `coverage` report, `targets check` (the credential canary) and the
// `notifications` sent so far.
import { countOf } from '../../lambdas/core/model/count-noun.ts';
import { type CoverageReport, renderCoverageTable } from '../../lambdas/core/reconcile/coverage.ts';
import { type ReconcileOutcomeView, renderReconcileOutcomes } from '../report-format.ts';
import { UsageError } from '../send-event.ts';
import { type Args, api, baseUrl, targetQuery } from './context.ts';

export async function redrive(args: Args, targetId: string | undefined): Promise<void> {
  if (!targetId) throw new UsageError('redrive needs a target id');
  const answer = await api<{ redriven: number }>(
    `${baseUrl(args)}/_local/targets/${encodeURIComponent(targetId)}/redrive`,
    { method: 'POST' },
  );
  console.log(`${countOf(answer.redriven, 'message')} moved back to the queue of ${targetId}`);
}

/** A pass in the running runtime, of the targets named (positionally or with --target), or all. */
export async function reconcileNow(args: Args, targets: readonly string[]): Promise<void> {
  const query = new URLSearchParams(targetQuery([...targets, ...(args.target ?? [])]).slice(1));
  if (args.restart) query.set('restart', '1');
  const { outcomes } = await api<{ outcomes: ReconcileOutcomeView[] }>(
    `${baseUrl(args)}/_local/reconcile${query.size ? `?${query}` : ''}`,
    { method: 'POST' },
  );
  process.stdout.write(renderReconcileOutcomes(outcomes));
  if (outcomes.some((o) => o.status === 'incomplete')) process.exitCode = 1;
}

export async function coverage(args: Args): Promise<void> {
  const report = await api<CoverageReport>(`${baseUrl(args)}/_local/coverage`);
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderCoverageTable(report));
  if (report.totals['unmanaged-risk'] > 0) process.exitCode = 1;
}

export async function checkTargets(args: Args, targets: readonly string[]): Promise<void> {
  const { results } = await api<{
    results: { targetId: string; ok: boolean; problems: string[]; durationMs: number }[];
  }>(`${baseUrl(args)}/_local/targets/check${targetQuery(targets)}`, { method: 'POST' });
  for (const r of results) {
    console.log(
      `  ${r.ok ? '✔' : '✖'} ${r.targetId.padEnd(10)} ${r.ok ? 'credential works' : 'FAILING'}  (${r.durationMs} ms)${r.problems.length ? `\n      ${r.problems.join('\n      ')}` : ''}`,
    );
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

export async function notifications(args: Args): Promise<void> {
  const { alerts, owners } = await api<{
    alerts: { subject: string }[];
    owners: { subject: string; owner: string }[];
  }>(`${baseUrl(args)}/_local/notifications`);
  console.log(`alerts:\n${alerts.map((a) => `  ${a.subject}`).join('\n') || '  none'}`);
  console.log(
    `owner notifications:\n${owners.map((o) => `  ${o.owner}: ${o.subject}`).join('\n') || '  none'}`,
  );
}
