// A target lane's work for one message: find the person's account, revoke it (or only report,
// in dry-run and report-only), verify, audit each step, record the ledger and tell the waiting
// workflow. Decides retry, hand back (throttled: no attempt spent), fail or dead-letter from the
// error's type, never from its text; a failure that no waiting workflow reports is dead-lettered
// and alerted, naming the leaver.
import type { Entitlements } from '../entitlements/rules.ts';
import { type AuditEntry, auditEntry } from '../model/audit.ts';
import type { LaneMessage, LaneResult } from '../model/messages.ts';
import type { AuditLog, Clock, Notifier } from '../model/ports.ts';
import { updateMoverEntitlements } from '../movers/lane.ts';
import { recordEvidence, recordOwnEarlierWrite } from './lane-evidence.ts';
import { fail, LaneMisroutedError } from './lane-failure.ts';
import { checkBeforeWrite, checkNotCancelled, type LaneHoldDeps, recordStop } from './lane-hold.ts';
import type { DeadLetterQueue, LaneScimClient, LeaverLedger, LeaverOutcome, TaskCallback } from './ports.ts';
import { TaskNotWaitingError } from './ports.ts';

export interface LaneDeps extends LaneHoldDeps {
  readonly targetId: string;
  readonly scim: LaneScimClient;
  readonly audit: AuditLog;
  readonly ledger: LeaverLedger;
  readonly callback: TaskCallback;
  readonly clock: Clock;
  /** Deliveries before the message goes to the dead-letter queue (the queue's maxReceiveCount). */
  readonly maxAttempts: number;
  /** Seconds before attempt `attempt + 1` when the target gave no Retry-After. @default backoffSeconds */
  readonly backoff?: (attempt: number) => number;
  /** This target's dead-letter queue: where a permanent failure no workflow reports is parked. */
  readonly deadLetters: DeadLetterQueue;
  /** The operators' alert channel: told of every failure no waiting workflow reports. */
  readonly alerts: Notifier;
  /** How an operator retries this target's dead letters, quoted in that alert. */
  readonly redriveCommand: string;
  /**
   * Whether the target's rate budget has room for background work now. Asked before a reconciler
   * remediation (a message without a task token) starts; false hands it back, so it runs behind
   * leavers. @default - always room
   */
  readonly spare?: () => Promise<boolean>;
  /**
   * The target's entitlement rules, for a mover's lane (action `entitlements`, lambdas/core/movers).
   * @default - none: an entitlements lane changes nothing here
   */
  readonly entitlements?: Entitlements;
}

/** How long a remediation waits when the target's budget has no spare room. */
export const REMEDIATION_WAIT_SECONDS = 60;

export type LaneOutcome =
  | { readonly kind: 'done'; readonly result: LaneResult; readonly redriven: boolean }
  | { readonly kind: 'retry'; readonly delaySeconds: number; readonly reason: string }
  /** Handed back to the queue (delayed), spending no attempt: the target's rate limit, no spare budget, or no time left to start it. */
  | { readonly kind: 'throttled'; readonly delaySeconds: number; readonly reason: string }
  | {
      readonly kind: 'failed';
      /** Exhausted: the worker hands the message to the queue's redrive policy (visible at once). */
      readonly toDeadLetter: boolean;
      /** The lane put the message in the dead-letter queue itself (a permanent failure nobody waited for, or an exhausted message that was handed back). */
      readonly parked: boolean;
      /** No waiting workflow heard of this failure: the operators were alerted instead. */
      readonly unreported: boolean;
      /** Why that alert could not be sent (the dead-letter alarm still fires); absent when sent or not needed. */
      readonly alertError?: string;
      readonly error: string;
      readonly cause: string;
    };

/**
 * The worker cannot start this message in time (its invocation would end mid-revocation, losing
 * the attempt without an audit entry): hand it back now, audited DEFERRED, spending no attempt
 * (nothing was tried: the worker sends it again with the attempts it had spent, as a throttled
 * one). Nothing is sent to the target. A deep queue (a layoff) defers many records of each batch,
 * so a deferral that spent an attempt would dead-letter leavers nobody had tried.
 */
export async function deferLane(
  message: LaneMessage,
  attempt: number,
  remainingMs: number,
  deps: LaneDeps,
): Promise<LaneOutcome> {
  // A misrouted message is refused at once, without a request: nothing to defer, and no ledger of this target to touch.
  if (message.lane.targetId !== deps.targetId) return runLane(message, attempt, deps);
  const log = laneLog(message, attempt, deps);
  const reason = `handed back unprocessed: the worker invocation had ${remainingMs} ms left, too little for a revocation`;
  await log('DEFERRED', { reason, remainingMs, attemptSpent: false });
  return { kind: 'throttled', delaySeconds: 0, reason };
}

export type LaneLog = (step: AuditEntry['step'], detail?: Record<string, unknown>) => Promise<void>;
export type LaneLedger = (
  outcome: LeaverOutcome,
  account?: { id: string; userName: string },
) => Promise<void>;

/** Appends one audit entry about this message at this target. */
function laneLog(message: LaneMessage, attempt: number, deps: LaneDeps): LaneLog {
  return (step, detail) =>
    deps.audit.append(
      auditEntry(
        {
          eventId: message.eventId,
          step,
          personId: message.person.employeeId,
          targetId: deps.targetId,
          actor: 'worker',
          detail: { attempt, ...detail },
        },
        deps.clock.now(),
      ),
    );
}

/** Records this message's outcome at this target in the leaver ledger. */
function laneLedger(message: LaneMessage, deps: LaneDeps): LaneLedger {
  return (outcome, account) =>
    deps.ledger.record({
      personId: message.person.employeeId,
      targetId: deps.targetId,
      outcome,
      eventId: message.eventId,
      at: deps.clock.now().toISOString(),
      matchAttribute: message.lane.matchAttribute,
      matchValue: message.lane.matchValue,
      ...(account ? { accountId: account.id, userName: account.userName } : {}),
    });
}

export async function runLane(message: LaneMessage, attempt: number, deps: LaneDeps): Promise<LaneOutcome> {
  const { lane } = message;
  const log = laneLog(message, attempt, deps);
  const ledger = laneLedger(message, deps);
  const match = { attribute: lane.matchAttribute, value: lane.matchValue };

  // The message's match value, attribute and action belong to its own target's config; at another
  // target they may name someone else. Refuse before any request, and leave this target's ledger
  // alone (the workflow's Catch records the failure for the message's target).
  if (lane.targetId !== deps.targetId) {
    const err = new LaneMisroutedError(lane.targetId, deps.targetId);
    return fail(err, message, attempt, deps, log, async () => {});
  }

  // A remediation goes behind leavers: it starts only on budget they leave spare. A held
  // revocation an operator released carries no task token either, but it is a leaver's.
  if (isRemediation(message) && deps.spare && !(await deps.spare())) {
    const reason = 'reconciler remediation: the target has no spare rate budget; it waits behind leavers';
    await log('THROTTLED', { reason, delaySeconds: REMEDIATION_WAIT_SECONDS, attemptSpent: false });
    return { kind: 'throttled', delaySeconds: REMEDIATION_WAIT_SECONDS, reason };
  }

  // A mover's lane writes no revocation: the leaver ledger is not its to touch, failed or not.
  const moving = lane.action === 'entitlements';
  try {
    let result: LaneResult;
    if (moving) {
      result = await updateMoverEntitlements(message, attempt, deps, log);
    } else if (lane.reportOnly || message.dryRun) {
      const found = await deps.scim.findAccount(match);
      if (found.status === 'found') await log('FOUND', { account: found.account });
      else await log('NO_ACCOUNT', { match });
      await log(lane.reportOnly ? 'REPORTED' : 'DRY_RUN', {
        wouldDo: found.status === 'found' ? lane.action : 'nothing',
        reason: lane.reportOnly ? 'target is report-only: scimitar never writes to it' : 'dry run',
      });
      if (lane.reportOnly) await ledger('reported', found.status === 'found' ? found.account : undefined);
      result = {
        targetId: deps.targetId,
        status: lane.reportOnly ? 'reported' : 'dry-run',
        ...(found.status === 'found' ? { accountId: found.account.id } : {}),
        attempts: attempt,
      };
    } else {
      result = await revokeOnce(message, attempt, deps, log, ledger);
    }
    let redriven = false;
    if (message.taskToken) {
      try {
        await deps.callback.succeed(message.taskToken, result);
      } catch (err) {
        if (!(err instanceof TaskNotWaitingError)) throw err;
        redriven = true;
      }
    }
    // A message without a token is the reconciler's remediation (REMEDIATED is in the log): no
    // workflow waits for it by design. REDRIVEN marks a message that outlived its execution.
    if (redriven)
      await log('REDRIVEN', { status: result.status, reason: 'no workflow waits for this message' });
    return { kind: 'done', result, redriven };
  } catch (err) {
    return fail(err, message, attempt, deps, log, moving ? async () => {} : ledger);
  }
}

/** Checks, finds, writes, reads back and records; a hold or a cancellation stops it before the write. */
async function revokeOnce(
  message: LaneMessage,
  attempt: number,
  deps: LaneDeps,
  log: LaneLog,
  ledger: LaneLedger,
): Promise<LaneResult> {
  const { lane, person } = message;
  const action = lane.action;
  if (action === 'entitlements') throw new Error('an entitlements lane revokes nothing');
  const match = { attribute: lane.matchAttribute, value: lane.matchValue };
  let found = false;
  let evidence: Awaited<ReturnType<LaneDeps['scim']['revoke']>>;
  try {
    await checkNotCancelled(message, deps);
    evidence = await deps.scim.revoke({
      match,
      action,
      removeFromGroups: lane.removeFromGroups,
      ...(lane.accountId !== undefined && { accountId: lane.accountId }),
      // A rescind or a spent budget stops it here, before anything is noted or changed at the
      // target (group removals included).
      beforeChanges: (account) => checkBeforeWrite(message, account, deps),
      // Noted before the write goes: if its answer is lost, a later attempt still knows the
      // write was scimitar's and what the account was before it.
      beforeWrite: async (write) => {
        // Group removals took requests of their own: a rescind that landed meanwhile still wins.
        if (write.groups) await checkNotCancelled(message, deps);
        found = true;
        const request = `${write.method} ${write.path}`;
        // Written at once, all before the write goes (one round trip, not four). Each entry is
        // made, with its time and id, when log is called: the timeline keeps this order.
        await Promise.all([
          log('FOUND', { account: write.account }),
          ...(write.groups ? [log('GROUPS_REMOVED', { ...write.groups })] : []),
          log('WRITE_SENT', { accountId: write.account.id, request }),
          deps.ledger.recordWriteSent({
            personId: person.employeeId,
            targetId: deps.targetId,
            eventId: message.eventId,
            accountId: write.account.id,
            userName: write.account.userName,
            action,
            request,
            ...(write.account.active !== undefined && { activeBefore: write.account.active }),
            attempt,
            at: deps.clock.now().toISOString(),
          }),
        ]);
      },
    });
  } catch (err) {
    const stopped = await recordStop(err, message, attempt, deps, log, ledger);
    if (stopped) return stopped;
    throw err;
  }
  // This attempt's own write answered 404 for an account its find had just seen (and not inactive):
  // someone else removed it in between. That answer is first-hand, "already gone"; it is not an
  // earlier attempt's write whose answer was lost, though that write's note is the one just made.
  const goneUnderUs = evidence.alreadyGone === true && evidence.account?.active !== false;
  const earlier =
    evidence.outcome === 'revoked' || goneUnderUs
      ? undefined
      : await deps.ledger.writeSent(person.employeeId, deps.targetId, message.eventId);
  // Our own earlier write, applied though its answer was lost: the account was active when we
  // wrote (or did not say), and is found revoked or gone now.
  const ownWrite = earlier && earlier.activeBefore !== false ? earlier : undefined;
  return ownWrite
    ? recordOwnEarlierWrite(ownWrite, evidence, log, ledger, deps, attempt)
    : recordEvidence(evidence, action, log, ledger, deps, attempt, match, found);
}

/** A reconciler's remediation: no workflow waits for it, and no operator released it. */
export function isRemediation(message: LaneMessage): boolean {
  return !message.taskToken && !message.approvedBy;
}
