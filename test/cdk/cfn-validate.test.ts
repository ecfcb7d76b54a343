// The CDK's built-in CloudFormation validation (resource schemas, allowed values and ranges), its
// default rules turned into errors and its warnings made to fail too: the stack for the configs
// that deploy every function, source and target kind scimitar has. The rest of the suite
// synthesizes without it (test/cdk/validation-setup.ts); test/cdk/scale.test.ts runs it at 200 targets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig, type ScimitarConfigInput } from '../../lambdas/core/model/config.ts';
import { ScimitarStack } from '../../lib/scimitar-stack.ts';
import sample from '../../scimitar.config.ts';
import { withEveryFunction } from '../support/bundles.ts';
import { configWith } from './fixture.ts';

/** The context that makes what the validation finds fail the synth: errors, and warnings too. */
const STRICT_CFN_VALIDATION = {
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/core:strictCfnValidateErrors': true,
};

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** The sample config with every function, every push source and a rotating, an OAuth2 and a report-only target. */
const everything: ScimitarConfigInput = (() => {
  const every = withEveryFunction(sample);
  const extra = configWith([
    { id: 'apirot', rotation: { strategy: 'api', endpoint: 'https://apirot.example.com/token' } },
    {
      id: 'oauth',
      auth: { type: 'oauth2-client-credentials', tokenUrl: 'https://oauth.example.com/t', clientId: 'c' },
      rotation: { strategy: 'oauth2' },
      mode: 'report-only',
    },
  ]);
  return {
    ...every,
    sources: [
      ...every.sources,
      { id: 'okta', kind: 'okta-event-hook' },
      { id: 'hibob', kind: 'hibob' },
      {
        id: 'entra',
        kind: 'entra-lcw',
        tenantId: TENANT,
        audience: 'api://scimitar',
        allowedCallers: [TENANT],
      },
    ],
    targets: [...every.targets, ...extra.targets],
  };
})();

/** Synthesizes with the validation as errors; the directory of the cloud assembly. */
function synthesizeStrict(build: (app: App) => void): string {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...STRICT_CFN_VALIDATION } });
  build(app);
  return app.synth().directory;
}

describe('CloudFormation validation of the stack, its findings as errors', () => {
  // On for this file only: the suite's setup turned it off for every test process.
  beforeAll(() => {
    vi.stubEnv('CDK_VALIDATION', 'true');
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('finds nothing in the stack for the sample config with every function, push source and credential kind', () => {
    const config = parseConfig(everything);
    expect(new Set(config.sources.map((s) => s.kind))).toEqual(
      new Set(['bamboohr', 'generic', 'workday', 'okta-event-hook', 'hibob', 'entra-lcw']),
    );
    const outdir = synthesizeStrict((app) => new ScimitarStack(app, config.stackName, { config }));
    // The report is written only when the validation ran; it lists no finding.
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
  });

  it('is not vacuous: it fails the synth of a queue with an out-of-range visibility timeout', () => {
    let outdir = '';
    expect(() => {
      outdir = synthesizeStrict((app) => {
        const queue = new CfnQueue(new Stack(app, 'Probe'), 'Queue', {});
        queue.addPropertyOverride('VisibilityTimeout', 999_999);
      });
    }).toThrow('VisibilityTimeout: 999999 is greater than the maximum of 43200 (CloudFormation Validate)');
    expect(outdir).toBe('');
  });
});
