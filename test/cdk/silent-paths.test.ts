import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { refusalCauses } from '../../lambdas/core/model/metrics.ts';
import {
  actionsOf,
  type Built,
  build,
  configWith,
  logicalId,
  roleId,
  statementsOfRole,
  THIS_ACCOUNTS_ALARMS,
} from './fixture.ts';

type Resource = { Properties: Record<string, unknown> };

function alarm(built: Built, id: string): Record<string, unknown> {
  const found = built.template.findResources('AWS::CloudWatch::Alarm')[id] as Resource | undefined;
  if (!found) throw new Error(`no alarm ${id}`);
  return found.Properties;
}

/** The logical id of an alarm of the Alerting construct, by construct id. */
function alerting(built: Built, id: string): string {
  return logicalId(built.stack.alerting.node.findChild(id));
}

describe('Alerting: no silent path (sample config)', () => {
  let built: Built;
  let topic: { Ref: string };
  beforeAll(() => {
    built = build();
    topic = { Ref: logicalId(built.stack.alerting.alertTopic) };
  });

  it('alarms on every refused delivery by cause: signature, schema, unknown source, payload', () => {
    const ingestEnv = (
      built.template.findResources('AWS::Lambda::Function')[
        logicalId(built.stack.ingestApi.ingestFunction)
      ] as Resource
    ).Properties.Environment as { Variables: Record<string, string> };
    // The dimension the handler's Powertools Metrics adds is this function's service name.
    expect(ingestEnv.Variables.POWERTOOLS_SERVICE_NAME).toBe('scimitar-ingest');
    const ids = refusalCauses.map((cause) => {
      const id = alerting(
        built,
        `IngestRefused${cause === 'unknown-source' ? 'UnknownSource' : cause[0]?.toUpperCase() + cause.slice(1)}`,
      );
      expect(alarm(built, id)).toMatchObject({
        Namespace: 'Scimitar',
        MetricName: 'DeliveryRefused',
        Dimensions: [
          { Name: 'cause', Value: cause },
          { Name: 'service', Value: 'scimitar-ingest' },
        ],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
        AlarmDescription: expect.stringContaining('docs/operations.md#ingest-refused'),
      });
      return id;
    });
    expect(new Set(ids).size).toBe(4);
  });

  it('alarms when no delivery is accepted for alerts.daysWithoutEvents days (7), missing data breaching', () => {
    expect(alarm(built, alerting(built, 'NoEventsAccepted'))).toMatchObject({
      Namespace: 'Scimitar',
      MetricName: 'DeliveryAccepted',
      Dimensions: [{ Name: 'service', Value: 'scimitar-ingest' }],
      Statistic: 'Sum',
      Period: 86_400,
      EvaluationPeriods: 7,
      DatapointsToAlarm: 7,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
    });
  });

  it('alarms when no roster upload succeeded within rosterMaxAgeHours (72), from POST /roster less its errors', () => {
    const props = alarm(built, alerting(built, 'RosterStale'));
    expect(props).toMatchObject({
      EvaluationPeriods: 72,
      DatapointsToAlarm: 72,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
    });
    const metrics = props.Metrics as Array<Record<string, unknown>>;
    expect(metrics.find((m) => m.ReturnData !== false)?.Expression).toBe(
      'FILL(requests, 0) - FILL(clientErrors, 0) - FILL(serverErrors, 0)',
    );
    const read = metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat as Record<string, unknown>);
    expect(read.map((m) => (m.Metric as { MetricName: string }).MetricName).sort()).toEqual([
      '4XXError',
      '5XXError',
      'Count',
    ]);
    for (const stat of read) {
      expect(stat).toMatchObject({
        Period: 3600,
        Stat: 'Sum',
        Metric: {
          Namespace: 'AWS/ApiGateway',
          Dimensions: expect.arrayContaining([
            { Name: 'ApiName', Value: 'Scimitar-ingest' },
            { Name: 'Method', Value: 'POST' },
            { Name: 'Resource', Value: '/roster' },
            { Name: 'Stage', Value: expect.anything() },
          ]),
        },
      });
    }
  });

  it("keys the API's metrics on a name of this stack's own, not the shared default 'Api'", () => {
    built.template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'Scimitar-ingest' });
    expect(alarm(built, alerting(built, 'IngestServerErrors'))).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'Scimitar-ingest' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
    });
  });

  it('alarms on aborted and throttled executions of the workflow', () => {
    const machine = { Ref: logicalId(built.stack.workflow.stateMachine) };
    for (const [id, metric] of [
      ['ExecutionsAborted', 'ExecutionsAborted'],
      ['ExecutionsThrottled', 'ExecutionThrottled'],
    ]) {
      expect(alarm(built, alerting(built, id as string))).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: machine }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
      });
    }
  });

  it('alarms on the throttles of every Lambda function in the stack', () => {
    const functions = Object.keys(built.template.findResources('AWS::Lambda::Function'));
    // One shared lane worker instead of one per SCIM target (main counted 9 with the sample's three
    // per-target workers), plus the operator function; the alarm below must still watch every one.
    expect(functions.length).toBe(9);
    const throttleAlarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      JSON.stringify(a.Properties.Metrics ?? []).includes('"Throttles"'),
    );
    expect(throttleAlarms).toHaveLength(1);
    const props = throttleAlarms[0]?.Properties as Record<string, unknown>;
    expect(props).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
    });
    const metrics = props.Metrics as Array<Record<string, unknown>>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('SUM(FILL(METRICS(), 0))');
    const watched = metrics
      .filter((m) => m.MetricStat)
      .map((m) => {
        const stat = m.MetricStat as { Stat: string; Metric: Record<string, unknown> };
        expect(stat).toMatchObject({
          Stat: 'Sum',
          Metric: { Namespace: 'AWS/Lambda', MetricName: 'Throttles' },
        });
        return (stat.Metric.Dimensions as Array<{ Value: { Ref: string } }>)[0]?.Value.Ref;
      });
    expect(watched.sort()).toEqual(functions.sort());
  });

  it('alarms when the reconciler did not run for two scheduled intervals (its invocations are the heartbeat)', () => {
    expect(alarm(built, alerting(built, 'ReconcilerMissing'))).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(built.stack.reconciler.function) } }],
      Statistic: 'Sum',
      Period: 86_400,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
    });
    // The canary has its own (CanaryMissing, lib/credentials.ts).
    expect(alarm(built, logicalId(built.stack.credentials.canaryMissingAlarm))).toMatchObject({
      MetricName: 'Invocations',
      TreatMissingData: 'breaching',
    });
  });

  it("alarms on each source signing key's age at keyAge.maxAgeDays - warnDaysBefore (365 - 30)", () => {
    for (const source of ['bamboohr', 'generic']) {
      expect(alarm(built, alerting(built, `SourceKeyAge-${source}`))).toMatchObject({
        Namespace: 'Scimitar',
        MetricName: 'SourceKeyAgeDays',
        Dimensions: [
          { Name: 'service', Value: 'scimitar-canary' },
          { Name: 'source', Value: source },
        ],
        Statistic: 'Maximum',
        Period: 3600,
        Threshold: 335,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
      });
    }
  });

  it("lets the canary describe the sources' secrets, and never read one", () => {
    const statements = statementsOfRole(built.template, roleId(built.stack.credentials.canaryFunction));
    for (const source of ['bamboohr', 'generic']) {
      const secret = { Ref: logicalId(built.stack.vault.sourceSecret(source)) };
      const onSecret = statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(secret));
      expect(onSecret.flatMap(actionsOf)).toEqual(['secretsmanager:DescribeSecret']);
    }
  });

  it('lets CloudWatch alarms of this account and region use the topic key, as SNS documents for encrypted topics', () => {
    built.template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'scimitar alert and owner topics',
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudWatchAlarmsToUseTheKey',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': THIS_ACCOUNTS_ALARMS,
              },
            },
          },
        ]),
      },
    });
    const source = readFileSync(new URL('../../lib/alerting.ts', import.meta.url), 'utf8');
    expect(source).toContain('https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html');
  });

  it('logs the workflow under /aws/vendedlogs/states/, named by the stack', () => {
    const logGroup = logicalId(built.stack.workflow.logGroup);
    built.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/Scimitar-Workflow',
    });
    built.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(built.stack.workflow.logGroup), 'Arn'] },
            },
          },
        ],
      },
    });
    expect(logGroup).toBeTruthy();
  });

  it('names in every alarm a runbook section that exists', () => {
    const alarms = [
      ...Object.values(built.template.findResources('AWS::CloudWatch::Alarm')),
      ...Object.values(built.template.findResources('AWS::CloudWatch::CompositeAlarm')),
    ];
    const anchorsOf = new Map<string, Set<string>>();
    const anchors = (doc: string) => {
      let found = anchorsOf.get(doc);
      if (!found) {
        const text = readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8');
        found = new Set(
          [...text.matchAll(/^#+ (.+)$/gm)].map((m) =>
            (m[1] as string)
              .toLowerCase()
              .replace(/[^a-z0-9 _-]/g, '')
              .replace(/ /g, '-'),
          ),
        );
        anchorsOf.set(doc, found);
      }
      return found;
    };
    let checked = 0;
    for (const a of alarms) {
      const description = JSON.stringify(a.Properties.AlarmDescription ?? '');
      const runbook = /Runbook: (docs\/[a-z-]+\.md)(?:#([a-z0-9-]+))?/.exec(description);
      expect(runbook, description).not.toBeNull();
      const [, doc, anchor] = runbook as RegExpExecArray;
      if (anchor) expect(anchors(doc as string).has(anchor), `${doc}#${anchor}`).toBe(true);
      checked++;
    }
    expect(checked).toBe(alarms.length);
  });
});

describe('Alerting: thresholds from the config', () => {
  let built: Built;
  beforeAll(() => {
    built = build(
      configWith(
        Array.from({ length: 12 }, (_, i) => ({ id: `app${i}` })),
        {
          sources: [{ id: 'hr', kind: 'generic', keyAge: { maxAgeDays: 90, warnDaysBefore: 10 } }],
          alerts: { refusedDeliveries: 5, daysWithoutEvents: 2 },
          reconciliation: { schedule: 'rate(6 hours)', rosterMaxAgeHours: 500 },
        },
      ),
    );
  });

  it('uses alerts.refusedDeliveries, alerts.daysWithoutEvents and each source keyAge', () => {
    expect(alarm(built, alerting(built, 'IngestRefusedSignature')).Threshold).toBe(5);
    expect(alarm(built, alerting(built, 'NoEventsAccepted'))).toMatchObject({
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
    });
    expect(alarm(built, alerting(built, 'SourceKeyAge-hr')).Threshold).toBe(80);
  });

  it('caps the stale-roster window at the 7 days CloudWatch evaluates', () => {
    expect(alarm(built, alerting(built, 'RosterStale'))).toMatchObject({
      EvaluationPeriods: 168,
      DatapointsToAlarm: 168,
    });
  });

  it("follows the reconciler's schedule: 6 hours apart, silent for 12", () => {
    expect(alarm(built, alerting(built, 'ReconcilerMissing'))).toMatchObject({
      Period: 43_200,
      EvaluationPeriods: 1,
    });
  });

  // The stack's function count no longer grows with the targets (one shared worker), so the split
  // is shown on a stack of eighteen plain functions watched by the same Alerting construct.
  it('splits the throttles of more than 10 functions over alarms of at most 10 metrics each', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { Template } = await import('aws-cdk-lib/assertions');
    const { Code, Function: LambdaFunction, Runtime } = await import('aws-cdk-lib/aws-lambda');
    const { Alerting } = await import('../../lib/alerting.ts');
    const stack = new Stack(new App(), 'Many');
    const alerts = new Alerting(stack, 'Alerting', { config: built.config });
    for (let i = 0; i < 18; i++) {
      new LambdaFunction(stack, `Fn${i}`, {
        runtime: Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => {};'),
      });
    }
    alerts.watchThrottles(stack);
    const template = Template.fromStack(stack);
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBe(18);
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const watched = ['LambdaThrottles', 'LambdaThrottles2'].map((id) =>
      (
        (alarms[logicalId(alerts.node.findChild(id))]?.Properties.Metrics ?? []) as Array<{
          MetricStat?: { Metric: { Dimensions: Array<{ Value: { Ref: string } }> } };
        }>
      )
        .filter((m) => m.MetricStat)
        .map((m) => m.MetricStat?.Metric.Dimensions[0]?.Value.Ref),
    );
    expect(watched.map((w) => w.length)).toEqual([10, 8]);
    expect(watched.flat().sort()).toEqual(functions.sort());
  });

  it('refuses thresholds out of range, naming the field', async () => {
    const { parseConfig } = await import('../../lambdas/core/model/config.ts');
    const base = configWith([{ id: 'app' }]);
    expect(() => parseConfig({ ...base, alerts: { daysWithoutEvents: 8 } })).toThrow(
      /alerts.*daysWithoutEvents/s,
    );
    expect(() => parseConfig({ ...base, alerts: { refusedDeliveries: 0 } })).toThrow(
      /alerts.*refusedDeliveries/s,
    );
  });
});
