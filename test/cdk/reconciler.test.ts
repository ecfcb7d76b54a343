// The Reconciler as the ScimitarStack composes it: its functions, schedule, grants against the
// stack's real secrets and queues, alarms and dashboard row. The stack-wide properties it must keep
// (audit log put-only, state table grants, cdk-nag) are in storage.test.ts and nag.test.ts.
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ScimitarConfig } from '../../lambdas/core/config.ts';
import { AuditStore } from '../../lib/audit-store.ts';
import { RECONCILE_SERVICE, Reconciler } from '../../lib/reconciler.ts';
import {
  actionsOf,
  type Built,
  build,
  configWith,
  logicalId,
  mentions,
  roleId,
  type Statement,
  statementsOfRole,
} from './fixture.ts';

describe('Reconciler in the ScimitarStack', () => {
  let built: Built;
  let plain: Built;
  beforeAll(() => {
    built = build();
    // No privileged target, and a schedule of its own.
    plain = build(
      configWith([{ id: 'docs' }, { id: 'crm' }], { reconciliation: { schedule: 'cron(0 3 * * ? *)' } }),
    );
  });

  const scimIds = (b: Built) => b.stack.lanes.map((l) => l.targetId);

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
          QUEUE_URL_PREFIX: Match.anyValue(),
          SECRET_ARN_PREFIX: Match.anyValue(),
        }),
      },
    });
    const variables = template.findResources('AWS::Lambda::Function')[fn]?.Properties.Environment.Variables;
    for (const lane of stack.lanes) {
      expect(mentions(variables.TARGET_QUEUES, logicalId(lane.queue)), lane.targetId).toBe(true);
      expect(
        mentions(variables.TARGET_SECRETS, logicalId(stack.vault.targetSecret(lane.targetId))),
        lane.targetId,
      ).toBe(true);
    }
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

  it('lets the reconciler read every target secret and send to every lane queue, and no other secret or queue', () => {
    const { stack, template } = built;
    const statements = statementsOfRole(template, roleId(stack.reconciler.function));
    const onSecrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(onSecrets.map((s) => s.Resource)).toEqual(
      scimIds(built).map((id) => ({ Ref: logicalId(stack.vault.targetSecret(id)) })),
    );
    for (const s of onSecrets) {
      expect(actionsOf(s).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    }
    const onQueues = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    // The lane queues, and its own dead letters (the onFailure destination of its invocations).
    expect(onQueues.map((s) => s.Resource)).toEqual(
      [...stack.lanes.map((lane) => lane.queue), stack.reconciler.deadLetterQueue].map((queue) => ({
        'Fn::GetAtt': [logicalId(queue), 'Arn'],
      })),
    );
    for (const s of onQueues) {
      expect(actionsOf(s).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    }
    // Not the HRIS sources' signing keys, not the dead letters.
    for (const source of built.config.sources) {
      expect(mentions(statements, logicalId(stack.vault.sourceSecret(source.id))), source.id).toBe(false);
    }
    for (const lane of stack.lanes) expect(mentions(statements, logicalId(lane.deadLetterQueue))).toBe(false);
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

  it('lets exactly the workflow and the reconciler send to the lane queues', () => {
    const { stack, template } = built;
    const senders = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties.PolicyDocument.Statement as Statement[]).some(
          (s) =>
            actionsOf(s).includes('sqs:SendMessage') &&
            stack.lanes.some((lane) => mentions(s.Resource, logicalId(lane.queue))),
        ),
      )
      .flatMap((p) => (p.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref));
    expect(senders.sort()).toEqual(
      [logicalId(stack.workflow.stateMachine.role), roleId(stack.reconciler.function)].sort(),
    );
  });

  it('gives the roster upload no secret, queue, audit log or invoke permission', () => {
    const statements = statementsOfRole(built.template, roleId(built.stack.reconciler.rosterUploadFunction));
    const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'kms', 'logs', 'xray']);
    expect(mentions(statements, logicalId(built.stack.auditStore.auditTable))).toBe(false);
  });

  it('alarms on the metrics the function publishes: namespace Scimitar, its service name, per target', () => {
    const { stack, template } = built;
    // Powertools puts POWERTOOLS_SERVICE_NAME on every metric as the service dimension.
    expect(RECONCILE_SERVICE).toBe('scimitar-reconcile');
    const dimensions = (target: string) => [
      { Name: 'service', Value: RECONCILE_SERVICE },
      { Name: 'target', Value: target },
    ];
    for (const target of scimIds(built)) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Scimitar',
        MetricName: 'ReconcileIncomplete',
        Dimensions: dimensions(target),
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'ignore',
      });
    }
    // Orphans and drift alarm only for the privileged target (code), summed.
    const findings = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      JSON.stringify(a).includes('FILL(orphans, 0) + FILL(drift, 0)'),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]?.Properties.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Expression: 'FILL(orphans, 0) + FILL(drift, 0)' }),
        ...(['ReconcileOrphans', 'ReconcileDrift'] as const).map((MetricName) =>
          expect.objectContaining({
            MetricStat: expect.objectContaining({
              Metric: { Namespace: 'Scimitar', MetricName, Dimensions: dimensions('code') },
            }),
          }),
        ),
      ]),
    );
    expect(stack.reconciler.privilegedFindingsAlarm).toBeDefined();
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
      'FILL(orphans, 0) + FILL(drift, 0)',
    );
    plain.template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 1);
    plain.template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmDescription: Match.stringLikeRegexp('could not be reconciled completely'),
      AlarmActions: [{ Ref: logicalId(plain.stack.alerting.alertTopic) }],
    });
  });

  it('shows a Reconciliation row: orphans, drift and remediated per target, and the reconciler alarms', () => {
    const { stack, template } = built;
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain('## Reconciliation');
    for (const target of scimIds(built)) {
      for (const metric of ['ReconcileOrphans', 'ReconcileDrift', 'ReconcileRemediated']) {
        expect(body).toContain(
          `[\\"Scimitar\\",\\"${metric}\\",\\"service\\",\\"scimitar-reconcile\\",\\"target\\",\\"${target}\\"`,
        );
      }
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

describe('Reconciler: props', () => {
  const config = parseConfig(configWith([{ id: 'code' }, { id: 'chat' }]));
  function reconciler(cfg: ScimitarConfig, targetIds: readonly string[]): Reconciler {
    const stack = new Stack(new App(), 'Probe');
    const targets = Object.fromEntries(
      targetIds.map((id) => [
        id,
        { queue: new Queue(stack, `Queue-${id}`), secret: new Secret(stack, `Secret-${id}`) },
      ]),
    );
    return new Reconciler(stack, 'Reconciler', {
      config: cfg,
      auditStore: new AuditStore(stack, 'AuditStore', { removalPolicy: RemovalPolicy.DESTROY }),
      targets,
      alarmTopic: new Topic(stack, 'Alarms'),
    });
  }

  it('refuses props that leave a SCIM target without its queue and secret, naming it', () => {
    expect(() => reconciler(config, ['code'])).toThrow(/no queue and secret for SCIM target\(s\) chat/);
  });

  it('refuses props naming a target the config has no SCIM target for', () => {
    expect(() => reconciler(config, ['code', 'chat', 'payroll'])).toThrow(
      /names payroll, which the config has no SCIM target for/,
    );
  });

  it('refuses more SCIM targets than 4 KB of environment can name', () => {
    const ids = Array.from({ length: 25 }, (_, i) => `application-number-${String(i).padStart(2, '0')}`);
    const many = parseConfig(configWith(ids.map((id) => ({ id }))));
    expect(() => reconciler(many, ids)).toThrow(/25 SCIM targets need about \d+ bytes of environment/);
  });
});
