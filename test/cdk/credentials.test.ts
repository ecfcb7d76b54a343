// CredentialRotation in a small stack: every target secret is rotated or watched for age, the
// canary runs on its schedule, alarms reach the topic, and each function may do only its job.
// Then the same config in the full ScimitarStack, where the secrets live in the lane shards.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  parseConfig,
  type ScimitarConfig,
  type ScimitarConfigInput,
  type ScimTargetConfig,
} from '../../lambdas/core/model/config.ts';
import {
  CANARY_SERVICE,
  CredentialRotation,
  type CredentialRotationProps,
  ROTATION_SERVICE,
} from '../../lib/credentials.ts';
import { TokenVault } from '../../lib/token-vault.ts';
import * as full from './fixture.ts';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

const scim = (id: string, extra: Record<string, unknown>) => ({
  id,
  kind: 'scim',
  displayName: id,
  owner: 'owner@example.com',
  baseUrl: `https://${id}.example/scim/v2`,
  ...extra,
});

const input = {
  sources: [{ id: 'hr', kind: 'generic' }],
  targets: [
    scim('code', { rotation: { strategy: 'api', endpoint: 'https://code.example/tokens', everyDays: 30 } }),
    scim('crm', {
      auth: { type: 'oauth2-client-credentials', tokenUrl: 'https://crm.example/oauth/token', clientId: 'c' },
      rotation: { strategy: 'oauth2', everyDays: 7 },
    }),
    scim('legacy', { rotation: { strategy: 'manual', maxAgeDays: 60, warnDaysBefore: 10 } }),
    scim('wiki', {}),
    {
      id: 'payroll',
      kind: 'manual',
      displayName: 'Payroll',
      owner: 'owner@example.com',
      coverage: { status: 'manual-runbook', compensatingControl: 'by hand', reviewCadenceDays: 30 },
    },
  ],
  canary: { schedule: 'rate(30 minutes)' },
} as ScimitarConfigInput;
const config = parseConfig(input);

function build(cfg: ScimitarConfig, override: Partial<CredentialRotationProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vault = new TokenVault(stack, 'Vault', { config: cfg });
  for (const target of cfg.targets) {
    if (target.kind === 'scim') vault.addTargetSecret(stack, target as ScimTargetConfig);
  }
  const targetSecrets = vault.targetSecrets();
  const table = new Table(stack, 'State', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
  });
  const topic = new Topic(stack, 'Alarms');
  const credentials = new CredentialRotation(stack, 'Credentials', {
    config: cfg,
    vault,
    stateTable: table,
    alarmTopic: topic,
    ...override,
  });
  return { stack, credentials, targetSecrets, template: () => Template.fromStack(stack) };
}

let built: ReturnType<typeof build>;
let template: Template;
beforeAll(() => {
  built = build(config);
  template = built.template();
}, 120_000);

const logicalId = (construct: { node: { defaultChild?: unknown } } | ISecret) =>
  built.stack.getLogicalId((construct as Secret).node.defaultChild as never);

/** Every statement of the inline policies attached to a role. */
function statementsOf(roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleLogicalId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** Active tracing (ScimitarFunction): the only X-Ray actions, which AWS authorizes on Resource "*" alone. */
const XRAY_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const roleOf = (fn: { role?: { node: { defaultChild?: unknown } } }) =>
  built.stack.getLogicalId(fn.role?.node.defaultChild as never);

/** An alarm's Metrics: one Metrics Insights query over a canary metric, a series per target, each canary interval. */
const canaryQueryMetrics = (metric: string) => [
  {
    Expression: `SELECT MAX(${metric}) FROM SCHEMA(Scimitar, service, target) WHERE service = '${CANARY_SERVICE}' GROUP BY target`,
    Id: Match.anyValue(),
    Period: 1800,
    ReturnData: true,
  },
];

describe('CredentialRotation: every target secret is rotated or watched', () => {
  it('schedules rotation of api and oauth2 targets with their interval, through the rotation function', () => {
    const fn = built.stack.getLogicalId(built.credentials.rotationFunction?.node.defaultChild as never);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    for (const [id, days] of [
      ['code', 30],
      ['crm', 7],
    ] as const) {
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        SecretId: { Ref: logicalId(built.targetSecrets[id] as ISecret) },
        RotationLambdaARN: { 'Fn::GetAtt': [fn, 'Arn'] },
        RotationRules: { ScheduleExpression: `rate(${days} days)` },
      });
    }
  });

  it('alarms when any manual target reaches its own maxAgeDays - warnDaysBefore: one Metrics Insights alarm on the flag the canary publishes per target', () => {
    // The canary computes each target's threshold (credential-age.ts) and publishes CredentialRenewalDue.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: canaryQueryMetrics('CredentialRenewalDue'),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Alarms') }],
    });
    expect(built.credentials.agedTargetIds).toEqual(['legacy', 'wiki']);
  });

  it('leaves no SCIM target secret without a rotation schedule or an age check, never both', () => {
    const rotated = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')).map(
      (r) => r.Properties.SecretId.Ref as string,
    );
    const aged = built.credentials.agedTargetIds;
    for (const [id, secret] of Object.entries(built.targetSecrets)) {
      const covered = [rotated.includes(logicalId(secret)), aged.includes(id)];
      expect(covered.filter(Boolean), `target ${id}`).toHaveLength(1);
    }
    expect(rotated.length + aged.length).toBe(Object.keys(built.targetSecrets).length);
  });

  it('tags rotated secrets with their target, and no other', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'Scimitar/targets/code',
      Tags: [{ Key: 'scimitar:target', Value: 'code' }],
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'Scimitar/targets/legacy',
      Tags: Match.absent(),
    });
  });
});

describe('CredentialRotation: canary', () => {
  it('invokes the canary on the configured schedule', () => {
    const fn = built.stack.getLogicalId(built.credentials.canaryFunction.node.defaultChild as never);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(30 minutes)',
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, Input: '{}' }),
    });
  });

  it('alarms on a failed probe of any SCIM target (one Metrics Insights alarm, a series per target), and when the canary fails or stops running', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: canaryQueryMetrics('CanaryFailed'),
      Threshold: 1,
      AlarmActions: Match.anyValue(),
    });
    expect(built.credentials.probedTargetIds).toEqual(['code', 'crm', 'legacy', 'wiki']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Invocations',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      Period: 3600,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('CanaryFunction') } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('RotationFunction') } }],
      AlarmActions: Match.anyValue(),
    });
  });

  it('every alarm notifies the topic', () => {
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(JSON.stringify(alarm.Properties.AlarmActions)).toMatch(/Alarms/);
    }
  });
});

describe('CredentialRotation: functions and least privilege', () => {
  it('runs Node 24 on arm64 with the state table named in the canary environment', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs24.x', Architectures: ['arm64'] },
      2,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STATE_TABLE: { Ref: Match.stringLikeRegexp('State') } }) },
    });
  });

  it("publishes under the service its alarms name: Powertools' service dimension is the function's POWERTOOLS_SERVICE_NAME", () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const serviceOf = (fn: unknown) =>
      functions[built.stack.getLogicalId((fn as Secret).node.defaultChild as never)]?.Properties.Environment
        .Variables.POWERTOOLS_SERVICE_NAME;
    expect(serviceOf(built.credentials.canaryFunction)).toBe(CANARY_SERVICE);
    expect(serviceOf(built.credentials.rotationFunction)).toBe(ROTATION_SERVICE);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } }, 2);
  });

  it('lets the rotation function change only the secrets it rotates: the tagged ones', () => {
    const statements = statementsOf(roleOf(built.credentials.rotationFunction as never));
    const secretStatements = statements.filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0]?.Condition).toEqual({
      Null: { 'secretsmanager:ResourceTag/scimitar:target': 'false' },
    });
    expect(JSON.stringify(secretStatements[0]?.Resource)).toContain(':secret:Scimitar/targets/*');
    const wildcard = statements.filter((s) => s.Resource === '*').map((s) => actionsOf(s).sort());
    expect(wildcard).toEqual([XRAY_ACTIONS]);
    for (const s of statements) {
      expect(actionsOf(s).some((a) => a.startsWith('dynamodb:'))).toBe(false);
    }
    expect(new Set(secretStatements.flatMap(actionsOf))).toEqual(
      new Set([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ]),
    );
    // Only the secrets carry the tag that rotate.
    const tagged = Object.values(template.findResources('AWS::SecretsManager::Secret'))
      .filter((r) => r.Properties.Tags)
      .map((r) => r.Properties.Name)
      .sort();
    expect(tagged).toEqual(['Scimitar/targets/code', 'Scimitar/targets/crm']);
  });

  it('lets the canary read every target secret, write only its items, and change no secret', () => {
    const statements = statementsOf(roleOf(built.credentials.canaryFunction as never));
    const actions = statements.flatMap(actionsOf);
    expect(actions).not.toContain('secretsmanager:PutSecretValue');
    expect(actions).not.toContain('secretsmanager:UpdateSecretVersionStage');
    const reads = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(reads).toHaveLength(1);
    expect(JSON.stringify(reads[0]?.Resource)).toContain(':secret:Scimitar/targets/*');
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect(dynamo[0]?.Action).toBe('dynamodb:UpdateItem');
    expect(dynamo[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TARGET#*'] },
    });
    expect(JSON.stringify(dynamo[0]?.Resource)).toMatch(/"Fn::GetAtt":\["State[0-9A-F]+","Arn"\]/);
    const wildcard = statements.filter((s) => s.Resource === '*').map((s) => actionsOf(s).sort());
    expect(wildcard).toEqual([XRAY_ACTIONS]);
  });
});

describe('CredentialRotation: cdk-nag', () => {
  it('has no unacknowledged AWS Solutions finding inside the construct', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);
    const mine = report.violations.flatMap((v) =>
      v.violatingResources
        .filter((r) => r.constructPath?.includes('/Credentials/'))
        .map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description.slice(0, 120)}`),
    );
    expect(mine).toEqual([]);
    // Not vacuous: the same checks do report the test's own unencrypted topic outside the construct.
    expect(report.violations.some((v) => v.ruleName.startsWith('AwsSolutions-SNS'))).toBe(true);
  });
});

describe('CredentialRotation: props', () => {
  it('refuses a SCIM target without a secret, naming the target and the fix', () => {
    expect(() => {
      const app = new App();
      const stack = new Stack(app, 'T');
      new CredentialRotation(stack, 'C', {
        config,
        vault: new TokenVault(stack, 'V', { config }),
        stateTable: new Table(stack, 'S', { partitionKey: { name: 'pk', type: AttributeType.STRING } }),
        alarmTopic: new Topic(stack, 'A'),
      });
    }).toThrow(/the vault has no secret for SCIM target "code"; create it with vault.addTargetSecret/);
  });

  it("refuses rotation strategy 'api' on an OAuth2 target", () => {
    const bad = parseConfig({
      sources: [{ id: 'hr', kind: 'generic' }],
      targets: [
        scim('crm', {
          auth: { type: 'oauth2-client-credentials', tokenUrl: 'https://crm.example/t', clientId: 'c' },
          rotation: { strategy: 'api', endpoint: 'https://crm.example/mint' },
        }),
      ],
    });
    expect(() => build(bad)).toThrow(/target "crm" field "rotation.strategy": 'api' mints bearer tokens/);
  });

  it('creates no rotation function when every target rotates manually', () => {
    const manualOnly = parseConfig({
      sources: [{ id: 'hr', kind: 'generic' }],
      targets: [scim('wiki', {})],
    });
    const { credentials, template: t } = build(manualOnly);
    expect(credentials.rotationFunction).toBeUndefined();
    expect(credentials.rotationFailedAlarm).toBeUndefined();
    t().resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    t().resourceCountIs('AWS::Lambda::Function', 1);
  }, 120_000);
});

describe('CredentialRotation in the ScimitarStack', () => {
  let stack: full.Built;
  beforeAll(() => {
    stack = full.build(input);
  });
  const _secretIds = () =>
    Object.fromEntries(
      ['code', 'crm', 'legacy', 'wiki'].map((id) => [id, full.logicalId(stack.stack.vault.targetSecret(id))]),
    );

  it("gives every rotating target secret one rotation schedule in its shard, through the root stack's rotation function", () => {
    for (const [id, rotates] of [
      ['code', true],
      ['crm', true],
      ['legacy', false],
      ['wiki', false],
    ] as const) {
      const secret = stack.stack.vault.targetSecret(id);
      const schedules = Object.values(
        full.templateOf(secret).findResources('AWS::SecretsManager::RotationSchedule'),
      ).filter((s) => s.Properties.SecretId.Ref === full.logicalId(secret));
      expect(schedules.length, id).toBe(rotates ? 1 : 0);
      for (const schedule of schedules) {
        expect(JSON.stringify(schedule.Properties.RotationLambdaARN)).toMatch(
          /"Ref":"\w*RotationFunction\w*"/,
        );
      }
    }
    stack.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    expect(stack.stack.credentials.agedTargetIds).toEqual(['legacy', 'wiki']);
  });

  it('invokes the canary on its schedule through a role that may invoke the canary only', () => {
    const canary = full.logicalId(stack.stack.credentials.canaryFunction);
    const scheduleRole = full.logicalId(stack.stack.credentials.node.findChild('CanaryScheduleRole'));
    stack.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(30 minutes)',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [canary, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [scheduleRole, 'Arn'] },
      }),
    });
    const statements = full.statementsOfRole(stack.template, scheduleRole);
    expect(statements.flatMap(full.actionsOf)).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
    const [invoke, deadLetter] = statements;
    for (const resource of [invoke?.Resource].flat()) expect(full.mentions(resource, canary)).toBe(true);
    expect(deadLetter?.Resource).toEqual({
      'Fn::GetAtt': [full.logicalId(stack.stack.credentials.canaryDeadLetterQueue), 'Arn'],
    });
    // No stack-level scheduler role besides it.
    expect(
      Object.keys(stack.template.findResources('AWS::IAM::Role')).filter((id) =>
        id.startsWith('SchedulerRole'),
      ),
    ).toEqual([]);
  });

  it("lets the rotation role touch only the rotating targets' secrets: this stack's, tagged", () => {
    const rotationFn = stack.stack.credentials.rotationFunction;
    if (!rotationFn) throw new Error('expected a rotation function');
    const statements = full.statementsOfRole(stack.template, full.roleId(rotationFn));
    const onSecrets = statements.filter((s) =>
      full.actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(onSecrets).toHaveLength(1);
    expect(onSecrets[0]?.Condition).toEqual({
      Null: { 'secretsmanager:ResourceTag/scimitar:target': 'false' },
    });
    expect(JSON.stringify(onSecrets[0]?.Resource)).toContain(':secret:Scimitar/targets/*');
    // Nothing else of the stack: no source secret, no queue, and of the state table only the
    // targets' rate budgets (its test of a pending credential takes it).
    expect(JSON.stringify(statements)).not.toContain('/sources/');
    expect(statements.flatMap(full.actionsOf).some((a) => /^(sqs|states|sns):/.test(a))).toBe(false);
    const onTables = statements.filter((s) => full.actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(onTables.map((s) => [full.actionsOf(s), s.Condition])).toEqual([
      [
        ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RATE#*'] } },
      ],
    ]);
  });
});
