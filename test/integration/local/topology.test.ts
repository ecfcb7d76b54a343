// The local runtime builds what the template declares: queues read back from fauxqs and event
// sources compared with the synthesized stack, and a changed template property followed.
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLaneQueueRetentionMs } from '../../../lambdas/aws/target-env.ts';
import { type LocalStack, synthesizeLocalStack } from '../../../lib/asl.ts';
import { localEnvironment } from '../../../local/functions.ts';
import { createQueues } from '../../../local/lanes.ts';
import { localSqsClient } from '../../../local/sqs-client.ts';
import { readTopology } from '../../../local/topology.ts';
import { startTestRuntime, testConfig } from '../../support/local-runtime.ts';

type Runtime = Awaited<ReturnType<typeof startTestRuntime>>;

describe('local topology: the runtime follows the synthesized stack', () => {
  let stack: LocalStack;
  let runtime: Runtime;
  beforeAll(async () => {
    stack = synthesizeLocalStack(testConfig());
    runtime = await startTestRuntime({ canary: false, reconcileOnSchedule: false });
  }, 120_000);
  afterAll(async () => runtime?.stop());

  const lanesInTemplate = () =>
    stack.templates.flatMap((t) =>
      Object.values(t.template.Resources).filter(
        (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties?.ScalingConfig,
      ),
    );

  it('reads every lane shard: two worker event sources per SCIM or session target, its lane queue and its priority queue', () => {
    const scim = runtime.config.targets
      .filter((t) => t.kind === 'scim' || t.kind === 'session')
      .map((t) => t.id);
    expect(scim).toContain('sso');
    expect(lanesInTemplate()).toHaveLength(2 * scim.length);
    expect([...runtime.lanes.keys()].sort()).toEqual(scim.sort());
    for (const lane of runtime.lanes.values()) {
      expect(lane.queueUrl.split('/').at(-1)).toBe(`Scimitar_lane_${lane.target.id}`);
      expect(lane.priority.queueUrl.split('/').at(-1)).toBe(`Scimitar_prio_${lane.target.id}`);
    }
  });

  it('creates each lane and priority queue in fauxqs with the template visibility, retention and redrive policy', async () => {
    const topology = readTopology(stack);
    const queues = [...runtime.lanes.values()].flatMap((lane) => [
      { lane, queueUrl: lane.queueUrl },
      { lane, queueUrl: lane.priority.queueUrl },
    ]);
    for (const { lane, queueUrl } of queues) {
      const { Attributes = {} } = await runtime.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
      );
      const spec = topology.queues.find((q) => queueUrl.endsWith(`/${q.name}`));
      const declared = stack.templates
        .flatMap((t) => Object.values(t.template.Resources))
        .find((r) => r.Properties?.QueueName === spec?.name)?.Properties;
      if (!declared) throw new Error(`no queue in the template for ${queueUrl}`);
      expect(Number(Attributes.VisibilityTimeout)).toBe(declared.VisibilityTimeout);
      expect(Number(Attributes.MessageRetentionPeriod)).toBe(declared.MessageRetentionPeriod);
      const redrive = JSON.parse(Attributes.RedrivePolicy ?? '{}');
      expect(redrive.maxReceiveCount).toBe(
        (declared.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount,
      );
      expect(String(redrive.deadLetterTargetArn).split(':').at(-1)).toBe(lane.dlqUrl.split('/').at(-1));
    }
  });

  it("gives the reconciler the lanes' retention as the template sets it, which the lane queues keep", () => {
    const env = localEnvironment(
      { stack, topology: readTopology(stack), laneQueueUrl: [...runtime.lanes.values()][0]?.queueUrl ?? '' },
      'reconcile',
    );
    const lanes = readTopology(stack).queues.filter((q) => /_(lane|prio)_/.test(q.name));
    expect(lanes.length).toBeGreaterThan(0);
    for (const lane of lanes)
      expect(env.LANE_QUEUE_RETENTION_SECONDS).toBe(String(lane.messageRetentionSeconds));
    expect(readLaneQueueRetentionMs(env)).toBe(4 * 86_400_000);
  });

  it('gives each lane event source the mapping batch size, maximum concurrency and partial batch responses', () => {
    const sources = [...runtime.lanes.values()].flatMap((l) => [
      { queueUrl: l.queueUrl, source: l.source },
      { queueUrl: l.priority.queueUrl, source: l.priority.source },
    ]);
    const mappings = readTopology(stack).eventSources.filter((m) => m.entry === 'worker');
    expect(mappings).toHaveLength(sources.length);
    for (const mapping of mappings) {
      const lane = sources.find((l) => l.queueUrl.endsWith(`/${mapping.queue}`));
      if (!lane) throw new Error(`no lane consumes ${mapping.queue}`);
      expect(lane.source.settings).toEqual({
        batchSize: mapping.batchSize,
        maxConcurrency: mapping.maxConcurrency,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
      });
      expect(mapping.reportBatchItemFailures).toBe(true);
    }
    // The stack's value: one message per worker invocation (TargetLaneProps.batchSize).
    expect(readTopology(stack).eventSources.every((m) => m.batchSize === 1)).toBe(true);
  });

  it('follows a changed template property: queues built from a mutated template carry the new values', async () => {
    const mutated = structuredClone(stack);
    for (const { template } of mutated.templates) {
      for (const resource of Object.values(template.Resources)) {
        if (resource.Type !== 'AWS::SQS::Queue' || !resource.Properties?.RedrivePolicy) continue;
        resource.Properties.VisibilityTimeout = 42;
        (resource.Properties.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount = 9;
      }
    }
    const fauxqs = await startFauxqs({ port: 0, logger: false });
    const sqs = localSqsClient({
      endpoint: fauxqs.address,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    try {
      const queues = createQueues(fauxqs, readTopology(mutated));
      const lane = [...queues].find(([name]) => name.includes('_lane_'));
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: lane?.[1].url, AttributeNames: ['All'] }),
      );
      expect(Attributes.VisibilityTimeout).toBe('42');
      expect(JSON.parse(Attributes.RedrivePolicy ?? '{}').maxReceiveCount).toBe(9);
    } finally {
      sqs.destroy();
      await fauxqs.stop();
    }
  });

  it('turns the template alarms into local rules, and says which it cannot evaluate', () => {
    const topology = readTopology(stack);
    // A lane's dead-letter alarm, in its shard: a plain metric alarm on the queue's name.
    const deadLetters = topology.alarms.filter(
      (a) =>
        a.query.kind === 'metric' &&
        a.query.metricName === 'ApproximateNumberOfMessagesVisible' &&
        (a.query.dimensions.QueueName ?? '').includes('_dlq_'),
    );
    expect(deadLetters.length).toBeGreaterThan(0);
    // One per lane, each notifying the alert topic (the nested stack's parameter, resolved).
    expect(deadLetters.length).toBe(topology.queues.filter((q) => q.name.includes('_dlq_')).length);
    expect(deadLetters.every((a) => a.actions.length === 1 && a.periodSeconds === 60)).toBe(true);
    expect(topology.schedules.map((s) => s.entry).sort()).toEqual(['canary', 'reconcile']);
    expect(
      runtime.lines.some((l) => l.startsWith('local alarms:') && l.includes('not evaluated locally')),
    ).toBe(true);
  });
});
