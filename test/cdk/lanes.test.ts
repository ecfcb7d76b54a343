import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  type Built,
  build,
  configWith,
  logicalId,
  mentions,
  roleId,
  statementsOfRole,
} from './fixture.ts';

const DAY = 24 * 60 * 60;

describe('TargetLane: queue, dead-letter queue and worker per SCIM target', () => {
  let built: Built;
  beforeAll(() => {
    built = build(
      configWith(
        [
          { id: 'solo', rateBudget: { requestsPerSecond: 1, burst: 1 } },
          { id: 'trio', rateBudget: { requestsPerSecond: 5, burst: 3 } },
          { id: 'wide', rateBudget: { requestsPerSecond: 20, burst: 12 }, mode: 'report-only' },
        ],
        { maxAttempts: 7 },
      ),
    );
  });

  it('builds one lane per SCIM target', () => {
    expect(built.stack.lanes.map((l) => l.targetId)).toEqual(['solo', 'trio', 'wide']);
    // A queue and a dead-letter queue per lane, the canary's and reconciler's dead letters, and the
    // audit archive's failure destination (test/cdk/audit-archive.test.ts).
    built.template.resourceCountIs('AWS::SQS::Queue', 3 * 2 + 2 + 1);
  });

  it('gives every queue a dead-letter queue after config.maxAttempts receives', () => {
    const queues = built.template.findResources('AWS::SQS::Queue');
    const dlqIds = new Set(
      [
        ...built.stack.lanes.map((l) => l.deadLetterQueue),
        built.stack.credentials.canaryDeadLetterQueue,
        built.stack.reconciler.deadLetterQueue,
        built.stack.auditArchive.failedRecordsQueue,
      ].map((q) => logicalId(q)),
    );
    for (const [id, queue] of Object.entries(queues)) {
      if (dlqIds.has(id)) continue;
      expect(queue.Properties.RedrivePolicy, id).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] },
        maxReceiveCount: 7,
      });
    }
    for (const lane of built.stack.lanes) {
      expect(queues[logicalId(lane.queue)]?.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({
        'Fn::GetAtt': [logicalId(lane.deadLetterQueue), 'Arn'],
      });
    }
  });

  it('gives every dead-letter queue an alarm on any visible message, routed to the alert topic', () => {
    const alertTopic = logicalId(built.stack.alerting.alertTopic);
    for (const lane of built.stack.lanes) {
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(lane.deadLetterQueue), 'QueueName'] } },
        ],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: [{ Ref: alertTopic }],
      });
    }
  });

  it('encrypts every queue, refuses plain HTTP, and keeps dead letters longer than live messages', () => {
    const queues = built.template.findResources('AWS::SQS::Queue');
    for (const lane of built.stack.lanes) {
      const live = queues[logicalId(lane.queue)]?.Properties;
      const dead = queues[logicalId(lane.deadLetterQueue)]?.Properties;
      expect(live).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 4 * DAY });
      expect(dead).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * DAY });
      for (const queue of [lane.queue, lane.deadLetterQueue]) {
        built.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: logicalId(queue) }],
          PolicyDocument: {
            Statement: [
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ],
          },
        });
      }
    }
  });

  it('keeps a message invisible for six times the worker timeout', () => {
    for (const lane of built.stack.lanes) {
      const fn = built.template.findResources('AWS::Lambda::Function')[logicalId(lane.worker)];
      const queue = built.template.findResources('AWS::SQS::Queue')[logicalId(lane.queue)];
      expect(queue?.Properties.VisibilityTimeout).toBe(6 * fn?.Properties.Timeout);
    }
  });

  it("sets the worker's maximum concurrency to the target's burst, never below Lambda's floor of 2", () => {
    const expected: Record<string, number> = { solo: 2, trio: 3, wide: 12 };
    for (const lane of built.stack.lanes) {
      built.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(lane.worker) },
        EventSourceArn: { 'Fn::GetAtt': [logicalId(lane.queue), 'Arn'] },
        BatchSize: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: expected[lane.targetId] },
      });
    }
  });

  it('gives the worker its target, secret, queue and attempt limit in the environment', () => {
    for (const lane of built.stack.lanes) {
      built.template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: {
            TARGET_ID: lane.targetId,
            TARGET_SECRET_ARN: { Ref: logicalId(built.stack.vault.targetSecret(lane.targetId)) },
            QUEUE_URL: { Ref: logicalId(lane.queue) },
            MAX_ATTEMPTS: '7',
            AUDIT_TABLE: { Ref: logicalId(built.stack.auditStore.auditTable) },
            STATE_TABLE: { Ref: logicalId(built.stack.auditStore.stateTable) },
            POWERTOOLS_SERVICE_NAME: 'scimitar-worker',
            POWERTOOLS_METRICS_NAMESPACE: 'Scimitar',
          },
        },
      });
    }
  });

  it("scopes each worker to its own secret and queue: no worker's policy names another lane's", () => {
    for (const lane of built.stack.lanes) {
      const statements = statementsOfRole(built.template, roleId(lane.worker));
      const ownSecret = logicalId(built.stack.vault.targetSecret(lane.targetId));
      const secretReads = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      expect(secretReads).toHaveLength(1);
      expect(secretReads[0]?.Resource).toEqual({ Ref: ownSecret });
      const queueUse = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      // Its own queue (the event source), and its own dead-letter queue (parking, see below).
      expect(queueUse.map((s) => s.Resource)).toEqual([
        { 'Fn::GetAtt': [logicalId(lane.queue), 'Arn'] },
        { 'Fn::GetAtt': [logicalId(lane.deadLetterQueue), 'Arn'] },
      ]);

      for (const other of built.stack.lanes.filter((l) => l !== lane)) {
        for (const id of [
          logicalId(built.stack.vault.targetSecret(other.targetId)),
          logicalId(other.queue),
          logicalId(other.deadLetterQueue),
        ]) {
          expect(mentions(statements, id), `${lane.targetId} names ${id}`).toBe(false);
        }
      }
    }
  });

  it('lets each worker park a failure no workflow reports in its own DLQ and alert the alert topic', () => {
    const alertTopic = logicalId(built.stack.alerting.alertTopic);
    for (const lane of built.stack.lanes) {
      built.template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            TARGET_ID: lane.targetId,
            DEAD_LETTER_QUEUE_URL: { Ref: logicalId(lane.deadLetterQueue) },
            DEAD_LETTER_QUEUE_ARN: { 'Fn::GetAtt': [logicalId(lane.deadLetterQueue), 'Arn'] },
            ALERT_TOPIC_ARN: { Ref: alertTopic },
          }),
        },
      });
      const statements = statementsOfRole(built.template, roleId(lane.worker));
      const park = statements.filter((s) => mentions(s.Resource, logicalId(lane.deadLetterQueue)));
      expect(park.map(actionsOf)).toEqual([['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']]);
      const publish = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sns:')));
      expect(publish).toEqual([{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: alertTopic } }]);
      // The topic is encrypted: publishing needs its key, and nothing else of KMS.
      const alertKey = logicalId(built.stack.alerting.encryptionKey);
      const keyUse = statements.filter((s) => mentions(s.Resource, alertKey));
      expect(keyUse.flatMap(actionsOf).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    }
  });

  it('lets workers answer the workflow only: task responses on this state machine', () => {
    const machine = logicalId(built.stack.workflow.stateMachine);
    for (const lane of built.stack.lanes) {
      const states = statementsOfRole(built.template, roleId(lane.worker)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('states:')),
      );
      expect(states).toEqual([
        {
          Effect: 'Allow',
          Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          Resource: { Ref: machine },
        },
      ]);
    }
  });

  it('fails early on lane settings SQS cannot honour', async () => {
    const { Duration, App, Stack } = await import('aws-cdk-lib');
    const { TargetLane } = await import('../../lib/target-lane.ts');
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
    const lane = built.stack.lanes[0];
    const target = built.config.targets[0];
    if (!lane || target?.kind !== 'scim') throw new Error('fixture has a SCIM target first');
    const base = {
      config: built.config,
      target,
      secret: built.stack.vault.targetSecret(target.id),
      auditStore: built.stack.auditStore,
    };
    expect(() => new TargetLane(stack, 'A', { ...base, queueRetention: Duration.days(14) })).toThrow(
      /queueRetention \(14 days\) must be shorter than deadLetterRetention/,
    );
    expect(() => new TargetLane(stack, 'B', { ...base, workerTimeout: Duration.hours(3) })).toThrow(
      /exceeds the SQS visibility limit of 12 hours/,
    );
    expect(() => new TargetLane(stack, 'C', { ...base, batchSize: 11 })).toThrow(
      /batchSize 11 is out of range/,
    );
  });
});
