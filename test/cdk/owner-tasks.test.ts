import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { CANARY_SERVICE } from '../../lib/credentials.ts';
import { grantAckOwnerTasks } from '../../lib/owner-tasks.ts';
import sample from '../../scimitar.config.ts';
import { type Built, build, logicalId } from './fixture.ts';

let built: Built;
beforeAll(() => {
  built = build({ ...sample, canary: { schedule: 'rate(2 hours)' } });
});

describe('Owner tasks: the overdue alarm', () => {
  it("alarms on OwnerTasksOverdue from the canary's run, at 1 or more, keeping its state between runs", () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Scimitar',
      MetricName: 'OwnerTasksOverdue',
      Dimensions: [{ Name: 'service', Value: CANARY_SERVICE }],
      Statistic: 'Maximum',
      // The canary publishes once per run: the period follows canary.schedule.
      Period: 7200,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
      AlarmDescription: Match.stringLikeRegexp('Runbook: docs/operations.md#owner-task-overdue$'),
      AlarmActions: [{ Ref: logicalId(built.stack.alerting.alertTopic) }],
    });
  });

  it('is named OwnerTaskOverdue in the template', () => {
    expect(logicalId(built.stack.ownerTasks.alarm)).toMatch(/^OwnerTasksOwnerTaskOverdue/);
  });
});

describe('Owner tasks: the operator grant', () => {
  it('lets the operator function get and update TASK# items only, and use the table key', () => {
    const stack = new Stack();
    const table = new Table(stack, 'State', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
    });
    const role = new Role(stack, 'Operator', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    grantAckOwnerTasks(table, role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^State'), 'Arn'] },
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TASK#*'] } },
          },
        ],
      },
    });
  });
});
