// The target lanes as the template declares them: every queue (with its visibility, retention and
// redrive policy) created in fauxqs, and per worker event source (a lane's queue and its priority
// queue) the shared worker's handler for that target behind an in-process SQS event source with
// the mapping's batch size, maximum concurrency and partial batch responses.
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FauxqsServer } from 'fauxqs';
import { type LaneQueueKind, laneKindOfQueue, targetOfLaneQueue } from '../lambdas/aws/target-env.ts';
import { hasLane, type LaneTargetConfig, type ScimitarConfig } from '../lambdas/core/model/config.ts';
import type { LaneScimClient } from '../lambdas/core/revocation/ports.ts';
import type { ScimApp } from './scim-app.ts';
import { SqsEventSource, type SqsHandler } from './sqs-event-source.ts';
import type { LocalTopology } from './topology.ts';

/** The SCIM request class of a lane queue's work: a priority queue's is urgent. */
export type LaneRequestClass = 'urgent' | 'leaver';

export interface LocalLane {
  readonly target: LaneTargetConfig;
  /** The lane queue: the bulk of leavers and reconciler remediations. */
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly source: SqsEventSource;
  /** The priority queue and its event source: urgent leavers, received beside the bulk. */
  readonly priority: { readonly queueUrl: string; readonly source: SqsEventSource };
  /** The SCIM client, or a session target's revoker. */
  readonly scim: LaneScimClient;
  readonly app?: ScimApp;
}

/** Creates every queue of the topology in fauxqs; returns name → URL. */
export function createQueues(
  fauxqs: FauxqsServer,
  topology: LocalTopology,
  options: { visibilityTimeoutSeconds?: number } = {},
): Map<string, { url: string; arn: string }> {
  const created = new Map<string, { url: string; arn: string }>();
  // Dead-letter queues first: a redrive policy names its queue's ARN.
  const ordered = [...topology.queues].sort((a, b) => Number(!!a.redrive) - Number(!!b.redrive));
  for (const spec of ordered) {
    const attributes: Record<string, string> = {};
    const visibility = spec.redrive
      ? (options.visibilityTimeoutSeconds ?? spec.visibilityTimeoutSeconds)
      : spec.visibilityTimeoutSeconds;
    if (visibility !== undefined) attributes.VisibilityTimeout = String(visibility);
    if (spec.messageRetentionSeconds !== undefined)
      attributes.MessageRetentionPeriod = String(spec.messageRetentionSeconds);
    if (spec.redrive) {
      const dlq = created.get(spec.redrive.deadLetterQueue);
      if (!dlq)
        throw new Error(
          `queue ${spec.name}: its dead-letter queue ${spec.redrive.deadLetterQueue} is not in the template`,
        );
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: spec.redrive.maxReceiveCount,
      });
    }
    const queue = fauxqs.createQueue(spec.name, { attributes });
    created.set(spec.name, { url: queue.queueUrl, arn: queue.queueArn });
  }
  return created;
}

export interface LaneWiring {
  readonly config: ScimitarConfig;
  readonly topology: LocalTopology;
  readonly queues: ReadonlyMap<string, { url: string; arn: string }>;
  readonly sqs: SQSClient;
  readonly apps: ReadonlyMap<string, ScimApp>;
  /** The SCIM client of a target's work of one request class (urgent: its priority queue). */
  readonly scimFor: (target: LaneTargetConfig, requestClass: LaneRequestClass) => LaneScimClient;
  /** The worker's handler for one target's lane. */
  readonly workerFor: (
    target: LaneTargetConfig,
    queue: { url: string; dlqUrl: string },
    scim: LaneScimClient,
  ) => SqsHandler;
  readonly onError: (targetId: string, err: unknown) => void;
}

/** One lane per SCIM target, from the worker event sources of the template (two per target). */
export function createLanes(w: LaneWiring): Map<string, LocalLane> {
  const byTarget = new Map<string, Partial<Record<LaneQueueKind, { url: string; source: SqsEventSource }>>>();
  const dlqOf = new Map<string, string>();
  for (const mapping of w.topology.eventSources.filter((m) => m.entry === 'worker')) {
    const targetId = targetOfLaneQueue(w.config.stackName, mapping.queue);
    const kind = laneKindOfQueue(w.config.stackName, mapping.queue);
    const target = w.config.targets.filter(hasLane).find((t) => t.id === targetId);
    const spec = w.topology.queues.find((q) => q.name === mapping.queue);
    const queue = w.queues.get(mapping.queue);
    const dlq = spec?.redrive && w.queues.get(spec.redrive.deadLetterQueue);
    if (!target || !kind || !queue || !dlq)
      throw new Error(
        `event source ${mapping.logicalId}: no SCIM target, queue or dead-letter queue for ${mapping.queue}`,
      );
    const requestClass: LaneRequestClass = kind === 'prio' ? 'urgent' : 'leaver';
    const source = new SqsEventSource({
      client: w.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: `scimitar-worker-${target.id}${kind === 'prio' ? '-priority' : ''}`,
      handler: w.workerFor(target, { url: queue.url, dlqUrl: dlq.url }, w.scimFor(target, requestClass)),
      batchSize: mapping.batchSize,
      ...(mapping.maxConcurrency !== undefined && { maxConcurrency: mapping.maxConcurrency }),
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      onError: (err) => w.onError(target.id, err),
    });
    byTarget.set(target.id, { ...byTarget.get(target.id), [kind]: { url: queue.url, source } });
    dlqOf.set(target.id, dlq.url);
  }
  const lanes = new Map<string, LocalLane>();
  for (const [targetId, { lane, prio }] of byTarget) {
    const target = w.config.targets.filter(hasLane).find((t) => t.id === targetId);
    const dlqUrl = dlqOf.get(targetId);
    if (!target || !lane || !prio || !dlqUrl)
      throw new Error(`target ${targetId}: the template has no lane queue or no priority queue for it`);
    const app = w.apps.get(targetId);
    lanes.set(targetId, {
      target,
      queueUrl: lane.url,
      dlqUrl,
      source: lane.source,
      priority: { queueUrl: prio.url, source: prio.source },
      scim: w.scimFor(target, 'leaver'),
      ...(app ? { app } : {}),
    });
  }
  return lanes;
}

/** A target's lane; throws for a target without one. */
export function laneOfTarget(lanes: ReadonlyMap<string, LocalLane>, targetId: string): LocalLane {
  const lane = lanes.get(targetId);
  if (!lane) throw new Error(`no SCIM target "${targetId}"`);
  return lane;
}

/** Messages waiting in a queue, visible or in flight. */
export async function depth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; total: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const visible = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  return { visible, total: visible + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

/** Moves every message of a lane's DLQ back to its queue; returns how many. */
export async function redrive(sqs: SQSClient, lane: LocalLane): Promise<number> {
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: lane.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return moved;
    for (const message of Messages) {
      // Send first, then delete: a crash in between duplicates a message (harmless: revocation is idempotent), never loses one.
      await sqs.send(new SendMessageCommand({ QueueUrl: lane.queueUrl, MessageBody: message.Body ?? '' }));
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: lane.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      moved += 1;
    }
  }
}
