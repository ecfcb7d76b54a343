// The operator's commands against the running runtime: `approve-burst` (a known layoff past the
// blast-radius guard), `redrive` a target's dead letters, a
// `reconcile` pass, the `coverage` report, `targets check` (the credential canary) and the
// `notifications` sent so far.
import { countOf } from '../../lambdas/core/model/count-noun.ts';
import { type CoverageReport, renderCoverageTable } from '../../lambdas/core/reconcile/coverage.ts';
import type { ApproveBurstOutcome } from '../../lambdas/core/revocation/approve-burst.ts';
import { type ReconcileOutcomeView, renderReconcileOutcomes } from '../report-format.ts';
import { UsageError } from '../send-event.ts';
import { type Args, api, baseUrl, targetQuery } from './context.ts';

/** A known layoff: N more revocations past the guard at the targets named (or --all), this window. */
export async function approveBurst(args: Args, targets: readonly string[]): Promise<void> {
  const named = [...targets, ...(args.target ?? [])];
  if (args.all === named.length > 0)
    throw new UsageError('approve-burst needs --target ID (one or more) or --all, not both');
  const count = Number(args.count);
  if (!args.count || !Number.isInteger(count) || count < 1)
    throw new UsageError(
      `approve-burst needs --count N, a positive whole number (got ${args.count ?? 'none'})`,
    );
  if (!args.by) throw new UsageError('approve-burst needs --by NAME: who approves, for the audit log');
  if (!args.reason)
    throw new UsageError(
      'approve-burst needs --reason TEXT: why (the layoff, its ticket), for the audit log',
    );
  const granted = await api<ApproveBurstOutcome>(`${baseUrl(args)}/_local/bursts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      targets: args.all ? 'all' : named,
      count,
      approvedBy: args.by,
      reason: args.reason,
      ...(args.until ? { until: args.until } : {}),
    }),
  });
  const windows =
    granted.windows.length === 1
      ? `the window from ${granted.windows[0]}`
      : `${granted.windows.length} windows from ${granted.windows[0]}`;
  console.log(
    `burst approved by ${granted.approvedBy} (${granted.approvalId}): ${granted.count} more revocations at ${granted.targets.join(', ')} in ${windows} (${granted.windowMinutes} minutes each)\nheld revocations still need their own: npm run scimitar -- approve <eventId>`,
  );
}

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
