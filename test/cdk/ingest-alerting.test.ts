import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  allStatements,
  type Built,
  build,
  logicalId,
  roleId,
  statementsOfRole,
} from './fixture.ts';

describe('IngestApi: POST /events/{source}', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  it('routes POST /events/{source} to the ingest function through a Lambda proxy', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{source}' });
    built.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      RequestParameters: { 'method.request.path.source': true },
      RequestValidatorId: { Ref: Match.stringLikeRegexp('RequestValidator') },
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: Match.objectLike({
          'Fn::Join': Match.arrayWith([
            Match.arrayWith([{ 'Fn::GetAtt': [logicalId(built.stack.ingestApi.ingestFunction), 'Arn'] }]),
          ]),
        }),
      },
    });
    built.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestParameters: true,
      ValidateRequestBody: true,
    });
  });

  it('throttles the stage, logs access, and never logs request data', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(built.stack.ingestApi.accessLogGroup), 'Arn'] },
        Format: Match.stringLikeRegexp('requestId'),
      },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 20,
          ThrottlingBurstLimit: 40,
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
        }),
      ],
    });
  });

  it('lets the ingest function start executions of this state machine and no other', () => {
    const machine = logicalId(built.stack.workflow.stateMachine);
    const starts = allStatements(built.template).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:Start')),
    );
    expect(starts).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: machine } },
    ]);
    const ingest = statementsOfRole(built.template, roleId(built.stack.ingestApi.ingestFunction));
    expect(ingest).toContainEqual(starts[0]);
  });

  it('gives the ingest function the state machine, the audit table and the Powertools settings', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          STATE_MACHINE_ARN: { Ref: logicalId(built.stack.workflow.stateMachine) },
          AUDIT_TABLE: { Ref: logicalId(built.stack.auditStore.auditTable) },
          POWERTOOLS_SERVICE_NAME: 'scimitar-ingest',
          POWERTOOLS_METRICS_NAMESPACE: 'Scimitar',
        },
      },
    });
  });

  it('fails early on throttling that would not protect the endpoint', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { IngestApi } = await import('../../lib/ingest-api.ts');
    const stack = new Stack(new App(), 'Probe');
    const base = {
      config: built.config,
      workflow: built.stack.workflow,
      auditStore: built.stack.auditStore,
      vault: built.stack.vault,
    };
    expect(() => new IngestApi(stack, 'A', { ...base, throttlingRateLimit: 0 })).toThrow(
      /throttling must be positive/,
    );
    expect(
      () => new IngestApi(stack, 'B', { ...base, throttlingRateLimit: 50, throttlingBurstLimit: 10 }),
    ).toThrow(/throttlingBurstLimit 10 must be at least throttlingRateLimit 50/);
  });
});

describe('Alerting: topics, alarms and the dashboard', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  it('encrypts both topics with a customer-managed key and refuses plain HTTP', () => {
    const key = { 'Fn::GetAtt': [logicalId(built.stack.alerting.encryptionKey), 'Arn'] };
    for (const topic of [built.stack.alerting.alertTopic, built.stack.alerting.ownerTopic]) {
      built.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: key });
      built.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: logicalId(topic) }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
    }
    // Alarms can publish to an encrypted topic only if the key lets CloudWatch use it.
    built.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it("subscribes the config's alert email, and each manual target's owner to its own tasks", () => {
    built.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'security-alerts@example.com',
      TopicArn: { Ref: logicalId(built.stack.alerting.alertTopic) },
    });
    built.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'finance-systems@example.com',
      TopicArn: { Ref: logicalId(built.stack.alerting.ownerTopic) },
      FilterPolicy: { targetId: ['payroll'] },
    });
  });

  it('routes every alarm to the alert topic: dead letters, failed and timed-out executions, worker errors, ingest 5XX, credentials', () => {
    const alertTopic = { Ref: logicalId(built.stack.alerting.alertTopic) };
    const alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm'));
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([alertTopic]);
    const machine = { Ref: logicalId(built.stack.workflow.stateMachine) };
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: machine }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    for (const lane of built.stack.lanes) {
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(lane.worker) } }],
      });
    }
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
    });
    // The sample's three SCIM targets all rotate manually: no RotationFailed alarm.
    expect(built.stack.credentials.rotationFailedAlarm).toBeUndefined();
    for (const target of ['code', 'chat', 'wiki']) {
      for (const metric of ['CanaryFailed', 'CredentialAgeDays']) {
        built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'Scimitar',
          MetricName: metric,
          Dimensions: [
            { Name: 'service', Value: 'scimitar-canary' },
            { Name: 'target', Value: target },
          ],
        });
      }
    }
    // 3 dead-letter + 3 worker-error + failed + timed out + 5XX
    // + canary errors + canary missing + canary failed and credential age per (manual) SCIM target.
    expect(alarms).toHaveLength(3 + 3 + 3 + 2 + 3 + 3);
  });

  it('shows revocation latency and outcomes per target, execution outcomes and dead letters on the dashboard', () => {
    const dashboards = Object.values(built.template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    expect(body).toContain('ExecutionsSucceeded');
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    // Summarize publishes through Powertools' singleMetric(), which keeps the service dimension:
    // the dimension sets are exactly {service, target} and {service, target, status}.
    const searches = dashboardExpressions(dashboards[0]?.Properties.DashboardBody);
    expect(searches).toContain(
      `SEARCH('{Scimitar,service,target} MetricName="RevocationLatency" service="scimitar-summarize"', 'p90', 300)`,
    );
    expect(searches).toContain(
      `SEARCH('{Scimitar,service,target,status} MetricName="TargetOutcome" service="scimitar-summarize"', 'Sum', 300)`,
    );
  });

  it('shows the credentials: canary probes and credential age per target under the canary service, and every credential alarm', () => {
    const dashboards = Object.values(built.template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const target of ['code', 'chat', 'wiki']) {
      for (const metric of ['CanaryFailed', 'CredentialAgeDays']) {
        expect(body).toContain(
          `[\\"Scimitar\\",\\"${metric}\\",\\"service\\",\\"scimitar-canary\\",\\"target\\",\\"${target}\\"`,
        );
      }
    }
    const credentials = built.stack.credentials;
    const credentialAlarms = [
      credentials.canaryErrorsAlarm,
      credentials.canaryMissingAlarm,
      ...Object.values(credentials.canaryFailedAlarms),
      ...Object.values(credentials.credentialAgeAlarms),
    ];
    expect(credentialAlarms).toHaveLength(8);
    for (const alarm of credentialAlarms) expect(body).toContain(logicalId(alarm));
  });
});

/** The math and search expressions of a dashboard body (a Fn::Join; tokens inside strings become "?"). */
function dashboardExpressions(body: unknown): string[] {
  const join = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const text = join[1].map((part) => (typeof part === 'string' ? part : '?')).join(join[0]);
  const widgets = (JSON.parse(text) as { widgets: { properties: { metrics?: unknown[][] } }[] }).widgets;
  return widgets.flatMap((w) =>
    (w.properties.metrics ?? []).flatMap((row) =>
      row.flatMap((cell) =>
        cell && typeof cell === 'object' && 'expression' in cell ? [String(cell.expression)] : [],
      ),
    ),
  );
}
