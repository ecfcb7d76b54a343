// A session target in the stack: a lane like an application's (queues, dead-letter queue, event
// sources, the three lane alarms) and its own secret, read by the worker; no canary probe (docs/sessions.md).
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Built, build, logicalId, templateOf } from './fixture.ts';

let built: Built;
beforeAll(() => {
  built = build();
});

describe('Session target in the stack (the sample config has the Okta target "sso")', () => {
  it('gives it a lane: its lane, priority and dead-letter queues and the worker reading both queues', () => {
    const lane = built.stack.lanes.find((l) => l.targetId === 'sso');
    expect(lane).toBeDefined();
    if (!lane) return;
    const template = templateOf(lane);
    const queues = template.findResources('AWS::SQS::Queue');
    expect(queues[logicalId(lane.queue)]?.Properties).toMatchObject({ QueueName: 'Scimitar_lane_sso' });
    expect(queues[logicalId(lane.priorityQueue)]?.Properties).toMatchObject({
      QueueName: 'Scimitar_prio_sso',
    });
    expect(queues[logicalId(lane.deadLetterQueue)]?.Properties).toMatchObject({
      QueueName: 'Scimitar_dlq_sso',
    });
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes('sso'),
    );
    expect(mappings).toHaveLength(2);
  });

  it('alarms on its dead letters like any lane', () => {
    const lane = built.stack.lanes.find((l) => l.targetId === 'sso');
    if (!lane) throw new Error('no lane for sso');
    const alarms = Object.values(templateOf(lane).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.AlarmName)).toContain('Scimitar-DeadLetters-sso');
  });

  it('creates its secret <stackName>/targets/sso, retained, described as the Okta API token', () => {
    const secret = built.stack.vault.targetSecret('sso');
    Template.fromStack(secret.stack).hasResource('AWS::SecretsManager::Secret', {
      Properties: { Name: 'Scimitar/targets/sso', Description: Match.stringLikeRegexp('Okta API token') },
      DeletionPolicy: 'Retain',
    });
  });

  it('is not probed by the credential canary (it has no SCIM endpoint)', () => {
    expect(built.stack.credentials.probedTargetIds).not.toContain('sso');
    expect(built.stack.credentials.probedTargetIds).toContain('code');
  });
});
