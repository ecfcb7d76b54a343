// Builds the scimitar stack for a config, once per test file, and helps read IAM policies out
// of the template. Bundling is skipped unless asked for: template assertions do not need code.
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import {
  parseConfig,
  type ScimitarConfig,
  type ScimitarConfigInput,
} from '../../lambdas/core/model/config.ts';
import { ScimitarStack, type ScimitarStackProps } from '../../lib/scimitar-stack.ts';
import sample from '../../scimitar.config.ts';

export interface Built {
  readonly config: ScimitarConfig;
  readonly stack: ScimitarStack;
  readonly template: Template;
}

export function build(
  input: ScimitarConfigInput = sample,
  options: { bundle?: boolean; props?: Omit<ScimitarStackProps, 'config'> } = {},
): Built {
  const config = parseConfig(input);
  const app = new App({ context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ScimitarStack(app, config.stackName, { ...options.props, config });
  return { config, stack, template: Template.fromStack(stack) };
}

/** A config with one SCIM target per given id, each overridable. */
export function configWith(
  targets: Array<{ id: string } & Record<string, unknown>>,
  extra: Partial<ScimitarConfigInput> = {},
): ScimitarConfigInput {
  return {
    sources: [{ id: 'generic', kind: 'generic' }],
    targets: targets.map((t) => ({
      kind: 'scim',
      displayName: `App ${t.id}`,
      owner: 'owner@example.com',
      baseUrl: `https://${t.id}.example.com/scim/v2`,
      ...t,
    })) as ScimitarConfigInput['targets'],
    ...extra,
  };
}

/**
 * An ARN of this account and region as the template spells it (a Fn::Join of the pseudo
 * parameters): `arn:<partition>:<service>:<region>:<account>` followed by `resource`, which starts
 * with its own `:`.
 */
export function stackArn(service: string, resource: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        resource,
      ],
    ],
  };
}

/** `https://sqs.<region>.<suffix>/<account>/` followed by `path`, as the template spells it. */
export function stackQueueUrl(path: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'https://sqs.',
        { Ref: 'AWS::Region' },
        '.',
        { Ref: 'AWS::URLSuffix' },
        '/',
        { Ref: 'AWS::AccountId' },
        `/${path}`,
      ],
    ],
  };
}

/** The template of the stack a construct lives in (a lane shard's nested template for a lane). */
export function templateOf(construct: IConstruct): Template {
  return Template.fromStack(Stack.of(construct));
}

export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/** The logical id of a function's execution role. */
export function roleId(fn: IFunction): string {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return logicalId(fn.role);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the identity policies attached to a role, by the role's logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as Array<{ Ref?: string }>).some((r) => r.Ref === roleLogicalId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** Every statement of every identity policy in the template. */
export function allStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Statement[],
  );
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Whether a statement's resources mention a logical id (Ref or Fn::GetAtt, however nested). */
export function mentions(value: unknown, id: string): boolean {
  return JSON.stringify(value).includes(`"${id}"`);
}

/** `arn:<partition>:cloudwatch:<region>:<account>:alarm:*` as the template spells it: this account's alarms. */
export const THIS_ACCOUNTS_ALARMS = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':alarm:*',
    ],
  ],
};

/**
 * The WHERE clauses of every Metrics Insights alarm expression in a template whose operators fall
 * outside AWS's grammar: `=`, `!=` and `AND` only (CloudWatch User Guide, "Metrics Insights query
 * components and syntax", section WHERE, "Supported operators":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html).
 * CloudWatch refuses an alarm with any other (LIKE, OR, IN, <, …) when it is created.
 */
export function alarmWhereOutsideGrammar(template: {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}): string[] {
  const bad: string[] = [];
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const metrics = (r.Properties?.Metrics as { Expression?: unknown }[] | undefined) ?? [];
    for (const { Expression } of metrics) {
      if (typeof Expression !== 'string' || !/^\s*SELECT\b/i.test(Expression)) continue;
      const where = Expression.match(/\bWHERE\s+(.+?)(?:\s+GROUP\s+BY\b|\s+ORDER\s+BY\b|\s+LIMIT\b|$)/i)?.[1];
      if (!where) continue;
      // Each clause joined by AND must be `dimension = 'value'` or `dimension != 'value'`.
      const clauses = where.split(/\s+AND\s+/i);
      if (!clauses.every((c) => /^\s*"?[\w.-]+"?\s*!?=\s*'[^']*'\s*$/.test(c)))
        bad.push(`${id}: ${Expression}`);
    }
  }
  return bad;
}
