// The shared lane worker's wiring, one target at a time, shared by its Lambda entry and the local
// runtime: a lane's handler from the lane's queue and dead-letter queue URLs, the SQS client and
// the ports given (real on Lambda, the emulators' locally).
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ScimitarConfig } from '../../core/model/config.ts';
import type { AuditLog, Clock, Notifier } from '../../core/model/ports.ts';
import type {
  LaneScimClient,
  LeaverLedger,
  MessageVisibility,
  TaskCallback,
} from '../../core/revocation/ports.ts';
import { createWorkerHandler, type WorkerDeps } from '../../handlers/worker.ts';
import { DynamoPendingTerminations } from '../adapters/dynamo-pending-terminations.ts';
import { DynamoRevocationBudget, type DynamoStateProps } from '../adapters/dynamo-state.ts';
import { SqsDeadLetterQueue } from '../adapters/sqs-dead-letter-queue.ts';
import { SqsLaneRequeue } from '../adapters/sqs-requeue.ts';
import { SqsMessageVisibility } from '../adapters/sqs-visibility.ts';

/** The lifecycle's checks before a write: `terminations` (a rescind wins) and `blastRadius` (spent at the write). */
export interface WorkerLaneWiring
  extends Pick<
    WorkerDeps,
    'backoff' | 'minRemainingMs' | 'terminations' | 'blastRadius' | 'spare' | 'entitlements'
  > {
  readonly targetId: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** @default - a client from the Lambda's environment */
  readonly sqs?: SQSClient;
  /** The SCIM client, or a session target's SessionRevoker (chosen by the target's kind). */
  readonly scim: LaneScimClient;
  readonly audit: AuditLog;
  readonly ledger: LeaverLedger;
  readonly callback: TaskCallback;
  readonly alerts: Notifier;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxAttempts: number;
  /** What an alert tells the operator to run once the cause is fixed. */
  readonly redriveCommand: string;
  /** How a retried message is delayed. @default - its visibility in the lane queue */
  readonly visibility?: (queued: MessageVisibility) => MessageVisibility;
}

/**
 * What every lane checks before a write, on the state table: the person's pending termination (a
 * rescind after the plan wins) and the blast-radius budget, spent only by writes that happen.
 */
export function laneGuards(config: Pick<ScimitarConfig, 'blastRadius'>, state: DynamoStateProps) {
  return {
    terminations: new DynamoPendingTerminations(state),
    blastRadius: { config, budget: new DynamoRevocationBudget(state) },
  };
}

/** The worker's handler for one target's lane. */
export function wireWorkerLane(w: WorkerLaneWiring) {
  return createWorkerHandler({
    targetId: w.targetId,
    scim: w.scim,
    audit: w.audit,
    ledger: w.ledger,
    callback: w.callback,
    clock: w.clock,
    maxAttempts: w.maxAttempts,
    visibility: (w.visibility ?? ((queued) => queued))(new SqsMessageVisibility(w.queueUrl, w.sqs)),
    requeue: new SqsLaneRequeue(w.queueUrl, w.sqs),
    logger: w.logger,
    deadLetters: new SqsDeadLetterQueue(w.deadLetterQueueUrl, w.sqs),
    alerts: w.alerts,
    redriveCommand: w.redriveCommand,
    ...(w.terminations && { terminations: w.terminations }),
    ...(w.blastRadius && { blastRadius: w.blastRadius }),
    ...(w.backoff && { backoff: w.backoff }),
    ...(w.spare && { spare: w.spare }),
    ...(w.entitlements && { entitlements: w.entitlements }),
    ...(w.minRemainingMs !== undefined && { minRemainingMs: w.minRemainingMs }),
  });
}
