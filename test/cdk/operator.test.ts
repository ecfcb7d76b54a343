import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
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
  stackQueueUrl,
  statementsOfRole,
} from './fixture.ts';

/** Every action of a set of statements, sorted and unique. */
const actions = (statements: readonly Statement[]) => [...new Set(statements.flatMap(actionsOf))].sort();

describe('operator function and OperatorPolicy', () => {
  let built: Built;
  beforeAll(() => {
    built = build(configWith([{ id: 'app' }, { id: 'crm' }]));
  }, 180_000);

  it('outputs what the CLI finds the stack by: operator and canary functions, the policy, the lane queue prefix', () => {
    const { template, stack } = built;
    template.hasOutput('OperatorFunctionName', { Value: { Ref: logicalId(stack.operator.function) } });
    template.hasOutput('CanaryFunctionName', { Value: { Ref: logicalId(stack.credentials.canaryFunction) } });
    template.hasOutput('OperatorPolicyArn', { Value: { Ref: logicalId(stack.operator.policy) } });
    template.hasOutput('LaneQueueUrlPrefix', { Value: stackQueueUrl('Scimitar_lane_') });
    for (const kept of [
      'StateTableName',
      'AuditTableName',
      'StateMachineArn',
      'AlertTopicArn',
      'DeadLetterQueueUrlPrefix',
      'ReconcilerFunctionName',
    ]) {
      expect(Object.keys(template.toJSON().Outputs)).toContain(kept);
    }
  });

  it('names the operator function <stack>-operator', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'Scimitar-operator',
      Environment: {
        Variables: Match.objectLike({
          SCHEDULE_GROUP: Match.anyValue(),
          STATE_MACHINE_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('grants the operator function only what its ops need: no table scan or delete, no schedule creation, no dead letters', () => {
    const { template, stack } = built;
    const statements = statementsOfRole(template, roleId(stack.operator.function));
    expect(actions(statements)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'scheduler:DeleteSchedule',
      'sqs:SendMessage',
      'states:DescribeExecution',
      'states:StartExecution',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const stateTable = logicalId(stack.auditStore.stateTable);
    // Writes to the state table: pending terminations, burst windows and owner tasks (ack) only.
    const stateWrites = statements.filter(
      (s) => mentions(s.Resource, stateTable) && actionsOf(s).some((a) => /Put|Update/.test(a)),
    );
    expect(stateWrites.map((s) => s.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LEAVER#*'] } },
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TARGET#*'] } },
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TASK#*'] } },
    ]);
    const sends = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(sends.map((s) => s.Resource)).toEqual([stackArn('sqs', ':Scimitar_lane_*')]);
  });

  it('gives operators reads of this stack and writes only through the operator function', () => {
    const { template, stack } = built;
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const statements = policy?.Properties.PolicyDocument.Statement as Statement[];
    expect(actions(statements)).toEqual([
      'cloudformation:DescribeStacks',
      'cloudwatch:DescribeAlarms',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'kms:Decrypt',
      'lambda:InvokeFunction',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
      'states:DescribeExecution',
    ]);
    const on = (action: string) => statements.find((s) => actionsOf(s).includes(action))?.Resource;
    expect(on('sqs:ReceiveMessage')).toEqual(
      ['lane', 'prio', 'dlq'].map((kind) => stackArn('sqs', `:Scimitar_${kind}_*`)),
    );
    expect(on('cloudwatch:DescribeAlarms')).toEqual(stackArn('cloudwatch', ':alarm:Scimitar-*'));
    expect(on('cloudformation:DescribeStacks')).toEqual(stackArn('cloudformation', ':stack/Scimitar/*'));
    const invoked = JSON.stringify(on('lambda:InvokeFunction'));
    expect(invoked).toContain(logicalId(stack.operator.function));
    expect(invoked).toContain(logicalId(stack.credentials.canaryFunction));
    const tables = JSON.stringify(on('dynamodb:Query'));
    for (const table of [stack.auditStore.auditTable, stack.auditStore.stateTable]) {
      expect(tables).toContain(logicalId(table));
    }
  });

  it('keeps notifications for 90 days: the state table expires items by expiresAt', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });
});
