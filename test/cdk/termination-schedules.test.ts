import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOf, type Built, build, logicalId, mentions, roleId, statementsOfRole } from './fixture.ts';

describe('TerminationSchedules: far-future terminations wait in EventBridge Scheduler', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  it("creates the stack's own schedule group", () => {
    built.template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'Scimitar-terminations' });
  });

  it('has a scheduler role that EventBridge Scheduler of this account assumes, allowed to start this state machine only', () => {
    const roleLogicalId = logicalId(built.stack.schedules.schedulerRole);
    built.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'aws:SourceArn': { 'Fn::GetAtt': [logicalId(built.stack.schedules.group), 'Arn'] },
              },
            },
          },
        ],
      },
    });
    const statements = statementsOfRole(built.template, roleLogicalId);
    expect(statements.flatMap(actionsOf)).toEqual([
      'states:StartExecution',
      'sqs:SendMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
    ]);
    expect(statements[0]?.Resource).toEqual({ Ref: logicalId(built.stack.workflow.stateMachine) });
    expect(statements[1]?.Resource).toEqual({
      'Fn::GetAtt': [logicalId(built.stack.schedules.deadLetterQueue), 'Arn'],
    });
  });

  it('dead-letters a start Scheduler gave up on, and alarms on it to the alert topic', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(built.stack.schedules.deadLetterQueue), 'QueueName'] },
        },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmDescription: Match.stringLikeRegexp('docs/operations.md#scheduled-revocation-did-not-start'),
      AlarmActions: [{ Ref: logicalId(built.stack.alerting.alertTopic) }],
    });
  });

  it("lets the ingest function manage only its group's schedules, and pass only the scheduler role, only to the scheduler", () => {
    const ingest = built.stack.ingestApi.ingestFunction;
    const statements = statementsOfRole(built.template, roleId(ingest));
    const scheduling = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('scheduler:')));
    expect(scheduling).toHaveLength(1);
    expect((scheduling[0] ? actionsOf(scheduling[0]) : []).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'scheduler:UpdateSchedule',
    ]);
    expect(JSON.stringify(scheduling[0]?.Resource)).toContain(':schedule/');
    expect(JSON.stringify(scheduling[0]?.Resource)).toContain('-terminations/*');
    const passRole = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    expect(passRole[0]?.Resource).toEqual({
      'Fn::GetAtt': [logicalId(built.stack.schedules.schedulerRole), 'Arn'],
    });
    expect(passRole[0]?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    });
    // No other function may schedule.
    for (const fn of [
      built.stack.workflow.planFunction,
      built.stack.workflow.summarizeFunction,
      built.stack.fleet.worker,
    ]) {
      expect(
        statementsOfRole(built.template, roleId(fn))
          .flatMap(actionsOf)
          .some((a) => a.startsWith('scheduler:')),
      ).toBe(false);
    }
  });

  it('gives the ingest function its pending terminations (LEAVER#*, get and put only) and the group and role by name', () => {
    const ingest = built.stack.ingestApi.ingestFunction;
    const statements = statementsOfRole(built.template, roleId(ingest));
    // Beside it, only the put of the notifications it keeps (NOTIFY#..., test/cdk/storage.test.ts).
    const state = statements.filter(
      (s) =>
        mentions(s.Resource, logicalId(built.stack.auditStore.stateTable)) &&
        JSON.stringify(s.Condition) !==
          JSON.stringify({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['NOTIFY#*'] } }),
    );
    expect(state).toHaveLength(1);
    expect((state[0] ? actionsOf(state[0]) : []).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(state[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LEAVER#*'] },
    });
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          SCHEDULE_GROUP: 'Scimitar-terminations',
          SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [logicalId(built.stack.schedules.schedulerRole), 'Arn'] },
          STATE_TABLE: { Ref: logicalId(built.stack.auditStore.stateTable) },
        },
      },
    });
  });
});
