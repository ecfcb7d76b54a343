// Lambda entry of the workflow's Plan step.
import { Logger } from '@aws-lambda-powertools/logger';
import { SystemClock } from '../../core/model/ports.ts';
import { createPlanHandler } from '../../handlers/plan.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoPendingTerminations } from '../adapters/dynamo-pending-terminations.ts';
import { SnsNotifier } from '../adapters/sns-notifier.ts';
import { requireEnv, runtimeConfig } from '../env.ts';

export const handler = createPlanHandler({
  config: runtimeConfig(),
  audit: new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE') }),
  // Claimed before planning; the blast-radius budget is spent by the lanes, at the write.
  terminations: new DynamoPendingTerminations({ tableName: requireEnv('STATE_TABLE') }),
  owners: new SnsNotifier(requireEnv('OWNER_TOPIC_ARN')),
  clock: new SystemClock(),
  logger: new Logger(),
});
