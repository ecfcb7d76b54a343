// Per-target AWS resources by naming convention, not by environment variable: Lambda caps all
// variables at 4 KB together, which a map of 200 targets' queues and secrets exceeds. A lane's
// queue names are derived from the stack name and the target id (the stack creates them with these
// names), so a function that serves every target needs one variable, whatever the target count:
//   LANE_QUEUE_URL_PREFIX          https://sqs.<region>.<suffix>/<account>/
//   LANE_QUEUE_RETENTION_SECONDS   how long every lane queue keeps a message (the stack gives each
//                                  lane the same retention), for the reconciler
// Secret names come from the config itself (`targetSecretName`: `<stackName>/targets/<id>`).
// The separator `_` cannot occur in a stack name or a target id, so `<stack>_lane_*` never
// matches another stack's queues (whose name may start with this one's). Each lane has two queues:
// `<stack>_lane_<id>` (bulk work) and `<stack>_prio_<id>` (urgent leavers: involuntary,
// privileged-tier, operator revoke-now), both served by the same worker; `_prio_` is as long as
// `_lane_`, so a target id that fits one fits the other.
import { hasLane, type ScimitarConfig, type ScimTargetConfig } from '../core/model/config.ts';
import { type FunctionEnv, requireEnv } from './env.ts';

export const LANE_ENV = {
  queueUrlPrefix: 'LANE_QUEUE_URL_PREFIX',
  queueRetentionSeconds: 'LANE_QUEUE_RETENTION_SECONDS',
} as const;

/**
 * How long the lane queues keep a message, in milliseconds, from LANE_QUEUE_RETENTION_SECONDS;
 * undefined when it is not set (a reconcile run from the terminal, which uses the default).
 */
export function readLaneQueueRetentionMs(env: FunctionEnv = process.env): number | undefined {
  const raw = env[LANE_ENV.queueRetentionSeconds];
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new Error(
      `environment variable ${LANE_ENV.queueRetentionSeconds} is "${raw}": a whole number of seconds above 0 is allowed; the CDK stack sets it from the lanes' queueRetention`,
    );
  }
  return seconds * 1000;
}

/** Lambda refuses an SQS event source maximum concurrency below 2. */
export const MIN_SQS_MAX_CONCURRENCY = 2;

/** The default lane concurrency: revocations enough to keep the budget busy, at most this many. */
export const DEFAULT_MAX_LANE_CONCURRENCY = 20;

/**
 * Worker instances that may serve a target's lane at once (its event sources' maximum
 * concurrency): `rateBudget.concurrency`, else two seconds of the target's rate (each instance
 * works one revocation at a time and each revocation one request at a time, so fewer would leave
 * the budget idle between requests), never below Lambda's floor, at most 20. However many run,
 * the target's shared rate budget paces their requests.
 */
export function laneMaxConcurrency(target: Pick<ScimTargetConfig, 'rateBudget'>): number {
  const { concurrency, requestsPerSecond } = target.rateBudget;
  if (concurrency !== undefined) return concurrency;
  return Math.min(
    DEFAULT_MAX_LANE_CONCURRENCY,
    Math.max(MIN_SQS_MAX_CONCURRENCY, Math.ceil(2 * requestsPerSecond)),
  );
}

/** SQS allows queue names of at most 80 characters. */
export const MAX_QUEUE_NAME_LENGTH = 80;

/** The common prefix of every lane queue of a stack: `<stackName>_lane_`. */
export function laneQueuePrefix(stackName: string): string {
  return `${stackName}_lane_`;
}

/** The common prefix of every lane's priority queue of a stack: `<stackName>_prio_`. */
export function priorityQueuePrefix(stackName: string): string {
  return `${stackName}_prio_`;
}

/** The common prefix of every lane's dead-letter queue of a stack: `<stackName>_dlq_`. */
export function deadLetterQueuePrefix(stackName: string): string {
  return `${stackName}_dlq_`;
}

/** The name of a target's lane queue. */
export function laneQueueName(stackName: string, targetId: string): string {
  return `${laneQueuePrefix(stackName)}${targetId}`;
}

/** The name of a target's priority queue: urgent leavers, drained beside the bulk of the lane. */
export function priorityQueueName(stackName: string, targetId: string): string {
  return `${priorityQueuePrefix(stackName)}${targetId}`;
}

/** The name of a target's dead-letter queue. */
export function deadLetterQueueName(stackName: string, targetId: string): string {
  return `${deadLetterQueuePrefix(stackName)}${targetId}`;
}

/** Which of a lane's two queues: `lane` (bulk work) or `prio` (urgent leavers). */
export type LaneQueueKind = 'lane' | 'prio';

/** A queue's name from its ARN or URL (both end in it). */
function queueNameOf(queueArnOrUrl: string): string {
  return queueArnOrUrl.split(/[:/]/).at(-1) ?? '';
}

/** The kind and target of a lane's queue, from its ARN or URL; undefined for any other queue. */
function parseLaneQueue(
  stackName: string,
  queueArnOrUrl: string,
): { kind: LaneQueueKind; targetId: string } | undefined {
  const name = queueNameOf(queueArnOrUrl);
  for (const [kind, prefix] of [
    ['lane', laneQueuePrefix(stackName)],
    ['prio', priorityQueuePrefix(stackName)],
  ] as const) {
    if (name.startsWith(prefix) && name.length > prefix.length) {
      return { kind, targetId: name.slice(prefix.length) };
    }
  }
  return undefined;
}

/**
 * The target whose lane a queue (bulk or priority) is, from the queue's ARN or URL (both end in
 * its name); undefined for a queue that is no lane of this stack.
 */
export function targetOfLaneQueue(stackName: string, queueArnOrUrl: string): string | undefined {
  return parseLaneQueue(stackName, queueArnOrUrl)?.targetId;
}

/**
 * Which of its lane's queues a queue ARN or URL names: `prio` for `<stackName>_prio_<id>` (its
 * requests are urgent), `lane` for `<stackName>_lane_<id>`; undefined for any other queue.
 */
export function laneKindOfQueue(stackName: string, queueArnOrUrl: string): LaneQueueKind | undefined {
  return parseLaneQueue(stackName, queueArnOrUrl)?.kind;
}

/** Lane queue URL per SCIM target of the config, from `LANE_QUEUE_URL_PREFIX`. */
export function readLaneQueueUrls(config: ScimitarConfig, env?: FunctionEnv): Record<string, string> {
  const prefix = requireEnv(LANE_ENV.queueUrlPrefix, env);
  return Object.fromEntries(
    config.targets.filter(hasLane).map((t) => [t.id, `${prefix}${laneQueueName(config.stackName, t.id)}`]),
  );
}

/** A queue's URL from its ARN (`arn:<partition>:sqs:<region>:<account>:<name>`), given the URL prefix. */
export function laneQueueUrl(queueUrlPrefix: string, queueArn: string): string {
  const name = queueArn.split(':').at(-1) ?? '';
  return `${queueUrlPrefix}${name}`;
}

/**
 * The ARN or URL of the dead-letter queue of the lane a queue ARN or URL names: the same prefix,
 * `<stackName>_dlq_<id>` for `<stackName>_lane_<id>` and `<stackName>_prio_<id>` (both queues of a
 * lane redrive to it). A worker parks there what it cannot deliver.
 */
export function deadLetterQueueOfLane(stackName: string, laneQueueArnOrUrl: string): string {
  const targetId = targetOfLaneQueue(stackName, laneQueueArnOrUrl);
  if (targetId === undefined) throw new Error(`${laneQueueArnOrUrl} is no lane queue of stack ${stackName}`);
  const name = queueNameOf(laneQueueArnOrUrl);
  return `${laneQueueArnOrUrl.slice(0, laneQueueArnOrUrl.length - name.length)}${deadLetterQueueName(stackName, targetId)}`;
}
