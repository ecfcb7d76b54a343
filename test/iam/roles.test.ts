import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMES, localArns, type RecordedCall } from '../../local/aws-calls.ts';
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
// Local queue names follow the stack's convention (`Scimitar_lane_<id>`, `Scimitar_dlq_<id>`).
const laneQueue = (targetId: string) => localArns.queue(LOCAL_NAMES.laneQueue('Scimitar', targetId));
const deadLetterQueue = (targetId: string) =>
  localArns.queue(LOCAL_NAMES.deadLetterQueue('Scimitar', targetId));
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
  it('finds a role for every function with an entry, the one shared worker, and the state machine', () => {
    const labels = model.principals.map((p) => p.label).sort();
    for (const label of [
      'ingest',
      'plan',
      'summarize',
      'reconcile',
      'canary',
      'roster-upload',
      'state-machine',
      'worker',
    ])
      expect(labels).toContain(label);
    // One worker serves every lane (h13-scale): no per-target worker role, no TARGET_ID.
    expect(labels.filter((l) => l.startsWith('worker'))).toEqual(['worker']);
    expect(principal('worker').targetId).toBeUndefined();
  });

  // The shared worker serves every lane, so its role reads every target secret of this stack by
  // name pattern (ARCHITECTURE.md, blast radius); what it must still be refused: a source's
  // signing key and another stack's target secrets.
  it("lets the worker read this stack's target secrets and refuses it a source key and another stack's", () => {
    const worker = principal('worker');
    const own = {
      action: 'secretsmanager:GetSecretValue',
      resource: localArns.secret('Scimitar/targets/code'),
    };
    expect(evaluate(worker.statements, own).decision).toBe('allow');
    expect(
      evaluate(worker.statements, { ...own, resource: localArns.secret('Scimitar/targets/chat') }).decision,
    ).toBe('allow');
    for (const resource of [
      localArns.secret('Scimitar/sources/bamboohr'),
      localArns.secret('Other/targets/code'),
    ]) {
      const decision = evaluate(worker.statements, { ...own, resource });
      expect(decision.decision, resource).toBe('implicit-deny');
      expect(decision.closest?.statement.Resource).toBe(
        'arn:aws:secretsmanager:local:000000000000:secret:Scimitar/targets/*',
      );
    }
  });

  it('lets the worker consume lane queues, hand a throttled message back to them and park in dead-letter queues, never consume a dead-letter queue', () => {
    const { statements } = principal('worker');
    expect(evaluate(statements, { action: 'sqs:ReceiveMessage', resource: laneQueue('code') }).decision).toBe(
      'allow',
    );
    expect(
      evaluate(statements, { action: 'sqs:SendMessage', resource: deadLetterQueue('code') }).decision,
    ).toBe('allow');
    expect(
      evaluate(statements, { action: 'sqs:ReceiveMessage', resource: deadLetterQueue('code') }).decision,
    ).toBe('implicit-deny');
    // A message the target rate-limited goes back to its own queue, spending no attempt.
    expect(evaluate(statements, { action: 'sqs:SendMessage', resource: laneQueue('code') }).decision).toBe(
      'allow',
    );
    expect(evaluate(statements, { action: 'sqs:DeleteQueue', resource: laneQueue('code') }).decision).toBe(
      'implicit-deny',
    );
  });

  it("holds a worker's state-table writes to leaver and target keys", () => {
    const { statements } = principal('worker');
    const put = (key: string) => ({
      action: 'dynamodb:PutItem',
      resource: localArns.table('state'),
      context: { 'dynamodb:LeadingKeys': [key] },
    });
    expect(evaluate(statements, put('LEAVER#E1')).decision).toBe('allow');
    expect(evaluate(statements, put('ROSTER')).decision).toBe('implicit-deny');
  });

  it('lets every caller of a target take its rate budget, and touch that item in no other way', () => {
    const onState = (action: string, key: string) => ({
      action,
      resource: localArns.table('state'),
      context: { 'dynamodb:LeadingKeys': [key] },
    });
    for (const label of ['worker', 'reconcile', 'canary']) {
      const { statements } = principal(label);
      for (const action of ['dynamodb:UpdateItem', 'dynamodb:GetItem'])
        expect(evaluate(statements, onState(action, 'RATE#code')).decision, `${label} ${action}`).toBe(
          'allow',
        );
      for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem'])
        expect(evaluate(statements, onState(action, 'RATE#code')).decision, `${label} ${action}`).toBe(
          'implicit-deny',
        );
    }
    // The canary's grant on its status items is not widened to the ledger by the budget's.
    expect(
      evaluate(principal('canary').statements, onState('dynamodb:UpdateItem', 'LEAVER#E1')).decision,
    ).toBe('implicit-deny');
    expect(evaluate(principal('plan').statements, onState('dynamodb:UpdateItem', 'RATE#code')).decision).toBe(
      'implicit-deny',
    );
  });
});

describe('IAM proof: recorded calls against the roles', () => {
  it('passes calls the roles allow and lists the grants no call used', () => {
    const proof = prove(model, [
      call('worker', 'sqs:ReceiveMessage', [laneQueue('code')], { targetId: 'code' }),
      call('worker', 'dynamodb:PutItem', [localArns.table('state')], {
        targetId: 'code',
        leadingKeys: ['LEAVER#E1'],
      }),
      call('state-machine', 'sqs:SendMessage', [laneQueue('code')]),
    ]);
    expect(proof.denials).toEqual([]);
    expect(proof.checked).toBe(3);
    const worker = proof.reports.find((r) => r.principal.label === 'worker');
    expect(worker?.calls).toBe(2);
    expect(worker?.unused).toContain('states:SendTaskHeartbeat on WorkflowStateMachine8F1B1C15');
    // The lane queues' receive was used; the priority queues' (another statement) was not.
    expect(worker?.unused.some((g) => g.startsWith('sqs:ReceiveMessage') && g.includes('_lane_'))).toBe(
      false,
    );
    expect(worker?.unused.some((g) => g.startsWith('sqs:ReceiveMessage') && g.includes('_prio_'))).toBe(true);
    expect(worker?.platform.some((g) => g.startsWith('logs:PutLogEvents'))).toBe(true);
    expect(describeProof(proof)).toContain('ingest: no call recorded (not exercised by this run)');
    expect(describeProof(proof)).toContainEqual(
      expect.stringMatching(/^worker: 2 call\(s\) allowed; granted, never used: .*states:SendTaskHeartbeat/),
    );
  });

  it('fails a call outside the role, naming the function, the action, the resource and the closest statement', () => {
    const proof = prove(model, [
      call('worker', 'sqs:DeleteMessage', [localArns.queue('Other_lane_chat')], { targetId: 'code' }),
    ]);
    expect(proof.denials).toHaveLength(1);
    const message = describeDenial(proof.denials[0] as (typeof proof.denials)[number]);
    expect(message).toContain(
      'worker calls sqs:DeleteMessage on arn:aws:sqs:local:000000000000:Other_lane_chat: implicit-deny',
    );
    // The worker may send to its own dead-letter queue (to park a failure nobody waits for): that
    // statement is the closest, and the resource is what it lacks.
    expect(message).toMatch(
      /closest statement \(LanesWorker\w*DefaultPolicy\w+ statement \d+\) .*sqs:DeleteMessage/,
    );
    expect(message).toContain('Scimitar_lane_*');
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
    const sourceKey = call(
      'worker',
      'secretsmanager:GetSecretValue',
      [localArns.secret('Scimitar/sources/bamboohr')],
      {
        targetId: 'code',
        refused: true,
      },
    );
    const ownSecret = { ...sourceKey, resources: [localArns.secret('Scimitar/targets/code')] };

    const refused = prove(model, [sourceKey]);
    expect(refused.denials).toEqual([]);
    expect(refused.reports.find((r) => r.principal.label === 'worker')?.refused).toBe(1);
    expect(prove(model, [ownSecret]).denials.map(describeDenial)).toEqual([
      `worker calls secretsmanager:GetSecretValue on ${localArns.secret('Scimitar/targets/code')}: allowed, though the test expects the role to refuse it`,
    ]);
  });

  it('fails a call by an entry no function of the template runs', () => {
    const proof = prove(model, [call('archive', 'dynamodb:GetRecords', ['*'])]);
    expect(proof.denials.map(describeDenial)).toEqual([
      'archive calls dynamodb:GetRecords on *: no function in the template runs entry "archive"',
    ]);
  });
});
