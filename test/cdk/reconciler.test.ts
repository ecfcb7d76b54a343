import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECONCILE_SERVICE, type Reconciler } from '../../lib/reconciler.ts';
import {
  actionsOf,
  type Built,
  build,
  configWith,
  logicalId,
  mentions,
  roleId,
  type Statement,
  stackArn,
  statementsOfRole,
  templateOf,
} from './fixture.ts';

describe('Reconciler in the ScimitarStack', () => {
  let built: Built;
  let plain: Built;
  beforeAll(() => {
    built = build();
    // No privileged target, a schedule of its own, and lanes that keep a message two days.
    plain = build(
      configWith([{ id: 'docs' }, { id: 'crm' }], { reconciliation: { schedule: 'cron(0 3 * * ? *)' } }),
      { props: { laneQueueRetention: Duration.days(2) } },
    );
  });

  const _scimIds = (b: Built) => b.stack.lanes.map((l) => l.targetId);

  it('runs the reconciler on ScimitarFunction: 15 minutes, 1 GB, no async retry, its tables and per-target resources', () => {
    const { stack, template } = built;
    const fn = logicalId(stack.reconciler.function);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Timeout: 900,
      MemorySize: 1024,
      Role: { 'Fn::GetAtt': [roleId(stack.reconciler.function), 'Arn'] },
      Environment: {
        Variables: Match.objectLike({
          AUDIT_TABLE: { Ref: logicalId(stack.auditStore.auditTable) },
          STATE_TABLE: { Ref: logicalId(stack.auditStore.stateTable) },
          POWERTOOLS_SERVICE_NAME: 'scimitar-reconcile',
          POWERTOOLS_METRICS_NAMESPACE: 'Scimitar',
          LANE_QUEUE_URL_PREFIX: Match.anyValue(),
          // The lanes' retention (4 days by default): how long a queued remediation may still wait.
          LANE_QUEUE_RETENTION_SECONDS: String(4 * 86_400),
        }),
      },
    });
    // No per-target wiring: queue and secret names follow the stack's convention.
    const variables = template.findResources('AWS::Lambda::Function')[fn]?.Properties.Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'AUDIT_TABLE',
      'LANE_QUEUE_RETENTION_SECONDS',
      'LANE_QUEUE_URL_PREFIX',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'STATE_TABLE',
    ]);
    // A failed invocation is not retried: the next schedule resumes the checkpoint.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn },
      MaximumRetryAttempts: 0,
    });
    // Both functions keep their logs a year.
    for (const f of [stack.reconciler.function, stack.reconciler.rosterUploadFunction]) {
      const logGroup =
        template.findResources('AWS::Lambda::Function')[logicalId(f)]?.Properties.LoggingConfig.LogGroup;
      const id = (logGroup as { Ref: string }).Ref;
      expect(template.findResources('AWS::Logs::LogGroup')[id]?.Properties.RetentionInDays).toBe(365);
    }
  });

  it('runs the roster upload with the state table only', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [roleId(built.stack.reconciler.rosterUploadFunction), 'Arn'] },
      // Answers within API Gateway's 29-second integration limit.
      Timeout: 28,
      Environment: {
        Variables: {
          STATE_TABLE: { Ref: logicalId(built.stack.auditStore.stateTable) },
          POWERTOOLS_SERVICE_NAME: 'scimitar-roster-upload',
          POWERTOOLS_METRICS_NAMESPACE: 'Scimitar',
        },
      },
    });
  });

  it("tells the reconciler the lanes' retention an operator gave the stack, which its lane queues keep", () => {
    const { stack, template } = plain;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [roleId(stack.reconciler.function), 'Arn'] },
      Environment: { Variables: Match.objectLike({ LANE_QUEUE_RETENTION_SECONDS: String(2 * 86_400) }) },
    });
    for (const lane of stack.lanes) {
      const queues = templateOf(lane).findResources('AWS::SQS::Queue');
      for (const queue of [lane.queue, lane.priorityQueue]) {
        expect(queues[logicalId(queue)]?.Properties.MessageRetentionPeriod).toBe(2 * 86_400);
      }
    }
  });

  it('runs on config.reconciliation.schedule, telling the function who asked, through a role that may invoke it only', () => {
    for (const b of [built, plain]) {
      const fn = logicalId(b.stack.reconciler.function);
      const scheduleRole = logicalId(b.stack.reconciler.node.findChild('ScheduleRole'));
      b.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: b.config.reconciliation.schedule,
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [scheduleRole, 'Arn'] },
          Input: JSON.stringify({ source: 'schedule' }),
          // Scheduler retries a delivery Lambda refused; what still fails goes to the dead letters.
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(b.stack.reconciler.deadLetterQueue), 'Arn'] } },
        }),
      });
      const statements = statementsOfRole(b.template, scheduleRole);
      expect(statements.flatMap(actionsOf)).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
      const [invoke, deadLetter] = statements;
      for (const resource of [invoke?.Resource].flat()) expect(mentions(resource, fn)).toBe(true);
      expect(deadLetter?.Resource).toEqual({
        'Fn::GetAtt': [logicalId(b.stack.reconciler.deadLetterQueue), 'Arn'],
      });
    }
    expect(plain.config.reconciliation.schedule).toBe('cron(0 3 * * ? *)');
  });

  it("lets the reconciler read this stack's target secrets and send to its lane queues, by name pattern, and nothing else of the kind", () => {
    const { stack, template } = built;
    const statements = statementsOfRole(template, roleId(stack.reconciler.function));
    const onSecrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(onSecrets).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: stackArn('secretsmanager', ':secret:Scimitar/targets/*'),
      },
    ]);
    const onQueues = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    // The lane queues by name pattern, and its own dead letters (the onFailure destination of its
    // invocations, main's failure destinations for schedules).
    expect(onQueues).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: stackArn('sqs', ':Scimitar_lane_*') },
      {
        Effect: 'Allow',
        Action: expect.arrayContaining(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']),
        Resource: { 'Fn::GetAtt': [logicalId(stack.reconciler.deadLetterQueue), 'Arn'] },
      },
    ]);
    expect(actionsOf(onQueues[1] as Statement)).toHaveLength(3);
    // Not the HRIS sources' signing keys, not the dead letters.
    expect(JSON.stringify(statements)).not.toContain('/sources/');
    expect(JSON.stringify(statements)).not.toContain('_dlq_');
    // It may invoke itself (a round's continuation) and nothing else; no workflow, no topic.
    const invokes = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    expect(invokes).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [logicalId(stack.reconciler.function), 'Arn'] },
      },
    ]);
    expect(statements.flatMap(actionsOf).some((a) => /^(states|sns|execute-api):/.test(a))).toBe(false);
  });

  it('lets exactly the workflow, the reconciler, the worker (handing a throttled message back) and the operator function (an approved revocation) send to the lane queues', () => {
    const { stack, template } = built;
    const senders = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        // Sends to a lane queue (by the `<stack>_lane_*` pattern); other queues (the worker's parking
        // in the dead-letter queues, the schedules' and the archive's failure destinations) aside.
        (p.Properties.PolicyDocument.Statement as Statement[]).some(
          (s) => actionsOf(s).includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes('_lane_'),
        ),
      )
      .flatMap((p) => (p.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref));
    expect(senders.sort()).toEqual(
      [
        logicalId(stack.workflow.stateMachine.role),
        roleId(stack.reconciler.function),
        roleId(stack.fleet.worker),
        roleId(stack.operator.function),
      ].sort(),
    );
  });

  it('gives the roster upload no secret, queue, audit log or invoke permission', () => {
    const statements = statementsOfRole(built.template, roleId(built.stack.reconciler.rosterUploadFunction));
    const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'kms', 'logs', 'xray']);
    expect(mentions(statements, logicalId(built.stack.auditStore.auditTable))).toBe(false);
  });

  it('alarms on the metrics the function publishes over Metrics Insights: one alarm per concern, one series per target', () => {
    const { stack, template } = built;
    // Powertools puts POWERTOOLS_SERVICE_NAME on every metric as the service dimension.
    expect(RECONCILE_SERVICE).toBe('scimitar-reconcile');
    const query = (metric: string) =>
      `SELECT MAX(${metric}) FROM SCHEMA(Scimitar, service, target) WHERE service = 'scimitar-reconcile' GROUP BY target`;
    for (const [alarm, metric] of [
      [stack.reconciler.incompleteAlarm, 'ReconcileIncomplete'],
      [stack.reconciler.privilegedFindingsAlarm, 'ReconcilePrivilegedFindings'],
    ] as const) {
      expect(
        template.findResources('AWS::CloudWatch::Alarm')[logicalId(alarm as Reconciler['errorsAlarm'])]
          ?.Properties,
      ).toMatchObject({
        Metrics: [{ Expression: query(metric), Period: 3600, ReturnData: true }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'ignore',
        AlarmActions: [{ Ref: logicalId(stack.alerting.alertTopic) }],
      });
    }
    // The handler publishes the privileged findings only for privileged targets: the alarm needs no target list.
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).not.toContain('"code"');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack.reconciler.function) } }],
      AlarmActions: [{ Ref: logicalId(stack.alerting.alertTopic) }],
    });
  });

  it('has no privileged findings alarm without a privileged SCIM target, but still alarms on incomplete passes', () => {
    expect(plain.stack.reconciler.privilegedFindingsAlarm).toBeUndefined();
    expect(JSON.stringify(plain.template.findResources('AWS::CloudWatch::Alarm'))).not.toContain(
      'ReconcilePrivilegedFindings',
    );
    plain.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('could not be reconciled completely'),
      AlarmActions: [{ Ref: logicalId(plain.stack.alerting.alertTopic) }],
    });
  });

  it('shows a Reconciliation row: orphans, drift and remediated per target, and the reconciler alarms', () => {
    const { stack, template } = built;
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain('## Reconciliation');
    for (const metric of ['ReconcileOrphans', 'ReconcileDrift', 'ReconcileRemediated']) {
      expect(body).toContain(
        `SELECT MAX(${metric}) FROM SCHEMA(Scimitar, service, target) WHERE service = 'scimitar-reconcile' GROUP BY target ORDER BY MAX() DESC LIMIT 20`,
      );
    }
    const alarms = [
      stack.reconciler.privilegedFindingsAlarm,
      stack.reconciler.incompleteAlarm,
      stack.reconciler.errorsAlarm,
    ];
    for (const alarm of alarms) expect(body).toContain(logicalId(alarm as Reconciler['errorsAlarm']));
  });

  it('names the reconciler and the state table in the outputs', () => {
    built.template.hasOutput('ReconcilerFunctionName', {
      Value: { Ref: logicalId(built.stack.reconciler.function) },
    });
    built.template.hasOutput('StateTableName', {
      Value: { Ref: logicalId(built.stack.auditStore.stateTable) },
    });
  });
});
