// A lane's failures: a throttled target hands the message back (no attempt spent); retry through
// the message's visibility (Retry-After or backoff), or, on the
// last attempt or a permanent error, tell the workflow first, then audit FAILED, then the DLQ; a
// failure no waiting workflow reports is parked in the DLQ and alerted, naming the leaver.
import { ScimitarError } from '../model/errors.ts';
import type { LaneMessage } from '../model/messages.ts';
import { ScimError, ScimRetryableError, ScimThrottledError } from '../scim/index.ts';
import type { LaneDeps, LaneLedger, LaneLog, LaneOutcome } from './lane.ts';
import { TaskNotWaitingError } from './ports.ts';

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
/** A handed-back message's delay: SQS delays a message by at most 15 minutes. */
const MAX_HAND_BACK_SECONDS = 15 * 60;

export async function fail(
  err: unknown,
  message: LaneMessage,
  attempt: number,
  deps: LaneDeps,
  log: LaneLog,
  ledger: LaneLedger,
): Promise<LaneOutcome> {
  // The target's rate limit is no failure: the message goes back with the wait the target asked
  // for and spends no attempt, however often it comes (the workflow's lane timeout bounds it).
  if (err instanceof ScimThrottledError) return handBack(err, attempt, log);
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
  // A message that was handed back carries the attempts it spent; SQS's redrive would move it with
  // them, and a redrive from the DLQ would start short of attempts. The lane parks it itself,
  // without them, so a redrive gets every attempt, as it does for any other message.
  const handedBack = retryable && (message.attemptsSpent ?? 0) > 0;
  if (retryable && !handedBack) {
    await log('DLQ', { reason: `failed ${attempt} attempts; the message goes to the dead-letter queue` });
  } else if (handedBack || !reported) {
    // Nobody waits (a redriven message, a reconciler remediation): deleting the message would leave
    // the failure in the audit log alone. Parked in the DLQ, it alarms and a redrive retries it.
    const { attemptsSpent: _spent, ...fresh } = message;
    await deps.deadLetters.park(fresh, { error, cause, at: deps.clock.now().toISOString() });
    await log('DLQ', {
      reason: handedBack
        ? `failed ${attempt} attempts; parked in the dead-letter queue for redrive`
        : 'permanent failure that no workflow reports: parked in the dead-letter queue for redrive',
      parked: true,
    });
  }
  const outcome = {
    kind: 'failed',
    toDeadLetter: retryable && !handedBack,
    parked: handedBack || (!retryable && !reported),
    error,
    cause,
  } as const;
  if (reported) return { ...outcome, unreported: false };
  const alertError = await alertUnreported(message, deps, { error, cause, retryable, attempt });
  return { ...outcome, unreported: true, ...(alertError && { alertError }) };
}

/** A throttled lane: audited THROTTLED with the server's wait, handed back by the worker without spending an attempt. */
async function handBack(err: ScimThrottledError, attempt: number, log: LaneLog): Promise<LaneOutcome> {
  // At least 1 s: a server that asks for no wait at all is not asked again at once, forever.
  const delaySeconds = Math.min(MAX_HAND_BACK_SECONDS, Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
  const reason = `target rate limited (${err.status}): ${err.message}`;
  await log('THROTTLED', {
    reason,
    status: err.status,
    request: `${err.method} ${err.path}`,
    retryAfterMs: err.retryAfterMs,
    throttledWaitMs: err.throttledWaitMs,
    delaySeconds,
    attemptSpent: false,
    attemptsSpent: attempt - 1,
  });
  return { kind: 'throttled', delaySeconds, reason };
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
    : message.approvedBy
      ? `It is a held revocation ${message.approvedBy} released: its workflow execution has already ended.`
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
      eventId: message.eventId,
    });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.name : 'unknown error';
  }
}
