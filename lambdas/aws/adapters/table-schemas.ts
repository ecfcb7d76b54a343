// Key schemas of scimitar's two tables, as CreateTable inputs: the local runtime and the tests
// create them from here, and the CDK tests check the stack's tables against them.
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { LEAVER_INDEX, LEAVER_INDEX_KEY } from '../../core/report/leaver-index.ts';

export const AUDIT_BY_PERSON_INDEX = 'byPerson';

export function auditTableSchema(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'eventId', AttributeType: 'S' },
      { AttributeName: 'entryId', AttributeType: 'S' },
      { AttributeName: 'personId', AttributeType: 'S' },
      { AttributeName: LEAVER_INDEX_KEY, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'eventId', KeyType: 'HASH' },
      { AttributeName: 'entryId', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: AUDIT_BY_PERSON_INDEX,
        KeySchema: [
          { AttributeName: 'personId', KeyType: 'HASH' },
          { AttributeName: 'entryId', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        // Sparse: only a termination's PLANNED entry has the key (lambdas/core/report/leaver-index.ts).
        IndexName: LEAVER_INDEX,
        KeySchema: [
          { AttributeName: LEAVER_INDEX_KEY, KeyType: 'HASH' },
          { AttributeName: 'entryId', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}

export function stateTableSchema(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  };
}
