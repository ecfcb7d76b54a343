// LeaverEvidence on the audit table: the sparse leaver index queried per month and shard of the
// period (keys only), then each event's entries by its partition key. Never a Scan.
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../core/model/audit.ts';
import { ScimitarError } from '../../core/model/errors.ts';
import {
  entryIdBounds,
  LEAVER_INDEX,
  LEAVER_INDEX_KEY,
  LEAVER_INDEX_SHARDS,
  leaverIndexPartition,
  monthsOf,
  type ReportPeriod,
} from '../../core/report/leaver-index.ts';
import { LeaverEvidence } from '../../core/report/ports.ts';
import { DynamoAuditLog } from './dynamo-audit-log.ts';

export interface DynamoLeaverEvidenceProps {
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
}

/** The audit table has no leaver index: a stack (or a local data directory) from before it. */
export class LeaverIndexMissingError extends ScimitarError {
  constructor(tableName: string, options?: ErrorOptions) {
    super(
      `the audit table ${tableName} has no index ${LEAVER_INDEX}, which reports read: deploy this version of the stack (locally: start the runtime with a new --data-dir)`,
      options,
    );
    this.name = 'LeaverIndexMissingError';
  }
}

export class DynamoLeaverEvidence extends LeaverEvidence {
  private readonly log: DynamoAuditLog;

  constructor(private readonly props: DynamoLeaverEvidenceProps) {
    super();
    this.log = new DynamoAuditLog(props);
  }

  async leaversIn(period: ReportPeriod): Promise<readonly string[]> {
    const { lower, upper } = entryIdBounds(period);
    const partitions = monthsOf(period).flatMap((month) =>
      Array.from({ length: LEAVER_INDEX_SHARDS }, (_, shard) => leaverIndexPartition(month, shard)),
    );
    const pages = await Promise.all(
      partitions.map(async (partition) => {
        const ids: string[] = [];
        try {
          const query = paginateQuery(
            { client: this.props.client },
            {
              TableName: this.props.tableName,
              IndexName: LEAVER_INDEX,
              KeyConditionExpression: '#k = :k AND entryId BETWEEN :lower AND :upper',
              ExpressionAttributeNames: { '#k': LEAVER_INDEX_KEY },
              ExpressionAttributeValues: { ':k': partition, ':lower': lower, ':upper': upper },
            },
          );
          for await (const page of query) for (const item of page.Items ?? []) ids.push(String(item.eventId));
        } catch (err) {
          if (isMissingIndex(err)) throw new LeaverIndexMissingError(this.props.tableName, { cause: err });
          throw err;
        }
        return ids;
      }),
    );
    return pages.flat();
  }

  forEvent(eventId: string): Promise<readonly AuditEntry[]> {
    return this.log.forEvent(eventId);
  }
}

function isMissingIndex(err: unknown): boolean {
  if (err instanceof ResourceNotFoundException) return false;
  const message = err instanceof Error ? err.message : '';
  return /index/i.test(message) && /(does not have|not have the specified|specified index)/i.test(message);
}
