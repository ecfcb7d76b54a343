import { Match } from 'aws-cdk-lib/assertions';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { LANE_BACKLOG_ALARM } from '../../lib/alerting.ts';
import { laneShardOf } from '../../lib/target-lane.ts';
import {
  actionsOf,
  alarmWhereOutsideGrammar,
  allStatements,
  type Built,
  build,
  configWith,
  logicalId,
  roleId,
  statementsOfRole,
  THIS_ACCOUNTS_ALARMS,
  templateOf,
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

  it('serves POST /roster with AWS_IAM authorization through the roster upload function', () => {
    const roster = logicalId(built.stack.reconciler.rosterUploadFunction);
    const resources = built.template.findResources('AWS::ApiGateway::Resource', {
      Properties: { PathPart: 'roster' },
    });
    const [resourceId] = Object.keys(resources);
    expect(resources[resourceId as string]?.Properties.ParentId).toEqual({
      'Fn::GetAtt': [logicalId(built.stack.ingestApi.api), 'RootResourceId'],
    });
    const methods = Object.values(built.template.findResources('AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.ResourceId?.Ref === resourceId,
    );
    expect(methods).toHaveLength(1);
    expect(methods[0]?.Properties).toMatchObject({
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    expect(JSON.stringify(methods[0]?.Properties.Integration.Uri)).toContain(`"${roster}"`);
    // Every other method is the HMAC-signed webhook; nothing else is open.
    const open = Object.values(built.template.findResources('AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.AuthorizationType === 'NONE',
    );
    expect(open.map((m) => m.Properties.ResourceId)).toEqual([
      {
        Ref: logicalId(
          built.stack.ingestApi.api.root.getResource('events')?.getResource('{source}') as never,
        ),
      },
    ]);
    built.template.hasOutput('RosterUrl', { Value: Match.anyValue() });
    built.template.hasOutput('RosterUploadInvokeArn', {
      Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/POST/roster$')])] },
    });
  });

  it('grants execute-api:Invoke on POST /roster of this stage, and only with a roster route', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { Role, AccountPrincipal } = await import('aws-cdk-lib/aws-iam');
    const { Template } = await import('aws-cdk-lib/assertions');
    const { IngestApi } = await import('../../lib/ingest-api.ts');
    const { ScimitarStack } = await import('../../lib/scimitar-stack.ts');
    // A stack of its own: the shared one is already synthesized.
    const own = new ScimitarStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Own', {
      config: built.config,
    });
    const exporter = new Role(own, 'HrisExport', { assumedBy: new AccountPrincipal('111111111111') });
    own.ingestApi.grantUploadRoster(exporter);
    const statements = statementsOfRole(Template.fromStack(own), logicalId(exporter));
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toBe('execute-api:Invoke');
    expect(statements[0]?.Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':execute-api:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':',
          { Ref: logicalId(own.ingestApi.api) },
          '/',
          { Ref: logicalId(own.ingestApi.api.deploymentStage) },
          '/POST/roster',
        ],
      ],
    });

    const stack = new Stack(new App(), 'Probe');
    const bare = new IngestApi(stack, 'Bare', {
      config: built.config,
      workflow: built.stack.workflow,
      auditStore: built.stack.auditStore,
      vault: built.stack.vault,
      schedules: built.stack.schedules,
      ownerTopic: built.stack.alerting.ownerTopic,
    });
    expect(bare.rosterMethod).toBeUndefined();
    expect(() => bare.grantUploadRoster(exporter)).toThrow(/no \/roster route; pass rosterUpload/);
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

  it('lets the ingest function (and the termination scheduler, and the operator function) start executions of this state machine and no other', () => {
    const machine = logicalId(built.stack.workflow.stateMachine);
    const starts = allStatements(built.template).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:Start')),
    );
    const own = { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: machine } };
    // Three roles hold it: the ingest function's (terminations effective now), the scheduler's
    // (later ones) and the operator function's (revoke-now, retry).
    expect(starts).toEqual([own, own, own]);
    const ingest = statementsOfRole(built.template, roleId(built.stack.ingestApi.ingestFunction));
    expect(ingest).toContainEqual(own);
    const scheduler = statementsOfRole(built.template, logicalId(built.stack.schedules.schedulerRole));
    expect(scheduler.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')))).toEqual([own]);
    const operator = statementsOfRole(built.template, roleId(built.stack.operator.function));
    expect(operator).toContainEqual(own);
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
      schedules: built.stack.schedules,
      ownerTopic: built.stack.alerting.ownerTopic,
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
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    // Alarms can publish to an encrypted topic only if the key lets CloudWatch use it.
    built.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it("lets this account's CloudWatch alarms publish to the alert topic: its own policy replaces SNS's default", () => {
    const topic = logicalId(built.stack.alerting.alertTopic);
    const policies = Object.values(built.template.findResources('AWS::SNS::TopicPolicy')).filter((p) =>
      JSON.stringify(p.Properties.Topics).includes(`"${topic}"`),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    expect(statements).toHaveLength(2);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual({
      Sid: 'AllowCloudWatchAlarmsToPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: topic },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: {
          'aws:SourceArn': THIS_ACCOUNTS_ALARMS,
        },
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

  it("uses only AWS's Metrics Insights WHERE grammar (=, !=, AND) in every alarm, root and lane shards", () => {
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html
    // ("WHERE", "Supported operators"): CloudWatch refuses any other operator when the alarm is created.
    const templates = [built.template, ...[...built.stack.fleet.shards.values()].map((s) => templateOf(s))];
    expect(templates.length).toBeGreaterThan(1);
    const expressions = templates.flatMap((t) => JSON.stringify(t.toJSON()).match(/SELECT [^"]+/g) ?? []);
    expect(expressions.some((e) => e.includes(' WHERE '))).toBe(true);
    for (const t of templates) expect(alarmWhereOutsideGrammar(t.toJSON())).toEqual([]);
    // The check itself: LIKE (the operator issue 13 removed) is refused, = and AND are not.
    const alarm = (Expression: string) => ({
      Resources: { A: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ Expression }] } } },
    });
    const select = 'SELECT MAX(x) FROM SCHEMA("AWS/SQS", QueueName)';
    expect(
      alarmWhereOutsideGrammar(alarm(`${select} WHERE QueueName LIKE 'S_dlq_%' GROUP BY QueueName`)),
    ).toHaveLength(1);
    expect(alarmWhereOutsideGrammar(alarm(`${select} WHERE a = 'x' OR b = 'y'`))).toHaveLength(1);
    expect(alarmWhereOutsideGrammar(alarm(`${select} WHERE a = 'x' AND b != 'y' GROUP BY a`))).toEqual([]);
  });

  it('routes every alarm to the alert topic: dead letters, failed and timed-out executions, worker errors, ingest 5XX, credentials, reconciliation', () => {
    const alertTopic = { Ref: logicalId(built.stack.alerting.alertTopic) };
    const alarmsById = built.template.findResources('AWS::CloudWatch::Alarm');
    const alarms = Object.values(alarmsById);
    // Every alarm notifies the alert topic itself: a per-target concern is one Metrics Insights
    // alarm whose contributors name the targets, not a composite over per-target alarms.
    built.template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    for (const [id, alarm] of Object.entries(alarmsById)) {
      expect(alarm.Properties.AlarmActions, id).toEqual([alertTopic]);
    }
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
    // One alarm on the shared worker's errors, one on every lane's dead letters (Metrics Insights).
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(built.stack.fleet.worker) } }],
      AlarmActions: [alertTopic],
    });
    // Per lane, in its shard: an alarm on its dead letters and one on its queue's oldest message,
    // each on the queue's own name, notifying the root's alert topic (a nested stack parameter).
    for (const lane of built.stack.fleet.lanes) {
      const shard = built.stack.fleet.shards.get(laneShardOf(lane.targetId));
      if (!shard) throw new Error(`no shard for ${lane.targetId}`);
      const nested = templateOf(lane).toJSON() as {
        Parameters?: Record<string, unknown>;
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      const laneAlarms = Object.values(nested.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      const alarmOn = (metric: string) =>
        laneAlarms.find(
          (a) =>
            a.Properties.MetricName === metric &&
            JSON.stringify(a.Properties.Dimensions).includes(
              metric === 'ApproximateAgeOfOldestMessage' ? lane.queueName : lane.deadLetterQueueName,
            ),
        )?.Properties;
      const deadLetters = alarmOn('ApproximateNumberOfMessagesVisible');
      expect(deadLetters, lane.targetId).toMatchObject({
        AlarmName: `Scimitar-DeadLetters-${lane.targetId}`,
        AlarmDescription: expect.stringContaining(`target ${lane.targetId}`),
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: `Scimitar_dlq_${lane.targetId}` }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(deadLetters?.AlarmDescription).toContain('docs/operations.md#dead-letter-queue');
      const backlog = alarmOn('ApproximateAgeOfOldestMessage');
      expect(backlog, lane.targetId).toMatchObject({
        AlarmName: `Scimitar-LaneBacklog-${lane.targetId}`,
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: `Scimitar_lane_${lane.targetId}` }],
        Statistic: 'Maximum',
        Period: 300,
        Threshold: LANE_BACKLOG_ALARM.toSeconds(),
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(backlog?.AlarmDescription).toContain('docs/operations.md#lane-backlog');
      // The action is the root's alert topic, handed to the shard as a parameter.
      const shardResource = built.template.findResources('AWS::CloudFormation::Stack')[logicalId(shard)];
      for (const alarm of [deadLetters, backlog]) {
        const actions = alarm?.AlarmActions as { Ref: string }[];
        expect(actions).toHaveLength(1);
        const parameter = actions[0]?.Ref ?? '';
        expect(Object.keys(nested.Parameters ?? {})).toContain(parameter);
        expect(shardResource?.Properties.Parameters[parameter]).toEqual(alertTopic);
      }
    }
    // None in the root: its alarms are per concern, not per lane.
    expect(JSON.stringify(alarms)).not.toMatch(/Scimitar_(dlq|lane)_/);
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
    });
    // The sample's three SCIM targets all rotate manually: no RotationFailed alarm.
    expect(built.stack.credentials.rotationFailedAlarm).toBeUndefined();
    const insights = (alarm: IAlarm | undefined) =>
      alarmsById[logicalId(alarm as IAlarm)]?.Properties.Metrics?.[0]?.Expression as string;
    const credentials = built.stack.credentials;
    expect(insights(credentials.canaryFailedAlarm)).toContain('SELECT MAX(CanaryFailed)');
    expect(insights(credentials.credentialAgeAlarm)).toContain('SELECT MAX(CredentialRenewalDue)');
    // The reconciler's: errors, findings of privileged targets, incomplete passes.
    const reconciler = built.stack.reconciler;
    expect(alarmsById[logicalId(reconciler.errorsAlarm)]?.Properties.AlarmActions).toEqual([alertTopic]);
    expect(insights(reconciler.privilegedFindingsAlarm)).toContain('SELECT MAX(ReconcilePrivilegedFindings)');
    expect(insights(reconciler.incompleteAlarm)).toContain('SELECT MAX(ReconcileIncomplete)');
    // In the root: worker errors + failed + timed out + 5XX + canary errors + canary missing
    // + canary failed + credential age + reconciler errors + privileged findings + incomplete
    // + aborted + throttled executions + refused deliveries per cause (4) + no events + stale roster
    // + Lambda throttles (one alarm per 10 functions; one shared worker, so the function count
    // does not grow with the targets) + signing key age per source (2) + reconciler missing
    // + the canary's and the reconciler's dead letters + the audit archive's failed records, lag
    // and changed entries (test/cdk/audit-archive.test.ts) + the termination schedules' dead letters
    // (test/cdk/termination-schedules.test.ts) + owner tasks overdue (test/cdk/owner-tasks.test.ts):
    // the same count whatever the number of targets (the lanes' three alarms each live in their
    // shards, asserted above).
    expect(alarms).toHaveLength(11 + 2 + 4 + 2 + 1 + 2 + 1 + 2 + 3 + 1 + 1);
    expect(alarmsById[logicalId(built.stack.ownerTasks.alarm)]?.Properties.AlarmActions).toEqual([
      alertTopic,
    ]);
    const many = build(
      configWith(Array.from({ length: 30 }, (_, i) => ({ id: `app-${i}`, tier: 'privileged' }))),
    );
    // Thirty targets, the same alarms, less one: configWith has one HRIS source where the sample has
    // two, and the signing key age alarm is per source.
    expect(Object.keys(many.template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(
      alarms.length - 1,
    );
  }, 180_000);

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

  it('shows the credentials: canary probes and renewals due per target under the canary service, and every credential alarm', () => {
    const dashboards = Object.values(built.template.findResources('AWS::CloudWatch::Dashboard'));
    const expressions = dashboardExpressions(dashboards[0]?.Properties.DashboardBody);
    for (const metric of ['CanaryFailed', 'CredentialRenewalDue']) {
      expect(expressions).toContain(
        `SELECT MAX(${metric}) FROM SCHEMA(Scimitar, service, target) WHERE service = 'scimitar-canary' GROUP BY target`,
      );
    }
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    const credentials = built.stack.credentials;
    const credentialAlarms = [
      credentials.canaryErrorsAlarm,
      credentials.canaryMissingAlarm,
      credentials.canaryFailedAlarm,
      credentials.credentialAgeAlarm,
    ];
    for (const alarm of credentialAlarms) expect(body).toContain(logicalId(alarm as IAlarm));
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
