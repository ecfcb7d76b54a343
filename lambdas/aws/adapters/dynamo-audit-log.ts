// AuditLog on DynamoDB: put-only with a condition, so an entry is never overwritten; reads
// page through every item (a timeline is small, but never silently cut at 1 MB).
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type AuditEntry, auditEntrySchema, compareAuditEntries } from '../../core/model/audit.ts';
import { AuditEntryExistsError, AuditLog } from '../../core/model/ports.ts';
import { LEAVER_INDEX_KEY, leaverIndexKey } from '../../core/report/leaver-index.ts';
import { AUDIT_BY_PERSON_INDEX } from './table-schemas.ts';

export interface DynamoAuditLogProps {
  readonly tableName: string;
  /** @default - a client for the function's region */
  readonly client?: DynamoDBDocumentClient;
}

export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export class DynamoAuditLog extends AuditLog {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(props: DynamoAuditLogProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
  }

  async append(entry: AuditEntry): Promise<void> {
    // A termination's plan carries the sparse leaver index's key: reports query it by period.
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: withLeaverIndexKey(entry),
          ConditionExpression: 'attribute_not_exists(entryId)',
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new AuditEntryExistsError(entry.eventId, entry.entryId, { cause: err });
      }
      throw err;
    }
  }

  forEvent(eventId: string): Promise<AuditEntry[]> {
    return this.query({
      TableName: this.tableName,
      KeyConditionExpression: 'eventId = :id',
      ExpressionAttributeValues: { ':id': eventId },
      // A retried plan looks for the PLANNED it wrote: it must see the latest write.
      ConsistentRead: true,
    });
  }

  forPerson(personId: string): Promise<AuditEntry[]> {
    return this.query({
      TableName: this.tableName,
      IndexName: AUDIT_BY_PERSON_INDEX,
      KeyConditionExpression: 'personId = :id',
      ExpressionAttributeValues: { ':id': personId },
    });
  }

  private async query(input: QueryCommandInput): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    for await (const page of paginateQuery({ client: this.client }, input)) {
      for (const item of page.Items ?? []) entries.push(auditEntrySchema.parse(item));
    }
    // By time: an entry written once per event (RECEIVED) has a key without a time in it.
    return entries.sort(compareAuditEntries);
  }
}

/** The entry as stored: with the leaver index's key when it is one the index lists. */
export function withLeaverIndexKey(entry: AuditEntry): Record<string, unknown> {
  const key = leaverIndexKey(entry);
  return key ? { ...entry, [LEAVER_INDEX_KEY]: key } : entry;
}
