// Owner tasks on the state table: one item per task, `TASK#<shard>` / `<taskId>`. Eight shards
// (from the id's hash) so that a layoff's burst of plans does not write one hot partition; listing
// reads the eight partitions. An acknowledged task keeps its item, with `expiresAt` 90 days after
// the ack (the table's TTL attribute); the audit log keeps MANUAL_TASK and TASK_ACKED for good.
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type OwnerTask, ownerTaskSchema } from '../../core/tasks/owner-task.ts';
import { OwnerTaskBoard, type TaskAck } from '../../core/tasks/ports.ts';
import { documentClient } from './dynamo-audit-log.ts';
import type { DynamoStateProps } from './dynamo-state.ts';

export const OWNER_TASK_SHARDS = 8;
/** The partition keys of owner tasks, for IAM's dynamodb:LeadingKeys. */
export const OWNER_TASK_KEY_PATTERN = 'TASK#*';
const ACKED_TASK_DAYS = 90;

export function ownerTaskKey(taskId: string): { pk: string; sk: string } {
  const shard = createHash('sha256').update(taskId).digest()[0] ?? 0;
  return { pk: `TASK#${shard % OWNER_TASK_SHARDS}`, sk: taskId };
}

const toTask = (item: Record<string, unknown>): OwnerTask => {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...task } = item;
  return ownerTaskSchema.parse(task);
};

export class DynamoOwnerTasks extends OwnerTaskBoard {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(props: DynamoStateProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
  }

  async open(task: OwnerTask): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...ownerTaskKey(task.taskId), ...task },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async get(taskId: string): Promise<OwnerTask | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: ownerTaskKey(taskId), ConsistentRead: true }),
    );
    return Item ? toTask(Item) : undefined;
  }

  async listOpen(): Promise<OwnerTask[]> {
    const tasks: OwnerTask[] = [];
    for (let shard = 0; shard < OWNER_TASK_SHARDS; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            FilterExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pk': `TASK#${shard}`, ':open': 'open' },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) tasks.push(toTask(item));
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return tasks.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.taskId.localeCompare(b.taskId));
  }

  async close(taskId: string, ack: TaskAck): Promise<boolean> {
    const expiresAt = Math.floor(Date.parse(ack.ackedAt) / 1000) + ACKED_TASK_DAYS * 86_400;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ownerTaskKey(taskId),
          UpdateExpression: `SET #status = :acked, ackedAt = :at, ackedBy = :by, expiresAt = :expires${ack.note ? ', note = :note' : ''}`,
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':acked': 'acked',
            ':open': 'open',
            ':at': ack.ackedAt,
            ':by': ack.ackedBy,
            ':expires': expiresAt,
            ...(ack.note && { ':note': ack.note }),
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
