// The local physical names of the stack's resources, and its CloudFormation outputs resolved to
// them: what `DescribeStacks` answers, so a client that finds the stack's resources from its
// outputs (the CLI) finds the local runtime's tables, queues, functions and state machine.

import { auditTableSchema, stateTableSchema } from '../../lambdas/aws/adapters/table-schemas.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalStack,
  localArn,
  localQueueUrlPrefix,
  resolveIntrinsics,
} from '../../lib/asl.ts';
import { LOCAL_NAMES, localArns } from '../aws-calls.ts';
import type { LocalTopology } from '../topology.ts';

/** A resource as the local runtime names it: what a `Ref` to it gives, and its ARN. */
export interface LocalResource {
  readonly ref: string;
  readonly arn: string;
}

/** CloudFormation's generated name (`<stack>-<logicalId>-<suffix>`) without the random suffix. */
export const generatedName = (stackName: string, logicalId: string) => `${stackName}-${logicalId}`;

/** The local state machine's ARN (the workflow names its executions after it). */
export const localStateMachineArn = (stackName: string) =>
  `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${LOCAL_NAMES.stateMachine(stackName)}`;

/** A function's local physical name: the template's FunctionName, else CloudFormation's pattern. */
export function localFunctionNames(
  stack: Pick<LocalStack, 'templates'>,
  stackName: string,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const source of stack.templates) {
    for (const [logicalId, resource] of Object.entries(source.template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      let name: unknown = resource.Properties?.FunctionName;
      try {
        name = resolveIntrinsics(name, source.template, source.parameters);
      } catch {
        name = undefined;
      }
      names.set(
        localArn(logicalId, resource.Type),
        typeof name === 'string' && name ? name : generatedName(stackName, logicalId),
      );
    }
  }
  return names;
}

/** Placeholder (as lib/asl.ts resolves a Ref or an Arn) → the local resource. */
export function localResources(
  stack: Pick<LocalStack, 'templates' | 'functions'>,
  topology: Pick<LocalTopology, 'tables' | 'stateMachines'>,
  stackName: string,
): Map<string, LocalResource> {
  const resources = new Map<string, LocalResource>();
  for (const [placeholder, name] of localFunctionNames(stack, stackName)) {
    resources.set(placeholder, {
      ref: name,
      arn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`,
    });
  }
  const tableByKey = new Map([
    [auditTableSchema('').KeySchema?.[0]?.AttributeName, LOCAL_NAMES.auditTable],
    [stateTableSchema('').KeySchema?.[0]?.AttributeName, LOCAL_NAMES.stateTable],
  ]);
  for (const table of topology.tables) {
    const name = tableByKey.get(table.partitionKey);
    if (name)
      resources.set(table.ref, {
        ref: name,
        arn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`,
      });
  }
  // The topics, as the functions that publish to them know them: the runtime's notifiers.
  const topics = { ALERT_TOPIC_ARN: LOCAL_NAMES.alertTopic, OWNER_TOPIC_ARN: LOCAL_NAMES.ownerTopic };
  for (const fn of Object.values(stack.functions)) {
    for (const [variable, name] of Object.entries(topics)) {
      const placeholder = fn.environment[variable];
      if (placeholder) resources.set(placeholder, { ref: localArns.topic(name), arn: localArns.topic(name) });
    }
  }
  // A managed policy's Ref is its ARN (the operator policy an error message names).
  for (const [logicalId, resource] of Object.entries(stack.templates[0]?.template.Resources ?? {})) {
    if (resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const named = resource.Properties?.ManagedPolicyName;
    const arn = `arn:aws:iam::${LOCAL_ACCOUNT}:policy/${typeof named === 'string' ? named : generatedName(stackName, logicalId)}`;
    resources.set(localArn(logicalId, resource.Type), { ref: arn, arn });
  }
  for (const machine of topology.stateMachines) {
    const arn = localStateMachineArn(stackName);
    resources.set(machine, { ref: arn, arn });
  }
  return resources;
}

export interface OutputContext {
  readonly resources: ReadonlyMap<string, LocalResource>;
  /** Where the local queues answer: `http://<runtime host>/<account>/`. */
  readonly queueUrlPrefix: string;
  /** The queues' ARN prefix in the local queue service (`arn:aws:sqs:<region>:<account>:`). */
  readonly queueArnPrefix: string;
}

/**
 * The root template's outputs with local values. An output that names something the runtime
 * does not host (the API's id, a bucket) is left out rather than answered with a placeholder.
 */
export function localOutputs(stack: Pick<LocalStack, 'templates'>, context: OutputContext) {
  const root = stack.templates[0]?.template as
    | (LocalStack['templates'][number]['template'] & {
        Outputs?: Record<string, { Value: unknown; Description?: string }>;
      })
    | undefined;
  const outputs: { OutputKey: string; OutputValue: string; Description?: string }[] = [];
  for (const [key, output] of Object.entries(root?.Outputs ?? {})) {
    const value = localValue(output.Value, root as NonNullable<typeof root>, context);
    if (value === undefined) continue;
    outputs.push({
      OutputKey: key,
      OutputValue: value,
      ...(output.Description ? { Description: output.Description } : {}),
    });
  }
  return outputs;
}

const PLACEHOLDER = new RegExp(`arn:aws:[a-z0-9-]+:${LOCAL_REGION}:${LOCAL_ACCOUNT}:[^"\\s]*`, 'g');

function localValue(
  value: unknown,
  template: LocalStack['templates'][number]['template'],
  context: OutputContext,
): string | undefined {
  let resolved: unknown;
  try {
    resolved = resolveIntrinsics(value, template);
  } catch {
    return undefined; // an attribute with no local placeholder: nothing the runtime hosts
  }
  if (typeof resolved !== 'string') return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  const resource = context.resources.get(resolved);
  if (typeof ref === 'string' && resource) return resource.ref;
  let local = resolved.split(localQueueUrlPrefix()).join(context.queueUrlPrefix);
  local = local.split(`arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:`).join(context.queueArnPrefix);
  let unhosted = false;
  local = local.replace(PLACEHOLDER, (placeholder) => {
    const known = context.resources.get(placeholder);
    if (!known) unhosted = true;
    return known?.arn ?? placeholder;
  });
  // A URL or ARN built from a resource the runtime has no stand-in for (the API, a topic, a bucket).
  if (unhosted || local.includes('.execute-api.')) return undefined;
  return local;
}
