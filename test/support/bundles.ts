// Synthesizes the stack with bundling on and reads each function's staged asset, as `cdk deploy`
// would upload it. Shared by the bundle-size test and `npm run bench:cold`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { ProjectedConfig } from '../../lambdas/aws/config-guard.ts';
import { parseConfig, type ScimitarConfigInput } from '../../lambdas/core/model/config.ts';
import { ScimitarStack } from '../../lib/scimitar-stack.ts';

export interface FunctionBundle {
  /** The function's entry, from its POWERTOOLS_SERVICE_NAME (`scimitar-<entry>`). */
  readonly entry: string;
  /** The staged asset directory. */
  readonly dir: string;
  /** File name → contents. */
  readonly files: Record<string, string>;
  /** The function's environment, with what CloudFormation would resolve filled in as placeholders. */
  readonly environment: Record<string, string>;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** What Ref (or Fn::GetAtt …Arn) of a resource resolves to, shaped as AWS would answer, for a made-up account. */
function placeholder(type: string, logicalId: string, attribute?: string): string {
  const name = logicalId.toLowerCase();
  switch (type) {
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
    case 'AWS::SQS::Queue':
      return attribute === 'Arn'
        ? `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`
        : `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
    case 'AWS::DynamoDB::Table':
      return attribute === 'Arn' ? `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}` : name;
    default:
      return attribute === 'Arn'
        ? `arn:aws:${type.split('::')[1]?.toLowerCase()}:${REGION}:${ACCOUNT}:${name}`
        : name;
  }
}

function resolve(value: unknown, resources: Record<string, { Type: string }>): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v['Fn::Join']) return v['Fn::Join'][1].map((part) => resolve(part, resources)).join(v['Fn::Join'][0]);
  if (v.Ref === 'AWS::Region') return REGION;
  if (v.Ref === 'AWS::AccountId') return ACCOUNT;
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  const [id, attribute] = v.Ref ? [v.Ref, undefined] : (v['Fn::GetAtt'] ?? ['unknown', undefined]);
  return placeholder(resources[id]?.Type ?? 'AWS::Unknown::Thing', id, attribute);
}

export function synthesizeBundles(input: ScimitarConfigInput): FunctionBundle[] {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new ScimitarStack(app, 'Bundles', { config: parseConfig(input) });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  const functions = template.findResources('AWS::Lambda::Function');
  const outdir = app.synth().directory;
  return Object.values(functions)
    .filter((fn) => fn.Metadata?.['aws:asset:path'])
    .map((fn) => {
      const dir = join(outdir, fn.Metadata['aws:asset:path']);
      const files = Object.fromEntries(
        readdirSync(dir)
          .filter((f) => statSync(join(dir, f)).isFile())
          .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
      );
      const environment = Object.fromEntries(
        Object.entries((fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).map(
          ([k, v]) => [k, resolve(v, resources)],
        ),
      );
      const service = environment.POWERTOOLS_SERVICE_NAME ?? '';
      return { entry: service.replace(/^scimitar-/, ''), dir, files, environment };
    });
}

/**
 * The sample config plus a target whose token rotates through an API and a roster pulled from a
 * Workday tenant, so every entry is deployed.
 */
export function withEveryFunction(config: ScimitarConfigInput): ScimitarConfigInput {
  return {
    ...config,
    sources: [
      ...config.sources,
      {
        id: 'workday',
        kind: 'workday',
        host: 'https://wd2-impl-services1.workday.com',
        tenant: 'example',
        rosterReport: 'ISU_Scimitar/Scimitar_Workers',
      },
    ],
    roster: { source: 'workday' },
    targets: [
      ...config.targets,
      {
        id: 'minted',
        kind: 'scim',
        displayName: 'Minted tokens',
        owner: 'owner@example.com',
        baseUrl: 'https://minted.example.com/scim/v2',
        rotation: { strategy: 'api', endpoint: 'https://minted.example.com/tokens' },
      },
    ],
  };
}

/**
 * The config a bundle carries, inflated as its injected module does at cold start (gzip, base64,
 * lib/scimitar-function.ts); undefined when it carries none.
 */
export function inlinedConfig(code: string): ProjectedConfig | undefined {
  const packed = /Buffer\.from\("([A-Za-z0-9+/=]+)","base64"\)/.exec(code)?.[1];
  if (!packed) return undefined;
  return JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8')) as ProjectedConfig;
}
