// The state table on DynamoDB: the leaver ledger and the blast-radius budget (with the bursts
// operators approved, on the same window item). Conditional
// writes only (no transactions: the local emulator has none).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  LeaverLedger,
  type LedgerRecord,
  RevocationBudget,
  type SentWrite,
} from '../../core/revocation/ports.ts';
import { documentClient } from './dynamo-audit-log.ts';

export interface DynamoStateProps {
  readonly tableName: string;
  /** @default - a client for the function's region */
  readonly client?: DynamoDBDocumentClient;
}

/** A person's partition on the state table (the ledger, the pending termination). */
export const leaverKey = (personId: string) => `LEAVER#${personId}`;
const targetKey = (targetId: string) => `TARGET#${targetId}`;
// Beside the person's outcomes (same partition, so the worker's grant covers it), never among them.
const windowKey = (windowStart: string) => `WINDOW#${windowStart}`;
const writeKey = (targetId: string, eventId: string) => `WRITE#${targetId}#${eventId}`;

export class DynamoLeaverLedger extends LeaverLedger {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(props: DynamoStateProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
  }

  async record(entry: LedgerRecord): Promise<void> {
    // Latest outcome per person and target, by the time of the outcome: a record stamped earlier than
    // the one stored (a slow writer finishing late) never replaces it.
    // Written twice: by person (a leaver's outcomes) and by target (the reconciler's leavers of a
    // target). No transactions: the target copy goes second, and the reconciler tolerates a missing one.
    const keys = [
      { pk: leaverKey(entry.personId), sk: targetKey(entry.targetId) },
      { pk: targetKey(entry.targetId), sk: leaverKey(entry.personId) },
    ];
    for (const key of keys) {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, ...entry },
            ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
            ExpressionAttributeNames: { '#at': 'at' },
            ExpressionAttributeValues: { ':at': entry.at },
          }),
        );
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }
  }

  /** Every leaver recorded for a target (latest outcome each): what the reconciler calls drift by. */
  async *forTarget(targetId: string): AsyncGenerator<LedgerRecord, void, undefined> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :leaver)',
          ExpressionAttributeValues: { ':pk': targetKey(targetId), ':leaver': 'LEAVER#' },
          ExclusiveStartKey: start,
        }),
      );
      for (const { pk: _pk, sk: _sk, ...record } of page.Items ?? []) yield record as LedgerRecord;
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async forPerson(personId: string): Promise<LedgerRecord[]> {
    const records: LedgerRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :target)',
          ExpressionAttributeValues: { ':pk': leaverKey(personId), ':target': 'TARGET#' },
          ExclusiveStartKey: start,
        }),
      );
      for (const { pk: _pk, sk: _sk, ...record } of page.Items ?? []) records.push(record as LedgerRecord);
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }

  async recordWriteSent(write: SentWrite): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: leaverKey(write.personId), sk: writeKey(write.targetId, write.eventId), ...write },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      // An earlier attempt's write is kept: it saw the account before scimitar touched it.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async writeSent(personId: string, targetId: string, eventId: string): Promise<SentWrite | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: leaverKey(personId), sk: writeKey(targetId, eventId) },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...write } = Item;
    return write as SentWrite;
  }
}

export class DynamoRevocationBudget extends RevocationBudget {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(props: DynamoStateProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
  }

  /**
   * One unit under the limit (`used`), else one of the operator's approved burst (`burstUsed` below
   * `burst`, both on the window's item): two conditional updates, never one unit twice.
   */
  async tryConsume(targetId: string, windowStart: string, limit: number): Promise<boolean> {
    const Key = { pk: targetKey(targetId), sk: windowKey(windowStart) };
    if (
      await this.conditionalAdd(Key, 'used', 'attribute_not_exists(#n) OR #n < :limit', { ':limit': limit })
    )
      return true;
    return this.conditionalAdd(
      Key,
      'burstUsed',
      '(attribute_not_exists(#n) AND #burst > :zero) OR #n < #burst',
      { ':zero': 0 },
      { '#burst': 'burst' },
    );
  }

  async grantBurst(targetId: string, windowStart: string, count: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: targetKey(targetId), sk: windowKey(windowStart) },
        UpdateExpression: 'ADD #burst :count',
        ExpressionAttributeNames: { '#burst': 'burst' },
        ExpressionAttributeValues: { ':count': count },
      }),
    );
  }

  /** The window's counts, as the guard sees them: for the operator and the tests. */
  async window(
    targetId: string,
    windowStart: string,
  ): Promise<{ used: number; burst: number; burstUsed: number }> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: targetKey(targetId), sk: windowKey(windowStart) },
        ConsistentRead: true,
      }),
    );
    const count = (name: string) => (typeof Item?.[name] === 'number' ? (Item[name] as number) : 0);
    return { used: count('used'), burst: count('burst'), burstUsed: count('burstUsed') };
  }

  /** ADD 1 to `attribute` when `condition` holds (`#n` names it); false when it does not. */
  private async conditionalAdd(
    Key: Record<string, string>,
    attribute: string,
    condition: string,
    values: Record<string, number>,
    names: Record<string, string> = {},
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'ADD #n :one',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#n': attribute, ...names },
          ExpressionAttributeValues: { ':one': 1, ...values },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async accountCount(targetId: string): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: targetKey(targetId), sk: 'META' } }),
    );
    return typeof Item?.accountCount === 'number' ? Item.accountCount : undefined;
  }

  /** Written by the reconciler after a complete pass over a target's accounts. */
  async setAccountCount(targetId: string, accountCount: number, at: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: targetKey(targetId), sk: 'META', accountCount, at },
      }),
    );
  }
}
