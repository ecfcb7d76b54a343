// Lambda entry of the roster upload (behind API Gateway, IAM-authorised).
import { Logger } from '@aws-lambda-powertools/logger';
import { SystemClock } from '../../core/model/ports.ts';
import { createRosterUploadHandler } from '../../handlers/roster-upload.ts';
import { DynamoRosterStore } from '../adapters/dynamo-roster.ts';
import { requireEnv } from '../env.ts';

export const handler = createRosterUploadHandler({
  store: new DynamoRosterStore({ tableName: requireEnv('STATE_TABLE') }),
  clock: new SystemClock(),
  logger: new Logger(),
});
