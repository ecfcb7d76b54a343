// The operator's commands on the stack's AWS APIs (a deployed stack with --stack, else the local
// runtime): `approve-burst` (a known layoff past the blast-radius guard), `redrive` a target's
// dead letters (or one), a `reconcile` pass, the `coverage` report with the canary's state, and
// `alarms` (alias `notifications`): alarm states and the notifications kept.
import { DynamoCanaryStatus } from '../../lambdas/aws/adapters/dynamo-canary-status.ts';
import { DynamoReconciliationStore } from '../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger } from '../../lambdas/aws/adapters/dynamo-state.ts';
import { countOf } from '../../lambdas/core/model/count-noun.ts';
import { SystemClock } from '../../lambdas/core/model/ports.ts';
import {
  coverageReport,
  gatherCoverageFacts,
  renderCoverageTable,
} from '../../lambdas/core/reconcile/coverage.ts';
import type { ApproveBurstOutcome } from '../../lambdas/core/revocation/approve-burst.ts';
import { type ReconcileOutcomeView, renderReconcileOutcomes } from '../report-format.ts';
import { UsageError } from '../send-event.ts';
import { recentNotifications, renderAlarms, renderNotifications, stackAlarms } from './alarms.ts';
import { type Args, cliCommand, loadConfig } from './context.ts';
import { deadLetterCount, laneQueuesOf, redriveDeadLetters } from './dead-letters.ts';
import { LiveView } from './live-view.ts';
import { invokeFunction, invokeOperator, operatorIdentity } from './operator.ts';
import { awsCall, openStack } from './stack.ts';

/** A known layoff: N more revocations past the guard at the targets named (or --all), this window. */
export async function approveBurst(args: Args, targets: readonly string[]): Promise<void> {
  const named = [...targets, ...(args.target ?? [])];
  if (args.all === named.length > 0)
    throw new UsageError('approve-burst needs --target ID (one or more) or --all, not both', 2);
  const count = Number(args.count);
  if (!args.count || !Number.isInteger(count) || count < 1)
    throw new UsageError(
      `approve-burst needs --count N, a positive whole number (got ${args.count ?? 'none'})`,
      2,
    );
  if (!args.by) throw new UsageError('approve-burst needs --by NAME: who approves, for the audit log', 2);
  if (!args.reason)
    throw new UsageError(
      'approve-burst needs --reason TEXT: why (the layoff, its ticket), for the audit log',
      2,
    );
  const ctx = await openStack(args);
  const granted = await invokeOperator<ApproveBurstOutcome>(ctx, {
    op: 'approve-burst',
    targets: args.all ? 'all' : named,
    count,
    by: await operatorIdentity(ctx, args),
    reason: args.reason,
    ...(args.until ? { until: args.until } : {}),
  });
  const windows =
    granted.windows.length === 1
      ? `the window from ${granted.windows[0]}`
      : `${granted.windows.length} windows from ${granted.windows[0]}`;
  console.log(
    `burst approved by ${granted.approvedBy} (${granted.approvalId}): ${granted.count} more revocations at ${granted.targets.join(', ')} in ${windows} (${granted.windowMinutes} minutes each)\nheld revocations still need their own: ${cliCommand(ctx, 'approve <eventId>')}`,
  );
}

/** A target's dead letters (or the one --message names) back to its queue, the count shown as they move. */
export async function redrive(args: Args, targetId: string | undefined): Promise<void> {
  if (!targetId) throw new UsageError('redrive needs a target id: redrive <targetId> [--message ID]', 2);
  const ctx = await openStack(args);
  const queue = laneQueuesOf(ctx, targetId);
  const waiting = await deadLetterCount(ctx, targetId, queue);
  const view = LiveView.progress();
  const what = args.message ? `message ${args.message}` : countOf(waiting, 'dead letter');
  view.show(`moving ${what} of ${targetId} back to its queue…`);
  const { moved, looked } = await redriveDeadLetters(ctx, queue, {
    ...(args.message ? { messageId: args.message } : {}),
    onMoved: (n) => view.show(`moving ${what} of ${targetId} back to its queue… ${n} moved`),
  });
  if (args.message && moved === 0 && looked === 0)
    throw new UsageError(
      `the dead-letter queue of ${targetId} is empty: no message ${args.message} to redrive`,
    );
  if (args.message && moved === 0) {
    throw new UsageError(
      `no message ${args.message} among the ${countOf(looked, 'dead letter')} of ${targetId}: list them with the AWS console or \`aws sqs receive-message\` (those looked at are visible again in 30 s)`,
    );
  }
  console.log(`${countOf(moved, 'message')} moved back to the queue of ${targetId}`);
}

/** A pass now: the stack's reconciler function, of the targets named (positionally or --target), or all. */
export async function reconcileNow(args: Args, targets: readonly string[]): Promise<void> {
  const ctx = await openStack(args);
  const named = [...targets, ...(args.target ?? [])];
  const view = LiveView.progress();
  view.show(
    `reconciling ${named.length ? named.join(', ') : 'every target'}… (the pass pages every account)`,
  );
  const { outcomes } = (await invokeFunction(ctx, ctx.output('ReconcilerFunctionName'), {
    source: 'cli',
    ...(named.length ? { targets: named } : {}),
    restart: args.restart ?? false,
  })) as { outcomes: ReconcileOutcomeView[] };
  process.stdout.write(renderReconcileOutcomes(outcomes));
  if (outcomes.some((o) => o.status === 'incomplete')) process.exitCode = 1;
}

/** The coverage report from the stack's state table, with what the credential canary last found. */
export async function coverage(args: Args): Promise<void> {
  const config = await loadConfig(args);
  const ctx = await openStack(args);
  const state = { tableName: ctx.output('StateTableName'), client: ctx.dynamo };
  const clock = new SystemClock();
  const facts = await awsCall(ctx, 'dynamodb:Query', state.tableName, () =>
    gatherCoverageFacts(config, {
      store: new DynamoReconciliationStore(state),
      leavers: new DynamoLeaverLedger(state),
      canary: { status: new DynamoCanaryStatus(state), clock },
    }),
  );
  const report = coverageReport(config, facts, clock.now());
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderCoverageTable(report));
  if (report.totals['unmanaged-risk'] > 0) process.exitCode = 1;
}

/** Alarm states now and the notifications of the last --days days (default 7), at most --list (default 50). */
export async function alarms(args: Args): Promise<void> {
  const days = wholeNumber(args.days, 7, '--days', 1);
  const limit = wholeNumber(args.list, 50, '--list', 1);
  const ctx = await openStack(args);
  const [states, kept] = await Promise.all([stackAlarms(ctx), recentNotifications(ctx, new Date(), days)]);
  console.log(renderAlarms(states));
  console.log(renderNotifications(kept, days, limit));
  if (states.some((a) => a.state === 'ALARM')) process.exitCode = 1;
}

function wholeNumber(given: string | undefined, fallback: number, flag: string, min: number): number {
  if (given === undefined) return fallback;
  const n = Number(given);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} ${JSON.stringify(given)}: give a whole number, ${min} or more`, 2);
  return n;
}
