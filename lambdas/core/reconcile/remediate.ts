// Remediation of what a pass classified: drift goes back to the target's lane (the leaver action),
// orphans too when deactivateOrphans is set, and due deletions of deactivate-then-delete targets;
// each through the blast-radius guard, audited, and never written to report-only targets or in a dry run.
// A remediation an earlier pass queued is not queued again while it may still wait in the lane.
import { createHash } from 'node:crypto';
import { type AuditStep, auditEntry } from '../model/audit.ts';
import type { ScimTargetConfig } from '../model/config.ts';
import { LANE_QUEUE_RETENTION_DAYS, type LaneMessage, laneMessageSchema } from '../model/messages.ts';
import { BlastRadiusGuard } from '../revocation/blast-radius.ts';
import { deletionDue, leaverLaneAction } from '../revocation/leaver-action.ts';
import type { ScimAccount } from '../scim/index.ts';
import type { Verdict } from './classify.ts';
import type { Pass } from './pass.ts';
import type { ReconcileDeps } from './reconcile.ts';
import type { AccountState, QueuedRemediation } from './state.ts';

/**
 * How long a queued remediation counts as waiting in the lane by default: the lane queue's default
 * message retention (LANE_QUEUE_RETENTION_DAYS, `queueRetention` in lib/target-lane.ts). The stack
 * tells the reconciler the retention its lanes have (LANE_QUEUE_RETENTION_SECONDS, read into
 * `ReconcileDeps.laneQueueRetentionMs`); this is the value without it. A remediation waits there
 * behind leavers and rate limits, handed back 60 s at a time; queued again on every pass, it would
 * spend the blast-radius budget and the target's rate again and reach the lane twice. Younger than
 * the retention, and unanswered (the lane records its outcome in the ledger under the message's
 * eventId), the same remediation (same classification and action) is not queued again. Older, it
 * is: the message may be gone unanswered (expired, purged), or a target throttled for days holds it.
 */
export const REQUEUE_AFTER_MS = LANE_QUEUE_RETENTION_DAYS * 24 * 3_600_000;

/** How long a remediation queued by a pass counts as waiting: the lanes' retention, as the stack says. */
export function requeueAfterMs(deps: Pick<ReconcileDeps, 'laneQueueRetentionMs'>): number {
  return deps.laneQueueRetentionMs ?? REQUEUE_AFTER_MS;
}

/** Whether the remediation `queued` still stands for this verdict and action: recent and unanswered. */
export function stillWaiting(
  queued: QueuedRemediation,
  verdict: Verdict,
  action: QueuedRemediation['action'],
  now: Date,
  waitMs: number,
): boolean {
  return (
    queued.classification === verdict.classification &&
    queued.action === action &&
    now.getTime() - Date.parse(queued.at) < waitMs &&
    // The lane's outcome (revoked, failed, refused, no-account) is the leaver's latest record.
    verdict.leaver?.eventId !== queued.eventId
  );
}

/** Acts on the accounts of one target's pass; its guard reads the target's limit once per pass. */
export class Remediator {
  private readonly guard: BlastRadiusGuard;
  private readonly waitMs: number;

  constructor(
    private readonly target: ScimTargetConfig,
    private readonly deps: ReconcileDeps,
  ) {
    this.guard = new BlastRadiusGuard(deps.config, deps.budget);
    this.waitMs = requeueAfterMs(deps);
  }

  /**
   * Remediates one account if its verdict calls for it, unless `previous` records the same
   * remediation still waiting (counted `alreadyQueued`: no guard, no audit, no send). Returns the
   * remediation waiting in the lane afterwards (the state's `queued`): the one just queued, the
   * one still waiting, or undefined.
   */
  async act(
    account: ScimAccount,
    verdict: Verdict,
    previous: AccountState | undefined,
    pass: Pass,
  ): Promise<QueuedRemediation | undefined> {
    const { config, clock } = this.deps;
    const target = this.target;
    const changed = previous?.classification !== verdict.classification;
    let kind: 'drift' | 'orphan' | 'deletion';
    let action: 'deactivate' | 'delete';
    if (verdict.classification === 'drift') {
      kind = 'drift';
      action = leaverLaneAction(target);
    } else if (verdict.classification === 'orphan' && config.reconciliation.deactivateOrphans) {
      kind = 'orphan';
      action = 'deactivate';
    } else if (verdict.classification === 'inactive' && deletionDue(target, verdict.leaver, clock.now())) {
      kind = 'deletion';
      action = 'delete';
    } else return undefined;

    const now = clock.now();
    const personId = verdict.leaver?.personId ?? `orphan:${target.id}:${account.id}`;
    const eventId = `reconcile-${pass.progress.runId}-${createHash('sha256').update(`${target.id}\n${account.id}`).digest('hex').slice(0, 16)}`;
    const detail = {
      runId: pass.progress.runId,
      classification: verdict.classification,
      action,
      accountId: account.id,
      userName: account.userName,
      ...(verdict.leaver && {
        ledger: { eventId: verdict.leaver.eventId, outcome: verdict.leaver.outcome, at: verdict.leaver.at },
      }),
    };
    const audit = (step: AuditStep, extra: Record<string, unknown> = {}) =>
      this.deps.audit.append(
        auditEntry(
          {
            eventId,
            step,
            personId,
            targetId: target.id,
            actor: 'reconciler',
            detail: { ...detail, ...extra },
          },
          now,
        ),
      );

    if (target.mode === 'report-only') {
      if (changed && kind !== 'orphan') {
        await audit('REPORTED', { reason: 'target is report-only: scimitar never writes to it' });
      }
      return undefined;
    }
    if (config.dryRun) {
      if (changed) await audit('DRY_RUN', { wouldDo: action, reason: 'dry run' });
      return undefined;
    }
    const waiting = previous?.queued;
    if (waiting && stillWaiting(waiting, verdict, action, now, this.waitMs)) {
      pass.counts.alreadyQueued += 1;
      return waiting;
    }
    const refusal = await this.guard.take(target.id, now);
    if (refusal) {
      pass.counts.refused += 1;
      await audit('REFUSED', {
        reason: `blast-radius guard: target "${target.id}" already had ${refusal.limit} revocations in the ${refusal.windowMinutes}-minute window from ${refusal.window}; the next run tries again`,
      });
      return undefined;
    }
    const message: LaneMessage = {
      eventId,
      receivedAt: now.toISOString(),
      dryRun: false,
      person: { employeeId: personId },
      lane: {
        targetId: target.id,
        tier: target.tier,
        action,
        // The account as listed, found by its userName and pinned by its SCIM id: should the account
        // go and its name pass to someone else before the lane runs, the lane refuses to write.
        matchAttribute: 'userName',
        matchValue: account.userName,
        accountId: account.id,
        removeFromGroups: target.removeFromGroups,
        reportOnly: false,
      },
    };
    const checked = laneMessageSchema.safeParse(message);
    if (!checked.success) {
      pass.counts.refused += 1;
      await audit('FAILED', {
        reason: `cannot address the account in a lane message: ${checked.error.message}`,
      });
      return undefined;
    }
    await this.deps.queue.send(target.id, checked.data);
    pass.counts.remediated += 1;
    await audit('REMEDIATED', { kind });
    return { at: now.toISOString(), classification: verdict.classification, action, eventId };
  }
}
