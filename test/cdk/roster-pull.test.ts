// The pull function in the stack: only when configured, on one schedule per job (roster, each
// polled Workday source) sharing one dead-letter queue, alarmed when a pull fails, and granted only
// the pulled sources' credentials, the roster, and for polls what ingest holds for the same work.
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { PULL_SERVICE } from '../../lib/roster-pull.ts';
import {
  actionsOf,
  alarmWhereOutsideGrammar,
  type Built,
  build,
  configWith,
  logicalId,
  mentions,
  roleId,
  statementsOfRole,
} from './fixture.ts';

const pulled = configWith([{ id: 'docs' }], {
  sources: [
    { id: 'generic', kind: 'generic' },
    { id: 'bamboo', kind: 'bamboohr', api: { companyDomain: 'acme' } },
    {
      id: 'wd',
      kind: 'workday',
      host: 'https://wd2-impl-services1.workday.com',
      tenant: 'acme',
      terminations: { report: 'ISU_Scimitar/Terminations', schedule: 'rate(10 minutes)' },
    },
  ],
  roster: { source: 'bamboo', schedule: 'rate(4 hours)' },
});

describe('RosterPull in the ScimitarStack', () => {
  let built: Built;
  let plain: Built;
  beforeAll(() => {
    built = build(pulled);
    plain = build(configWith([{ id: 'docs' }]));
  });

  it('adds no pull function, schedule or alarm when nothing is pulled', () => {
    expect(plain.stack.rosterPull).toBeUndefined();
    const services = Object.values(plain.template.findResources('AWS::Lambda::Function')).map(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    expect(services).not.toContain(PULL_SERVICE);
  });

  it('runs the roster pull and each Workday poll on their schedules, with one dead-letter queue', () => {
    const pull = built.stack.rosterPull;
    if (!pull) throw new Error('no pull construct');
    const fn = logicalId(pull.function);
    const dlq = logicalId(pull.deadLetterQueue);
    const target = (input: unknown, expression: string) =>
      built.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: expression,
        Target: {
          Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
          Input: JSON.stringify(input),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        },
      });
    target({ job: 'roster' }, 'rate(4 hours)');
    target({ job: 'terminations', source: 'wd' }, 'rate(10 minutes)');
    built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
    });
  });

  it('alarms on a failed pull (the function errors) and on lost runs, naming the runbook', () => {
    const pull = built.stack.rosterPull;
    if (!pull) throw new Error('no pull construct');
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp(
        'a roster pull or a Workday poll failed.*Runbook: docs/operations.md#roster-pull-failed',
      ),
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(pull.function) } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.anyValue() }],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('a run of the pull function was lost'),
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(pull.deadLetterQueue), 'QueueName'] } },
      ],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('refused report rows'),
      Metrics: [
        Match.objectLike({
          Expression: Match.stringLikeRegexp(`WHERE service = '${PULL_SERVICE}' GROUP BY source`),
        }),
      ],
    });
    expect(alarmWhereOutsideGrammar(built.template.toJSON())).toEqual([]);
  });

  it('counts pulls with uploads in RosterStale, so a pulled roster is not called stale', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('no roster upload or pull succeeded'),
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(uploads, 0) + FILL(pulls, 0)' }),
        Match.objectLike({
          Id: 'pulls',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: 'RosterPulled',
              Dimensions: [{ Name: 'service', Value: PULL_SERVICE }],
            }),
          }),
        }),
      ]),
    });
  });

  it("grants the pulled sources' credentials only: the BambooHR API secret and the Workday user, no signing key", () => {
    const pull = built.stack.rosterPull;
    if (!pull) throw new Error('no pull construct');
    const statements = statementsOfRole(built.template, roleId(pull.function));
    const secretReads = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    const secrets = built.template.findResources('AWS::SecretsManager::Secret');
    const named = (name: string) =>
      Object.entries(secrets).find(([, r]) => r.Properties.Name === name)?.[0] as string;
    expect(named('Scimitar/sources/bamboo/api')).toBeDefined();
    const read = (id: string) => secretReads.some((s) => mentions(s.Resource, id));
    expect(read(named('Scimitar/sources/bamboo/api'))).toBe(true);
    expect(read(named('Scimitar/sources/wd'))).toBe(true);
    expect(read(named('Scimitar/sources/bamboo'))).toBe(false);
    expect(read(named('Scimitar/sources/generic'))).toBe(false);
  });

  it('writes the roster, its own cursors and pending terminations, each under its own keys only', () => {
    const pull = built.stack.rosterPull;
    if (!pull) throw new Error('no pull construct');
    const statements = statementsOfRole(built.template, roleId(pull.function));
    const keysOf = (action: string) =>
      statements
        .filter(
          (s) =>
            actionsOf(s).includes(action) &&
            mentions(s.Resource, logicalId(built.stack.auditStore.stateTable)),
        )
        .map(
          (s) =>
            (s.Condition as Record<string, Record<string, string[]>>)['ForAllValues:StringLike']?.[
              'dynamodb:LeadingKeys'
            ],
        );
    expect(keysOf('dynamodb:PutItem')).toEqual(
      expect.arrayContaining([['ROSTER', 'ROSTER#*'], ['PULL#*'], ['LEAVER#*'], ['NOTIFY#*']]),
    );
    for (const keys of keysOf('dynamodb:PutItem')) expect(keys).not.toContain('TARGET#*');
    expect(statements.some((s) => actionsOf(s).includes('states:StartExecution'))).toBe(true);
  });

  it('leaves cdk-nag nothing unacknowledged (AWS Solutions checks)', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
    );
    expect(findings).toEqual([]);
  });

  it('refuses a roster source that cannot be pulled, naming the ones that can', () => {
    expect(() => build({ ...pulled, roster: { source: 'generic' } })).toThrow(
      /roster\.source.*generic \(push only\).*sources that can: bamboo/s,
    );
  });
});
