// A Workday poll's cursor on the state table: `PULL#<sourceId>` / `CURSOR` with the end of the last
// window read, the digests of the rows read in its overlap, and a version moved by a conditional
// put (no transactions), so two polls racing cannot move it back.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type PollCursor, PollCursors } from '../../core/pull/ports.ts';
import { documentClient } from './dynamo-audit-log.ts';

export interface DynamoPollCursorsProps {
  readonly tableName: string;
  /** @default - a client for the function's region */
  readonly client?: DynamoDBDocumentClient;
}

/** The cursor's key: the pull function may write `PULL#*` items only (lib/roster-pull.ts). */
export const pollCursorKey = (sourceId: string) => ({ pk: `PULL#${sourceId}`, sk: 'CURSOR' });

export class DynamoPollCursors extends PollCursors {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(props: DynamoPollCursorsProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
  }

  async read(sourceId: string): Promise<PollCursor | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: pollCursorKey(sourceId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      sourceId,
      through: String(Item.through),
      recent: Array.isArray(Item.recent) ? (Item.recent as string[]) : [],
      version: Number(Item.version),
    };
  }

  async advance(cursor: Omit<PollCursor, 'version'>, expectedVersion: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...pollCursorKey(cursor.sourceId),
            through: cursor.through,
            recent: [...cursor.recent],
            version: expectedVersion + 1,
          },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
