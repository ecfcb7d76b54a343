// Lambda entry of the workflow's Summarize step.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SystemClock } from '../../core/model/ports.ts';
import { createSummarizeHandler } from '../../handlers/summarize.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../adapters/dynamo-state.ts';
import { SnsNotifier } from '../adapters/sns-notifier.ts';
import { requireEnv } from '../env.ts';

export const handler = createSummarizeHandler({
  audit: new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE') }),
  ledger: new DynamoLeaverLedger({ tableName: requireEnv('STATE_TABLE') }),
  alerts: new SnsNotifier(requireEnv('ALERT_TOPIC_ARN')),
  clock: new SystemClock(),
  logger: new Logger(),
  metrics: new Metrics(),
});
