// Synthesizes the stack with bundling on and reads each function's staged asset, as `cdk deploy`
// would upload it. Shared by the bundle-size test and `npm run bench:cold`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig, type ScimitarConfigInput } from '../../lambdas/core/config.ts';
import { ScimitarStack } from '../../lib/scimitar-stack.ts';

export interface FunctionBundle {
  /** The function's entry, from its POWERTOOLS_SERVICE_NAME (`scimitar-<entry>`). */
  readonly entry: string;
  /** The staged asset directory. */
  readonly dir: string;
  /** File name → contents. */
  readonly files: Record<string, string>;
  /** The function's environment as synthesized; values CloudFormation resolves are left as JSON. */
  readonly environment: Record<string, unknown>;
}

export function synthesizeBundles(input: ScimitarConfigInput): FunctionBundle[] {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new ScimitarStack(app, 'Bundles', { config: parseConfig(input) });
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
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
      const environment = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      const service = String(environment.POWERTOOLS_SERVICE_NAME ?? '');
      return { entry: service.replace(/^scimitar-/, ''), dir, files, environment };
    });
}

/** The sample config plus a target whose token rotates through an API, so every entry is deployed. */
export function withEveryFunction(config: ScimitarConfigInput): ScimitarConfigInput {
  return {
    ...config,
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
