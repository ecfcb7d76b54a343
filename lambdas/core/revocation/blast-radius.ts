// The blast-radius guard: how many revocations a target may take per window (a share of its
// accounts, never below the floor), and taking one from the window's budget. The plan step and
// the reconciler both revoke through it, so a burst from either counts against the same budget.
import type { ScimitarConfig } from '../model/config.ts';
import type { RevocationBudget } from './ports.ts';

/** The most revocations a target may take per window: a share of its accounts, never below the floor. */
export function revocationLimit(
  config: Pick<ScimitarConfig, 'blastRadius'>,
  accountCount: number | undefined,
): number {
  const { maxShare, floor } = config.blastRadius;
  return accountCount === undefined ? floor : Math.max(floor, Math.floor(maxShare * accountCount));
}

/** Start of the blast-radius window `now` falls in. */
export function windowStart(now: Date, windowMinutes: number): string {
  const size = windowMinutes * 60_000;
  return new Date(Math.floor(now.getTime() / size) * size).toISOString();
}

/** A revocation the guard refused: the window's budget was spent. */
export interface BudgetRefusal {
  /** Revocations the target may take per window. */
  readonly limit: number;
  /** Start of the window whose budget is spent. */
  readonly window: string;
  readonly windowMinutes: number;
}

/**
 * Takes revocations from targets' window budgets. A target's limit is read once per guard (one
 * plan, one reconciliation pass), from the account count the last complete pass left.
 */
export class BlastRadiusGuard {
  private readonly limits = new Map<string, number>();

  constructor(
    private readonly config: Pick<ScimitarConfig, 'blastRadius'>,
    private readonly budget: RevocationBudget,
  ) {}

  /** Takes one revocation at `targetId` in the window `now` falls in: undefined when taken, else why not. */
  async take(targetId: string, now: Date): Promise<BudgetRefusal | undefined> {
    let limit = this.limits.get(targetId);
    if (limit === undefined) {
      limit = revocationLimit(this.config, await this.budget.accountCount(targetId));
      this.limits.set(targetId, limit);
    }
    const { windowMinutes } = this.config.blastRadius;
    const window = windowStart(now, windowMinutes);
    if (await this.budget.tryConsume(targetId, window, limit)) return undefined;
    return { limit, window, windowMinutes };
  }
}

/** The command that releases a revocation the guard held (lambdas/core/revocation/approve.ts). */
export function approveCommand(eventId: string): string {
  return `npm run scimitar -- approve ${eventId}`;
}

/** The command that lets a known layoff's revocations past the guard (approve-burst.ts). */
export function approveBurstCommand(targetId: string): string {
  return `npm run scimitar -- approve-burst --target ${targetId} --count N --by <you> --reason <why>`;
}

/** Why a revocation was held, with the commands that release it and the rest of a known layoff. */
export function heldReason(
  targetId: string,
  refusal: BudgetRefusal,
  config: Pick<ScimitarConfig, 'blastRadius'>,
  eventId: string,
): string {
  const { maxShare, floor } = config.blastRadius;
  return `blast-radius guard: target "${targetId}" already had ${refusal.limit} revocations in this ${refusal.windowMinutes}-minute window (blastRadius.maxShare ${maxShare}, floor ${floor}); held, nothing written. If the burst is intended, release it: ${approveCommand(eventId)}; for a known layoff, also let the rest through for this window (--all for every target): ${approveBurstCommand(targetId)}`;
}
