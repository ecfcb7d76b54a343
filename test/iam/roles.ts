// The roles of the synthesized stack as the IAM proof sees them: who each role belongs to (a
// function by its entry and target, or the state machine), and its identity-policy statements with
// the template's intrinsic functions resolved to the names the local runtime gives the resources,
// in the local account and region (local/aws-calls.ts records calls in the same form).
import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type ScimitarConfig, sourceSecretName, targetSecretName } from '../../lambdas/core/model/config.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, PSEUDO } from '../../lib/asl.ts';
import type { ScimitarStack } from '../../lib/scimitar-stack.ts';
import { LOCAL_NAMES, localArns } from '../../local/aws-calls.ts';
import { build } from '../cdk/fixture.ts';
import type { PolicyStatement } from './policy.ts';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

/** A role of the stack and whose it is. */
export interface Principal {
  /** `worker (code)`, `plan`, `state-machine`. */
  readonly label: string;
  /** The Lambda entry, or `state-machine`. */
  readonly entry: string;
  /** A per-target function's target (its TARGET_ID). */
  readonly targetId?: string;
  readonly roleLogicalId: string;
  /** Identity-policy statements, resolved; each tagged with where it is: `<policy logical id> statement <n>`. */
  readonly statements: readonly (PolicyStatement & { readonly policy: string })[];
  /** Policies the proof cannot read (managed policies by ARN). */
  readonly unreadable: readonly string[];
}

export interface StackModel {
  readonly config: ScimitarConfig;
  readonly template: CfnTemplate;
  readonly principals: readonly Principal[];
  /** Resolved ARN → logical id, to name resources readably in reports. */
  readonly logicalIdOf: ReadonlyMap<string, string>;
}

/** The local runtime's name for each resource it stands in for, by logical id. */
export function localNames(stack: ScimitarStack, config: ScimitarConfig): Map<string, string> {
  const id = (construct: IConstruct) =>
    Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
  const names = new Map<string, string>([
    [id(stack.auditStore.auditTable), LOCAL_NAMES.auditTable],
    [id(stack.auditStore.stateTable), LOCAL_NAMES.stateTable],
    [id(stack.alerting.alertTopic), LOCAL_NAMES.alertTopic],
    [id(stack.alerting.ownerTopic), LOCAL_NAMES.ownerTopic],
    [id(stack.workflow.stateMachine), LOCAL_NAMES.stateMachine(config.stackName)],
  ]);
  for (const lane of stack.lanes) {
    names.set(id(lane.queue), LOCAL_NAMES.laneQueue(config.stackName, lane.targetId));
    names.set(id(lane.deadLetterQueue), LOCAL_NAMES.deadLetterQueue(config.stackName, lane.targetId));
  }
  for (const target of config.targets) {
    if (target.kind === 'scim' || target.kind === 'session')
      names.set(id(stack.vault.targetSecret(target.id)), targetSecretName(target));
  }
  for (const source of config.sources)
    names.set(id(stack.vault.sourceSecret(source.id)), sourceSecretName(source));
  return names;
}

/** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split to local names and ARNs. */
export class Resolver {
  constructor(
    private readonly template: CfnTemplate,
    private readonly names: ReadonlyMap<string, string>,
    private readonly stackName = 'Scimitar',
  ) {}

  name(logicalId: string): string {
    const bound = this.names.get(logicalId);
    if (bound) return bound;
    const props = this.template.Resources[logicalId]?.Properties ?? {};
    for (const key of ['Name', 'TableName', 'QueueName', 'TopicName', 'StateMachineName', 'FunctionName']) {
      if (typeof props[key] === 'string') return props[key];
    }
    return logicalId;
  }

  arn(logicalId: string): string {
    const type = this.template.Resources[logicalId]?.Type ?? '';
    const name = this.name(logicalId);
    const arn = (service: string, rest: string) =>
      `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${rest}`;
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return arn('dynamodb', `table/${name}`);
      case 'AWS::SQS::Queue':
        return arn('sqs', name);
      case 'AWS::SecretsManager::Secret':
        // The secret's full ARN, with the six characters Secrets Manager appends to its name.
        return localArns.secret(name);
      case 'AWS::SNS::Topic':
        return arn('sns', name);
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${name}`);
      case 'AWS::Lambda::Function':
        return arn('lambda', `function:${name}`);
      case 'AWS::KMS::Key':
        return arn('kms', `key/${name}`);
      case 'AWS::Logs::LogGroup':
        return arn('logs', `log-group:${name}:*`);
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`;
      default:
        return arn(type.split('::')[1]?.toLowerCase() ?? 'unknown', name);
    }
  }

  ref(name: string): string {
    const pseudo = PSEUDO[name];
    if (pseudo !== undefined) return pseudo;
    if (name === 'AWS::StackName') return this.stackName;
    const type = this.template.Resources[name]?.Type;
    if (!type) return `{Ref ${name}}`; // a parameter: left as a placeholder that matches nothing
    if (type === 'AWS::SQS::Queue')
      return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${this.name(name)}`;
    if (
      ['AWS::DynamoDB::Table', 'AWS::Lambda::Function', 'AWS::Logs::LogGroup', 'AWS::S3::Bucket'].includes(
        type,
      )
    )
      return this.name(name);
    return this.arn(name);
  }

  getAtt(logicalId: string, attribute: string): string {
    if (attribute === 'Arn') return this.arn(logicalId);
    if (attribute === 'StreamArn') return `${this.arn(logicalId)}/stream/local`;
    if (['QueueName', 'TopicName', 'Name'].includes(attribute)) return this.name(logicalId);
    if (attribute === 'QueueUrl') return this.ref(logicalId);
    return `{${logicalId}.${attribute}}`;
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first) {
      const [fn, arg] = first;
      if (fn === 'Ref') return this.ref(String(arg));
      if (fn === 'Fn::GetAtt') {
        const [logicalId, attribute] = typeof arg === 'string' ? arg.split('.') : (arg as string[]);
        return this.getAtt(String(logicalId), String(attribute));
      }
      if (fn === 'Fn::Join') {
        const [separator, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map(String).join(separator);
      }
      if (fn === 'Fn::Select') {
        const [index, items] = arg as [number | string, unknown];
        return (this.resolve(items) as unknown[])[Number(index)];
      }
      if (fn === 'Fn::Split') {
        const [separator, text] = arg as [string, unknown];
        return String(this.resolve(text)).split(separator);
      }
      if (fn === 'Fn::Sub') return this.sub(arg);
      if (fn.startsWith('Fn::')) return `{${fn}}`;
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  private sub(arg: unknown): string {
    const [text, variables = {}] =
      typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in variables) return String(this.resolve(variables[name]));
      const [logicalId, attribute] = name.split('.');
      return attribute ? this.getAtt(logicalId ?? '', attribute) : this.ref(name);
    });
  }
}

/** Every role that runs scimitar code (a function with an entry, or the state machine), with its statements. */
export function principalsOf(template: CfnTemplate, resolver: Resolver): Principal[] {
  const roleOf = (value: unknown): string | undefined => {
    const att = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    return att?.[0];
  };
  const owners: { label: string; entry: string; targetId?: string; role: string }[] = [];
  for (const resource of Object.values(template.Resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::Lambda::Function') {
      const env = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      const service = env.POWERTOOLS_SERVICE_NAME;
      const role = roleOf(props.Role);
      if (typeof service !== 'string' || !service.startsWith('scimitar-') || !role) continue;
      const entry = service.slice('scimitar-'.length);
      const targetId = typeof env.TARGET_ID === 'string' ? env.TARGET_ID : undefined;
      owners.push({
        label: targetId ? `${entry} (${targetId})` : entry,
        entry,
        role,
        ...(targetId ? { targetId } : {}),
      });
    }
    if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      const role = roleOf(props.RoleArn);
      if (role) owners.push({ label: 'state-machine', entry: 'state-machine', role });
    }
  }
  return owners.map(({ role, ...owner }) => {
    const statements: (PolicyStatement & { policy: string })[] = [];
    const unreadable: string[] = [];
    const add = (policy: string, document: unknown) => {
      const resolved = resolver.resolve(document) as { Statement?: PolicyStatement | PolicyStatement[] };
      const list = Array.isArray(resolved.Statement)
        ? resolved.Statement
        : resolved.Statement
          ? [resolved.Statement]
          : [];
      for (const [n, statement] of list.entries())
        statements.push({ ...statement, policy: `${policy} statement ${n}` });
    };
    const roleProps = template.Resources[role]?.Properties ?? {};
    for (const inline of (roleProps.Policies as
      | { PolicyName: string; PolicyDocument: unknown }[]
      | undefined) ?? [])
      add(`${role}/${inline.PolicyName}`, inline.PolicyDocument);
    for (const managed of (roleProps.ManagedPolicyArns as unknown[] | undefined) ?? [])
      unreadable.push(JSON.stringify(managed));
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const roles = (resource.Properties?.Roles as { Ref?: string }[] | undefined) ?? [];
      if (roles.some((r) => r.Ref === role)) add(logicalId, resource.Properties?.PolicyDocument);
    }
    return { ...owner, roleLogicalId: role, statements, unreadable };
  });
}

const models = new Map<string, StackModel>();

/** Synthesizes the stack for a config (no bundling) and reads its roles; once per config and process. */
export function stackModel(config: ScimitarConfig): StackModel {
  const key = JSON.stringify(config);
  const known = models.get(key);
  if (known) return known;
  const model = synthesize(config);
  models.set(key, model);
  return model;
}

function synthesize(config: ScimitarConfig): StackModel {
  const { stack, template: assertions } = build(config);
  const template = assertions.toJSON() as CfnTemplate;
  const resolver = new Resolver(template, localNames(stack, config), config.stackName);
  const logicalIdOf = new Map<string, string>();
  for (const logicalId of Object.keys(template.Resources))
    logicalIdOf.set(resolver.arn(logicalId), logicalId);
  return { config, template, principals: principalsOf(template, resolver), logicalIdOf };
}
