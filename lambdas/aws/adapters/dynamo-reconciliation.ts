// Over 300 lines: the one adapter of ReconciliationStore, with the batch reads and writes it alone uses.
// Reconciliation state on the state table, next to the ledger and the budget (see table-schemas.ts):
//   TARGET#<targetId> / RECONCILE          the pass in progress (checkpoint, lease), last and last complete result
//   TARGET#<targetId> / ACCOUNT#<scimId>   one account as a pass last wrote it (new or changed)
//   TARGET#<targetId> / SEEN#<runId>#<page>#<part>   the accounts one page of a pass listed:
//                                                    SCIM ids, their state fingerprints and the
//                                                    remediations waiting for the few that have one
//                                                    (dynamo-reconciliation-listed.ts)
//   TARGET#<targetId> / ENTITLEMENTS#<scimId>   an entitlement drift removal waiting in the lane
//                                                (dynamo-reconciliation-removals.ts)
// Batch reads and writes, one page of accounts at a time, several batches in flight; conditional
// puts on the RECONCILE item (a version) keep two invocations from running one target's pass at once.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { QueuedEntitlementRemoval } from '../../core/reconcile/entitlement-removal.ts';
import { inParallel } from '../../core/reconcile/in-parallel.ts';
import {
  type FindingsQuery,
  type PageListing,
  type PageRecord,
  ReconcileConflictError,
  ReconciliationStore,
} from '../../core/reconcile/ports.ts';
import {
  type AccountState,
  FindingsCollector,
  type FindingsList,
  findingClassifications,
  type TargetReconciliation,
} from '../../core/reconcile/state.ts';
import { documentClient } from './dynamo-audit-log.ts';
import { listedParts, pageListing } from './dynamo-reconciliation-listed.ts';
import { REMOVAL_PREFIX, removalItem, removalOf } from './dynamo-reconciliation-removals.ts';

export interface DynamoReconciliationProps {
  readonly tableName: string;
  /** @default - a client for the function's region */
  readonly client?: DynamoDBDocumentClient;
  /** Items a findings query reads per page. @default - DynamoDB's own page (1 MB) */
  readonly findingsPageSize?: number;
}

const targetKey = (targetId: string) => `TARGET#${targetId}`;
const ACCOUNT_PREFIX = 'ACCOUNT#';
const RECONCILE_SK = 'RECONCILE';
const LISTED_PREFIX = 'SEEN#';
/** BatchGetItem takes 100 keys, BatchWriteItem 25 requests. */
const GET_BATCH = 100;
const WRITE_BATCH = 25;
/** Batch requests in flight at once, reads or writes. */
const CONCURRENCY = 8;
const UNPROCESSED_ATTEMPTS = 8;
const pageKey = (n: number) => String(n).padStart(8, '0');
const listedKey = (runId: string, page: number, part: number) =>
  `${LISTED_PREFIX}${runId}#${pageKey(page)}#${String(part).padStart(4, '0')}`;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));

export class DynamoReconciliationStore extends ReconciliationStore {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly findingsPageSize: number | undefined;

  constructor(props: DynamoReconciliationProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
    this.findingsPageSize = props.findingsPageSize;
  }

  async target(targetId: string): Promise<TargetReconciliation> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: targetKey(targetId), sk: RECONCILE_SK },
        ConsistentRead: true,
      }),
    );
    if (!Item) return { targetId, version: 0 };
    const { pk: _pk, sk: _sk, kind: _kind, ...state } = Item;
    return state as TargetReconciliation;
  }

  async saveTarget(state: TargetReconciliation): Promise<TargetReconciliation> {
    const saved = { ...state, version: state.version + 1 };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: targetKey(state.targetId), sk: RECONCILE_SK, kind: 'reconciliation', ...saved },
          ...(state.version === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': state.version },
              }),
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new ReconcileConflictError(
          `target ${state.targetId}: another invocation saved its reconciliation (expected version ${state.version})`,
          { cause: err },
        );
      }
      throw err;
    }
    return saved;
  }

  async accountsByIds(targetId: string, scimIds: readonly string[]): Promise<Map<string, AccountState>> {
    const found = new Map<string, AccountState>();
    const unique = [...new Set(scimIds)];
    await inParallel(chunks(unique, GET_BATCH), CONCURRENCY, async (batch) => {
      let keys: Record<string, unknown>[] = batch.map((id) => ({
        pk: targetKey(targetId),
        sk: `${ACCOUNT_PREFIX}${id}`,
      }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= UNPROCESSED_ATTEMPTS) {
          throw new Error(`DynamoDB left ${keys.length} keys unprocessed ${UNPROCESSED_ATTEMPTS} times`);
        }
        if (attempt > 0) await pause(attempt);
        const answer = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of answer.Responses?.[this.tableName] ?? []) {
          const state = accountState(item);
          found.set(state.scimId, state);
        }
        keys =
          (answer.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    });
    return found;
  }

  async putAccounts(states: readonly AccountState[]): Promise<void> {
    await this.writeAll(states.map(accountPut));
  }

  async recordPage(page: PageRecord): Promise<void> {
    await this.recordPages([page]);
  }

  /** Every page's states, then every page's listing: as many pages as fit, 25 items a request. */
  override async recordPages(pages: readonly PageRecord[]): Promise<void> {
    const listed = pages.flatMap((page) =>
      listedParts(page).map(({ ids, prints, queued }, part) => ({
        PutRequest: {
          Item: {
            pk: targetKey(page.targetId),
            sk: listedKey(page.runId, page.page, part),
            kind: 'listed',
            ids,
            prints,
            // SCIM id to queuedMark; only present when some account has a remediation waiting.
            ...(Object.keys(queued).length > 0 && { queued }),
          },
        },
      })),
    );
    // The states first: a page whose listing is saved has its changed states saved too.
    await this.writeAll(pages.flatMap((page) => page.changed.map(accountPut)));
    await this.writeAll(listed);
  }

  async *listed(targetId: string, runId: string, throughPage?: number): AsyncGenerator<PageListing> {
    if (throughPage !== undefined && throughPage < 1) return;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
        ExpressionAttributeValues: {
          ':pk': targetKey(targetId),
          ':first': `${LISTED_PREFIX}${runId}#`,
          // '~' sorts after every part number: the last page's parts are all in range.
          ':last': `${LISTED_PREFIX}${runId}#${throughPage === undefined ? '~' : `${pageKey(throughPage)}#~`}`,
        },
        ProjectionExpression: 'ids, prints, #queued',
        ExpressionAttributeNames: { '#queued': 'queued' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        yield pageListing(item);
      }
    }
  }

  async forgetListed(targetId: string, keepRunId?: string): Promise<void> {
    const pk = targetKey(targetId);
    const kept = keepRunId === undefined ? undefined : `${LISTED_PREFIX}${keepRunId}#`;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :listed)',
        ExpressionAttributeValues: { ':pk': pk, ':listed': LISTED_PREFIX },
        ProjectionExpression: 'sk',
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      const forgotten = (page.Items ?? []).filter((item) => !kept || !(item.sk as string).startsWith(kept));
      await this.writeAll(forgotten.map((item) => ({ DeleteRequest: { Key: { pk, sk: item.sk } } })));
    }
  }

  async sweep(
    targetId: string,
    seen: (scimId: string) => boolean,
    options: { from?: string; limit: number },
  ): Promise<{ removed: number; next?: string }> {
    const pk = targetKey(targetId);
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :account)',
        ExpressionAttributeValues: { ':pk': pk, ':account': ACCOUNT_PREFIX },
        ProjectionExpression: 'sk',
        Limit: options.limit,
        ConsistentRead: true,
        ...(options.from !== undefined && { ExclusiveStartKey: { pk, sk: options.from } }),
      }),
    );
    const gone = (page.Items ?? []).filter((item) => !seen((item.sk as string).slice(ACCOUNT_PREFIX.length)));
    await this.writeAll(gone.map((item) => ({ DeleteRequest: { Key: { pk, sk: item.sk } } })));
    const next = page.LastEvaluatedKey?.sk as string | undefined;
    return { removed: gone.length, ...(next !== undefined && { next }) };
  }

  async removeAccounts(targetId: string, scimIds: readonly string[]): Promise<void> {
    const pk = targetKey(targetId);
    await this.writeAll(
      scimIds.map((id) => ({ DeleteRequest: { Key: { pk, sk: `${ACCOUNT_PREFIX}${id}` } } })),
    );
  }

  async *accounts(targetId: string): AsyncGenerator<AccountState, void, undefined> {
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :account)',
        ExpressionAttributeValues: { ':pk': targetKey(targetId), ':account': ACCOUNT_PREFIX },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) yield accountState(item);
  }

  async entitlementRemovals(targetId: string): Promise<Map<string, QueuedEntitlementRemoval>> {
    const found = new Map<string, QueuedEntitlementRemoval>();
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :removal)',
        ExpressionAttributeValues: { ':pk': targetKey(targetId), ':removal': REMOVAL_PREFIX },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const removal = removalOf(item);
        if (removal) found.set(removal.scimId, removal);
      }
    }
    return found;
  }

  async saveEntitlementRemovals(
    targetId: string,
    change: { readonly put: readonly QueuedEntitlementRemoval[]; readonly remove: readonly string[] },
  ): Promise<void> {
    const pk = targetKey(targetId);
    await this.writeAll([
      ...change.put.map((r) => ({ PutRequest: { Item: { pk, ...removalItem(r) } } })),
      ...change.remove.map((id) => ({ DeleteRequest: { Key: { pk, sk: `${REMOVAL_PREFIX}${id}` } } })),
    ]);
  }

  /**
   * The filter runs in DynamoDB, so only orphan and drift states cross the wire; once `limit` drift
   * accounts are held, the rest of the partition is only counted (Select COUNT).
   */
  override async findings(targetId: string, options: FindingsQuery): Promise<FindingsList> {
    const { seen } = options;
    const collector = new FindingsCollector(options.limit);
    const values: Record<string, unknown> = {
      ':pk': targetKey(targetId),
      ':account': ACCOUNT_PREFIX,
      ...Object.fromEntries(findingClassifications.map((c) => [`:${c}`, c])),
      ...(options.runId !== undefined && { ':run': options.runId }),
    };
    const filter = `#classification IN (${findingClassifications.map((c) => `:${c}`).join(', ')})${options.runId !== undefined ? ' AND #runId = :run' : ''}`;
    let start: Record<string, unknown> | undefined;
    do {
      const counting = collector.full;
      // Counting the rest of a seen set's findings needs their ids, not their whole states.
      const idsOnly = counting && seen !== undefined;
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :account)',
          FilterExpression: filter,
          ExpressionAttributeNames: {
            '#classification': 'classification',
            ...(options.runId !== undefined && { '#runId': 'runId' }),
            ...(idsOnly && { '#scimId': 'scimId' }),
          },
          ExpressionAttributeValues: values,
          ...(counting && !idsOnly && { Select: 'COUNT' }),
          ...(idsOnly && { ProjectionExpression: '#scimId' }),
          ...(this.findingsPageSize !== undefined && { Limit: this.findingsPageSize }),
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      const items = (page.Items ?? []).filter((item) => !seen || seen(item.scimId as string));
      if (counting && !idsOnly) collector.count(page.Count ?? 0);
      else if (idsOnly) collector.count(items.length);
      else for (const item of items) collector.add(accountState(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return collector.result();
  }

  private async writeAll(requests: Record<string, unknown>[]): Promise<void> {
    await inParallel(chunks(requests, WRITE_BATCH), CONCURRENCY, (batch) => this.writeBatch(batch));
  }

  private async writeBatch(batch: Record<string, unknown>[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= UNPROCESSED_ATTEMPTS) {
        throw new Error(`DynamoDB left ${pending.length} writes unprocessed ${UNPROCESSED_ATTEMPTS} times`);
      }
      if (attempt > 0) await pause(attempt);
      const answer = await this.client.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }),
      );
      pending = (answer.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined) ?? [];
    }
  }
}

function accountPut(state: AccountState) {
  return {
    PutRequest: {
      Item: {
        pk: targetKey(state.targetId),
        sk: `${ACCOUNT_PREFIX}${state.scimId}`,
        kind: 'account',
        ...state,
      },
    },
  };
}

function accountState(item: Record<string, unknown>): AccountState {
  const { pk: _pk, sk: _sk, kind: _kind, ...state } = item;
  return state as unknown as AccountState;
}
