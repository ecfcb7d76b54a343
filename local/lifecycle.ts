// The operator's side of the termination lifecycle in the local runtime: `approve` releases a
// revocation the blast-radius guard held, through the same handler a future AWS operator CLI calls,
// its lane messages sent to the lanes' queues in fauxqs; `approveBurst` lets a known layoff's
// revocations past the guard, on the state table in dynalite.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoRevocationBudget, type DynamoStateProps } from '../lambdas/aws/adapters/dynamo-state.ts';
import { SqsLaneQueue } from '../lambdas/aws/adapters/sqs-lane-queue.ts';
import type { PendingTerminations } from '../lambdas/core/lifecycle/ports.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import type { AuditLog, Clock } from '../lambdas/core/model/ports.ts';
import type { ApproveOutcome } from '../lambdas/core/revocation/approve.ts';
import type { ApproveBurstOutcome } from '../lambdas/core/revocation/approve-burst.ts';
import { createApproveHandler } from '../lambdas/handlers/approve.ts';
import { createApproveBurstHandler } from '../lambdas/handlers/approve-burst.ts';
import type { LocalLane } from './lanes.ts';

export function localApprove(deps: {
  readonly config: ScimitarConfig;
  readonly audit: AuditLog;
  readonly sqs: SQSClient;
  readonly lanes: ReadonlyMap<string, LocalLane>;
  readonly clock: Clock;
  readonly terminations: PendingTerminations;
  readonly logger: (name: string) => Logger;
}): (eventId: string, approvedBy: string) => Promise<ApproveOutcome> {
  const queueUrls = Object.fromEntries([...deps.lanes].map(([targetId, lane]) => [targetId, lane.queueUrl]));
  const approve = createApproveHandler({
    config: deps.config,
    audit: deps.audit,
    lanes: new SqsLaneQueue(queueUrls, deps.sqs),
    clock: deps.clock,
    terminations: deps.terminations,
    logger: deps.logger('approve'),
  });
  return (eventId, approvedBy) => approve({ eventId, approvedBy });
}

export function localApproveBurst(deps: {
  readonly config: ScimitarConfig;
  readonly audit: AuditLog;
  readonly state: DynamoStateProps;
  readonly clock: Clock;
  readonly logger: (name: string) => Logger;
}): (input: unknown) => Promise<ApproveBurstOutcome> {
  return createApproveBurstHandler({
    config: deps.config,
    budget: new DynamoRevocationBudget(deps.state),
    audit: deps.audit,
    clock: deps.clock,
    logger: deps.logger('approve-burst'),
  });
}
