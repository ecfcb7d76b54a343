// The audit archive's function: a batch of the audit table's stream records in, each record
// archived on its own (Powertools' batch processor), only the failed ones reported, so Lambda
// retries from the first failure (bisecting the batch) and hands what still fails to the
// event source's failure destination. A change to an existing entry is logged and counted.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  ArchiveError,
  type AuditItemChange,
  type AuditStreamItem,
  archiveItem,
} from '../core/archive/audit-archive.ts';
import type { ArchiveStore } from '../core/archive/ports.ts';
import { AUDIT_ARCHIVE_METRICS } from '../core/model/metrics.ts';

export interface AuditArchiveHandlerDeps {
  readonly store: ArchiveStore;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  readonly metrics: Pick<Metrics, 'singleMetric'>;
}

type StreamImage = Record<string, AttributeValue>;

const CHANGES: ReadonlySet<string> = new Set<AuditItemChange>(['INSERT', 'MODIFY', 'REMOVE']);

/** A stream record as the archive needs it; refuses one that lacks what an archived copy must name. */
export function streamItem(record: DynamoDBRecord): AuditStreamItem {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (!sequenceNumber)
    throw new ArchiveError(`stream record ${record.eventID ?? '?'} has no sequence number`);
  const change = record.eventName ?? '';
  if (!CHANGES.has(change))
    throw new ArchiveError(`stream record ${sequenceNumber} has an unknown eventName`);
  const keys = image(record.dynamodb?.Keys);
  const eventId = keys?.eventId;
  const entryId = keys?.entryId;
  if (typeof eventId !== 'string' || typeof entryId !== 'string' || !eventId || !entryId) {
    throw new ArchiveError(`stream record ${sequenceNumber} does not carry the keys eventId and entryId`);
  }
  const newImage = image(record.dynamodb?.NewImage);
  const oldImage = image(record.dynamodb?.OldImage);
  return {
    change: change as AuditItemChange,
    sequenceNumber,
    writtenAt: writtenAt(record, sequenceNumber, newImage ?? oldImage),
    eventId,
    entryId,
    ...(newImage && { newImage }),
    ...(oldImage && { oldImage }),
  };
}

/**
 * When the table took the write: the stream's ApproximateCreationDateTime (seconds since the
 * epoch), or else the entry's own `at`.
 */
function writtenAt(
  record: DynamoDBRecord,
  sequenceNumber: string,
  item: Record<string, unknown> | undefined,
): Date {
  // A number from Lambda; an ISO string in what `aws dynamodbstreams get-records` prints (re-archiving).
  const created: unknown = record.dynamodb?.ApproximateCreationDateTime;
  if (typeof created === 'number' && Number.isFinite(created)) return new Date(created * 1000);
  if (typeof created === 'string' && Number.isFinite(Date.parse(created))) return new Date(created);
  const at = typeof item?.at === 'string' ? Date.parse(item.at) : Number.NaN;
  if (Number.isFinite(at)) return new Date(at);
  throw new ArchiveError(
    `stream record ${sequenceNumber} has neither an ApproximateCreationDateTime nor an entry time`,
  );
}

function image(value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return value ? unmarshall(value as StreamImage) : undefined;
}

export function createAuditArchiveHandler(deps: AuditArchiveHandlerDeps) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  const archiveRecord = async (record: DynamoDBRecord): Promise<void> => {
    const item = streamItem(record);
    const outcome = await archiveItem(item, deps.store);
    const context = { eventId: item.eventId, entryId: item.entryId, sequenceNumber: item.sequenceNumber };
    if (outcome.kind === 'change') {
      // Functions may only put new entries: an overwrite or a deletion is someone working around that.
      deps.logger.error('audit entry changed after it was written', {
        ...context,
        change: item.change,
        archivedAt: outcome.key,
      });
      // Counted on every delivery of the record, retries included: an alarm must not miss one.
      deps.metrics.singleMetric().addMetric(AUDIT_ARCHIVE_METRICS.entryChanged, MetricUnit.Count, 1);
      return;
    }
    deps.logger.info('audit entry archived', {
      ...context,
      byEvent: outcome.keys.byEvent,
      alreadyArchived: outcome.alreadyArchived,
    });
  };

  const handleRecord = async (record: DynamoDBRecord): Promise<void> => {
    try {
      await archiveRecord(record);
    } catch (err) {
      deps.logger.error('audit record not archived', {
        eventID: record.eventID,
        sequenceNumber: record.dynamodb?.SequenceNumber,
        error: err as Error,
      });
      throw err;
    }
  };

  return async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
    // A batch whose every record failed is reported like any other, record by record: Lambda
    // retries from the first failure, bisecting, then hands the range to the failure destination.
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
}
