import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LANE_SHARDS,
  LaneShard,
  laneShardOf,
  MAX_LANES_PER_SHARD,
  RESOURCES_PER_LANE,
} from '../../lib/target-lane.ts';
import {
  actionsOf,
  type Built,
  build,
  configWith,
  logicalId,
  roleId,
  type Statement,
  stackArn,
  stackQueueUrl,
  statementsOfRole,
  templateOf,
} from './fixture.ts';

const DAY = 24 * 60 * 60;
const LANE_QUEUES = stackArn('sqs', ':Scimitar_lane_*');
const PRIORITY_QUEUES = stackArn('sqs', ':Scimitar_prio_*');
const CONSUME = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueUrl',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:SendMessage',
];

describe('TargetLane: queue, priority queue, dead-letter queue and their event sources per SCIM target, one shared worker', () => {
  let built: Built;
  beforeAll(() => {
    built = build(
      configWith(
        [
          { id: 'solo', rateBudget: { requestsPerSecond: 1, burst: 1 } },
          { id: 'trio', rateBudget: { requestsPerSecond: 5, burst: 3 } },
          {
            id: 'wide',
            rateBudget: { requestsPerSecond: 20, burst: 12, concurrency: 7 },
            mode: 'report-only',
          },
        ],
        { maxAttempts: 7 },
      ),
    );
  });

  it('builds one lane per SCIM target, each in the nested stack of its shard, none in the root template', () => {
    expect(built.stack.lanes.map((l) => l.targetId)).toEqual(['solo', 'trio', 'wide']);
    // No lane queue in the root template: its only queues are the failure destinations main added
    // there, the canary's and the reconciler's schedule dead letters and the audit archive's
    // failed records (test/cdk/audit-archive.test.ts), and the termination schedules' dead letters
    // (test/cdk/termination-schedules.test.ts). Each lane's three queues are in its shard.
    const rootQueues = Object.keys(built.template.findResources('AWS::SQS::Queue')).sort();
    expect(rootQueues).toEqual(
      [
        built.stack.credentials.canaryDeadLetterQueue,
        built.stack.reconciler.deadLetterQueue,
        built.stack.auditArchive.failedRecordsQueue,
        built.stack.schedules.deadLetterQueue,
      ]
        .map((q) => logicalId(q))
        .sort(),
    );
    // The root's one event source mapping is the audit archive's, on the audit table's stream.
    const rootMappings = Object.values(built.template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(rootMappings).toHaveLength(1);
    expect(JSON.stringify(rootMappings[0]?.Properties.EventSourceArn)).toContain('StreamArn');
    for (const lane of built.stack.lanes) {
      const shard = Stack.of(lane);
      expect(shard).toBeInstanceOf(LaneShard);
      expect((shard as LaneShard).shard).toBe(laneShardOf(lane.targetId));
    }
    const shards = new Set(built.stack.lanes.map((l) => laneShardOf(l.targetId)));
    built.template.resourceCountIs('AWS::CloudFormation::Stack', shards.size);
  });

  it('names the queues by convention, <stack>_lane_<id>, <stack>_prio_<id> and <stack>_dlq_<id>, and dead-letters both after config.maxAttempts receives', () => {
    for (const lane of built.stack.lanes) {
      const template = templateOf(lane);
      const queues = template.findResources('AWS::SQS::Queue');
      expect(Object.keys(queues)).toHaveLength(3);
      for (const [queue, name] of [
        [lane.queue, `Scimitar_lane_${lane.targetId}`],
        [lane.priorityQueue, `Scimitar_prio_${lane.targetId}`],
      ] as const) {
        expect(queues[logicalId(queue)]?.Properties).toMatchObject({
          QueueName: name,
          // Both queues of a lane park in its one dead-letter queue (one alarm, one redrive).
          RedrivePolicy: {
            deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(lane.deadLetterQueue), 'Arn'] },
            maxReceiveCount: 7,
          },
        });
      }
      expect(queues[logicalId(lane.deadLetterQueue)]?.Properties.QueueName).toBe(
        `Scimitar_dlq_${lane.targetId}`,
      );
    }
  });

  it('encrypts every queue, refuses plain HTTP, and keeps dead letters longer than live messages', () => {
    for (const lane of built.stack.lanes) {
      const template = templateOf(lane);
      const queues = template.findResources('AWS::SQS::Queue');
      for (const queue of [lane.queue, lane.priorityQueue]) {
        expect(queues[logicalId(queue)]?.Properties).toMatchObject({
          SqsManagedSseEnabled: true,
          MessageRetentionPeriod: 4 * DAY,
        });
      }
      expect(queues[logicalId(lane.deadLetterQueue)]?.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * DAY,
      });
      for (const queue of [lane.queue, lane.priorityQueue, lane.deadLetterQueue]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
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
    const worker = built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack.fleet.worker)];
    expect(worker?.Properties.Timeout).toBe(60);
    for (const lane of built.stack.lanes) {
      for (const q of [lane.queue, lane.priorityQueue]) {
        const queue = templateOf(lane).findResources('AWS::SQS::Queue')[logicalId(q)];
        expect(queue?.Properties.VisibilityTimeout).toBe(6 * 60);
      }
    }
  });

  it("maps every lane queue and priority queue to the shared worker with two seconds of the target's rate (or its rateBudget.concurrency) as maximum concurrency, never below Lambda's floor of 2", () => {
    const expected: Record<string, number> = { solo: 2, trio: 10, wide: 7 };
    for (const lane of built.stack.lanes) {
      const template = templateOf(lane);
      expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))).toHaveLength(2);
      for (const queue of [lane.queue, lane.priorityQueue]) {
        const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
          (m) =>
            JSON.stringify(m.Properties.EventSourceArn) ===
            JSON.stringify({ 'Fn::GetAtt': [logicalId(queue), 'Arn'] }),
        );
        expect(mappings).toHaveLength(1);
        expect(mappings[0]?.Properties).toMatchObject({
          BatchSize: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: expected[lane.targetId] },
        });
        // The worker's name comes from the root stack, as a parameter of the nested stack.
        expect(JSON.stringify(mappings[0]?.Properties.FunctionName)).toMatch(/"Ref":"\w*Worker\w*"/);
      }
    }
  });

  it('alarms when an urgent leaver waits more than five minutes in a priority queue, one alarm per lane, routed to the alert topic', () => {
    for (const lane of built.stack.lanes) {
      templateOf(lane).hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `Scimitar-UrgentBacklog-${lane.targetId}`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: `Scimitar_prio_${lane.targetId}` }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmDescription: Match.stringLikeRegexp('docs/operations.md#urgent-backlog'),
        AlarmActions: [Match.anyValue()],
      });
    }
  });

  it('deploys one worker for every lane, its environment the same whatever the target count: no per-target wiring', () => {
    built.template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      Match.objectLike({
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'scimitar-worker' }) },
      }),
      1,
    );
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          LANE_QUEUE_URL_PREFIX: stackQueueUrl(''),
          MAX_ATTEMPTS: '7',
          AUDIT_TABLE: { Ref: logicalId(built.stack.auditStore.auditTable) },
          STATE_TABLE: { Ref: logicalId(built.stack.auditStore.stateTable) },
          POWERTOOLS_SERVICE_NAME: 'scimitar-worker',
          POWERTOOLS_METRICS_NAMESPACE: 'Scimitar',
        },
      },
    });
  });

  it("lets the worker consume this stack's lane and priority queues and read its target secrets by name pattern, never consume a dead-letter queue or read a source key", () => {
    const statements = statementsOfRole(built.template, roleId(built.stack.fleet.worker));
    // Besides consuming (and handing a throttled message back to the queue it came from), the worker may only send to the dead-letter queues (parking, next test).
    const sqs = statements.filter(
      (s) => actionsOf(s).some((a) => a.startsWith('sqs:')) && !JSON.stringify(s.Resource).includes('_dlq_'),
    );
    expect(sqs).toEqual([
      { Effect: 'Allow', Action: CONSUME, Resource: LANE_QUEUES },
      { Effect: 'Allow', Action: CONSUME, Resource: PRIORITY_QUEUES },
    ]);
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: stackArn('secretsmanager', ':secret:Scimitar/targets/*'),
      },
    ]);
    const kms = statements.filter(
      (s) => actionsOf(s).some((a) => a.startsWith('kms:')) && JSON.stringify(s).includes('secretsmanager'),
    );
    expect(kms).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [logicalId(built.stack.vault.encryptionKey), 'Arn'] },
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
            },
          },
          StringLike: { 'kms:EncryptionContext:SecretARN': secrets[0]?.Resource },
        },
      },
    ]);
    // The only statement naming a dead-letter queue sends to it: none receives or deletes there.
    const dlq = statements.filter((s) => JSON.stringify(s).includes('_dlq_'));
    expect(dlq.flatMap(actionsOf)).toEqual(['sqs:SendMessage']);
    expect(JSON.stringify(statements)).not.toContain('/sources/');
  });

  it("lets the worker park a failure no workflow reports in its lane's DLQ (send only, by name pattern) and alert the alert topic", () => {
    const alertTopic = logicalId(built.stack.alerting.alertTopic);
    // One variable for every lane: the dead-letter queue is derived from the lane queue's name.
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'scimitar-worker',
          ALERT_TOPIC_ARN: { Ref: alertTopic },
          DEAD_LETTER_QUEUE_URL: Match.absent(),
          DEAD_LETTER_QUEUE_ARN: Match.absent(),
        }),
      },
    });
    const statements = statementsOfRole(built.template, roleId(built.stack.fleet.worker));
    const park = statements.filter((s) => JSON.stringify(s.Resource ?? null).includes('_dlq_'));
    expect(park).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: stackArn('sqs', ':Scimitar_dlq_*') },
    ]);
    const publish = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sns:')));
    expect(publish).toEqual([{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: alertTopic } }]);
    // The topic is encrypted: publishing needs its key, and nothing else of KMS.
    const alertKey = logicalId(built.stack.alerting.encryptionKey);
    const keyUse = statements.filter((s) => JSON.stringify(s.Resource ?? null).includes(alertKey));
    expect(keyUse.flatMap(actionsOf).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
  });

  it('lets the worker answer the workflow only: task responses on this state machine', () => {
    const machine = logicalId(built.stack.workflow.stateMachine);
    const states = statementsOfRole(built.template, roleId(built.stack.fleet.worker)).filter((s: Statement) =>
      actionsOf(s).some((a) => a.startsWith('states:')),
    );
    expect(states).toEqual([
      {
        Effect: 'Allow',
        Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        Resource: { Ref: machine },
      },
    ]);
  });

  it('keeps every lane where it is when other targets are added or removed: same shard, same logical ids', () => {
    const before = build(configWith([{ id: 'alpha' }, { id: 'bravo' }, { id: 'charlie' }]));
    const after = build(configWith([{ id: 'bravo' }, { id: 'charlie' }, { id: 'delta' }, { id: 'echo' }]));
    for (const id of ['bravo', 'charlie']) {
      const [a, b] = [before, after].map((x) => x.stack.fleet.lane(id));
      if (!a || !b) throw new Error('lane missing');
      expect(Stack.of(a).node.path).toBe(Stack.of(b).node.path);
      expect(logicalId(a.queue)).toBe(logicalId(b.queue));
      expect(logicalId(a.priorityQueue)).toBe(logicalId(b.priorityQueue));
      expect(logicalId(before.stack.vault.targetSecret(id))).toBe(
        logicalId(after.stack.vault.targetSecret(id)),
      );
    }
  }, 180_000);

  it('refuses a stack name too long for the queue names, naming the limit and the fix', () => {
    expect(() =>
      build(configWith([{ id: 'a-target-id-of-thirty-two-chars' }], { stackName: `S${'x'.repeat(50)}` })),
    ).toThrow(
      /stackName "Sx+" is too long for the lane queue names: .* SQS allows 80; use a stackName of at most 43 characters/,
    );
  });

  it(`refuses more than ${MAX_LANES_PER_SHARD} lanes in one shard, naming the shard and its targets`, () => {
    const crowded: string[] = [];
    for (let i = 0; crowded.length <= MAX_LANES_PER_SHARD; i++) {
      if (laneShardOf(`t${i}x`) === 0) crowded.push(`t${i}x`);
    }
    expect(LANE_SHARDS).toBe(16);
    expect(() => build(configWith(crowded.map((id) => ({ id }))))).toThrow(
      new RegExp(`lane shard 0 would hold ${MAX_LANES_PER_SHARD + 1} targets \\(t\\d+x, `),
    );
  }, 180_000);

  it(`fits a full shard (${MAX_LANES_PER_SHARD} lanes, each with its rotation schedule and three alarms) in CloudFormation's 500 resources`, () => {
    const full: string[] = [];
    for (let i = 0; full.length < MAX_LANES_PER_SHARD; i++) {
      if (laneShardOf(`t${i}x`) === 0) full.push(`t${i}x`);
    }
    const rotating = build(
      configWith(
        full.map((id) => ({
          id,
          rotation: { strategy: 'api', endpoint: `https://${id}.example/tokens`, everyDays: 30 },
        })),
      ),
    );
    const shard = rotating.stack.fleet.shards.get(0);
    if (!shard) throw new Error('no shard 0');
    const resources = Object.keys(templateOf(shard).toJSON().Resources).length;
    // RESOURCES_PER_LANE is the most a lane adds: the refusal's count is honest.
    expect(resources).toBeLessThanOrEqual(MAX_LANES_PER_SHARD * RESOURCES_PER_LANE);
    expect(resources).toBeGreaterThan((MAX_LANES_PER_SHARD - 1) * RESOURCES_PER_LANE);
    expect(MAX_LANES_PER_SHARD * RESOURCES_PER_LANE).toBeLessThanOrEqual(450);
    const alarms = Object.values(templateOf(shard).toJSON().Resources).filter(
      (r) => (r as { Type: string }).Type === 'AWS::CloudWatch::Alarm',
    );
    expect(alarms).toHaveLength(3 * MAX_LANES_PER_SHARD);
  }, 180_000);

  it('fails early on lane settings SQS cannot honour', async () => {
    const { Duration, App } = await import('aws-cdk-lib');
    const { TargetLane } = await import('../../lib/target-lane.ts');
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
    const target = built.config.targets[0];
    if (target?.kind !== 'scim') throw new Error('fixture has a SCIM target first');
    const base = {
      config: built.config,
      target,
      worker: built.stack.fleet.worker,
      visibilityTimeout: Duration.minutes(6),
    };
    expect(() => new TargetLane(stack, 'A', { ...base, queueRetention: Duration.days(14) })).toThrow(
      /queueRetention \(14 days\) must be shorter than deadLetterRetention/,
    );
    expect(() => new TargetLane(stack, 'B', { ...base, visibilityTimeout: Duration.hours(18) })).toThrow(
      /exceeds the SQS visibility limit of 12 hours/,
    );
    expect(() => new TargetLane(stack, 'C', { ...base, batchSize: 11 })).toThrow(
      /batchSize 11 is out of range/,
    );
  });
});
