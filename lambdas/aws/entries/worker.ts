// Lambda entry of the shared lane worker: one function consumes every SCIM target's lane queue
// (one event source mapping per queue, each with the target's concurrency cap). A batch comes
// from one queue; the queue's name says whose lane it is (lambdas/aws/target-env.ts), and that
// target's handler runs it, so a message names its target and the lane refuses one addressed to
// another. Handlers are built once per target per container, at first use.
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { hasLane, targetSecretName } from '../../core/model/config.ts';
import { SystemClock } from '../../core/model/ports.ts';
import { sessionRevokerFor } from '../../core/sessions/revoker.ts';
import type { RequestClass } from '../../core/targets/rate-budget.ts';
import { scimClientFor } from '../../core/targets/target-client.ts';
import { type createWorkerHandler, timeNeededPerRecordMs } from '../../handlers/worker.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { dynamoRateBudgets } from '../adapters/dynamo-rate-budget.ts';
import { DynamoLeaverLedger } from '../adapters/dynamo-state.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { SfnTaskCallback } from '../adapters/sfn-task-callback.ts';
import { SnsNotifier } from '../adapters/sns-notifier.ts';
import { requireEnv, runtimeConfig } from '../env.ts';
import {
  deadLetterQueueOfLane,
  LANE_ENV,
  laneKindOfQueue,
  laneQueueUrl,
  targetOfLaneQueue,
} from '../target-env.ts';
import { keptNotifier } from '../wiring/kept-notifications.ts';
import { laneGuards, wireWorkerLane } from '../wiring/worker.ts';

const config = runtimeConfig();
const queueUrlPrefix = requireEnv(LANE_ENV.queueUrlPrefix);
const maxAttempts = Number(requireEnv('MAX_ATTEMPTS'));
const audit = new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE') });
const state = { tableName: requireEnv('STATE_TABLE') };
const ledger = new DynamoLeaverLedger(state);
// Each target's one rate budget, on the state table: shared with every other instance and caller of the target.
const budgets = dynamoRateBudgets(state);
// Checked before every write: a rescinded termination writes nothing; only writes that happen spend the budget.
const { terminations, blastRadius } = laneGuards(config, state);
const secrets = new SecretsManagerSecretSource();
const callback = new SfnTaskCallback();
const clock = new SystemClock();
const logger = new Logger();
// What the lanes alert is also kept (NOTIFY items, read by `scimitar alarms`).
const alerts = keptNotifier(new SnsNotifier(requireEnv('ALERT_TOPIC_ARN')), 'alert', {
  state,
  clock,
  logger,
});

/** The SCIM client's per-request timeout (its default). */
const REQUEST_TIMEOUT_MS = 10_000;

type LaneHandler = ReturnType<typeof createWorkerHandler>;
const handlers = new Map<string, LaneHandler>();

/** A lane's handler; its requests take the target's shared budget, urgent from a priority queue. */
function handlerFor(queueArn: string): LaneHandler {
  const known = handlers.get(queueArn);
  if (known) return known;
  const targetId = targetOfLaneQueue(config.stackName, queueArn);
  const target = config.targets.find((t) => hasLane(t) && t.id === targetId);
  if (!target || !hasLane(target)) {
    throw new Error(
      `queue ${queueArn} is no lane of a SCIM or session target of stack ${config.stackName}'s inlined config`,
    );
  }
  const queueUrl = laneQueueUrl(queueUrlPrefix, queueArn);
  // A batch from the lane's priority queue (`<stack>_prio_<id>`) is urgent: its requests go first.
  const requestClass: RequestClass =
    laneKindOfQueue(config.stackName, queueArn) === 'prio' ? 'urgent' : 'leaver';
  const budget = budgets(target);
  const clientOptions = {
    timeoutMs: REQUEST_TIMEOUT_MS,
    secretId: targetSecretName(target),
    secrets,
    budget,
    requestClass,
  };
  const handler = wireWorkerLane({
    targetId: target.id,
    queueUrl,
    // The lane's own dead-letter queue, by the naming convention (`<stack>_dlq_<id>`).
    deadLetterQueueUrl: deadLetterQueueOfLane(config.stackName, queueUrl),
    // The worker dispatches on the target's kind: a session target's lane ends sessions (docs/sessions.md).
    scim:
      target.kind === 'session'
        ? sessionRevokerFor(target, clientOptions)
        : scimClientFor(target, clientOptions),
    // A reconciler remediation starts only while no leaver waits for this target's budget.
    spare: () => budget.spare(),
    audit,
    ledger,
    callback,
    clock,
    maxAttempts,
    terminations,
    blastRadius,
    // A mover's lane (a change event) updates the managed groups these rules name.
    ...(target.kind === 'scim' && target.entitlements && { entitlements: target.entitlements }),
    logger: logger.createChild({ persistentKeys: { targetId: target.id, requestClass } }),
    minRemainingMs: timeNeededPerRecordMs(REQUEST_TIMEOUT_MS),
    alerts,
    redriveCommand: `aws sqs start-message-move-task --source-arn ${deadLetterQueueOfLane(config.stackName, queueArn)}`,
  });
  handlers.set(queueArn, handler);
  return handler;
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  // One event source mapping per queue: a batch holds one queue's records. Grouped anyway, so a
  // record is never run by another target's lane.
  const byQueue = new Map<string, SQSEvent['Records']>();
  for (const record of event.Records) {
    byQueue.set(record.eventSourceARN, [...(byQueue.get(record.eventSourceARN) ?? []), record]);
  }
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const [queueArn, records] of byQueue) {
    const response = await handlerFor(queueArn)({ Records: records }, context);
    batchItemFailures.push(...response.batchItemFailures);
  }
  return { batchItemFailures };
};
