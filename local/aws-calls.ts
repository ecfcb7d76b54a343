// Records the AWS calls each function makes, for the IAM proof (test/iam/): an SDK middleware on
// the clients the local runtime builds, and the local stand-ins of services that have no emulator
// (Secrets Manager, SNS, Step Functions, Lambda) recording the call they replace. Off unless
// SCIMITAR_RECORD_AWS_CALLS names a directory; then each process appends JSON lines there.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { BuildMiddleware, HandlerExecutionContext, MiddlewareStack } from '@smithy/types';
import { deadLetterQueueName, laneQueueName } from '../lambdas/aws/target-env.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../lib/asl.ts';

/** The environment variable naming the directory the calls are written to. */
export const RECORD_AWS_CALLS_ENV = 'SCIMITAR_RECORD_AWS_CALLS';

/** Who makes a call: a function of the stack (by its entry), or the state machine. */
export interface Acting {
  /** A Lambda entry (`worker`, `plan`, ...) or `state-machine`. */
  readonly entry: string;
  /** For a per-target function: the target it serves. */
  readonly targetId?: string;
  /** The key of the config the stack is synthesized from (see {@link registerStack}). */
  readonly stack: string;
  /**
   * The role must refuse these calls (a test of a refusal: another target's secret, a secret the
   * stack does not own): the proof fails if the role allows one. @default false
   */
  readonly refused?: boolean;
}

/** One AWS call as IAM sees it. */
export interface RecordedCall extends Acting {
  /** IAM form, e.g. `dynamodb:PutItem`. */
  readonly action: string;
  /** ARNs (in the local account and region) of the resources the call names. */
  readonly resources: readonly string[];
  /** DynamoDB: the partition key values the call touches (IAM's `dynamodb:LeadingKeys`). */
  readonly leadingKeys?: readonly string[];
  /** Secrets Manager: the tags of the secret the call names (IAM's `secretsmanager:ResourceTag/<key>`). */
  readonly resourceTags?: Readonly<Record<string, string>>;
  /** `sdk`: seen by the middleware; `stand-in`: the call a local stand-in replaces. */
  readonly via: 'sdk' | 'stand-in';
}

/** The names the local runtime gives the stack's resources (the IAM proof maps them back). */
export const LOCAL_NAMES = {
  auditTable: 'audit',
  stateTable: 'state',
  alertTopic: 'alerts',
  ownerTopic: 'owners',
  // The stack's own names (lambdas/aws/target-env.ts): the roles grant the lanes by their pattern.
  laneQueue: (stackName: string, targetId: string) => laneQueueName(stackName, targetId),
  deadLetterQueue: (stackName: string, targetId: string) => deadLetterQueueName(stackName, targetId),
  stateMachine: (stackName: string) => `${stackName}-workflow`,
} as const;

const arn = (service: string, rest: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${rest}`;
/** ARNs of local resources, in the form the IAM proof resolves the template's to. */
export const localArns = {
  table: (name: string) => arn('dynamodb', `table/${name}`),
  queue: (nameOrUrl: string) => arn('sqs', nameOrUrl.split('/').pop() ?? nameOrUrl),
  // Secrets Manager appends a hyphen and six random characters to every secret's name in its ARN;
  // a grant by name must allow for them (`<name>-??????`), so the local ARN has them too.
  secret: (name: string) =>
    arn('secretsmanager', `secret:${name}-${createHash('sha256').update(name).digest('hex').slice(0, 6)}`),
  topic: (name: string) => arn('sns', name),
  stateMachine: (name: string) => arn('states', `stateMachine:${name}`),
  function: (name: string) => arn('lambda', `function:${name}`),
};

const acting = new AsyncLocalStorage<Acting>();

function directory(): string | undefined {
  return process.env[RECORD_AWS_CALLS_ENV] || undefined;
}

/** Runs `work` as the given function: the calls it makes (and its async continuations) are its. */
export function actAs<T>(who: Acting, work: () => T): T {
  // Also when a benchmark observes the calls: it tells them apart by who made them.
  return directory() || observers.size > 0 ? acting.run(who, work) : work();
}

/**
 * Runs `work` as no function: what CloudWatch does on AWS (an alarm publishing to its topic) is
 * the platform's call, not the role of whichever function's work happened to trigger it.
 */
export function asPlatform<T>(work: () => T): T {
  return acting.exit(work);
}

/** The key of a config's stack, writing the config next to the calls when recording. */
export function registerStack(config: ScimitarConfig): string {
  const json = JSON.stringify(config);
  const key = createHash('sha256').update(json).digest('hex').slice(0, 12);
  const dir = directory();
  if (dir) {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `stack-${key}.json`);
    if (!existsSync(file)) writeFileSync(file, json);
  }
  return key;
}

/**
 * Records a call made by whoever acts now ({@link actAs}); a call made outside any function
 * (the runtime's own plumbing: creating tables, a redrive from the CLI) is not recorded.
 */
export function recordAwsCall(
  call: Pick<RecordedCall, 'action' | 'resources' | 'leadingKeys' | 'resourceTags'>,
  via: RecordedCall['via'] = 'stand-in',
): void {
  const dir = directory();
  const who = acting.getStore();
  if (!dir || !who) return;
  const line = JSON.stringify({ ...who, ...call, via } satisfies RecordedCall);
  // A poller repeats the same call every second: each distinct call is written once per process.
  const file = join(dir, `calls-${process.pid}.jsonl`);
  const seen = written.get(file) ?? new Set<string>();
  written.set(file, seen);
  if (seen.has(line)) return;
  seen.add(line);
  mkdirSync(dir, { recursive: true });
  appendFileSync(file, `${line}\n`);
}
const written = new Map<string, Set<string>>();

/** Batch operations IAM authorizes as their single-message action. */
const IAM_ACTION_OF: Record<string, string> = {
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
};

/** IAM service prefix per SDK client. */
const IAM_PREFIX: Record<string, string> = {
  DynamoDBClient: 'dynamodb',
  SQSClient: 'sqs',
  SFNClient: 'states',
  SecretsManagerClient: 'secretsmanager',
  SNSClient: 'sns',
  LambdaClient: 'lambda',
};

/** Partition key attribute per table and per `<table>/index/<index>`, from a CreateTable input. */
export function partitionKeys(schema: CreateTableCommandInput): Record<string, string> {
  const hash = (keys: CreateTableCommandInput['KeySchema']) =>
    keys?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
  const keys: Record<string, string> = { [schema.TableName ?? '']: hash(schema.KeySchema) };
  for (const index of schema.GlobalSecondaryIndexes ?? [])
    keys[`${schema.TableName}/index/${index.IndexName}`] = hash(index.KeySchema);
  return keys;
}

/** One SDK call the local runtime's clients made, timed (performance.now() milliseconds). */
export interface TimedAwsCall {
  readonly service: string;
  readonly operation: string;
  readonly startedMs: number;
  readonly endedMs: number;
  /** Who made it (a function's entry and target), when known. */
  readonly entry?: string;
  readonly targetId?: string;
  /** The table or queue it names, when it names one. */
  readonly resource?: string;
}
const observers = new Set<(call: TimedAwsCall) => void>();

/**
 * Tells `observe` of every SDK call the runtime's clients make from now on, with its round trip
 * (benchmarks: the emulators' share of a leaver's time). Returns the function that stops it.
 */
export function observeAwsCalls(observe: (call: TimedAwsCall) => void): () => void {
  observers.add(observe);
  return () => observers.delete(observe);
}

/**
 * Adds the recorder to an SDK client. `partitionKeyOf` names each table's partition key
 * attribute (see {@link partitionKeys}), so DynamoDB calls carry their leading keys.
 */
export function recordSdkCalls<C extends { middlewareStack: object }>(
  client: C,
  partitionKeyOf: Record<string, string> = {},
): C {
  const recorder: BuildMiddleware<object, object> =
    (next, context: HandlerExecutionContext) => async (args) => {
      const recording = directory() !== undefined && acting.getStore() !== undefined;
      if (!recording && observers.size === 0) return next(args);
      const service = IAM_PREFIX[context.clientName ?? ''] ?? `unknown-client:${context.clientName}`;
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      if (recording) {
        for (const call of describe(
          service,
          operation,
          args.input as Record<string, unknown>,
          partitionKeyOf,
        ))
          recordAwsCall(call, 'sdk');
      }
      if (observers.size === 0) return next(args);
      const startedMs = performance.now();
      try {
        return await next(args);
      } finally {
        const who = acting.getStore();
        const input = args.input as Record<string, unknown>;
        const named = input.TableName ?? input.QueueUrl ?? Object.keys(input.RequestItems ?? {}).join('+');
        const call = {
          service,
          operation,
          startedMs,
          endedMs: performance.now(),
          entry: who?.entry,
          targetId: who?.targetId,
          resource: typeof named === 'string' && named ? (named.split('/').pop() ?? named) : undefined,
        };
        for (const observe of observers) observe(call);
      }
    };
  // Every SDK v3 client's stack takes build-step middleware; the service's own types only narrow it.
  (client.middlewareStack as MiddlewareStack<object, object>).add(recorder, {
    step: 'build',
    name: 'scimitarAwsCallRecorder',
    override: true,
  });
  return client;
}

type Described = Pick<RecordedCall, 'action' | 'resources' | 'leadingKeys'>;

function describe(
  service: string,
  operation: string,
  input: Record<string, unknown>,
  partitionKeyOf: Record<string, string>,
): Described[] {
  const action = IAM_ACTION_OF[`${service}:${operation}`] ?? `${service}:${operation}`;
  if (service === 'dynamodb') return describeDynamo(action, operation, input, partitionKeyOf);
  if (service === 'sqs' && typeof input.QueueUrl === 'string')
    return [{ action, resources: [localArns.queue(input.QueueUrl)] }];
  if (service === 'sqs' && typeof input.QueueName === 'string')
    return [{ action, resources: [localArns.queue(input.QueueName)] }];
  // A secret or function may be named by name or by ARN; IAM sees the ARN.
  const byName = (value: unknown, arnOf: (name: string) => string) =>
    typeof value === 'string' ? (value.startsWith('arn:') ? value : arnOf(value)) : undefined;
  const named =
    byName(input.SecretId, localArns.secret) ??
    byName(input.FunctionName, localArns.function) ??
    input.TopicArn ??
    input.stateMachineArn;
  return [{ action, resources: typeof named === 'string' ? [named] : ['*'] }];
}

/** A DynamoDB attribute value, marshalled (`{ S: 'x' }`) or not. */
function scalar(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    const { S, N } = value as { S?: unknown; N?: unknown };
    if (typeof S === 'string') return S;
    if (typeof N === 'string') return N;
  }
  return undefined;
}

function describeDynamo(
  action: string,
  operation: string,
  input: Record<string, unknown>,
  partitionKeyOf: Record<string, string>,
): Described[] {
  const one = (table: string, index: unknown, items: unknown[], query?: Record<string, unknown>) => {
    const path = typeof index === 'string' ? `${table}/index/${index}` : table;
    const attribute = partitionKeyOf[path];
    const leadingKeys = attribute
      ? [
          ...items.map((item) => scalar((item as Record<string, unknown>)?.[attribute])),
          ...(query ? [queriedKey(query, attribute)] : []),
        ].filter((v): v is string => v !== undefined)
      : [];
    return {
      action,
      resources: [localArns.table(path)],
      ...(leadingKeys.length ? { leadingKeys: [...new Set(leadingKeys)] } : {}),
    };
  };
  if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
    const requests = (input.RequestItems ?? {}) as Record<string, unknown>;
    return Object.entries(requests).map(([table, request]) => {
      const keys = Array.isArray(request)
        ? request.map((r: { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }) =>
            r.PutRequest ? r.PutRequest.Item : r.DeleteRequest?.Key,
          )
        : ((request as { Keys?: unknown[] }).Keys ?? []);
      return one(table, undefined, keys);
    });
  }
  const table = String(input.TableName ?? '');
  if (operation === 'Query') return [one(table, input.IndexName, [], input)];
  return [one(table, input.IndexName, [input.Key ?? input.Item])];
}

/** The partition key value a Query's KeyConditionExpression fixes (`pk = :pk`). */
function queriedKey(query: Record<string, unknown>, attribute: string): string | undefined {
  const names = (query.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (query.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const [, name, placeholder] of String(query.KeyConditionExpression ?? '').matchAll(
    /([#\w]+)\s*=\s*(:\w+)/g,
  )) {
    if (name && (names[name] ?? name) === attribute) return scalar(values[placeholder ?? '']);
  }
  return undefined;
}
