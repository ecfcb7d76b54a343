// Per-target AWS resources by naming convention, not by environment variable: Lambda caps all
// variables at 4 KB together, which a map of 200 targets' queues and secrets exceeds. A lane's
// queue names are derived from the stack name and the target id (the stack creates them with these
// names), so a function that serves every target needs one variable, whatever the target count:
//   LANE_QUEUE_URL_PREFIX   https://sqs.<region>.<suffix>/<account>/
// Secret names come from the config itself (`targetSecretName`: `<stackName>/targets/<id>`).
// The separator `_` cannot occur in a stack name or a target id, so `<stack>_lane_*` never
// matches another stack's queues (whose name may start with this one's).
import type { ScimitarConfig, ScimTargetConfig } from '../core/model/config.ts';
import { type FunctionEnv, requireEnv } from './env.ts';

export const LANE_ENV = { queueUrlPrefix: 'LANE_QUEUE_URL_PREFIX' } as const;

/** Lambda refuses an SQS event source maximum concurrency below 2. */
export const MIN_SQS_MAX_CONCURRENCY = 2;

/**
 * Worker instances that may serve a target's lane at once (its event source's maximum
 * concurrency): the target's burst, never below Lambda's floor. The stack sets it; each instance
 * spends its share of the target's rate budget.
 */
export function laneMaxConcurrency(target: Pick<ScimTargetConfig, 'rateBudget'>): number {
  return Math.max(MIN_SQS_MAX_CONCURRENCY, target.rateBudget.burst);
}

/** SQS allows queue names of at most 80 characters. */
export const MAX_QUEUE_NAME_LENGTH = 80;

/** The common prefix of every lane queue of a stack: `<stackName>_lane_`. */
export function laneQueuePrefix(stackName: string): string {
  return `${stackName}_lane_`;
}

/** The common prefix of every lane's dead-letter queue of a stack: `<stackName>_dlq_`. */
export function deadLetterQueuePrefix(stackName: string): string {
  return `${stackName}_dlq_`;
}

/** The name of a target's lane queue. */
export function laneQueueName(stackName: string, targetId: string): string {
  return `${laneQueuePrefix(stackName)}${targetId}`;
}

/** The name of a target's dead-letter queue. */
export function deadLetterQueueName(stackName: string, targetId: string): string {
  return `${deadLetterQueuePrefix(stackName)}${targetId}`;
}

/**
 * The target whose lane a queue is, from the queue's ARN or URL (both end in its name); undefined
 * for a queue that is no lane of this stack.
 */
export function targetOfLaneQueue(stackName: string, queueArnOrUrl: string): string | undefined {
  const name = queueArnOrUrl.split(/[:/]/).at(-1) ?? '';
  const prefix = laneQueuePrefix(stackName);
  if (!name.startsWith(prefix)) return undefined;
  const targetId = name.slice(prefix.length);
  return targetId.length > 0 ? targetId : undefined;
}

/** Lane queue URL per SCIM target of the config, from `LANE_QUEUE_URL_PREFIX`. */
export function readLaneQueueUrls(config: ScimitarConfig, env?: FunctionEnv): Record<string, string> {
  const prefix = requireEnv(LANE_ENV.queueUrlPrefix, env);
  return Object.fromEntries(
    config.targets
      .filter((t) => t.kind === 'scim')
      .map((t) => [t.id, `${prefix}${laneQueueName(config.stackName, t.id)}`]),
  );
}

/** A queue's URL from its ARN (`arn:<partition>:sqs:<region>:<account>:<name>`), given the URL prefix. */
export function laneQueueUrl(queueUrlPrefix: string, queueArn: string): string {
  const name = queueArn.split(':').at(-1) ?? '';
  return `${queueUrlPrefix}${name}`;
}

/**
 * The ARN or URL of the dead-letter queue of the lane a queue ARN or URL names: the same prefix,
 * `<stackName>_dlq_<id>` for `<stackName>_lane_<id>`. A worker parks there what it cannot deliver.
 */
export function deadLetterQueueOfLane(stackName: string, laneQueueArnOrUrl: string): string {
  const targetId = targetOfLaneQueue(stackName, laneQueueArnOrUrl);
  if (targetId === undefined) throw new Error(`${laneQueueArnOrUrl} is no lane queue of stack ${stackName}`);
  const name = laneQueueName(stackName, targetId);
  return `${laneQueueArnOrUrl.slice(0, laneQueueArnOrUrl.length - name.length)}${deadLetterQueueName(stackName, targetId)}`;
}
