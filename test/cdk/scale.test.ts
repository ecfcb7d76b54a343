// 200 applications in one deployment: the CDK app synthesizes a config of 200 SCIM targets and 20
// manual ones offline, cdk-nag clean, and every template stays within CloudFormation's quotas
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
// 500 resources, 200 outputs, 200 parameters, 200 mappings per template; a template body of at
// most 1 MB from S3 (where cdk deploy puts every template of this size) or 51,200 bytes inline.
// IAM allows 10,240 characters of inline policy per role; Lambda 4 KB of environment per function.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import { scaleConfig } from '../support/scale-config.ts';
import { alarmWhereOutsideGrammar } from './fixture.ts';

const LIMITS = {
  resources: 500,
  outputs: 200,
  parameters: 200,
  mappings: 200,
  templateBytesFromS3: 1024 * 1024,
  inlinePolicyCharsPerRole: 10_240,
  lambdaEnvironmentBytes: 4096,
};

interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
  Mappings?: Record<string, unknown>;
}

/** A value's length once deployed, each intrinsic counted as the longest ARN it could resolve to (256). */
function resolvedLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + resolvedLength(v), 0);
  if (value && typeof value === 'object') {
    const [key, arg] = Object.entries(value)[0] ?? [];
    if (key === 'Ref' || key === 'Fn::GetAtt' || key === 'Fn::ImportValue') return 256;
    if (key === 'Fn::Join') return resolvedLength((arg as [string, unknown[]])[1]);
  }
  return JSON.stringify(value).length;
}

/** A policy document's characters without whitespace, as IAM counts them, intrinsics resolved pessimistically. */
function policyChars(document: unknown): number {
  const json = JSON.stringify(document, (_key, value) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) {
        return 'x'.repeat(resolvedLength(value));
      }
    }
    return value;
  });
  return json.replace(/\s/g, '').length;
}

describe('200 SCIM targets in one deployment (bin/scimitar.ts, SCIMITAR_CONFIG_FILE)', () => {
  let templates: Map<string, { body: string; template: CfnTemplate }>;
  let synth: ReturnType<typeof spawnSync>;
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'scimitar-scale-'));
    synth = spawnSync(process.execPath, ['--import', 'tsx', 'bin/scimitar.ts'], {
      env: {
        ...process.env,
        SCIMITAR_CONFIG_FILE: 'test/fixtures/scale/200-targets.config.ts',
        CDK_OUTDIR: outdir,
        // The CDK's CloudFormation validation, off in the rest of the suite (test/cdk/validation-setup.ts),
        // with its findings as errors: at 200 targets, in the lane shards' templates too.
        CDK_VALIDATION: 'true',
        // Templates do not depend on the function code: skip bundling (npm run synth bundles).
        CDK_CONTEXT_JSON: JSON.stringify({
          'aws:cdk:bundling-stacks': [],
          '@aws-cdk/core:validateAgainstDefaultRules': true,
          '@aws-cdk/core:strictCfnValidateErrors': true,
        }),
      },
      encoding: 'utf8',
      timeout: 300_000,
    });
    templates = new Map(
      readdirSync(outdir)
        .filter((f) => f.endsWith('.template.json'))
        .map((f) => {
          const body = readFileSync(join(outdir, f), 'utf8');
          return [f, { body, template: JSON.parse(body) as CfnTemplate }];
        }),
    );
  }, 300_000);

  it("synthesizes with cdk-nag and the CDK's CloudFormation validation finding nothing (a finding fails the synth)", () => {
    expect(synth.stderr).not.toMatch(/AwsSolutions-/);
    expect(synth.stderr).not.toContain('CloudFormation Validate');
    expect(synth.status).toBe(0);
    // The validation ran: it writes its report into the cloud assembly.
    expect(readdirSync(outdir)).toContain('validation-report.json');
  });

  it('creates a lane and a secret for every SCIM target, across the root and its lane shards', () => {
    const all = [...templates.values()].flatMap(({ template }) => Object.values(template.Resources));
    const queueNames = all.filter((r) => r.Type === 'AWS::SQS::Queue').map((r) => r.Properties?.QueueName);
    expect(queueNames.filter((n) => String(n).startsWith('ScimitarScale_lane_'))).toHaveLength(200);
    expect(queueNames.filter((n) => String(n).startsWith('ScimitarScale_prio_'))).toHaveLength(200);
    expect(queueNames.filter((n) => String(n).startsWith('ScimitarScale_dlq_'))).toHaveLength(200);
    // Two per lane (its queue, its priority queue), plus the audit archive's on the audit table's
    // stream (main's archive, in the root).
    expect(all.filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')).toHaveLength(2 * 200 + 1);
    const secrets = all
      .filter((r) => r.Type === 'AWS::SecretsManager::Secret')
      .map((r) => r.Properties?.Name);
    expect(secrets.filter((n) => String(n).startsWith('ScimitarScale/targets/'))).toHaveLength(200);
    // One worker, whatever the target count.
    const workers = all.filter(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties).includes('"scimitar-worker"'),
    );
    expect(workers).toHaveLength(1);
    const root = templates.get('ScimitarScale.template.json')?.template;
    const shards = Object.values(root?.Resources ?? {}).filter(
      (r) => r.Type === 'AWS::CloudFormation::Stack',
    );
    expect(shards.length).toBeGreaterThan(1);
    expect(templates.size).toBe(shards.length + 1);
  });

  it("alarms on every lane's dead letters and oldest message (bulk and urgent) by queue name, with only =, != and AND in any alarm query", () => {
    const all = [...templates.values()].flatMap(({ template }) => Object.values(template.Resources));
    const alarmed = (metric: string) =>
      all
        .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.MetricName === metric)
        .map((r) => (r.Properties?.Dimensions as { Name: string; Value: unknown }[] | undefined)?.[0]?.Value)
        // The root's own queues (schedules' dead letters, archive failures) are named by CloudFormation.
        .filter((name): name is string => typeof name === 'string');
    const names = all.filter((r) => r.Type === 'AWS::SQS::Queue').map((r) => String(r.Properties?.QueueName));
    expect(alarmed('ApproximateNumberOfMessagesVisible').sort()).toEqual(
      names.filter((n) => n.startsWith('ScimitarScale_dlq_')).sort(),
    );
    expect(alarmed('ApproximateAgeOfOldestMessage').sort()).toEqual(
      names.filter((n) => n.startsWith('ScimitarScale_lane_') || n.startsWith('ScimitarScale_prio_')).sort(),
    );
    // AWS's Metrics Insights WHERE: =, != and AND only ("Supported operators",
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html).
    for (const [file, { template }] of templates)
      expect(alarmWhereOutsideGrammar(template), file).toEqual([]);
  });

  it('keeps every template within CloudFormation quotas: resources, outputs, parameters, mappings, body size', () => {
    expect(templates.size).toBeGreaterThan(1);
    for (const [file, { body, template }] of templates) {
      expect(Object.keys(template.Resources).length, `${file} resources`).toBeLessThanOrEqual(
        LIMITS.resources,
      );
      expect(Object.keys(template.Outputs ?? {}).length, `${file} outputs`).toBeLessThanOrEqual(
        LIMITS.outputs,
      );
      expect(Object.keys(template.Parameters ?? {}).length, `${file} parameters`).toBeLessThanOrEqual(
        LIMITS.parameters,
      );
      expect(Object.keys(template.Mappings ?? {}).length, `${file} mappings`).toBeLessThanOrEqual(
        LIMITS.mappings,
      );
      expect(Buffer.byteLength(body), `${file} bytes`).toBeLessThanOrEqual(LIMITS.templateBytesFromS3);
    }
  });

  it("keeps every role's inline policies within IAM's 10,240 characters, ARNs at their longest", () => {
    const byRole = new Map<string, number>();
    for (const [file, { template }] of templates) {
      for (const resource of Object.values(template.Resources)) {
        if (resource.Type !== 'AWS::IAM::Policy') continue;
        const roles = resource.Properties?.Roles as Array<{ Ref: string }>;
        for (const role of roles) {
          const key = `${file}:${role.Ref}`;
          byRole.set(key, (byRole.get(key) ?? 0) + policyChars(resource.Properties?.PolicyDocument));
        }
      }
    }
    expect(byRole.size).toBeGreaterThan(5);
    for (const [role, chars] of byRole)
      expect(chars, role).toBeLessThanOrEqual(LIMITS.inlinePolicyCharsPerRole);
  });

  it("keeps every function's environment within Lambda's 4 KB, values at their longest", () => {
    const functions = [...templates.values()].flatMap(({ template }) =>
      Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function'),
    );
    expect(functions.length).toBeGreaterThan(5);
    for (const [id, fn] of functions) {
      const variables =
        (fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {};
      const bytes = Object.entries(variables).reduce((n, [k, v]) => n + k.length + resolvedLength(v), 0);
      expect(bytes, id).toBeLessThanOrEqual(LIMITS.lambdaEnvironmentBytes);
    }
  });

  it('parses the example config: 200 SCIM targets and 20 manual ones', async () => {
    const file = (await import('../fixtures/scale/200-targets.config.ts')).default;
    const config = parseConfig(file);
    expect(config.targets.filter((t) => t.kind === 'scim')).toHaveLength(200);
    expect(config.targets.filter((t) => t.kind === 'manual')).toHaveLength(20);
    expect(parseConfig(scaleConfig(3))).toMatchObject({ stackName: 'ScimitarScale' });
  });
});
