// Lambda entry of a target lane's worker: one deployment per target (TARGET_ID).
import { Logger } from '@aws-lambda-powertools/logger';
import { SystemClock } from '../../core/ports.ts';
import { scimClientFor } from '../../core/target-client.ts';
import { createWorkerHandler, timeNeededPerRecordMs } from '../../handlers/worker.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../adapters/dynamo-state.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { SfnTaskCallback } from '../adapters/sfn-task-callback.ts';
import { SnsNotifier } from '../adapters/sns-notifier.ts';
import { SqsDeadLetterQueue } from '../adapters/sqs-dead-letter-queue.ts';
import { SqsMessageVisibility } from '../adapters/sqs-visibility.ts';
import { requireEnv, runtimeConfig } from '../env.ts';

const targetId = requireEnv('TARGET_ID');
const target = runtimeConfig().targets.find((t) => t.id === targetId);
if (target?.kind !== 'scim')
  throw new Error(`TARGET_ID ${targetId} is not a SCIM target of the inlined config`);

/** The SCIM client's per-request timeout (its default). */
const REQUEST_TIMEOUT_MS = 10_000;

export const handler = createWorkerHandler({
  targetId,
  scim: scimClientFor(target, {
    timeoutMs: REQUEST_TIMEOUT_MS,
    secretId: requireEnv('TARGET_SECRET_ARN'),
    secrets: new SecretsManagerSecretSource(),
    // Up to maxConcurrency instances run at once (lib/target-lane.ts): each spends its share.
    rateShare: 1 / Math.max(2, target.rateBudget.burst),
  }),
  audit: new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE') }),
  ledger: new DynamoLeaverLedger({ tableName: requireEnv('STATE_TABLE') }),
  callback: new SfnTaskCallback(),
  clock: new SystemClock(),
  maxAttempts: Number(requireEnv('MAX_ATTEMPTS')),
  visibility: new SqsMessageVisibility(requireEnv('QUEUE_URL')),
  logger: new Logger(),
  minRemainingMs: timeNeededPerRecordMs(REQUEST_TIMEOUT_MS),
  deadLetters: new SqsDeadLetterQueue(requireEnv('DEAD_LETTER_QUEUE_URL')),
  alerts: new SnsNotifier(requireEnv('ALERT_TOPIC_ARN')),
  redriveCommand: `aws sqs start-message-move-task --source-arn ${requireEnv('DEAD_LETTER_QUEUE_ARN')}`,
});
