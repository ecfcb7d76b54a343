// Lambda entry of the audit archive (the audit table's stream): the bucket is read once at cold
// start; a missing variable fails the init loudly.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createAuditArchiveHandler } from '../../handlers/audit-archive.ts';
import { S3ArchiveStore } from '../adapters/s3-archive-store.ts';
import { requireEnv } from '../env.ts';

export const handler = createAuditArchiveHandler({
  store: new S3ArchiveStore({ bucketName: requireEnv('ARCHIVE_BUCKET') }),
  logger: new Logger(),
  metrics: new Metrics(),
});
