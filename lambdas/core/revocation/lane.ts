// A target lane's work for one message: find the person's account, revoke it (or only report,
// in dry-run and report-only), verify, audit each step, record the ledger and tell the waiting
// workflow. Decides retry, fail or dead-letter from the error's type, never from its text; a
// failure that no waiting workflow reports is dead-lettered and alerted, naming the leaver.
import { type AuditEntry, auditEntry } from '../model/audit.ts';
import { ScimitarError } from '../model/errors.ts';
import type { LaneMessage, LaneResult } from '../model/messages.ts';
import type { AuditLog, Clock, Notifier } from '../model/ports.ts';
import {
  type FindResult,
  type RequestRecord,
  type RevokeEvidence,
  type RevokeRequest,
  ScimError,
  ScimRetryableError,
  type Verified,
} from '../scim/index.ts';
import type { DeadLetterQueue, LeaverLedger, LeaverOutcome, SentWrite, TaskCallback } from './ports.ts';
import { TaskNotWaitingError } from './ports.ts';

/** The part of the SCIM client a lane uses. */
export interface LaneScimClient {
  findAccount(match: RevokeRequest['match']): Promise<FindResult>;
  revoke(request: RevokeRequest): Promise<RevokeEvidence>;
  verify(id: string, after: RevokeRequest['action'], trace?: RequestRecord[]): Promise<Verified>;
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
  /** This target's dead-letter queue: where a permanent failure no workflow reports is parked. */
  readonly deadLetters: DeadLetterQueue;
  /** The operators' alert channel: told of every failure no waiting workflow reports. */
  readonly alerts: Notifier;
  /** How an operator retries this target's dead letters, quoted in that alert. */
  readonly redriveCommand: string;
}

export type LaneOutcome =
  | { readonly kind: 'done'; readonly result: LaneResult; readonly redriven: boolean }
  | { readonly kind: 'retry'; readonly delaySeconds: number; readonly reason: string }
  | {
      readonly kind: 'failed';
      /** Exhausted: the worker hands the message to the queue's redrive policy (visible at once). */
      readonly toDeadLetter: boolean;
      /** The lane put the message in the dead-letter queue itself (a permanent failure nobody waited for). */
      readonly parked: boolean;
      /** No waiting workflow heard of this failure: the operators were alerted instead. */
      readonly unreported: boolean;
      /** Why that alert could not be sent (the dead-letter alarm still fires); absent when sent or not needed. */
      readonly alertError?: string;
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

/** A record handed back unprocessed at its last delivery: the invocation had too little time left. */
export class LaneDeferredError extends ScimitarError {
  constructor(remainingMs: number) {
    super(
      `handed back unprocessed at its last delivery: the worker invocation had ${remainingMs} ms left, too little for a revocation`,
    );
    this.name = 'LaneDeferredError';
  }
}

/**
 * The worker cannot start this message in time (its invocation would end mid-revocation, losing
 * the attempt without an audit entry): hand it back now, audited. Nothing is sent to the target.
 * SQS has counted the delivery; at the last one the message takes the exhausted path (workflow
 * told, FAILED, DLQ), so it never reaches the dead-letter queue unaudited.
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
  if (attempt >= deps.maxAttempts) {
    return fail(new LaneDeferredError(remainingMs), message, attempt, deps, log, laneLedger(message, deps));
  }
  const reason = `handed back unprocessed: the worker invocation had ${remainingMs} ms left, too little for a revocation`;
  await log('DEFERRED', { reason, remainingMs });
  return { kind: 'retry', delaySeconds: 0, reason };
}

/** Backoff when the target gave no Retry-After: 5 s, 10 s, 20 s ... capped at 15 minutes, with jitter. */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(900, 5 * 2 ** Math.max(0, attempt - 1));
  return Math.min(900, Math.round(base * (0.8 + 0.4 * random())));
}

/** SQS visibility can be extended to at most 12 hours. */
const MAX_DELAY_SECONDS = 12 * 60 * 60;

type LaneLog = (step: AuditEntry['step'], detail?: Record<string, unknown>) => Promise<void>;
type LaneLedger = (outcome: LeaverOutcome, account?: { id: string; userName: string }) => Promise<void>;

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
  const { lane, person } = message;
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
      let found = false;
      const evidence = await deps.scim.revoke({
        match,
        action: lane.action,
        removeFromGroups: lane.removeFromGroups,
        ...(lane.accountId !== undefined && { accountId: lane.accountId }),
        // Noted before the write goes: if its answer is lost, a later attempt still knows the
        // write was scimitar's and what the account was before it.
        beforeWrite: async (write) => {
          found = true;
          await log('FOUND', { account: write.account });
          if (write.groups) await log('GROUPS_REMOVED', { ...write.groups });
          const request = `${write.method} ${write.path}`;
          await log('WRITE_SENT', { accountId: write.account.id, request });
          await deps.ledger.recordWriteSent({
            personId: person.employeeId,
            targetId: deps.targetId,
            eventId: message.eventId,
            accountId: write.account.id,
            userName: write.account.userName,
            action: lane.action,
            request,
            ...(write.account.active !== undefined && { activeBefore: write.account.active }),
            attempt,
            at: deps.clock.now().toISOString(),
          });
        },
      });
      const earlier =
        evidence.outcome === 'revoked'
          ? undefined
          : await deps.ledger.writeSent(person.employeeId, deps.targetId, message.eventId);
      // Our own earlier write, applied though its answer was lost: the account was active when we
      // wrote (or did not say), and is found revoked or gone now.
      const ownWrite = earlier && earlier.activeBefore !== false ? earlier : undefined;
      result = ownWrite
        ? await recordOwnEarlierWrite(ownWrite, evidence, log, ledger, deps, attempt)
        : await recordEvidence(evidence, lane.action, log, ledger, deps, attempt, match, found);
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
  log: LaneLog,
  ledger: LaneLedger,
  deps: LaneDeps,
  attempt: number,
  match: unknown,
  foundLogged: boolean,
): Promise<LaneResult> {
  const requests = evidence.requests;
  if (evidence.outcome === 'no-account' || !evidence.account) {
    await log('NO_ACCOUNT', { match, requests });
    await ledger('no-account');
    return { targetId: deps.targetId, status: 'no-account', attempts: attempt };
  }
  const { account } = evidence;
  if (!foundLogged) {
    await log('FOUND', { account });
    if (evidence.groups) await log('GROUPS_REMOVED', { ...evidence.groups });
  }
  // The step names the write that was sent; VERIFIED carries what the read-back showed (a server
  // may answer 404 for a deactivated user, or keep a deleted one as inactive).
  await log(action === 'delete' ? 'DELETED' : 'DEACTIVATED', {
    accountId: account.id,
    alreadyGone: evidence.alreadyGone ?? false,
    alreadyInactive: evidence.outcome === 'already-revoked',
  });
  const verifiedAt = deps.clock.now().toISOString();
  const status = evidence.outcome === 'already-revoked' ? 'already-revoked' : 'revoked';
  await log('VERIFIED', { accountId: account.id, verified: evidence.verified, requests, outcome: status });
  await ledger('revoked', account);
  return { targetId: deps.targetId, status, accountId: account.id, verifiedAt, attempts: attempt };
}

/**
 * A retry found the account revoked or gone after scimitar's own write of an earlier attempt (sent,
 * applied, its answer lost): that write is the revocation. Read back by SCIM id, then recorded as
 * revoked with the earlier write's evidence, never as "no account" or "already revoked".
 */
async function recordOwnEarlierWrite(
  write: SentWrite,
  evidence: RevokeEvidence,
  log: LaneLog,
  ledger: LaneLedger,
  deps: LaneDeps,
  attempt: number,
): Promise<LaneResult> {
  const requests = [...evidence.requests];
  // The find no longer sees it (deleted, or a server that hides deactivated users): read it back by id.
  const verified = evidence.verified ?? (await deps.scim.verify(write.accountId, write.action, requests));
  const answerLost = { attempt: write.attempt, at: write.at, request: write.request };
  await log(write.action === 'delete' ? 'DELETED' : 'DEACTIVATED', {
    accountId: write.accountId,
    answerLost,
    reason: "the write's answer was lost; this attempt found the account revoked and read it back",
  });
  const verifiedAt = deps.clock.now().toISOString();
  await log('VERIFIED', { accountId: write.accountId, verified, requests, outcome: 'revoked', answerLost });
  await ledger('revoked', { id: write.accountId, userName: write.userName });
  return {
    targetId: deps.targetId,
    status: 'revoked',
    accountId: write.accountId,
    verifiedAt,
    attempts: attempt,
  };
}

async function fail(
  err: unknown,
  message: LaneMessage,
  attempt: number,
  deps: LaneDeps,
  log: LaneLog,
  ledger: LaneLedger,
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
  let reported = false;
  if (message.taskToken) {
    try {
      await deps.callback.fail(message.taskToken, error, cause);
      reported = true;
    } catch (callbackErr) {
      if (!(callbackErr instanceof TaskNotWaitingError)) throw callbackErr;
    }
  }
  if (retryable) {
    await log('DLQ', { reason: `failed ${attempt} attempts; the message goes to the dead-letter queue` });
  } else if (!reported) {
    // Nobody waits (a redriven message, a reconciler remediation): deleting the message would leave
    // the failure in the audit log alone. Parked in the DLQ, it alarms and a redrive retries it.
    await deps.deadLetters.park(message, { error, cause, at: deps.clock.now().toISOString() });
    await log('DLQ', {
      reason: 'permanent failure that no workflow reports: parked in the dead-letter queue for redrive',
      parked: true,
    });
  }
  const outcome = {
    kind: 'failed',
    toDeadLetter: retryable,
    parked: !retryable && !reported,
    error,
    cause,
  } as const;
  if (reported) return { ...outcome, unreported: false };
  const alertError = await alertUnreported(message, deps, { error, cause, retryable, attempt });
  return { ...outcome, unreported: true, ...(alertError && { alertError }) };
}

/**
 * Tells the operators about a failure no waiting workflow reports: the leaver, the target, the
 * reason and how to retry. Returns why the alert could not be sent, if it could not: the message
 * is in the dead-letter queue either way, whose alarm still fires.
 */
async function alertUnreported(
  message: LaneMessage,
  deps: LaneDeps,
  failure: { error: string; cause: string; retryable: boolean; attempt: number },
): Promise<string | undefined> {
  const person = message.person.employeeId;
  const where = failure.retryable
    ? `It failed ${failure.attempt} attempts and moves to the dead-letter queue of ${deps.targetId}.`
    : `The failure is permanent; the message is parked in the dead-letter queue of ${deps.targetId}.`;
  const why = message.taskToken
    ? 'Its workflow execution has already ended (a redriven message), so no execution reports it.'
    : 'It is a reconciler remediation: no workflow waits for it.';
  try {
    await deps.alerts.notify({
      subject: `ALARM: revocation of ${person} at ${deps.targetId} failed; no workflow reports it`,
      message: [
        `Leaver ${person} (event ${message.eventId}) is not revoked at target ${deps.targetId}.`,
        `Reason: ${failure.error}: ${failure.cause}`,
        `${where} ${why}`,
        `Fix the cause, then retry: ${deps.redriveCommand}`,
        'Runbook: docs/operations.md#dead-letter-queue',
      ].join('\n'),
      targetId: deps.targetId,
    });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.name : 'unknown error';
  }
}
