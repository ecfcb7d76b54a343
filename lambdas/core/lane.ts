// A target lane's work for one message: find the person's account, revoke it (or only report,
// in dry-run and report-only), verify, audit each step, record the ledger and tell the waiting
// workflow. Decides retry, fail or dead-letter from the error's type, never from its text.
import { type AuditEntry, auditEntry } from './audit.ts';
import { ScimitarError } from './errors.ts';
import type { LaneMessage, LaneResult } from './messages.ts';
import type { AuditLog, Clock, LeaverLedger, LeaverOutcome, TaskCallback } from './ports.ts';
import { TaskNotWaitingError } from './ports.ts';
import {
  type FindResult,
  type RevokeEvidence,
  type RevokeRequest,
  ScimError,
  ScimRetryableError,
} from './scim/index.ts';

/** The part of the SCIM client a lane uses. */
export interface LaneScimClient {
  findAccount(match: RevokeRequest['match']): Promise<FindResult>;
  revoke(request: RevokeRequest): Promise<RevokeEvidence>;
}

export interface LaneDeps {
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
}

export type LaneOutcome =
  | { readonly kind: 'done'; readonly result: LaneResult; readonly redriven: boolean }
  | { readonly kind: 'retry'; readonly delaySeconds: number; readonly reason: string }
  | {
      readonly kind: 'failed';
      readonly toDeadLetter: boolean;
      readonly error: string;
      readonly cause: string;
    };

/** A lane message reached the worker of another target: acting on it could write to the wrong account. */
export class LaneMisroutedError extends ScimitarError {
  constructor(
    readonly messageTargetId: string,
    workerTargetId: string,
  ) {
    super(
      `lane message for target "${messageTargetId}" reached the worker of target "${workerTargetId}"; nothing was written`,
    );
    this.name = 'LaneMisroutedError';
  }
}

/** Backoff when the target gave no Retry-After: 5 s, 10 s, 20 s ... capped at 15 minutes, with jitter. */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(900, 5 * 2 ** Math.max(0, attempt - 1));
  return Math.min(900, Math.round(base * (0.8 + 0.4 * random())));
}

/** SQS visibility can be extended to at most 12 hours. */
const MAX_DELAY_SECONDS = 12 * 60 * 60;

export async function runLane(message: LaneMessage, attempt: number, deps: LaneDeps): Promise<LaneOutcome> {
  const { lane, person } = message;
  const log = (step: AuditEntry['step'], detail?: Record<string, unknown>) =>
    deps.audit.append(
      auditEntry(
        {
          eventId: message.eventId,
          step,
          personId: person.employeeId,
          targetId: deps.targetId,
          actor: 'worker',
          detail: { attempt, ...detail },
        },
        deps.clock.now(),
      ),
    );
  const ledger = (outcome: LeaverOutcome, account?: { id: string; userName: string }) =>
    deps.ledger.record({
      personId: person.employeeId,
      targetId: deps.targetId,
      outcome,
      eventId: message.eventId,
      at: deps.clock.now().toISOString(),
      matchAttribute: lane.matchAttribute,
      matchValue: lane.matchValue,
      ...(account ? { accountId: account.id, userName: account.userName } : {}),
    });
  const match = { attribute: lane.matchAttribute, value: lane.matchValue };

  // The message's match value, attribute and action belong to its own target's config; at another
  // target they may name someone else. Refuse before any request, and leave this target's ledger
  // alone (the workflow's Catch records the failure for the message's target).
  if (lane.targetId !== deps.targetId) {
    const err = new LaneMisroutedError(lane.targetId, deps.targetId);
    return fail(err, message, attempt, deps, log, async () => {});
  }

  try {
    let result: LaneResult;
    if (lane.reportOnly || message.dryRun) {
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
      const evidence = await deps.scim.revoke({
        match,
        action: lane.action,
        removeFromGroups: lane.removeFromGroups,
        ...(lane.accountId !== undefined && { accountId: lane.accountId }),
      });
      result = await recordEvidence(evidence, lane.action, log, ledger, deps, attempt, match);
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
    return fail(err, message, attempt, deps, log, ledger);
  }
}

async function recordEvidence(
  evidence: RevokeEvidence,
  action: RevokeRequest['action'],
  log: (step: AuditEntry['step'], detail?: Record<string, unknown>) => Promise<void>,
  ledger: (outcome: LeaverOutcome, account?: { id: string; userName: string }) => Promise<void>,
  deps: LaneDeps,
  attempt: number,
  match: unknown,
): Promise<LaneResult> {
  const requests = evidence.requests;
  if (evidence.outcome === 'no-account' || !evidence.account) {
    await log('NO_ACCOUNT', { match, requests });
    await ledger('no-account');
    return { targetId: deps.targetId, status: 'no-account', attempts: attempt };
  }
  const { account } = evidence;
  await log('FOUND', { account });
  if (evidence.groups) await log('GROUPS_REMOVED', { ...evidence.groups });
  // The step names the write that was sent; VERIFIED carries what the read-back showed (a server
  // may answer 404 for a deactivated user, or keep a deleted one as inactive).
  await log(action === 'delete' ? 'DELETED' : 'DEACTIVATED', {
    accountId: account.id,
    alreadyGone: evidence.alreadyGone ?? false,
    alreadyInactive: evidence.outcome === 'already-revoked',
  });
  const verifiedAt = deps.clock.now().toISOString();
  await log('VERIFIED', { accountId: account.id, verified: evidence.verified, requests });
  await ledger('revoked', account);
  return {
    targetId: deps.targetId,
    status: evidence.outcome === 'already-revoked' ? 'already-revoked' : 'revoked',
    accountId: account.id,
    verifiedAt,
    attempts: attempt,
  };
}

async function fail(
  err: unknown,
  message: LaneMessage,
  attempt: number,
  deps: LaneDeps,
  log: (step: AuditEntry['step'], detail?: Record<string, unknown>) => Promise<void>,
  ledger: (outcome: LeaverOutcome) => Promise<void>,
): Promise<LaneOutcome> {
  // Anything else that is not a SCIM error (the audit table throttled, a network blip to AWS) is
  // transient from the lane's view: retrying is safe because every step is idempotent.
  const retryable = err instanceof ScimError ? err.retryable : !(err instanceof LaneMisroutedError);
  const error = err instanceof Error ? err.name : 'Error';
  const cause = err instanceof Error ? err.message : String(err);
  const detail = {
    error,
    cause,
    retryable,
    ...(err instanceof ScimError
      ? { status: err.status, scimType: err.scimType, request: `${err.method} ${err.path}` }
      : {}),
    ...(err instanceof LaneMisroutedError && { messageTargetId: err.messageTargetId }),
  };
  if (retryable && attempt < deps.maxAttempts) {
    const retryAfterMs = err instanceof ScimRetryableError ? err.retryAfterMs : undefined;
    const delaySeconds =
      retryAfterMs === undefined
        ? (deps.backoff ?? backoffSeconds)(attempt)
        : Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(retryAfterMs / 1000)));
    await log('RETRY', { ...detail, delaySeconds, retryAfter: retryAfterMs !== undefined });
    return { kind: 'retry', delaySeconds, reason: cause };
  }
  await log('FAILED', { ...detail, maxAttempts: deps.maxAttempts });
  await ledger('failed');
  if (message.taskToken) {
    try {
      await deps.callback.fail(message.taskToken, error, cause);
    } catch (callbackErr) {
      if (!(callbackErr instanceof TaskNotWaitingError)) throw callbackErr;
    }
  }
  if (retryable)
    await log('DLQ', { reason: `failed ${attempt} attempts; the message goes to the dead-letter queue` });
  return { kind: 'failed', toDeadLetter: retryable, error, cause };
}
