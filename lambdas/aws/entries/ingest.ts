// Lambda entry of the ingest function (API Gateway POST /events/{source}): configuration and
// adapters are built once per container, at cold start; a missing variable fails the init loudly.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SystemClock } from '../../core/model/ports.ts';
import { createIngestHandler } from '../../handlers/ingest.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { S3ArchiveStore } from '../adapters/s3-archive-store.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter.ts';
import { requireEnv, runtimeConfig } from '../env.ts';

export const handler = createIngestHandler({
  sources: runtimeConfig().sources,
  secrets: new SecretsManagerSecretSource(),
  auditLog: new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE') }),
  workflows: new SfnWorkflowStarter({ stateMachineArn: requireEnv('STATE_MACHINE_ARN') }),
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
