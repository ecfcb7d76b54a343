// What a lane checks before a destructive write: that its termination was not rescinded since the
// plan (the rescind then wins, nothing is written), and that the target's blast-radius budget has
// room. Only writes that happen spend the budget: no account, an account already inactive, a
// report-only or dry-run lane, and a revocation an operator approved spend nothing.
import { cancelledTermination } from '../lifecycle/claim.ts';
import type { PendingTermination, PendingTerminations } from '../lifecycle/ports.ts';
import type { ScimitarConfig } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import type { LaneMessage, LaneResult } from '../model/messages.ts';
import type { Clock } from '../model/ports.ts';
import { BlastRadiusGuard, type BudgetRefusal, heldReason } from './blast-radius.ts';
import type { LaneLedger, LaneLog } from './lane.ts';
import type { RevocationBudget } from './ports.ts';

export interface LaneHoldDeps {
  readonly targetId: string;
  readonly clock: Clock;
  /**
   * The pending terminations: checked before every write.
   * @default - not checked (lanes of a runtime without the termination lifecycle)
   */
  readonly terminations?: PendingTerminations;
  /**
   * The blast-radius guard, spent at the write.
   * @default - not spent by the lane (the plan spends it: PlanDeps.budget)
   */
  readonly blastRadius?: {
    readonly config: Pick<ScimitarConfig, 'blastRadius'>;
    readonly budget: RevocationBudget;
  };
}

/** The lane's termination was rescinded after its plan: nothing is written. */
export class LaneCancelledError extends ScimitarError {
  constructor(readonly pending: PendingTermination) {
    super(
      `the termination was cancelled by a ${pending.cancelledBy?.kind ?? 'rescind'} (event ${pending.cancelledBy?.eventId ?? '?'}) at ${pending.cancelledAt}; nothing written`,
    );
    this.name = 'LaneCancelledError';
  }
}

/** The blast-radius guard held this write: nothing is written until an operator approves it. */
export class LaneHeldError extends ScimitarError {
  constructor(
    readonly refusal: BudgetRefusal,
    reason: string,
  ) {
    super(reason);
    this.name = 'LaneHeldError';
  }
}

/** Throws LaneCancelledError when the message's termination was cancelled. */
export async function checkNotCancelled(message: LaneMessage, deps: LaneHoldDeps): Promise<void> {
  if (!deps.terminations) return;
  const cancelled = await cancelledTermination(deps.terminations, message.person.employeeId, message.eventId);
  if (cancelled) throw new LaneCancelledError(cancelled);
}

/**
 * Just before the write to `account`: not cancelled, and a unit of budget taken unless the write
 * changes nothing (already inactive) or was approved. A workflow's message spends here; the
 * reconciler's remediations (no task token) spent theirs when queued.
 */
export async function checkBeforeWrite(
  message: LaneMessage,
  account: { readonly active?: boolean },
  deps: LaneHoldDeps,
): Promise<void> {
  await checkNotCancelled(message, deps);
  if (!deps.blastRadius || message.approvedBy || !message.taskToken || account.active === false) return;
  const { config, budget } = deps.blastRadius;
  const refusal = await new BlastRadiusGuard(config, budget).take(deps.targetId, deps.clock.now());
  if (refusal) throw new LaneHeldError(refusal, heldReason(deps.targetId, refusal, config, message.eventId));
}

/** The result of a lane stopped by a hold or a cancellation, audited; undefined for any other error. */
export async function recordStop(
  err: unknown,
  message: LaneMessage,
  attempt: number,
  deps: LaneHoldDeps,
  log: LaneLog,
  ledger: LaneLedger,
): Promise<LaneResult | undefined> {
  if (err instanceof LaneCancelledError) {
    await log('CANCELLED', {
      reason: err.message,
      cancelledBy: err.pending.cancelledBy,
      startedAt: err.pending.startedAt,
    });
    return { targetId: deps.targetId, status: 'cancelled', attempts: attempt };
  }
  if (err instanceof LaneHeldError) {
    await log('REFUSED', {
      reason: err.message,
      held: true,
      limit: err.refusal.limit,
      window: err.refusal.window,
      match: { attribute: message.lane.matchAttribute, value: message.lane.matchValue },
    });
    // In the ledger with the match: the reconciler sees the still-active account as drift.
    await ledger('refused');
    return { targetId: deps.targetId, status: 'refused', attempts: attempt };
  }
  return undefined;
}
