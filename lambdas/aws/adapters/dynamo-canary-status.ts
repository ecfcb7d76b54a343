// Canary results on the state table: one item per target (pk TARGET#<id>, sk CANARY), written
// with a condition so a late, older result never replaces a newer one.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CanaryRecord, type CanaryResult, CanaryStatus } from '../../core/credentials/canary.ts';
import { documentClient } from './dynamo-audit-log.ts';

export interface DynamoCanaryStatusProps {
  readonly tableName: string;
  /** @default - a client for the function's region */
  readonly client?: DynamoDBDocumentClient;
}

export const CANARY_SORT_KEY = 'CANARY';
const targetKey = (targetId: string) => `TARGET#${targetId}`;

export class DynamoCanaryStatus extends CanaryStatus {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(props: DynamoCanaryStatusProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
  }

  async record(result: CanaryResult): Promise<void> {
    const values: Record<string, unknown> = {
      ':targetId': result.targetId,
      ':checkedAt': result.checkedAt,
      ':ok': result.ok,
      ':reachable': result.reachable,
      ':authenticated': result.authenticated,
      ':problems': [...result.problems],
      ':durationMs': result.durationMs,
    };
    const set = [
      'targetId = :targetId',
      'checkedAt = :checkedAt',
      '#ok = :ok',
      'reachable = :reachable',
      'authenticated = :authenticated',
      'problems = :problems',
      'durationMs = :durationMs',
    ];
    let update: string;
    if (result.ok) {
      set.push('lastOkAt = :checkedAt', 'consecutiveFailures = :zero');
      values[':zero'] = 0;
      update = `SET ${set.join(', ')} REMOVE failingSince`;
    } else {
      // The first failure after a pass starts the run of failures; later ones keep its time.
      set.push('failingSince = if_not_exists(failingSince, :checkedAt)');
      values[':one'] = 1;
      update = `SET ${set.join(', ')} ADD consecutiveFailures :one`;
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: targetKey(result.targetId), sk: CANARY_SORT_KEY },
          UpdateExpression: update,
          ConditionExpression: 'attribute_not_exists(pk) OR checkedAt <= :checkedAt',
          ExpressionAttributeNames: { '#ok': 'ok' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      // A newer result is already there: this one is history, not news.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async read(targetId: string): Promise<CanaryRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: targetKey(targetId), sk: CANARY_SORT_KEY },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return {
      targetId: String(Item.targetId),
      checkedAt: String(Item.checkedAt),
      ok: Item.ok === true,
      reachable: Item.reachable === true,
      authenticated: Item.authenticated === true,
      problems: Array.isArray(Item.problems) ? Item.problems.map(String) : [],
      durationMs: Number(Item.durationMs ?? 0),
      consecutiveFailures: Number(Item.consecutiveFailures ?? 0),
      ...(typeof Item.lastOkAt === 'string' ? { lastOkAt: Item.lastOkAt } : {}),
      ...(typeof Item.failingSince === 'string' ? { failingSince: Item.failingSince } : {}),
    };
  }
}
