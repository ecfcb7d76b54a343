// A target's shared rate budget on the state table: one item per target (`RATE#<targetId>`/`GCRA`)
// that every caller of the target, on every Lambda instance, writes with conditional UpdateItems
// (core/targets/pacing.ts has the algorithm; ARCHITECTURE.md, "Rate budget", the bound). One write
// per request; a read only when a write was refused (the queue started or drained meanwhile).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ScimTargetConfig } from '../../core/model/config.ts';
import {
  type CellWrite,
  GcraRateBudget,
  type PacingOptions,
  RateCell,
  type RateCellState,
} from '../../core/targets/pacing.ts';
import type { RateBudgets } from '../../core/targets/rate-budget.ts';
import { documentClient } from './dynamo-audit-log.ts';

/** The partition of a target's rate budget (its own: the grants name `RATE#*` and nothing else). */
export const rateBudgetKey = (targetId: string) => ({ pk: `RATE#${targetId}`, sk: 'GCRA' });

export interface DynamoRateBudgetProps extends Omit<PacingOptions, 'ratePerSecond' | 'burst'> {
  readonly tableName: string;
  /** @default - a client for the function's region */
  readonly client?: DynamoDBDocumentClient;
}

export class DynamoRateCell extends RateCell {
  private readonly client: DynamoDBDocumentClient;
  private readonly key: Record<string, string>;

  constructor(
    private readonly tableName: string,
    targetId: string,
    client?: DynamoDBDocumentClient,
  ) {
    super();
    this.client = client ?? documentClient();
    this.key = rateBudgetKey(targetId);
  }

  async read(): Promise<RateCellState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: true }),
    );
    return Item ? stateOf(Item) : undefined;
  }

  append(intervalMs: number, now: number, ceiling: number): Promise<CellWrite> {
    return this.write({
      UpdateExpression: 'SET tat = tat + :interval',
      ConditionExpression: 'tat >= :now AND tat <= :ceiling',
      ExpressionAttributeValues: {
        ':interval': intervalMs,
        ':now': now,
        // DynamoDB numbers have no infinity: an urgent request's ceiling is the far future.
        ':ceiling': Number.isFinite(ceiling) ? ceiling : Number.MAX_SAFE_INTEGER,
      },
    });
  }

  start(intervalMs: number, now: number): Promise<CellWrite> {
    return this.write({
      UpdateExpression: 'SET tat = :tat',
      ConditionExpression: 'attribute_not_exists(tat) OR tat < :now',
      ExpressionAttributeValues: { ':tat': now + intervalMs, ':now': now },
    });
  }

  async pushTo(to: number): Promise<void> {
    await this.write({
      UpdateExpression: 'SET tat = :to',
      ConditionExpression: 'attribute_not_exists(tat) OR tat < :to',
      ExpressionAttributeValues: { ':to': to },
    });
  }

  async slow(factor: number, at: number, since: number): Promise<void> {
    await this.write({
      // A budget slowed before any request has its queue start now.
      UpdateExpression: 'SET slowFactor = :factor, slowedAt = :at, tat = if_not_exists(tat, :at)',
      ConditionExpression: 'attribute_not_exists(slowedAt) OR slowedAt < :since',
      ExpressionAttributeValues: { ':factor': factor, ':at': at, ':since': since },
    });
  }

  private async write(
    update: Pick<
      UpdateCommand['input'],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'
    >,
  ): Promise<CellWrite> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: this.key, ReturnValues: 'ALL_OLD', ...update }),
      );
      return Attributes ? { granted: true, before: stateOf(Attributes) } : { granted: true };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return { granted: false };
      throw err;
    }
  }
}

function stateOf(item: Record<string, unknown>): RateCellState {
  const { tat, slowFactor, slowedAt } = item;
  return {
    tat: typeof tat === 'number' ? tat : 0,
    ...(typeof slowFactor === 'number' && { slowFactor }),
    ...(typeof slowedAt === 'number' && { slowedAt }),
  };
}

/** The rate budget of a target, shared through the state table by every caller of it. */
export class DynamoRateBudget extends GcraRateBudget {
  constructor(target: Pick<ScimTargetConfig, 'id' | 'rateBudget'>, props: DynamoRateBudgetProps) {
    const { tableName, client, ...pacing } = props;
    super(new DynamoRateCell(tableName, target.id, client), {
      ...pacing,
      ratePerSecond: target.rateBudget.requestsPerSecond,
      burst: target.rateBudget.burst,
    });
  }
}

/** One budget per target, built at first use and kept: what a function's callers of a target share. */
export function dynamoRateBudgets(props: DynamoRateBudgetProps): RateBudgets {
  const budgets = new Map<string, GcraRateBudget>();
  return (target) => {
    let budget = budgets.get(target.id);
    if (!budget) {
      budget = new DynamoRateBudget(target, props);
      budgets.set(target.id, budget);
    }
    return budget;
  };
}
