// PendingTerminations on the state table: one item per person (`LEAVER#<personId>`, `PENDING`),
// beside the person's ledger (same partition, so the ledger's grants cover it), replaced only by
// a conditional put on the version read.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type PendingTermination, PendingTerminations } from '../../core/lifecycle/ports.ts';
import { documentClient } from './dynamo-audit-log.ts';
import { type DynamoStateProps, leaverKey } from './dynamo-state.ts';

const key = (personId: string) => ({ pk: leaverKey(personId), sk: 'PENDING' });

export class DynamoPendingTerminations extends PendingTerminations {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(props: DynamoStateProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
  }

  async get(personId: string): Promise<PendingTermination | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key(personId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...record } = Item;
    return record as PendingTermination;
  }

  async replace(next: PendingTermination, expectedVersion: number | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key(next.personId), ...next },
          ...(expectedVersion === undefined
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
