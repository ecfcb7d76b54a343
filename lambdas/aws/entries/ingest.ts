// Lambda entry of the ingest function (API Gateway POST /events/{source}): configuration and
// adapters are built once per container, at cold start; a missing variable fails the init loudly.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { TerminationLifecycle } from '../../core/lifecycle/lifecycle.ts';
import { SystemClock } from '../../core/model/ports.ts';
import { createIngestHandler } from '../../handlers/ingest.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoPendingTerminations } from '../adapters/dynamo-pending-terminations.ts';
import { EventBridgeTerminationScheduler } from '../adapters/eventbridge-termination-scheduler.ts';
import { S3ArchiveStore } from '../adapters/s3-archive-store.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter.ts';
import { SnsNotifier } from '../adapters/sns-notifier.ts';
import { requireEnv, runtimeConfig } from '../env.ts';

const config = runtimeConfig();
const stateMachineArn = requireEnv('STATE_MACHINE_ARN');
const auditLog = new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE') });
const workflows = new SfnWorkflowStarter({ stateMachineArn });
// A termination is scheduled for its effective time (EventBridge Scheduler), rescheduled or rescinded.
const lifecycle = new TerminationLifecycle({
  terminations: new DynamoPendingTerminations({ tableName: requireEnv('STATE_TABLE') }),
  scheduler: new EventBridgeTerminationScheduler({
    groupName: requireEnv('SCHEDULE_GROUP'),
    stateMachineArn,
    roleArn: requireEnv('SCHEDULER_ROLE_ARN'),
    deadLetterArn: requireEnv('SCHEDULE_DLQ_ARN'),
  }),
  workflows,
  audit: auditLog,
  owners: new SnsNotifier(requireEnv('OWNER_TOPIC_ARN')),
  config,
});

export const handler = createIngestHandler({
  sources: config.sources,
  secrets: new SecretsManagerSecretSource(),
  auditLog,
  workflows,
  lifecycle: { apply: lifecycle, horizonDays: config.scheduleHorizonDays },
  // Set only when the config keeps raw deliveries (audit.rawPayloadRetentionDays > 0).
  ...(process.env.DELIVERY_BUCKET && {
    rawDeliveries: new S3ArchiveStore({
      bucketName: process.env.DELIVERY_BUCKET,
      contentType: 'application/octet-stream',
    }),
  }),
  logger: new Logger(),
  clock: new SystemClock(),
  metrics: new Metrics(),
});
