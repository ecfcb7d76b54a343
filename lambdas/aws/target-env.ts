// Per-target AWS resources of a function that serves every target (the reconciler), passed in the
// environment compactly: Lambda caps all variables at 4 KB together, so each map holds only what
// differs per target (queue name, secret name with its suffix) and one prefix rebuilds the rest.
//   QUEUE_URL_PREFIX   https://sqs.<region>.<suffix>/<account>/
//   TARGET_QUEUES      {"<targetId>":"<queue name>", ...}
//   SECRET_ARN_PREFIX  arn:<partition>:secretsmanager:<region>:<account>:secret:
//   TARGET_SECRETS     {"<targetId>":"<secret name>[-<suffix>]", ...}
// About 100 bytes per target: some 35 targets fit beside the other variables.
import * as z from 'zod';
import { requireEnv } from './env.ts';

export const TARGET_ENV = {
  queueUrlPrefix: 'QUEUE_URL_PREFIX',
  queues: 'TARGET_QUEUES',
  secretArnPrefix: 'SECRET_ARN_PREFIX',
  secrets: 'TARGET_SECRETS',
} as const;

/** Bytes of environment a target takes at most, beyond its id (twice): for the construct's check. */
export const TARGET_ENV_BYTES_PER_TARGET = 140;

const nameMap = z.record(z.string(), z.string().min(1));

export interface TargetResources {
  /** Queue URL per target id. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** Secret ARN per target id. */
  readonly secretArns: Readonly<Record<string, string>>;
}

function readMap(name: string): Record<string, string> {
  const raw = requireEnv(name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`environment variable ${name} is not JSON; the CDK stack sets it`, { cause: err });
  }
  const checked = nameMap.safeParse(parsed);
  if (!checked.success) throw new Error(`environment variable ${name} must map target ids to names`);
  return checked.data;
}

export function readTargetResources(): TargetResources {
  const queuePrefix = requireEnv(TARGET_ENV.queueUrlPrefix);
  const secretPrefix = requireEnv(TARGET_ENV.secretArnPrefix);
  const prefixed = (map: Record<string, string>, prefix: string) =>
    Object.fromEntries(Object.entries(map).map(([id, name]) => [id, `${prefix}${name}`]));
  return {
    queueUrls: prefixed(readMap(TARGET_ENV.queues), queuePrefix),
    secretArns: prefixed(readMap(TARGET_ENV.secrets), secretPrefix),
  };
}
