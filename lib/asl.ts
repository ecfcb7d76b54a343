// The workflow's Amazon States Language as plain JSON: for the local runtime (which runs it with
// aws-local-stepfunctions) and for tests that validate it. The stack is synthesized in-process,
// without bundling, and the CloudFormation tokens in the definition are replaced by readable
// local placeholders.
import { App, type CfnElement } from 'aws-cdk-lib';
import { laneQueueName } from '../lambdas/aws/target-env.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import type { ScimitarEntry, ScimitarFunction } from './scimitar-function.ts';
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

export interface LocalAsl {
  /** The state machine definition, every token replaced. */
  readonly definition: Record<string, unknown>;
  /** Placeholder queue URL (as the SendToLane state builds it) → the id of the target whose lane it is. */
  readonly queues: Record<string, string>;
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
export function localRef(logicalId: string, type: string): string {
  // An SQS queue's Ref is its URL; other resources used here are referred to by ARN.
  if (type === 'AWS::SQS::Queue')
    return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${logicalId}`;
  return localArn(logicalId, type);
}

/** The local placeholder of `https://sqs.<region>.<suffix>/<account>/`. */
export function localQueueUrlPrefix(): string {
  return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/`;
}

/** The local placeholder ARN of a resource (its `Fn::GetAtt [id, 'Arn']`). */
export function localArn(logicalId: string, type: string): string {
  const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
  if (type === 'AWS::Lambda::Function') {
    return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
  }
  if (type === 'AWS::StepFunctions::StateMachine') {
    return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
  }
  return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
}

/** Replaces Ref, Fn::GetAtt (Arn) and Fn::Join in a template value by local placeholders. */
export function resolveIntrinsics(value: unknown, template: CfnTemplate): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, template));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first) {
    const [key, arg] = first;
    if (key === 'Ref') return resolveRef(String(arg), template);
    if (key === 'Fn::GetAtt') {
      const [logicalId, attribute] = arg as [string, string];
      const resource = template.Resources[logicalId];
      if (!resource) throw new Error(`Fn::GetAtt of unknown resource ${logicalId}`);
      if (attribute !== 'Arn')
        throw new Error(`Fn::GetAtt ${logicalId}.${attribute} has no local placeholder`);
      return localArn(logicalId, resource.Type);
    }
    if (key === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => String(resolveIntrinsics(p, template))).join(separator);
    }
    if (key.startsWith('Fn::')) throw new Error(`${key} has no local placeholder`);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, template)]));
}

function resolveRef(name: string, template: CfnTemplate): string {
  const pseudo = PSEUDO[name];
  if (pseudo !== undefined) return pseudo;
  const resource = template.Resources[name];
  if (!resource) throw new Error(`Ref to unknown resource or parameter ${name}`);
  return localRef(name, resource.Type);
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

/**
 * Synthesizes the stack for a config (no bundling, no AWS account) and returns its workflow
 * definition with local placeholders, plus which queue belongs to which target and which
 * function runs which entry. The execution timeout is capped at {@link MAX_LOCAL_TIMEOUT_SECONDS}.
 */
export function renderLocalAsl(config: ScimitarConfig): LocalAsl {
  // Skipping bundling keeps this fast: the definition does not depend on the function code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ScimitarStack(app, config.stackName, { config });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;

  // The workflow builds a lane's URL from the target id (lib/workflow.ts, SendToLane): the same
  // convention, with the local placeholders for region and account.
  const queues: Record<string, string> = {};
  for (const lane of stack.lanes) {
    queues[`${localQueueUrlPrefix()}${laneQueueName(config.stackName, lane.targetId)}`] = lane.targetId;
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
  return { definition, queues, functions };
}
