import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditTableSchema } from '../../lambdas/aws/adapters/table-schemas.ts';
import { AuditStore } from '../../lib/audit-store.ts';
import {
  actionsOf,
  allStatements,
  type Built,
  build,
  logicalId,
  mentions,
  roleId,
  statementsOfRole,
} from './fixture.ts';

describe('AuditStore: the audit log and the state table', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  it('keys the audit log by event and entry, with a byPerson index and the sparse leaver index', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'eventId', KeyType: 'HASH' },
        { AttributeName: 'entryId', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byPerson',
          KeySchema: [
            { AttributeName: 'personId', KeyType: 'HASH' },
            { AttributeName: 'entryId', KeyType: 'RANGE' },
          ],
        }),
        {
          IndexName: 'leaversByMonth',
          KeySchema: [
            { AttributeName: 'leaverMonth', KeyType: 'HASH' },
            { AttributeName: 'entryId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it("creates the audit table's indexes as the local runtime does (table-schemas.ts)", () => {
    const [audit] = Object.values(
      built.template.findResources('AWS::DynamoDB::Table', {
        Properties: { KeySchema: Match.arrayWith([{ AttributeName: 'eventId', KeyType: 'HASH' }]) },
      }),
    );
    const local = auditTableSchema('audit');
    const shape = (
      indexes: { IndexName?: string; KeySchema?: unknown; Projection?: { ProjectionType?: string } }[],
    ) =>
      indexes.map((i) => ({
        name: i.IndexName,
        keys: i.KeySchema,
        projection: i.Projection?.ProjectionType,
      }));
    expect(shape(audit?.Properties.GlobalSecondaryIndexes)).toEqual(
      shape(local.GlobalSecondaryIndexes ?? []),
    );
    expect(audit?.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(local.AttributeDefinitions ?? []),
    );
  });

  it('keys the state table by pk and sk', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('gives every table point-in-time recovery, a customer-managed key and deletion protection, and retains it', () => {
    const tables = built.template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(2);
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.Properties.SSESpecification).toMatchObject({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(built.stack.auditStore.encryptionKey), 'Arn'] },
      });
    }
    built.template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true, Description: Match.stringLikeRegexp('audit') }),
    });
  });

  it('lets functions only put audit entries: no role may update, delete or batch-write the audit log', () => {
    const auditTable = logicalId(built.stack.auditStore.auditTable);
    const onAudit = allStatements(built.template).filter((s) => mentions(s.Resource, auditTable));
    const appends = onAudit.filter((s) => actionsOf(s).includes('dynamodb:PutItem'));
    // ingest, plan, summarize, the reconciler, the one lane worker and the operator function append.
    expect(appends).toHaveLength(6);
    for (const statement of appends) {
      expect(actionsOf(statement)).toEqual(['dynamodb:PutItem']);
    }
    const reconciler = statementsOfRole(built.template, roleId(built.stack.reconciler.function)).filter((s) =>
      mentions(s.Resource, auditTable),
    );
    expect(reconciler).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': [auditTable, 'Arn'] } },
    ]);
    // The roster upload has no business with the audit log.
    const roster = statementsOfRole(built.template, roleId(built.stack.reconciler.rosterUploadFunction));
    expect(mentions(roster, auditTable)).toBe(false);
    // Only ingest (a repeated delivery: its RECEIVED entry), plan (a retried plan: its PLANNED
    // entry) and the operator function (approve, retry: the event's entries) read, and only read.
    // (The audit archive reads the table's stream, never its items: test/cdk/audit-archive.test.ts.)
    const reads = onAudit.filter(
      (s) => !actionsOf(s).includes('dynamodb:PutItem') && !actionsOf(s).includes('dynamodb:GetRecords'),
    );
    expect(reads).toHaveLength(3);
    expect(statementsOfRole(built.template, roleId(built.stack.operator.function))).toEqual(
      expect.arrayContaining(reads.slice(0, 1)),
    );
    for (const read of reads) expect(actionsOf(read).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    for (const statement of onAudit) {
      for (const forbidden of [
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:*',
      ]) {
        expect(actionsOf(statement)).not.toContain(forbidden);
      }
    }
  });

  it('grants the state table without DeleteItem or wildcards, and batch writes only on the keys a role owns', () => {
    const stateTable = logicalId(built.stack.auditStore.stateTable);
    const table = { 'Fn::GetAtt': [stateTable, 'Arn'] };
    const onState = allStatements(built.template).filter((s) => mentions(s.Resource, stateTable));
    const ofRole = (fn: IFunction) =>
      statementsOfRole(built.template, roleId(fn)).filter((s) => mentions(s.Resource, stateTable));
    const leading = (...keys: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } });

    // Every caller of a target takes its shared rate budget: GetItem and UpdateItem on RATE#... only.
    const rateBudget = {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Resource: table,
      Condition: leading('RATE#*'),
    };
    const isRateBudget = (s: (typeof onState)[number]) =>
      JSON.stringify(actionsOf(s)) === JSON.stringify(rateBudget.Action) &&
      JSON.stringify(s.Condition) === JSON.stringify(rateBudget.Condition);
    const { worker } = built.stack.fleet;
    const { canaryFunction, rotationFunction } = built.stack.credentials;
    const callers = [worker, built.stack.reconciler.function, canaryFunction, rotationFunction].filter(
      (fn) => fn !== undefined,
    );
    for (const fn of callers) expect(ofRole(fn)).toContainEqual(rateBudget);
    expect(onState.filter(isRateBudget)).toHaveLength(callers.length);

    // The credential canary updates only its own items: UpdateItem on partition keys TARGET#...;
    // its run lists the owner tasks (Query on TASK#... only) for the overdue check.
    const canary = ofRole(canaryFunction);
    expect(canary).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table, Condition: leading('TARGET#*') },
      rateBudget,
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: table, Condition: leading('TASK#*') },
    ]);
    // The plan opens owner tasks: a conditional put, and a read for a retried plan, on TASK#... only.
    const openTasks = {
      Effect: 'Allow',
      Action: ['dynamodb:PutItem', 'dynamodb:GetItem'],
      Resource: table,
      Condition: leading('TASK#*'),
    };
    const plan = ofRole(built.stack.workflow.planFunction);
    expect(plan).toContainEqual(openTasks);
    // The operator function acknowledges them: GetItem and a conditional UpdateItem on TASK#... only.
    expect(ofRole(built.stack.operator.function)).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Resource: table,
      Condition: leading('TASK#*'),
    });
    const taskStatements = onState.filter((s) => JSON.stringify(s.Condition).includes('TASK#'));
    expect(taskStatements).toHaveLength(3);
    // The reconciler reads its targets' items and the roster, and writes (batch deletes included)
    // only TARGET# items: never the ledger by person, never the roster.
    const reconciler = ofRole(built.stack.reconciler.function);
    expect(reconciler).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
        Resource: table,
        Condition: leading('TARGET#*', 'ROSTER', 'ROSTER#*'),
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        Resource: table,
        Condition: leading('TARGET#*'),
      },
      rateBudget,
    ]);
    // The roster upload replaces the roster and touches nothing else.
    const roster = ofRole(built.stack.reconciler.rosterUploadFunction);
    expect(roster).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
        Resource: table,
        Condition: leading('ROSTER', 'ROSTER#*'),
      },
    ]);

    // Ingest keeps one pending termination per person: reads and conditional puts of
    // LEAVER#<person>/PENDING only; and keeps the notifications it sends (puts of NOTIFY#... only).
    const ingest = ofRole(built.stack.ingestApi.ingestFunction);
    expect(ingest).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: table,
        Condition: leading('LEAVER#*'),
      },
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table, Condition: leading('NOTIFY#*') },
    ]);

    // Every function that notifies keeps what it sent: the same put of NOTIFY#... only, per role.
    const isKept = (s: (typeof onState)[number]) =>
      JSON.stringify(actionsOf(s)) === JSON.stringify(['dynamodb:PutItem']) &&
      JSON.stringify(s.Condition) === JSON.stringify(leading('NOTIFY#*')) &&
      JSON.stringify(s.Resource) === JSON.stringify(table);
    const notifiers = [
      built.stack.ingestApi.ingestFunction,
      built.stack.workflow.planFunction,
      built.stack.workflow.summarizeFunction,
      worker,
    ];
    for (const fn of notifiers) expect(ofRole(fn).some(isKept), fn.node.path).toBe(true);
    const kept = onState.filter(isKept).length;
    expect(kept).toBe(notifiers.length);

    // Each statement once (the canary's TASK# query is among the task statements too).
    const scoped = [
      ...new Set(
        [...canary, ...reconciler, ...roster, ...ingest, ...taskStatements]
          .filter((s) => !isRateBudget(s) && !isKept(s))
          .map((s) => JSON.stringify(s)),
      ),
    ];
    const others = onState.filter(
      (s) => !scoped.includes(JSON.stringify(s)) && !isRateBudget(s) && !isKept(s),
    );
    // The rest: the ledger statement of the worker, plan and summarize, and nothing else.
    expect(others).toHaveLength(3);
    for (const statement of others) {
      expect(actionsOf(statement).sort()).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ]);
      // Workers, plan and summarize: the ledger and the per-target items, never the roster.
      expect(statement.Condition).toEqual(leading('LEAVER#*', 'TARGET#*'));
    }
    for (const statement of onState) {
      expect(actionsOf(statement)).not.toContain('dynamodb:DeleteItem');
      expect(actionsOf(statement).some((a) => a.includes('*'))).toBe(false);
      if (actionsOf(statement).includes('dynamodb:BatchWriteItem')) expect(statement.Condition).toBeDefined();
    }
  });
});

describe('AuditStore: reading evidence reports', () => {
  it('lets a grantee Query the leaver index and the audit table, and write nothing', () => {
    const stack = new Stack();
    const store = new AuditStore(stack, 'Store');
    const role = new Role(stack, 'Auditor', { assumedBy: new AccountRootPrincipal() });
    store.grantReadReports(role);
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const all = Object.values(statements).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const dynamo = all.filter((st) => [st.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect(dynamo[0]?.Action).toBe('dynamodb:Query');
    expect(JSON.stringify(dynamo[0]?.Resource)).toContain('/index/leaversByMonth');
    expect(all.flatMap((st) => [st.Action].flat()).sort()).toEqual(['dynamodb:Query', 'kms:Decrypt']);
  });

  it('leaves the leaver index out of the functions that read the audit log (plan, ingest)', () => {
    const stack = new Stack();
    const store = new AuditStore(stack, 'Store');
    const role = new Role(stack, 'Plan', { assumedBy: new AccountRootPrincipal() });
    store.grantReadAudit(role);
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('index/leaversByMonth');
  });
});
