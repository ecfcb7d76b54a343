import { Match } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { targetSecretName } from '../../lambdas/core/config.ts';
import {
  actionsOf,
  allStatements,
  type Built,
  build,
  configWith,
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

  it('keys the audit log by event and entry, with a byPerson index', () => {
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
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
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
    // ingest, plan, summarize, the reconciler and one worker per SCIM target append.
    expect(appends).toHaveLength(4 + built.stack.lanes.length);
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
    // Only ingest (a repeated delivery: its RECEIVED entry) and plan (a retried plan: its PLANNED
    // entry) read, and only read.
    // (The audit archive reads the table's stream, never its items: test/cdk/audit-archive.test.ts.)
    const reads = onAudit.filter(
      (s) => !actionsOf(s).includes('dynamodb:PutItem') && !actionsOf(s).includes('dynamodb:GetRecords'),
    );
    expect(reads).toHaveLength(2);
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

    // The credential canary updates only its own items: UpdateItem on partition keys TARGET#...
    const canary = ofRole(built.stack.credentials.canaryFunction);
    expect(canary).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table, Condition: leading('TARGET#*') },
    ]);
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

    const scoped = [...canary, ...reconciler, ...roster].map((s) => JSON.stringify(s));
    const others = onState.filter((s) => !scoped.includes(JSON.stringify(s)));
    expect(others).toHaveLength(onState.length - scoped.length);
    expect(others.length).toBeGreaterThan(0);
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

describe('TokenVault: target and source secrets', () => {
  let built: Built;
  beforeAll(() => {
    built = build(
      configWith(
        [
          {
            id: 'apirot',
            rotation: { strategy: 'api', endpoint: 'https://apirot.example.com/token', everyDays: 7 },
          },
          {
            id: 'oauth',
            auth: {
              type: 'oauth2-client-credentials',
              tokenUrl: 'https://oauth.example.com/t',
              clientId: 'c',
            },
            rotation: { strategy: 'oauth2', everyDays: 45 },
          },
          { id: 'byhand', rotation: { strategy: 'manual', maxAgeDays: 60, warnDaysBefore: 10 } },
          { id: 'named', auth: { type: 'bearer', secretName: 'prod/named-token' } },
        ],
        {
          sources: [
            { id: 'bamboohr', kind: 'bamboohr' },
            { id: 'generic', kind: 'generic', secretName: 'hr/generic-signing-key' },
          ],
        },
      ),
    );
  });

  it('creates one KMS-encrypted secret per SCIM target, named by targetSecretName', () => {
    const key = { 'Fn::GetAtt': [logicalId(built.stack.vault.encryptionKey), 'Arn'] };
    for (const target of built.config.targets) {
      built.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: targetSecretName(target),
        KmsKeyId: key,
      });
    }
    expect(built.config.targets.map(targetSecretName)).toContain('prod/named-token');
  });

  it('creates one KMS-encrypted secret per HRIS source, named by sourceSecretName', () => {
    for (const name of ['scimitar/sources/bamboohr', 'hr/generic-signing-key']) {
      built.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: name,
        KmsKeyId: Match.anyValue(),
      });
    }
    built.template.resourceCountIs('AWS::SecretsManager::Secret', 6);
  });

  it('hands every SCIM target secret, and only those, to CredentialRotation', () => {
    const secrets = built.stack.vault.targetSecrets();
    expect(Object.keys(secrets)).toEqual(['apirot', 'oauth', 'byhand', 'named']);
    for (const [id, secret] of Object.entries(secrets)) {
      expect(secret).toBe(built.stack.vault.targetSecret(id));
    }
  });

  it('rotates api and oauth2 targets every configured number of days through the rotation function', () => {
    const rotationFn = built.stack.credentials.rotationFunction;
    if (!rotationFn) throw new Error('expected a rotation function');
    const schedules = built.template.findResources('AWS::SecretsManager::RotationSchedule');
    const bySecret = Object.fromEntries(
      Object.values(schedules).map((s) => [s.Properties.SecretId.Ref, s.Properties]),
    );
    expect(Object.keys(bySecret)).toHaveLength(2);
    expect(bySecret[logicalId(built.stack.vault.targetSecret('apirot'))]).toMatchObject({
      RotationLambdaARN: { 'Fn::GetAtt': [logicalId(rotationFn), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(7 days)' },
    });
    expect(bySecret[logicalId(built.stack.vault.targetSecret('oauth'))]).toMatchObject({
      RotationLambdaARN: { 'Fn::GetAtt': [logicalId(rotationFn), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(45 days)' },
    });
  });

  it('does not rotate manual targets but alarms ahead of their maximum age', () => {
    expect(Object.keys(built.stack.credentials.credentialAgeAlarms)).toEqual(['byhand', 'named']);
    for (const [target, threshold] of [
      ['byhand', 50],
      ['named', 76],
    ] as const) {
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'CredentialAgeDays',
        Namespace: 'Scimitar',
        Dimensions: [
          { Name: 'service', Value: 'scimitar-canary' },
          { Name: 'target', Value: target },
        ],
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: logicalId(built.stack.alerting.alertTopic) }],
      });
    }
  });

  it('deploys no rotation function when no target rotates automatically', () => {
    const plain = build(configWith([{ id: 'only' }]));
    expect(plain.stack.credentials.rotationFunction).toBeUndefined();
    plain.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('lets the ingest function read the source secrets and no target secret', () => {
    const ingestRole = roleId(built.stack.ingestApi.ingestFunction);
    const reads = statementsOfRole(built.template, ingestRole).filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    for (const source of ['bamboohr', 'generic']) {
      expect(mentions(reads, logicalId(built.stack.vault.sourceSecret(source)))).toBe(true);
    }
    for (const target of built.config.targets) {
      expect(mentions(reads, logicalId(built.stack.vault.targetSecret(target.id)))).toBe(false);
    }
  });
});
