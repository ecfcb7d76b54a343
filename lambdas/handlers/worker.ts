// A target lane's SQS consumer: one record at a time through Powertools' batch processor,
// reporting only failed records. A retry delays the message (Retry-After or backoff) through
// its visibility; an exhausted message is made visible at once so SQS moves it to the DLQ. A
// throttled message is sent again, delayed, with the attempts it spent, and the original deleted:
// a rate limit spends no attempt. A record the invocation has no time left to finish is handed
// back before it starts (deferLane).
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ScimitarError } from '../core/model/errors.ts';
import { laneMessageSchema } from '../core/model/messages.ts';
import { parseOrThrow } from '../core/model/validation.ts';
import { deferLane, type LaneDeps, runLane } from '../core/revocation/lane.ts';
import type { LaneRequeue, MessageVisibility } from '../core/revocation/ports.ts';
import { DEFAULT_THROTTLE_WAIT_MAX_MS } from '../core/scim/index.ts';

/** Thrown for a record that must come again (or go to the DLQ): the batch reports it as failed. */
export class LaneRetryError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'LaneRetryError';
  }
}

/**
 * The time one revocation may take at worst: find, write, read back and a credential refresh,
 * each up to the SCIM request timeout, plus room to audit and report. A record starts only while
 * this much of the invocation remains.
 */
export function timeNeededPerRecordMs(
  requestTimeoutMs: number,
  throttleWaitMaxMs = DEFAULT_THROTTLE_WAIT_MAX_MS,
): number {
  // A revocation's requests share one throttle allowance (the SCIM client's throttleWaitMaxMs).
  return 4 * requestTimeoutMs + throttleWaitMaxMs + 2_000;
}

export interface WorkerDeps extends LaneDeps {
  readonly visibility: MessageVisibility;
  /** The queue the records come from: a throttled message is sent back to it, delayed. */
  readonly requeue: LaneRequeue;
  readonly logger: Logger;
  /**
   * Remaining invocation time below which no further record of the batch is started; the rest
   * are handed back (DEFERRED, spending no attempt). The first record always starts.
   * @default timeNeededPerRecordMs(10_000), for the SCIM client's default request timeout
   */
  readonly minRemainingMs?: number;
}

const receiveCount = (record: SQSRecord) => Number(record.attributes.ApproximateReceiveCount) || 1;

/** Attempts a handed-back message spent before it was sent again, read leniently (for ordering only). */
function attemptsSpentOf(record: SQSRecord): number {
  try {
    const spent = (JSON.parse(record.body) as { attemptsSpent?: unknown }).attemptsSpent;
    return typeof spent === 'number' && Number.isInteger(spent) && spent > 0 ? spent : 0;
  } catch {
    return 0;
  }
}

/** This delivery's attempt: the attempts a handed-back message already spent plus SQS's receive count. */
const attemptOf = (record: SQSRecord) => attemptsSpentOf(record) + receiveCount(record);

export function createWorkerHandler(deps: WorkerDeps) {
  const minRemainingMs = deps.minRemainingMs ?? timeNeededPerRecordMs(10_000);

  const handleRecord = async (record: SQSRecord, remainingMs: number | undefined): Promise<void> => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      // Unreadable: nothing to do but let it reach the DLQ (and its alarm) after maxReceiveCount.
      deps.logger.error('lane message is not JSON', { messageId: record.messageId });
      throw new LaneRetryError(`message ${record.messageId} is not JSON`);
    }
    const message = parseOrThrow(laneMessageSchema, body, `invalid lane message ${record.messageId}`);
    const attempt = (message.attemptsSpent ?? 0) + receiveCount(record);
    const outcome =
      remainingMs === undefined
        ? await runLane(message, attempt, deps)
        : await deferLane(message, attempt, remainingMs, deps);
    const context = {
      messageId: record.messageId,
      eventId: message.eventId,
      targetId: deps.targetId,
      attempt,
    };
    switch (outcome.kind) {
      case 'done':
        deps.logger.info('lane done', {
          ...context,
          status: outcome.result.status,
          redriven: outcome.redriven,
        });
        return;
      case 'retry':
        deps.logger.warn('lane will retry', {
          ...context,
          delaySeconds: outcome.delaySeconds,
          reason: outcome.reason,
        });
        await deps.visibility.delay(record.receiptHandle, outcome.delaySeconds);
        throw new LaneRetryError(outcome.reason);
      case 'throttled': {
        deps.logger.info('lane throttled: handed back without spending an attempt', {
          ...context,
          delaySeconds: outcome.delaySeconds,
          reason: outcome.reason,
        });
        // Sent first, then the original is deleted (this record succeeds): a crash in between runs
        // the revocation twice (it is idempotent), never loses it. The task token travels along.
        await deps.requeue.later({ ...message, attemptsSpent: attempt - 1 }, outcome.delaySeconds);
        return;
      }
      case 'failed':
        deps.logger.error('lane failed', {
          ...context,
          error: outcome.error,
          cause: outcome.cause,
          parked: outcome.parked,
          unreported: outcome.unreported,
        });
        if (outcome.alertError) {
          deps.logger.error('could not alert about a failure no workflow reports', {
            ...context,
            alertError: outcome.alertError,
          });
        }
        // Permanent: retrying cannot help; the workflow was told, or the lane parked it in the DLQ.
        if (!outcome.toDeadLetter) return;
        await deps.visibility.delay(record.receiptHandle, 0);
        throw new LaneRetryError(outcome.cause);
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Last deliveries first: the messages nearest their dead-letter queue get this invocation's time.
    const records = [...event.Records].sort((a, b) => attemptOf(b) - attemptOf(a));
    let started = 0;
    // Per invocation: the processor holds the batch's state, and the local runtime invokes concurrently.
    return processPartialResponse(
      { Records: records },
      async (record: SQSRecord) => {
        const remainingMs = context.getRemainingTimeInMillis();
        const short = started > 0 && remainingMs < minRemainingMs;
        if (!short) started += 1;
        await handleRecord(record, short ? remainingMs : undefined);
      },
      new BatchProcessor(EventType.SQS),
      { context, throwOnFullBatchFailure: false, processInParallel: false },
    );
  };
}
