// The HR roster on the state table, replaced as a whole by each upload:
//   ROSTER / CURRENT               which version is current: asOf, count, chunks, previous version
//   ROSTER#<version> / CHUNK#<n>   the people of a version, as JSON, in chunks well below 400 KB
// An upload writes its chunks first, then moves the pointer with a condition (no transactions), then
// removes the version before the previous one: a reader that started on the previous version still
// finds it whole.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import type { Person } from '../../core/model/event.ts';
import { RosterStore, type StoredRoster } from '../../core/reconcile/ports.ts';
import { type Roster, RosterConflictError, RosterUnavailableError } from '../../core/reconcile/roster.ts';
import { documentClient } from './dynamo-audit-log.ts';

export interface DynamoRosterProps {
  readonly tableName: string;
  /** @default - a client for the function's region */
  readonly client?: DynamoDBDocumentClient;
  /** Largest chunk of people JSON per item. @default 300_000 characters */
  readonly chunkChars?: number;
}

const POINTER = { pk: 'ROSTER', sk: 'CURRENT' };
const versionKey = (version: string) => `ROSTER#${version}`;

interface Pointer {
  version: string;
  asOf: string;
  count: number;
  chunks: number;
  uploadedAt: string;
  previous?: string;
}

export class DynamoRosterStore extends RosterStore {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly chunkChars: number;

  constructor(props: DynamoRosterProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
    this.chunkChars = props.chunkChars ?? 300_000;
  }

  async current(): Promise<Roster | undefined> {
    const pointer = await this.pointer();
    if (!pointer) return undefined;
    const people: Person[] = [];
    let chunks = 0;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': versionKey(pointer.version) },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        chunks += 1;
        for (const person of JSON.parse(String(item.people)) as Person[]) people.push(person);
      }
    }
    if (chunks !== pointer.chunks || people.length !== pointer.count) {
      throw new RosterUnavailableError(
        `roster version ${pointer.version} reads as ${people.length} people in ${chunks} chunks, its pointer says ${pointer.count} in ${pointer.chunks}; it changed while being read, try again`,
      );
    }
    return { asOf: pointer.asOf, people };
  }

  async replace(roster: Roster): Promise<StoredRoster> {
    const before = await this.pointer();
    if (before && before.asOf > roster.asOf) {
      throw new RosterConflictError(
        `the roster in place is as of ${before.asOf}, newer than this upload (${roster.asOf}); upload a newer export`,
      );
    }
    const version = `${roster.asOf.replace(/[-:.]/g, '')}-${Math.random().toString(36).slice(2, 8)}`;
    const chunks = this.chunk(roster.people);
    await this.write(
      chunks.map((people, i) => ({
        PutRequest: {
          Item: { pk: versionKey(version), sk: `CHUNK#${String(i).padStart(5, '0')}`, people },
        },
      })),
    );
    const pointer: Pointer = {
      version,
      asOf: roster.asOf,
      count: roster.people.length,
      chunks: chunks.length,
      uploadedAt: new Date().toISOString(),
      ...(before && { previous: before.version }),
    };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...POINTER, ...pointer },
          ...(before
            ? {
                ConditionExpression: '#version = :before',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':before': before.version },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
    } catch (err) {
      await this.removeVersion(version);
      if (err instanceof ConditionalCheckFailedException) {
        throw new RosterConflictError('another roster upload finished first; upload again', { cause: err });
      }
      throw err;
    }
    if (before?.previous) await this.removeVersion(before.previous);
    return { version, asOf: roster.asOf, count: roster.people.length };
  }

  private async pointer(): Promise<Pointer | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: POINTER, ConsistentRead: true }),
    );
    return Item ? (Item as unknown as Pointer) : undefined;
  }

  private chunk(people: readonly Person[]): string[] {
    const out: string[] = [];
    let current: string[] = [];
    let size = 2;
    for (const person of people) {
      const json = JSON.stringify(person);
      if (current.length > 0 && size + json.length + 1 > this.chunkChars) {
        out.push(`[${current.join(',')}]`);
        current = [];
        size = 2;
      }
      current.push(json);
      size += json.length + 1;
    }
    if (current.length > 0) out.push(`[${current.join(',')}]`);
    return out;
  }

  private async removeVersion(version: string): Promise<void> {
    const keys: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': versionKey(version) },
        ProjectionExpression: 'pk, sk',
      },
    );
    for await (const page of pages)
      for (const item of page.Items ?? []) keys.push({ pk: item.pk, sk: item.sk });
    await this.write(keys.map((Key) => ({ DeleteRequest: { Key } })));
  }

  private async write(requests: Record<string, unknown>[]): Promise<void> {
    // Chunks are large: a few per request keeps each BatchWriteItem well under its 16 MB.
    for (let i = 0; i < requests.length; i += 10) {
      let pending = requests.slice(i, i + 10);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= 8)
          throw new Error(`DynamoDB left ${pending.length} roster writes unprocessed 8 times`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const answer = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }),
        );
        pending = (answer.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined) ?? [];
      }
    }
  }
}
