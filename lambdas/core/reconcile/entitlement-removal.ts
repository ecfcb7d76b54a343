// Removing entitlement drift through the lane: one message per drift account (action
// `entitlements`), each through the blast-radius guard and audited. A removal an earlier pass
// queued is not queued again while it may still wait in the lane: same person, account and groups,
// younger than the lanes' retention (remediate.ts: the rule leaver remediations follow).
import { createHash } from 'node:crypto';
import { type AuditStep, auditEntry } from '../model/audit.ts';
import type { ScimTargetConfig } from '../model/config.ts';
import type { Person } from '../model/event.ts';
import { type LaneMessage, laneMessageSchema } from '../model/messages.ts';
import { BlastRadiusGuard } from '../revocation/blast-radius.ts';
import type { ReconcileDeps } from './reconcile.ts';
import { requeueAfterMs } from './remediate.ts';
import type { AccountState } from './state.ts';

/**
 * An entitlement drift removal a pass sent to the target's lane, kept while every later pass still
 * finds the same drift (the state table's `ENTITLEMENTS#<scimId>` item).
 */
export interface QueuedEntitlementRemoval {
  readonly scimId: string;
  /** When it was queued. */
  readonly at: string;
  /** The lane message's eventId (its audit entries, in the person's timeline). */
  readonly eventId: string;
  /** The roster person the message carried, and the userName it finds the account by. */
  readonly personId: string;
  readonly userName: string;
  /** The managed groups it removes, sorted. */
  readonly groups: readonly string[];
}

/** What was done about one drift account, and the removal waiting in the lane afterwards. */
export interface RemovalDecision {
  readonly action: 'queued' | 'refused' | 'reported' | 'already-queued';
  readonly reason?: string;
  readonly queued?: QueuedEntitlementRemoval;
}

/**
 * Whether `earlier` is still the removal this drift needs and may still wait in the lane: the same
 * person, userName and groups, queued less than `waitMs` ago. A mover's lane records no outcome in
 * the leaver ledger (it is not its to touch): a removal it carried out shows as drift gone, and the
 * check forgets `earlier` then; one it failed dead-letters and alarms (the lane's runbook).
 */
export function removalStillWaiting(
  earlier: QueuedEntitlementRemoval,
  drift: Pick<QueuedEntitlementRemoval, 'personId' | 'userName' | 'groups'>,
  now: Date,
  waitMs: number,
): boolean {
  return (
    earlier.personId === drift.personId &&
    earlier.userName === drift.userName &&
    earlier.groups.length === drift.groups.length &&
    earlier.groups.every((g, i) => g === drift.groups[i]) &&
    now.getTime() - Date.parse(earlier.at) < waitMs
  );
}

/** Sends drift to the lane through the guard, audited; or says why it only reports or waits. */
export class DriftRemover {
  private readonly guard: BlastRadiusGuard;
  private readonly waitMs: number;

  constructor(
    private readonly target: ScimTargetConfig,
    private readonly runId: string,
    private readonly deps: ReconcileDeps,
  ) {
    this.guard = new BlastRadiusGuard(deps.config, deps.budget);
    this.waitMs = requeueAfterMs(deps);
  }

  /** Whether this pass may queue removals: `removeDrift` on, a target in revoke mode, no dry run. */
  get queues(): boolean {
    const { target, deps } = this;
    return target.entitlements?.removeDrift === true && target.mode !== 'report-only' && !deps.config.dryRun;
  }

  async act(
    state: AccountState,
    person: Person,
    groups: readonly string[],
    earlier?: QueuedEntitlementRemoval,
  ): Promise<RemovalDecision> {
    const { target, deps } = this;
    if (!target.entitlements?.removeDrift) {
      return { action: 'reported', reason: 'entitlements.removeDrift is off: reported only' };
    }
    if (target.mode === 'report-only') {
      return { action: 'reported', reason: 'target is report-only: scimitar never writes to it' };
    }
    const now = deps.clock.now();
    const digest = createHash('sha256').update(`${target.id}\n${state.scimId}\nentitlements`).digest('hex');
    const eventId = `reconcile-${this.runId}-${digest.slice(0, 16)}`;
    const audit = (step: AuditStep, extra: Record<string, unknown>) =>
      deps.audit.append(
        auditEntry(
          {
            eventId,
            step,
            personId: person.employeeId,
            targetId: target.id,
            actor: 'reconciler',
            detail: {
              runId: this.runId,
              kind: 'entitlement-drift',
              accountId: state.scimId,
              userName: state.userName,
              groups,
              ...extra,
            },
          },
          now,
        ),
      );
    if (deps.config.dryRun) {
      await audit('DRY_RUN', { wouldDo: 'remove from managed groups', reason: 'dry run' });
      return { action: 'reported', reason: 'dry run' };
    }
    const drift = { personId: person.employeeId, userName: state.userName, groups };
    if (earlier && removalStillWaiting(earlier, drift, now, this.waitMs)) {
      // No guard slot, no audit entry, no message: the one queued then still stands.
      return {
        action: 'already-queued',
        reason: `queued by an earlier pass at ${earlier.at} (event ${earlier.eventId}); still waiting in the lane`,
        queued: earlier,
      };
    }
    const refusal = await this.guard.take(target.id, now);
    if (refusal) {
      const reason = `blast-radius guard: target "${target.id}" already had ${refusal.limit} revocations in the ${refusal.windowMinutes}-minute window from ${refusal.window}; the next run tries again`;
      await audit('REFUSED', { reason });
      return { action: 'refused', reason };
    }
    const message: LaneMessage = {
      eventId,
      receivedAt: now.toISOString(),
      dryRun: false,
      // The roster's attributes decide: the lane removes the managed groups they do not grant.
      person: { employeeId: person.employeeId, ...(person.attributes && { attributes: person.attributes }) },
      lane: {
        targetId: target.id,
        tier: target.tier,
        action: 'entitlements',
        // Found by the userName listed and pinned by its SCIM id, as drift remediation is.
        matchAttribute: 'userName',
        matchValue: state.userName,
        accountId: state.scimId,
        removeFromGroups: false,
        reportOnly: false,
      },
    };
    const checked = laneMessageSchema.safeParse(message);
    if (!checked.success) {
      const reason = `cannot address the account in a lane message: ${checked.error.message}`;
      await audit('FAILED', { reason });
      return { action: 'refused', reason };
    }
    await deps.queue.send(target.id, checked.data);
    await audit('REMEDIATED', {});
    return {
      action: 'queued',
      queued: { scimId: state.scimId, at: now.toISOString(), eventId, ...drift, groups: [...groups] },
    };
  }
}
