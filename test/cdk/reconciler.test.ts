import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config.ts';
import { AuditStore } from '../../lib/audit-store.ts';
import { Reconciler, type ReconcilerProps } from '../../lib/reconciler.ts';

const config = parseConfig({
  sources: [{ id: 'generic', kind: 'generic' }],
  targets: [
    {
      id: 'code',
      kind: 'scim',
      displayName: 'Code',
      owner: 'a@example.com',
      tier: 'privileged',
      baseUrl: 'https://code.example.com/scim/v2',
    },
    {
      id: 'chat',
      kind: 'scim',
      displayName: 'Chat',
      owner: 'b@example.com',
      baseUrl: 'https://chat.example.com/scim/v2',
    },
    {
      id: 'payroll',
      kind: 'manual',
      displayName: 'Payroll',
      owner: 'c@example.com',
      coverage: {
        status: 'manual-runbook',
        compensatingControl: 'Owner disables it.',
        reviewCadenceDays: 90,
      },
    },
  ],
  reconciliation: { schedule: 'cron(0 3 * * ? *)' },
});

function build(overrides: (stack: Stack, props: ReconcilerProps) => Partial<ReconcilerProps> = () => ({})) {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const props: ReconcilerProps = {
    config,
    auditStore: new AuditStore(stack, 'AuditStore', { removalPolicy: RemovalPolicy.DESTROY }),
    targets: Object.fromEntries(
      ['code', 'chat'].map((id) => [
        id,
        {
          queue: new Queue(stack, `Queue-${id}`, {
            enforceSSL: true,
            deadLetterQueue: {
              queue: new Queue(stack, `Dlq-${id}`, { enforceSSL: true }),
              maxReceiveCount: 5,
            },
          }),
          secret: Secret.fromSecretNameV2(stack, `Secret-${id}`, `scimitar/targets/${id}`),
        },
      ]),
    ),
    alarmTopic: new Topic(stack, 'Alarms', { enforceSSL: true }),
  };
  const reconciler = new Reconciler(stack, 'Reconciler', { ...props, ...overrides(stack, props) });
  return { app, stack, reconciler };
}

describe('Reconciler construct', () => {
  let built: ReturnType<typeof build>;
  let template: Template;
  beforeAll(() => {
    built = build();
    template = Template.fromStack(built.stack);
  });

  it('runs the reconciler on Node.js 24, ARM, with its tables and compact per-target environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('reconciler'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 900,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          AUDIT_TABLE: { Ref: Match.stringLikeRegexp('^AuditStoreAuditTable') },
          STATE_TABLE: { Ref: Match.stringLikeRegexp('^AuditStoreStateTable') },
          POWERTOOLS_SERVICE_NAME: 'scimitar-reconcile',
          POWERTOOLS_METRICS_NAMESPACE: 'Scimitar',
          TARGET_QUEUES: Match.anyValue(),
          TARGET_SECRETS: Match.anyValue(),
          QUEUE_URL_PREFIX: Match.anyValue(),
          SECRET_ARN_PREFIX: Match.anyValue(),
        }),
      },
    });
  });

  it('inlines the config in the bundle, not in the environment', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions)) {
      expect(JSON.stringify(fn.Properties.Environment ?? {})).not.toContain('SCIMITAR_CONFIG');
    }
    const outdir = built.app.synth().directory;
    const bundles = readdirSync(outdir)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => readFileSync(join(outdir, d, 'index.mjs'), 'utf8'));
    expect(bundles.length).toBe(2);
    expect(bundles.some((b) => b.includes('https://code.example.com/scim/v2'))).toBe(true);
  });

  it('runs on the configured schedule, telling the function who asked', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Target: Match.objectLike({
        Input: JSON.stringify({ source: 'schedule' }),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
      }),
    });
  });

  it('grants least privilege: append to the audit log, read the secrets, send to the lanes, invoke itself', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const actions = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
    const audit = statements.filter((s) => JSON.stringify(s.Resource).includes('AuditStoreAuditTable'));
    expect(audit.flatMap(actions).sort()).toEqual(['dynamodb:PutItem']);
    expect(statements.flatMap(actions)).not.toContain('dynamodb:DeleteItem');
    expect(statements.flatMap(actions)).not.toContain('dynamodb:Scan');
    for (const id of ['code', 'chat']) {
      expect(
        statements.some(
          (s) =>
            actions(s).includes('secretsmanager:GetSecretValue') &&
            JSON.stringify(s.Resource).includes(`scimitar/targets/${id}`),
        ),
      ).toBe(true);
      expect(
        statements.some(
          (s) => actions(s).includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes(`Queue${id}`),
        ),
      ).toBe(true);
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReconcilerFunction'), 'Arn'] },
          },
        ],
      },
    });
  });

  it('alarms when a privileged target has an orphan or drift, and only privileged targets count', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'orphans + drift' }),
        Match.objectLike({
          Id: 'orphans',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'Scimitar',
              MetricName: 'ReconcileOrphans',
              Dimensions: Match.arrayWith([{ Name: 'target', Value: 'code' }]),
            },
          }),
        }),
      ]),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'ignore',
    });
    const findingAlarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      JSON.stringify(a).includes('orphans + drift'),
    );
    expect(findingAlarms).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmDescription: Match.stringLikeRegexp('privileged'),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
      AlarmRule: Match.anyValue(),
    });
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 2);
  });

  it('passes the AWS Solutions checks, each acknowledgement with a reason', () => {
    const { app } = build();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('refuses props that leave a SCIM target without its queue and secret, naming it', () => {
    expect(() => build((_stack, props) => ({ targets: { code: props.targets.code as never } }))).toThrow(
      /no queue and secret for SCIM target\(s\) chat/,
    );
    expect(() =>
      build((_stack, props) => ({ targets: { ...props.targets, payroll: props.targets.code as never } })),
    ).toThrow(/names payroll, which the config has no SCIM target for/);
  });
});
