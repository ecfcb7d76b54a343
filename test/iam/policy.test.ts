import { describe, expect, it } from 'vitest';
import { evaluate, type PolicyStatement, wildcardMatch } from './policy.ts';

const TABLE = 'arn:aws:dynamodb:local:000000000000:table/state';
const QUEUE = 'arn:aws:sqs:local:000000000000:code-queue';
const allow = (
  Action: string | string[],
  Resource: string | string[],
  extra: Partial<PolicyStatement> = {},
) => ({ Effect: 'Allow', Action, Resource, ...extra }) as PolicyStatement;
const leaverKeys: PolicyStatement = allow(['dynamodb:PutItem', 'dynamodb:Query'], TABLE, {
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LEAVER#*', 'TARGET#*'] } },
});

describe('IAM evaluator: actions and resources', () => {
  it('allows an action on a resource that a statement names exactly', () => {
    const decision = evaluate([allow('sqs:SendMessage', QUEUE)], {
      action: 'sqs:SendMessage',
      resource: QUEUE,
    });
    expect(decision.decision).toBe('allow');
    expect(decision.by?.index).toBe(0);
  });

  it('matches action wildcards case-insensitively and resource wildcards case-sensitively', () => {
    const statements = [allow('SQS:Get*', 'arn:aws:sqs:local:000000000000:*-queue')];
    expect(evaluate(statements, { action: 'sqs:GetQueueAttributes', resource: QUEUE }).decision).toBe(
      'allow',
    );
    expect(evaluate(statements, { action: 'sqs:SendMessage', resource: QUEUE }).decision).toBe(
      'implicit-deny',
    );
    expect(evaluate(statements, { action: 'sqs:GetQueueUrl', resource: QUEUE.toUpperCase() }).decision).toBe(
      'implicit-deny',
    );
    expect(evaluate([allow('*', '*')], { action: 'states:StartExecution', resource: 'x' }).decision).toBe(
      'allow',
    );
  });

  it('treats ? as one character and every other character literally', () => {
    expect(wildcardMatch('table/stat?', 'table/state')).toBe(true);
    expect(wildcardMatch('table/stat?', 'table/states')).toBe(false);
    expect(wildcardMatch('a.b', 'axb')).toBe(false);
    expect(wildcardMatch('arn:(x)+', 'arn:(x)+')).toBe(true);
  });

  it('refuses a call no statement grants and names the statement closest to allowing it', () => {
    const statements = [
      allow(['xray:PutTraceSegments'], '*'),
      allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage'], QUEUE),
      allow('dynamodb:PutItem', TABLE),
    ];
    const decision = evaluate(statements, { action: 'sqs:SendMessage', resource: QUEUE });
    expect(decision.decision).toBe('implicit-deny');
    expect(decision.closest?.index).toBe(1);
    expect(decision.closest?.reasons).toEqual([
      'action sqs:SendMessage is not in [sqs:ReceiveMessage, sqs:DeleteMessage]',
    ]);
  });

  it('refuses a granted action on a resource outside the statement, saying which', () => {
    const other = 'arn:aws:sqs:local:000000000000:chat-queue';
    const decision = evaluate([allow('sqs:SendMessage', QUEUE)], {
      action: 'sqs:SendMessage',
      resource: other,
    });
    expect(decision.decision).toBe('implicit-deny');
    expect(decision.closest?.reasons).toEqual([`resource ${other} is not in [${QUEUE}]`]);
  });

  it('lets an explicit Deny win over any Allow', () => {
    const statements = [
      allow('sqs:*', '*'),
      { Effect: 'Deny', Action: 'sqs:DeleteQueue', Resource: QUEUE } as const,
    ];
    const decision = evaluate(statements, { action: 'sqs:DeleteQueue', resource: QUEUE });
    expect(decision.decision).toBe('explicit-deny');
    expect(decision.by?.index).toBe(1);
    expect(evaluate(statements, { action: 'sqs:SendMessage', resource: QUEUE }).decision).toBe('allow');
  });

  it('reads NotAction and NotResource as everything but the names', () => {
    const notAction: PolicyStatement = { Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' };
    expect(evaluate([notAction], { action: 'sqs:SendMessage', resource: QUEUE }).decision).toBe('allow');
    expect(evaluate([notAction], { action: 'iam:PassRole', resource: '*' }).decision).toBe('implicit-deny');
    const notResource: PolicyStatement = { Effect: 'Deny', Action: 'sqs:*', NotResource: QUEUE };
    const statements = [allow('sqs:*', '*'), notResource];
    expect(evaluate(statements, { action: 'sqs:SendMessage', resource: QUEUE }).decision).toBe('allow');
    expect(evaluate(statements, { action: 'sqs:SendMessage', resource: `${QUEUE}2` }).decision).toBe(
      'explicit-deny',
    );
  });

  it('refuses everything when the role has no statement', () => {
    expect(evaluate([], { action: 'sqs:SendMessage', resource: QUEUE })).toEqual({
      decision: 'implicit-deny',
    });
  });
});

describe('IAM evaluator: conditions', () => {
  const put = (keys?: string[]) => ({
    action: 'dynamodb:PutItem',
    resource: TABLE,
    ...(keys ? { context: { 'dynamodb:LeadingKeys': keys } } : {}),
  });

  it('allows leading keys that all match ForAllValues:StringLike', () => {
    expect(evaluate([leaverKeys], put(['LEAVER#E1'])).decision).toBe('allow');
    expect(evaluate([leaverKeys], put(['LEAVER#E1', 'TARGET#code'])).decision).toBe('allow');
  });

  it('refuses a leading key outside the condition, even beside allowed ones, and says why', () => {
    const decision = evaluate([leaverKeys], put(['LEAVER#E1', 'ROSTER']));
    expect(decision.decision).toBe('implicit-deny');
    expect(decision.closest?.reasons).toEqual([
      'condition ForAllValues:StringLike dynamodb:LeadingKeys [LEAVER#*, TARGET#*] does not hold for [LEAVER#E1, ROSTER]',
    ]);
  });

  it('holds ForAllValues vacuously when the request has no leading keys, as IAM does', () => {
    expect(evaluate([leaverKeys], put()).decision).toBe('allow');
  });

  it('needs one match for ForAnyValue and fails it for an absent key', () => {
    const any = allow('dynamodb:PutItem', TABLE, {
      Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': ['ROSTER'] } },
    });
    expect(evaluate([any], put(['LEAVER#1', 'ROSTER'])).decision).toBe('allow');
    expect(evaluate([any], put(['LEAVER#1'])).decision).toBe('implicit-deny');
    expect(evaluate([any], put()).decision).toBe('implicit-deny');
  });

  it('evaluates single-valued, negated and IfExists operators by IAM rules for absent keys', () => {
    const equals = allow('dynamodb:PutItem', TABLE, {
      Condition: { StringEquals: { 'dynamodb:LeadingKeys': 'A' } },
    });
    expect(evaluate([equals], put(['A'])).decision).toBe('allow');
    expect(evaluate([equals], put(['B'])).decision).toBe('implicit-deny');
    expect(evaluate([equals], put()).decision).toBe('implicit-deny');
    const ifExists = allow('dynamodb:PutItem', TABLE, {
      Condition: { StringEqualsIfExists: { 'dynamodb:LeadingKeys': 'A' } },
    });
    expect(evaluate([ifExists], put()).decision).toBe('allow');
    expect(evaluate([ifExists], put(['B'])).decision).toBe('implicit-deny');
    const notLike = allow('dynamodb:PutItem', TABLE, {
      Condition: { StringNotLike: { 'dynamodb:LeadingKeys': 'R*' } },
    });
    expect(evaluate([notLike], put(['A'])).decision).toBe('allow');
    expect(evaluate([notLike], put(['ROSTER'])).decision).toBe('implicit-deny');
    expect(evaluate([notLike], put()).decision).toBe('allow');
  });

  it('refuses to allow through a condition key it does not evaluate, and reports the key', () => {
    const sourceAccount = allow('sns:Publish', '*', {
      Condition: { StringEquals: { 'aws:SourceAccount': '000000000000' } },
    });
    const decision = evaluate([sourceAccount], { action: 'sns:Publish', resource: 'arn:topic' });
    expect(decision.decision).toBe('implicit-deny');
    expect(decision.closest?.notEvaluated).toEqual(['StringEquals aws:SourceAccount']);
    expect(decision.closest?.reasons).toEqual([
      'condition StringEquals aws:SourceAccount is not evaluated by this evaluator',
    ]);
  });

  it('takes a Deny with a condition it cannot evaluate to apply', () => {
    const statements: PolicyStatement[] = [
      allow('sqs:*', '*'),
      {
        Effect: 'Deny',
        Action: 'sqs:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ];
    expect(evaluate(statements, { action: 'sqs:SendMessage', resource: QUEUE }).decision).toBe(
      'explicit-deny',
    );
  });

  it('reports an operator it does not know as not evaluated', () => {
    const numeric = allow('dynamodb:PutItem', TABLE, {
      Condition: { NumericLessThan: { 'dynamodb:LeadingKeys': '5' } },
    });
    expect(evaluate([numeric], put(['1'])).closest?.notEvaluated).toEqual([
      'NumericLessThan dynamodb:LeadingKeys',
    ]);
  });
});
