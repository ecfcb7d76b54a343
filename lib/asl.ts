// The workflow's Amazon States Language as plain JSON: for the local runtime (which runs it with
// aws-local-stepfunctions) and for tests that validate it. The stack is synthesized in-process,
// without bundling, and the CloudFormation tokens in the definition are replaced by readable
// local placeholders. The same synth gives the local runtime its topology (local/topology.ts): the
// root template and the lane shards' nested templates, with their parameters resolved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, NestedStack, Stack } from 'aws-cdk-lib';
import { laneQueueName, priorityQueueName } from '../lambdas/aws/target-env.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import { type ScimitarEntry, ScimitarFunction } from './scimitar-function.ts';
import { ScimitarStack } from './scimitar-stack.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';
/** Longest execution timeout a local run honours: Node's timer limit, 2^31-1 ms. */
export const MAX_LOCAL_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A CloudFormation template, as far as this module reads it. */
export interface CfnTemplate {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
}

/** A template with the values its parameters take (a nested stack's, resolved in its parent). */
export interface ResolvableTemplate {
  readonly template: CfnTemplate;
  /** Parameter name → its value, already local. @default - none (a root template) */
  readonly parameters?: Readonly<Record<string, unknown>>;
}

export interface LocalAsl {
  /** The state machine definition, every token replaced. */
  readonly definition: Record<string, unknown>;
  /** Placeholder queue URL (as the SendToLane state builds it) → the id of the target whose lane it is. */
  readonly queues: Record<string, string>;
  /** Placeholder priority queue URL (as SendToPriorityLane builds it) → the id of its target. */
  readonly priorityQueues: Record<string, string>;
  /** Placeholder function ARN (as it appears in a Task's `Resource`) → the entry it runs. */
  readonly functions: Record<string, ScimitarEntry>;
}

/** The pseudo parameters, in the local account and region. */
export const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::NoValue': '',
};

/** The local placeholder a `Ref` to a resource resolves to. */
export function localRef(logicalId: string, type: string, properties?: Record<string, unknown>): string {
  // An SQS queue's Ref is its URL; other resources used here are referred to by ARN.
  if (type === 'AWS::SQS::Queue') return `${localQueueUrlPrefix()}${localQueueName(logicalId, properties)}`;
  return localArn(logicalId, type, properties);
}

/** A queue's name: the one the template gives it, else its logical id (CloudFormation would generate one). */
export function localQueueName(logicalId: string, properties?: Record<string, unknown>): string {
  return typeof properties?.QueueName === 'string' ? properties.QueueName : logicalId;
}

/** The local placeholder of `https://sqs.<region>.<suffix>/<account>/`. */
export function localQueueUrlPrefix(): string {
  return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/`;
}

/** The local placeholder ARN of a resource (its `Fn::GetAtt [id, 'Arn']`). */
export function localArn(logicalId: string, type: string, properties?: Record<string, unknown>): string {
  const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
  if (type === 'AWS::SQS::Queue')
    return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${localQueueName(logicalId, properties)}`;
  if (type === 'AWS::Lambda::Function') {
    return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
  }
  if (type === 'AWS::StepFunctions::StateMachine') {
    return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
  }
  return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
}

/**
 * Replaces Ref, Fn::GetAtt (Arn; a queue's QueueName) and Fn::Join in a template value by local
 * placeholders; a Ref to a parameter takes the parameter's value.
 */
export function resolveIntrinsics(
  value: unknown,
  template: CfnTemplate,
  parameters: Readonly<Record<string, unknown>> = {},
): unknown {
  const resolve = (v: unknown): unknown => resolveIntrinsics(v, template, parameters);
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first) {
    const [key, arg] = first;
    if (key === 'Ref') return resolveRef(String(arg), template, parameters);
    if (key === 'Fn::GetAtt') {
      const [logicalId, attribute] = arg as [string, string];
      const resource = template.Resources[logicalId];
      if (!resource) throw new Error(`Fn::GetAtt of unknown resource ${logicalId}`);
      if (attribute === 'Arn') return localArn(logicalId, resource.Type, resource.Properties);
      if (attribute === 'QueueName' && resource.Type === 'AWS::SQS::Queue')
        return localQueueName(logicalId, resource.Properties);
      throw new Error(`Fn::GetAtt ${logicalId}.${attribute} has no local placeholder`);
    }
    if (key === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => String(resolve(p))).join(separator);
    }
    if (key.startsWith('Fn::')) throw new Error(`${key} has no local placeholder`);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
}

function resolveRef(
  name: string,
  template: CfnTemplate,
  parameters: Readonly<Record<string, unknown>>,
): string {
  const pseudo = PSEUDO[name];
  if (pseudo !== undefined) return pseudo;
  if (name in parameters) return String(parameters[name]);
  const resource = template.Resources[name];
  if (!resource) throw new Error(`Ref to unknown resource or parameter ${name}`);
  return localRef(name, resource.Type, resource.Properties);
}

/** The definition of the template's one state machine, as plain JSON with local placeholders. */
export function definitionFromTemplate(template: CfnTemplate): Record<string, unknown> {
  const machines = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (machines.length !== 1)
    throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const definition = resolveIntrinsics(machines[0]?.Properties?.DefinitionString, template);
  if (typeof definition !== 'string') throw new Error('the state machine has no DefinitionString');
  return JSON.parse(definition) as Record<string, unknown>;
}

/** A function of the synthesized stack, as the local runtime hosts it. */
export interface LocalFunction {
  readonly entry: ScimitarEntry;
  /** Its environment as the template sets it, every token replaced by a local placeholder. */
  readonly environment: Readonly<Record<string, string>>;
}

/** What one in-process synth gives the local runtime. */
export interface LocalStack {
  readonly asl: LocalAsl;
  /** The root template, then each lane shard's nested template with its parameters resolved. */
  readonly templates: readonly ResolvableTemplate[];
  /** Placeholder function ARN (what a `Ref` or `Fn::GetAtt` to it resolves to) → the function. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
}

/**
 * Synthesizes the stack for a config (no bundling, no AWS account): the workflow definition with
 * local placeholders, which queue belongs to which target, which function runs which entry, and
 * the templates (root and nested) the local topology is read from.
 */
export function synthesizeLocalStack(config: ScimitarConfig): LocalStack {
  // Skipping bundling keeps this fast: the templates do not depend on the function code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ScimitarStack(app, config.stackName, { config });
  const assembly = app.synth();
  const root = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  const templates: ResolvableTemplate[] = [{ template: root }];
  const templateOf = new Map<Stack, ResolvableTemplate>([[stack, { template: root }]]);
  for (const nested of stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack)) {
    // Only the root's own nested stacks: their parameters are resolved in the root template.
    const resource = nested.nestedStackResource;
    if (!resource || Stack.of(resource) !== stack)
      throw new Error(`${nested.node.path}: nested below a nested stack`);
    const declared = root.Resources[stack.getLogicalId(resource as CfnElement)]?.Properties?.Parameters ?? {};
    const shard = {
      template: JSON.parse(
        readFileSync(join(assembly.directory, nested.templateFile), 'utf8'),
      ) as CfnTemplate,
      parameters: resolveIntrinsics(declared, root) as Record<string, unknown>,
    };
    templates.push(shard);
    templateOf.set(nested, shard);
  }
  const functions: Record<string, LocalFunction> = {};
  for (const fn of stack.node.findAll().filter((c): c is ScimitarFunction => c instanceof ScimitarFunction)) {
    const owner = Stack.of(fn);
    const logicalId = owner.getLogicalId(fn.node.defaultChild as CfnElement);
    const source = templateOf.get(owner);
    if (!source) throw new Error(`${fn.node.path}: in a stack the local runtime does not read`);
    const variables = (
      source.template.Resources[logicalId]?.Properties?.Environment as { Variables?: unknown }
    )?.Variables;
    functions[localArn(logicalId, 'AWS::Lambda::Function')] = {
      entry: fn.entryName,
      environment: resolveIntrinsics(variables ?? {}, source.template, source.parameters) as Record<
        string,
        string
      >,
    };
  }
  return { asl: localAsl(config, stack, root), templates, functions };
}

/**
 * The workflow definition with local placeholders, plus which queue belongs to which target and
 * which function runs which entry. The execution timeout is capped at {@link MAX_LOCAL_TIMEOUT_SECONDS}.
 */
export function renderLocalAsl(config: ScimitarConfig): LocalAsl {
  return synthesizeLocalStack(config).asl;
}

function localAsl(config: ScimitarConfig, stack: ScimitarStack, template: CfnTemplate): LocalAsl {
  // The workflow builds a lane's URL from the target id (lib/workflow.ts, SendToLane): the same
  // convention, with the local placeholders for region and account.
  const queues: Record<string, string> = {};
  const priorityQueues: Record<string, string> = {};
  for (const lane of stack.lanes) {
    queues[`${localQueueUrlPrefix()}${laneQueueName(config.stackName, lane.targetId)}`] = lane.targetId;
    priorityQueues[`${localQueueUrlPrefix()}${priorityQueueName(config.stackName, lane.targetId)}`] =
      lane.targetId;
  }
  const functions: Record<string, ScimitarEntry> = {};
  const workflowFunctions: ScimitarFunction[] = [
    stack.workflow.planFunction,
    stack.workflow.summarizeFunction,
  ];
  for (const fn of workflowFunctions) {
    functions[localArn(stack.getLogicalId(fn.node.defaultChild as CfnElement), 'AWS::Lambda::Function')] =
      fn.entryName;
  }
  const definition = definitionFromTemplate(template);
  // Node timers overflow past 2^31-1 ms (about 24.8 days) and fire at once: an execution
  // timeout longer than that would end a local run immediately as timed out.
  if (
    typeof definition.TimeoutSeconds === 'number' &&
    definition.TimeoutSeconds > MAX_LOCAL_TIMEOUT_SECONDS
  ) {
    definition.TimeoutSeconds = MAX_LOCAL_TIMEOUT_SECONDS;
  }
  return { definition, queues, priorityQueues, functions };
}
