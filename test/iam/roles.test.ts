import { beforeAll, describe, expect, it } from 'vitest';
import { localArns, type RecordedCall } from '../../local/aws-calls.ts';
import { testConfig } from '../support/local-runtime.ts';
import { evaluate } from './policy.ts';
import { describeDenial, describeProof, prove } from './proof.ts';
import { type Principal, Resolver, type StackModel, stackModel } from './roles.ts';

let model: StackModel;
// A synth: seconds on an idle machine, far more on a loaded one.
beforeAll(() => {
  model = stackModel(testConfig());
}, 180_000);

const principal = (label: string): Principal => {
  const found = model.principals.find((p) => p.label === label);
  if (!found)
    throw new Error(`no principal ${label} (have ${model.principals.map((p) => p.label).join(', ')})`);
  return found;
};
const call = (entry: string, action: string, resources: string[], extra: Partial<RecordedCall> = {}) =>
  ({ entry, stack: 'test', action, resources, via: 'sdk', ...extra }) as RecordedCall;

describe('IAM proof: the template resolved to local names', () => {
  const template = {
    Resources: {
      Audit: { Type: 'AWS::DynamoDB::Table' },
      Lane: { Type: 'AWS::SQS::Queue' },
      Token: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'scimitar/targets/code' } },
    },
  };
  const resolver = new Resolver(
    template,
    new Map([
      ['Audit', 'audit'],
      ['Lane', 'code-queue'],
    ]),
    'Stack1',
  );

  it('resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split to local names and ARNs', () => {
    expect(resolver.resolve({ 'Fn::GetAtt': ['Audit', 'Arn'] })).toBe(localArns.table('audit'));
    expect(resolver.resolve({ Ref: 'Audit' })).toBe('audit');
    expect(resolver.resolve({ Ref: 'Token' })).toBe(localArns.secret('scimitar/targets/code'));
    expect(resolver.resolve({ 'Fn::GetAtt': ['Lane', 'Arn'] })).toBe(localArns.queue('code-queue'));
    expect(resolver.resolve({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Audit', 'Arn'] }, '/index/*']] })).toBe(
      `${localArns.table('audit')}/index/*`,
    );
    expect(
      resolver.resolve({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own placeholders
        'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Lane.QueueName}',
      }),
    ).toBe(localArns.queue('code-queue'));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own placeholders
    const sub = { 'Fn::Sub': ['${Name}-x-${AWS::StackName}', { Name: { Ref: 'Audit' } }] };
    expect(resolver.resolve(sub)).toBe('audit-x-Stack1');
    expect(resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] })).toBe('b');
  });

  it('leaves what it cannot resolve as a placeholder that matches no recorded ARN', () => {
    expect(resolver.resolve({ Ref: 'SomeParameter' })).toBe('{Ref SomeParameter}');
    expect(resolver.resolve({ 'Fn::ImportValue': 'x' })).toBe('{Fn::ImportValue}');
  });
});

describe('IAM proof: the roles of the synthesized stack', () => {
  it('finds a role for every function with an entry, one worker per target, and the state machine', () => {
    const labels = model.principals.map((p) => p.label).sort();
    for (const label of [
      'ingest',
      'plan',
      'summarize',
      'reconcile',
      'canary',
      'roster-upload',
      'state-machine',
    ])
      expect(labels).toContain(label);
    for (const target of testConfig().targets.filter((t) => t.kind === 'scim'))
      expect(principal(`worker (${target.id})`).targetId).toBe(target.id);
  });

  it("lets a worker read its own target secret and refuses it another target's", () => {
    const worker = principal('worker (code)');
    const own = {
      action: 'secretsmanager:GetSecretValue',
      resource: localArns.secret('scimitar/targets/code'),
    };
    expect(evaluate(worker.statements, own).decision).toBe('allow');
    const other = { ...own, resource: localArns.secret('scimitar/targets/chat') };
    const decision = evaluate(worker.statements, other);
    expect(decision.decision).toBe('implicit-deny');
    expect(decision.closest?.statement.Resource).toBe(localArns.secret('scimitar/targets/code'));
  });

  it("holds a worker's state-table writes to leaver and target keys", () => {
    const { statements } = principal('worker (code)');
    const put = (key: string) => ({
      action: 'dynamodb:PutItem',
      resource: localArns.table('state'),
      context: { 'dynamodb:LeadingKeys': [key] },
    });
    expect(evaluate(statements, put('LEAVER#E1')).decision).toBe('allow');
    expect(evaluate(statements, put('ROSTER')).decision).toBe('implicit-deny');
  });
});

describe('IAM proof: recorded calls against the roles', () => {
  it('passes calls the roles allow and lists the grants no call used', () => {
    const proof = prove(model, [
      call('worker', 'sqs:ReceiveMessage', [localArns.queue('code-queue')], { targetId: 'code' }),
      call('worker', 'dynamodb:PutItem', [localArns.table('state')], {
        targetId: 'code',
        leadingKeys: ['LEAVER#E1'],
      }),
      call('state-machine', 'sqs:SendMessage', [localArns.queue('code-queue')]),
    ]);
    expect(proof.denials).toEqual([]);
    expect(proof.checked).toBe(3);
    const worker = proof.reports.find((r) => r.principal.label === 'worker (code)');
    expect(worker?.calls).toBe(2);
    expect(worker?.unused).toContain('states:SendTaskHeartbeat on WorkflowStateMachine8F1B1C15');
    expect(worker?.unused.some((g) => g.startsWith('sqs:ReceiveMessage'))).toBe(false);
    expect(worker?.platform.some((g) => g.startsWith('logs:PutLogEvents'))).toBe(true);
    expect(describeProof(proof)).toContain('ingest: no call recorded (not exercised by this run)');
    expect(describeProof(proof)).toContainEqual(
      expect.stringMatching(
        /^worker \(code\): 2 call\(s\) allowed; granted, never used: .*states:SendTaskHeartbeat/,
      ),
    );
  });

  it('fails a call outside the role, naming the function, the action, the resource and the closest statement', () => {
    const proof = prove(model, [
      call('worker', 'sqs:SendMessage', [localArns.queue('chat-queue')], { targetId: 'code' }),
    ]);
    expect(proof.denials).toHaveLength(1);
    const message = describeDenial(proof.denials[0] as (typeof proof.denials)[number]);
    expect(message).toContain(
      'worker (code) calls sqs:SendMessage on arn:aws:sqs:local:000000000000:chat-queue: implicit-deny',
    );
    // The worker may send to its own dead-letter queue (to park a failure nobody waits for): that
    // statement is the closest, and the resource is what it lacks.
    expect(message).toMatch(
      /closest statement \(LanecodeWorkerRoleDefaultPolicy\w+ statement \d+\) .*sqs:SendMessage.*code-dlq/,
    );
    expect(message).toContain(
      'resource arn:aws:sqs:local:000000000000:chat-queue is not in [arn:aws:sqs:local:000000000000:code-dlq]',
    );
  });

  it("fails a DynamoDB write whose leading key the role's condition excludes", () => {
    const proof = prove(model, [
      call('plan', 'dynamodb:PutItem', [localArns.table('state')], { leadingKeys: ['ROSTER'] }),
    ]);
    expect(proof.denials.map(describeDenial)).toEqual([
      expect.stringContaining(
        'plan calls dynamodb:PutItem on arn:aws:dynamodb:local:000000000000:table/state (leading keys ROSTER): implicit-deny',
      ),
    ]);
    expect(describeDenial(proof.denials[0] as (typeof proof.denials)[number])).toContain(
      'does not hold for [ROSTER]',
    );
  });

  it('proves a refusal: a call the test expects the role to refuse passes only when the role refuses it', () => {
    const otherSecret = call(
      'worker',
      'secretsmanager:GetSecretValue',
      [localArns.secret('scimitar/targets/chat')],
      {
        targetId: 'code',
        refused: true,
      },
    );
    const ownSecret = { ...otherSecret, resources: [localArns.secret('scimitar/targets/code')] };

    const refused = prove(model, [otherSecret]);
    expect(refused.denials).toEqual([]);
    expect(refused.reports.find((r) => r.principal.label === 'worker (code)')?.refused).toBe(1);
    expect(prove(model, [ownSecret]).denials.map(describeDenial)).toEqual([
      'worker (code) calls secretsmanager:GetSecretValue on arn:aws:secretsmanager:local:000000000000:secret:scimitar/targets/code: allowed, though the test expects the role to refuse it',
    ]);
  });

  it('fails a call by an entry no function of the template runs', () => {
    const proof = prove(model, [call('archive', 'dynamodb:GetRecords', ['*'])]);
    expect(proof.denials.map(describeDenial)).toEqual([
      'archive calls dynamodb:GetRecords on *: no function in the template runs entry "archive"',
    ]);
  });
});
