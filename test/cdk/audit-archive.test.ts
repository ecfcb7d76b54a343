import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../lambdas/core/model/config.ts';
import { ARCHIVE_RETRY_ATTEMPTS, RUNBOOK_ANCHORS } from '../../lib/audit-archive.ts';
import sample from '../../scimitar.config.ts';
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

describe('AuditArchive: the Object Lock copy of the audit log', () => {
  let built: Built;
  let bucketId: string;
  beforeAll(() => {
    built = build();
    bucketId = logicalId(built.stack.auditArchive.bucket);
  });

  it('locks every object in compliance mode for 400 days by default, on a versioned bucket', () => {
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('takes the retention from the config', () => {
    const custom = build(configWith([{ id: 'app' }], { audit: { archiveRetentionDays: 2555 } }));
    const bucket =
      custom.template.findResources('AWS::S3::Bucket')[logicalId(custom.stack.auditArchive.bucket)];
    expect(bucket?.Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({
      Mode: 'COMPLIANCE',
      Days: 2555,
    });
  });

  it('refuses a retention outside 1 to 36500 days, naming the field', () => {
    const problems = checkConfig({ ...sample, audit: { archiveRetentionDays: 0 } });
    expect(problems.join('\n')).toContain('audit.archiveRetentionDays');
    expect(checkConfig({ ...sample, audit: { rawPayloadRetentionDays: -1 } }).join('\n')).toContain(
      'audit.rawPayloadRetentionDays',
    );
  });

  it('blocks public access, encrypts, enforces TLS, logs access and survives stack deletion', () => {
    const bucket = built.template.findResources('AWS::S3::Bucket')[bucketId];
    expect(bucket?.DeletionPolicy).toBe('Retain');
    expect(bucket?.UpdateReplacePolicy).toBe('Retain');
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalId(built.stack.auditArchive.accessLogBucket) },
      LogFilePrefix: 'archive/',
    });
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('gives the audit table a stream with the item before and after each change', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'eventId', KeyType: 'HASH' },
        { AttributeName: 'entryId', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('feeds the function from the stream with bisection, partial batch responses and a failure destination', () => {
    const auditTable = logicalId(built.stack.auditStore.auditTable);
    built.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [auditTable, 'StreamArn'] },
      FunctionName: { Ref: logicalId(built.stack.auditArchive.function) },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: ARCHIVE_RETRY_ATTEMPTS,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [logicalId(built.stack.auditArchive.failedRecordsQueue), 'Arn'] },
        },
      },
    });
  });

  it('lets the archive function only put objects under entries/ and changes/: no delete, no lock change', () => {
    const statements = statementsOfRole(built.template, roleId(built.stack.auditArchive.function));
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3).toHaveLength(1);
    expect(actionsOf(s3[0] as never)).toEqual(['s3:PutObject']);
    expect(s3[0]?.Resource).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/entries/*']] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/changes/*']] },
    ]);
    // It reads the audit table's stream and nothing else of DynamoDB: no read or write of items.
    const dynamodb = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
    const auditTable = logicalId(built.stack.auditStore.auditTable);
    expect(dynamodb.find((s) => actionsOf(s).includes('dynamodb:GetRecords'))?.Resource).toEqual({
      'Fn::GetAtt': [auditTable, 'StreamArn'],
    });
    // Nor may any other role of the stack write to, delete from or unlock the archive.
    const onArchive = allStatements(built.template).filter((s) => mentions(s.Resource, bucketId));
    expect(onArchive).toEqual([s3[0]]);
  });

  it('alarms on records that could not be archived, on lag and on a changed entry, to the alert topic', () => {
    const archive = built.stack.auditArchive;
    const topic = { Ref: logicalId(built.stack.alerting.alertTopic) };
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp(
        'could not be archived.*Runbook: docs/operations.md#audit-entries-not-archived-archivefailedalarm',
      ),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(archive.failedRecordsQueue), 'QueueName'] } },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('behind the audit table'),
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 3_600_000,
      AlarmActions: [topic],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('overwritten or deleted'),
      Namespace: 'Scimitar',
      MetricName: 'AuditEntryChanged',
      Dimensions: [{ Name: 'service', Value: 'scimitar-audit-archive' }],
      Statistic: 'Sum',
      Threshold: 1,
      AlarmActions: [topic],
    });
  });

  it('names a runbook for each alarm that docs/operations.md has', () => {
    const headings = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .map((line) =>
        line
          .replace(/^#+\s*/, '')
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replaceAll(' ', '-'),
      );
    for (const anchor of Object.values(RUNBOOK_ANCHORS)) expect(headings).toContain(anchor);
    expect(Object.keys(RUNBOOK_ANCHORS).sort()).toEqual(
      ['ArchiveFailedAlarm', 'ArchiveLagAlarm', 'AuditEntryChangedAlarm'].sort(),
    );
  });

  it('keeps no raw deliveries by default: no deliveries bucket, nothing for ingest to write', () => {
    expect(built.stack.auditArchive.deliveryBucket).toBeUndefined();
    expect(Object.keys(built.template.findResources('AWS::S3::Bucket'))).toHaveLength(2);
    const ingest = statementsOfRole(built.template, roleId(built.stack.ingestApi.ingestFunction));
    expect(ingest.flatMap(actionsOf).filter((a) => a.startsWith('s3:'))).toEqual([]);
  });
});

describe('AuditArchive: raw deliveries, when kept', () => {
  let built: Built;
  beforeAll(() => {
    built = build(configWith([{ id: 'app' }], { audit: { rawPayloadRetentionDays: 30 } }));
  });

  it('keeps them in an unlocked bucket of their own that expires them after the configured days', () => {
    const bucket = built.stack.auditArchive.deliveryBucket;
    expect(bucket).toBeDefined();
    const resource = built.template.findResources('AWS::S3::Bucket')[logicalId(bucket as never)];
    expect(resource?.Properties.ObjectLockEnabled).toBeUndefined();
    expect(resource?.Properties.VersioningConfiguration).toBeUndefined();
    expect(resource?.Properties.LifecycleConfiguration).toEqual({
      Rules: [{ Prefix: 'deliveries/', ExpirationInDays: 30, Status: 'Enabled' }],
    });
    expect(resource?.DeletionPolicy).toBe('Retain');
    expect(resource?.Properties.PublicAccessBlockConfiguration.BlockPublicPolicy).toBe(true);
  });

  it('passes the AWS Solutions checks, with a reason for the prefix grant', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);
    expect(
      report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
      ),
    ).toEqual([]);
  });

  it('lets ingest only put objects under deliveries/, and tells it the bucket', () => {
    const bucketId = logicalId(built.stack.auditArchive.deliveryBucket as never);
    const ingest = built.stack.ingestApi.ingestFunction;
    const s3 = statementsOfRole(built.template, roleId(ingest)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('s3:')),
    );
    expect(s3).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/deliveries/*']] },
      },
    ]);
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Description: Match.stringLikeRegexp('ingest'),
      Environment: { Variables: Match.objectLike({ DELIVERY_BUCKET: { Ref: bucketId } }) },
    });
  });
});
