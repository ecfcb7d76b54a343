// A target lane's SQS consumer: one record at a time through Powertools' batch processor,
// reporting only failed records. A retry delays the message (Retry-After or backoff) through
// its visibility; an exhausted message is made visible at once so SQS moves it to the DLQ.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { MessageVisibility } from '../aws/adapters/sqs-visibility.ts';
import { ScimitarError } from '../core/errors.ts';
import { type LaneDeps, runLane } from '../core/lane.ts';
import { laneMessageSchema } from '../core/messages.ts';
import { parseOrThrow } from '../core/validation.ts';

/** Thrown for a record that must come again (or go to the DLQ): the batch reports it as failed. */
export class LaneRetryError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'LaneRetryError';
  }
}

export interface WorkerDeps extends LaneDeps {
  readonly visibility: MessageVisibility;
  readonly logger: Logger;
}

export function createWorkerHandler(deps: WorkerDeps) {
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      // Unreadable: nothing to do but let it reach the DLQ (and its alarm) after maxReceiveCount.
      deps.logger.error('lane message is not JSON', { messageId: record.messageId });
      throw new LaneRetryError(`message ${record.messageId} is not JSON`);
    }
    const message = parseOrThrow(laneMessageSchema, body, `invalid lane message ${record.messageId}`);
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
    const outcome = await runLane(message, attempt, deps);
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
      case 'failed':
        deps.logger.error('lane failed', { ...context, error: outcome.error, cause: outcome.cause });
        if (!outcome.toDeadLetter) return; // permanent: retrying cannot help; the workflow was told
        await deps.visibility.delay(record.receiptHandle, 0);
        throw new LaneRetryError(outcome.cause);
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, {
      context,
      throwOnFullBatchFailure: false,
      processInParallel: false,
    });
}
