import { createRequire } from 'node:module';
import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LaneMessage, Plan, SummarizeInput } from '../../lambdas/core/model/messages.ts';
import {
  definitionFromTemplate,
  type LocalAsl,
  MAX_LOCAL_TIMEOUT_SECONDS,
  renderLocalAsl,
} from '../../lib/asl.ts';
import { STATE } from '../../lib/workflow.ts';
import { type Built, build, configWith, logicalId, stackArn } from './fixture.ts';

// asl-validator (a dependency of aws-local-stepfunctions) ships CommonJS without types.
type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const validateAsl = createRequire(import.meta.url)('asl-validator') as AslValidator;

type States = Record<string, Record<string, unknown>>;

function states(definition: Record<string, unknown>): States {
  return definition.States as States;
}

function laneStates(definition: Record<string, unknown>): States {
  const map = states(definition)[STATE.map] as { ItemProcessor: { States: States } };
  return map.ItemProcessor.States;
}

describe('Workflow: the revocation state machine', () => {
  let built: Built;
  let definition: Record<string, unknown>;
  beforeAll(() => {
    built = build();
    definition = definitionFromTemplate(built.template.toJSON() as never);
  });

  it('is valid Amazon States Language', () => {
    const result = validateAsl(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is a Standard workflow with tracing and logs that leave out execution data', () => {
    built.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(built.stack.workflow.logGroup), 'Arn'] },
            },
          },
        ],
      },
    });
  });

  it('plans, waits until the termination is effective, revokes per target, then summarizes', () => {
    const s = states(definition);
    expect(definition.StartAt).toBe(STATE.plan);
    expect(s[STATE.plan]).toMatchObject({ Type: 'Task', ResultPath: '$.plan', Next: STATE.wait });
    expect(s[STATE.wait]).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.plan.effectiveAt',
      Next: STATE.map,
    });
    expect(s[STATE.map]).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.lanes',
      ItemSelector: {
        'lane.$': '$$.Map.Item.Value',
        'eventId.$': '$.plan.eventId',
        'receivedAt.$': '$$.Execution.Input.receivedAt',
        'dryRun.$': '$.plan.dryRun',
        'person.$': '$$.Execution.Input.event.person',
      },
      ResultPath: '$.results',
      Next: STATE.summarize,
    });
    expect(s[STATE.summarize]).toMatchObject({
      Parameters: { 'plan.$': '$.plan', 'results.$': '$.results' },
      ResultPath: '$.summary',
      Next: STATE.checkOutcome,
    });
    expect(s[STATE.partial]).toMatchObject({ Type: 'Fail', Error: 'RevocationPartial' });
  });

  it('sends every SCIM target its LaneMessage from one state per priority: the queue URL built from the target id, a task token, a timeout and a Catch for every error', () => {
    const lanes = laneStates(definition);
    const sends = Object.entries(lanes).filter(([, state]) => String(state.Resource).includes(':sqs:'));
    expect(sends.map(([name]) => name).sort()).toEqual([STATE.sendUrgent, STATE.send].sort());
    for (const [name, queue] of [
      [STATE.send, 'lane'],
      [STATE.sendUrgent, 'prio'],
    ] as const) {
      const send = lanes[name];
      expect(send).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        TimeoutSeconds: 3600,
        Parameters: {
          'QueueUrl.$': `States.Format('https://sqs.local.amazonaws.com/000000000000/Scimitar_${queue}_{}', $.lane.targetId)`,
          MessageBody: {
            'taskToken.$': '$$.Task.Token',
            'eventId.$': '$.eventId',
            'receivedAt.$': '$.receivedAt',
            'dryRun.$': '$.dryRun',
            'person.$': '$.person',
            'lane.$': '$.lane',
          },
        },
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: STATE.laneFailed }],
      });
      expect(send).not.toHaveProperty('HeartbeatSeconds');
    }
  });

  it('routes a lane by its priority first: urgent to the priority queue, anything else (absent included) to the lane queue', () => {
    const map = states(definition)[STATE.map] as { ItemProcessor: { StartAt: string } };
    expect(map.ItemProcessor.StartAt).toBe(STATE.route);
    expect(laneStates(definition)[STATE.route]).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.lane.priority', IsPresent: true },
            { Variable: '$.lane.priority', StringEquals: 'urgent' },
          ],
          Next: STATE.sendUrgent,
        },
      ],
      Default: STATE.send,
    });
  });

  it('keeps the definition the same size whatever the number of targets', () => {
    const many = build(configWith(Array.from({ length: 40 }, (_, i) => ({ id: `app-${i}` }))));
    const manyDefinition = definitionFromTemplate(many.template.toJSON() as never);
    expect(Object.keys(laneStates(manyDefinition)).sort()).toEqual(
      Object.keys(laneStates(definition)).sort(),
    );
  }, 180_000);

  it("lets the workflow send to this stack's lane and priority queues only, and invoke only plan and summarize", () => {
    const role = built.stack.workflow.stateMachine.role;
    const statements = Object.values(built.template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(role)))
      .flatMap(
        (p) =>
          p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
      );
    const sends = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('sqs:')));
    expect(sends).toEqual([
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: stackArn('sqs', ':Scimitar_lane_*'),
      },
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: stackArn('sqs', ':Scimitar_prio_*'),
      },
    ]);
    const invokes = JSON.stringify(
      statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction')),
    );
    expect(invokes).toContain(logicalId(built.stack.workflow.planFunction));
    expect(invokes).toContain(logicalId(built.stack.workflow.summarizeFunction));
    expect(invokes).not.toContain(logicalId(built.stack.fleet.worker));
  });
});

describe('renderLocalAsl: the definition for the local runtime', () => {
  let local: LocalAsl;
  let built: Built;
  beforeAll(() => {
    built = build();
    local = renderLocalAsl(built.config);
  });

  it('caps the execution timeout at what a Node timer can hold', () => {
    expect(local.definition.TimeoutSeconds).toBe(MAX_LOCAL_TIMEOUT_SECONDS);
  });

  it('leaves no CloudFormation token in the definition', () => {
    const text = JSON.stringify(local.definition);
    expect(text).not.toMatch(/Fn::|"Ref"|\$\{Token/);
    expect(text).toContain('arn:aws:lambda:local:000000000000:function:');
  });

  it('maps each lane and priority queue URL the definition builds to its target, and each function placeholder to its entry', () => {
    expect(local.queues).toEqual({
      'https://sqs.local.amazonaws.com/000000000000/Scimitar_lane_code': 'code',
      'https://sqs.local.amazonaws.com/000000000000/Scimitar_lane_chat': 'chat',
      'https://sqs.local.amazonaws.com/000000000000/Scimitar_lane_wiki': 'wiki',
      // The sample's session target has a lane like the applications'.
      'https://sqs.local.amazonaws.com/000000000000/Scimitar_lane_sso': 'sso',
    });
    expect(local.priorityQueues).toEqual({
      'https://sqs.local.amazonaws.com/000000000000/Scimitar_prio_code': 'code',
      'https://sqs.local.amazonaws.com/000000000000/Scimitar_prio_chat': 'chat',
      'https://sqs.local.amazonaws.com/000000000000/Scimitar_prio_wiki': 'wiki',
      // The sample's session target has a lane like the applications'.
      'https://sqs.local.amazonaws.com/000000000000/Scimitar_prio_sso': 'sso',
    });
    expect(Object.values(local.functions).sort()).toEqual(['plan', 'summarize']);
    const s = states(local.definition);
    expect(local.functions[s[STATE.plan]?.Resource as string]).toBe('plan');
    expect(local.functions[s[STATE.summarize]?.Resource as string]).toBe('summarize');
  });

  it('runs locally: a failed lane is recorded, the others complete, and PARTIAL fails the execution', async () => {
    const receivedAt = '2026-01-05T09:00:00.000Z';
    const input = {
      event: {
        eventId: 'evt-1',
        source: 'generic',
        occurredAt: receivedAt,
        effectiveAt: receivedAt,
        kind: 'termination',
        terminationType: 'voluntary',
        person: { employeeId: 'E1', userName: 'ada' },
      },
      receivedAt,
    };
    const plan: Plan = {
      eventId: 'evt-1',
      personId: 'E1',
      receivedAt,
      effectiveAt: '2000-01-01T00:00:00Z',
      dryRun: false,
      lanes: ['code', 'chat', 'wiki', 'gone'].map((targetId) => ({
        targetId,
        tier: 'standard',
        action: 'deactivate',
        matchAttribute: 'userName',
        matchValue: 'ada',
        removeFromGroups: false,
        reportOnly: false,
      })),
      settled: [],
    };
    const sent: LaneMessage[] = [];
    let summarized: SummarizeInput | undefined;
    // As SQS and the lanes would answer: no queue for an unknown target, one lane fails.
    const sendToLane = (message: unknown) => {
      const { QueueUrl, MessageBody } = message as { QueueUrl: string; MessageBody: LaneMessage };
      const targetId = local.queues[QueueUrl];
      if (!targetId) {
        throw Object.assign(new Error(`The specified queue does not exist: ${QueueUrl}`), {
          name: 'SQS.QueueDoesNotExistException',
        });
      }
      sent.push(MessageBody);
      if (targetId === 'chat')
        throw Object.assign(new Error('2 accounts match'), { name: 'ScimAmbiguousMatch' });
      return { targetId, status: 'revoked', attempts: 1 };
    };
    const machine = new StateMachine(local.definition as never);
    const run = machine.run(input, {
      // aws-local-stepfunctions fills $$.Execution.Input itself; the task token comes from the context.
      context: { Task: { Token: 'token-1' } },
      overrides: {
        taskResourceLocalHandlers: {
          [STATE.plan]: () => plan,
          [STATE.send]: sendToLane,
          [STATE.summarize]: (payload) => {
            summarized = payload as SummarizeInput;
            const failed = summarized.results.filter((r) => r.status === 'failed').map((r) => r.targetId);
            return { outcome: failed.length > 0 ? 'PARTIAL' : 'COMPLETED', failedTargets: failed };
          },
        },
      },
    });
    await expect(run.result).rejects.toThrow(/RevocationPartial|At least one target failed/);

    expect(sent).toHaveLength(3);
    expect(sent[0]).toEqual({
      taskToken: 'token-1',
      eventId: 'evt-1',
      receivedAt,
      dryRun: false,
      person: input.event.person,
      lane: plan.lanes[0],
    });
    expect(summarized?.plan).toEqual(plan);
    expect(summarized?.results).toEqual([
      { targetId: 'code', status: 'revoked', attempts: 1 },
      { targetId: 'chat', status: 'failed', error: 'ScimAmbiguousMatch', cause: '2 accounts match' },
      { targetId: 'wiki', status: 'revoked', attempts: 1 },
      {
        targetId: 'gone',
        status: 'failed',
        error: 'SQS.QueueDoesNotExistException',
        cause: expect.stringContaining('Scimitar_lane_gone'),
      },
    ]);
  });

  it('runs locally: urgent lanes are sent to their priority queue, normal and older lanes (no priority) to the lane queue', async () => {
    const receivedAt = '2026-01-05T09:00:00.000Z';
    const input = {
      event: {
        eventId: 'evt-2',
        source: 'generic',
        occurredAt: receivedAt,
        kind: 'termination',
        terminationType: 'involuntary',
        person: { employeeId: 'E2', userName: 'bob' },
      },
      receivedAt,
    };
    const lane = (targetId: string, priority?: 'urgent' | 'normal') => ({
      targetId,
      tier: 'standard' as const,
      action: 'deactivate' as const,
      matchAttribute: 'userName' as const,
      matchValue: 'bob',
      removeFromGroups: false,
      reportOnly: false,
      ...(priority && { priority }),
    });
    const plan: Plan = {
      eventId: 'evt-2',
      personId: 'E2',
      receivedAt,
      effectiveAt: '2000-01-01T00:00:00Z',
      dryRun: false,
      lanes: [lane('code', 'urgent'), lane('chat', 'normal'), lane('wiki')],
      settled: [],
    };
    const sentTo: Record<string, string> = {};
    const answer = (message: unknown) => {
      const { QueueUrl, MessageBody } = message as { QueueUrl: string; MessageBody: LaneMessage };
      const targetId = local.queues[QueueUrl] ?? local.priorityQueues[QueueUrl];
      if (!targetId) throw new Error(`no queue ${QueueUrl}`);
      expect(MessageBody.lane.targetId).toBe(targetId);
      sentTo[targetId] = QueueUrl.split('/').at(-1) ?? '';
      return { targetId, status: 'revoked', attempts: 1 };
    };
    const machine = new StateMachine(local.definition as never);
    const run = machine.run(input, {
      context: { Task: { Token: 'token-2' } },
      overrides: {
        taskResourceLocalHandlers: {
          [STATE.plan]: () => plan,
          [STATE.send]: answer,
          [STATE.sendUrgent]: answer,
          [STATE.summarize]: () => ({ outcome: 'COMPLETED', failedTargets: [] }),
        },
      },
    });
    await run.result;
    expect(sentTo).toEqual({
      code: 'Scimitar_prio_code',
      chat: 'Scimitar_lane_chat',
      wiki: 'Scimitar_lane_wiki',
    });
  });
});
