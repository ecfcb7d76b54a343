// Key schemas of scimitar's two tables, as CreateTable inputs: the local runtime and the tests
// create them from here, and the CDK tests check the stack's tables against them.
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const AUDIT_BY_PERSON_INDEX = 'byPerson';

export function auditTableSchema(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'eventId', AttributeType: 'S' },
      { AttributeName: 'entryId', AttributeType: 'S' },
      { AttributeName: 'personId', AttributeType: 'S' },
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
