// The Scimitar construct (the package's `new Scimitar(stack, 'Scimitar', { config })`) and the
// ScimitarStack that holds it: the same resources whichever the user picks, under the same
// logical ids as before the construct existed, and the outputs the CLI's --stack reads.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import { Scimitar, ScimitarStack } from '../../lib/index.ts';
import sample from '../../scimitar.config.ts';
import { configWith } from '../cdk/fixture.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const config = configWith([{ id: 'code' }, { id: 'chat' }]);

function countByType(types: Record<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of Object.values(types)) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function typesById(template: Template): Record<string, string> {
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  return Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, r.Type]));
}

describe('Scimitar: the construct in a stack of your own', () => {
  it('builds from the config defineConfig returns (validated inside), its outputs under their plain names', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Platform');
    const scimitar = new Scimitar(stack, 'Scimitar', { config });
    expect(scimitar.lanes.map((lane) => lane.targetId)).toEqual(['code', 'chat']);
    const outputs = Object.keys(Template.fromStack(stack).toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'StateTableName',
        'AuditTableName',
        'StateMachineArn',
        'AlertTopicArn',
        'DeadLetterQueueUrlPrefix',
        'ReconcilerFunctionName',
        'EventsUrl',
      ]),
    );
  }, 120_000);

  it('holds the same resources as ScimitarStack, every logical id under the construct id', () => {
    const own = new Stack(new App({ context: NO_BUNDLING }), 'Platform');
    new Scimitar(own, 'Scimitar', { config });
    const alone = new ScimitarStack(new App({ context: NO_BUNDLING }), 'Scimitar', {
      config: parseConfig(config),
    });
    const inOwn = typesById(Template.fromStack(own));
    expect(countByType(inOwn)).toEqual(countByType(typesById(Template.fromStack(alone))));
    expect(Object.keys(inOwn).filter((id) => !id.startsWith('Scimitar'))).toEqual([]);
  }, 120_000);

  it('refuses a second Scimitar in one stack, naming both and what to do', () => {
    const stack = new Stack(new App({ context: NO_BUNDLING }), 'Platform');
    new Scimitar(stack, 'First', { config });
    expect(() => new Scimitar(stack, 'Second', { config })).toThrow(
      "Scimitar Platform/Second: Platform already holds one (Platform/First); the CLI finds scimitar by its stack's outputs, so put each Scimitar in a stack of its own",
    );
  }, 120_000);

  it('refuses an invalid config with every problem, as at synth', () => {
    const stack = new Stack(new App({ context: NO_BUNDLING }), 'Platform');
    const invalid = configWith([{ id: 'code', leaverAction: 'suspend' }]);
    expect(() => new Scimitar(stack, 'Scimitar', { config: invalid })).toThrow(
      /invalid config of Platform\/Scimitar[\s\S]*target "code" \(targets\[0\]\) field "leaverAction"/,
    );
  });
});

describe('ScimitarStack: scimitar alone in its stack', () => {
  it("keeps the logical ids at the stack's root (the construct's id, Default, is left out)", () => {
    const stack = new ScimitarStack(new App({ context: NO_BUNDLING }), 'Scimitar', {
      config: parseConfig(sample),
    });
    const ids = Object.keys(Template.fromStack(stack).toJSON().Resources);
    // Ids deployed before the construct existed (a rename would replace the tables).
    expect(ids).toEqual(
      expect.arrayContaining([
        'AuditStoreAuditTableFF1334C9',
        'AuditStoreStateTable03BA0FFB',
        'AlertingAlertTopicC513ED25',
        'WorkflowStateMachine8F1B1C15',
      ]),
    );
    expect(ids.filter((id) => id.startsWith('Default'))).toEqual([]);
  }, 120_000);

  it("exposes the construct's parts on the stack", () => {
    const stack = new ScimitarStack(new App({ context: NO_BUNDLING }), 'Scimitar', {
      config: parseConfig(config),
    });
    expect(stack.lanes).toBe(stack.scimitar.lanes);
    expect(stack.workflow).toBe(stack.scimitar.workflow);
    expect(stack.auditStore.stateTable).toBe(stack.scimitar.auditStore.stateTable);
  }, 120_000);
});
