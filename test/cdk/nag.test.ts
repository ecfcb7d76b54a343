import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Built, build, configWith } from './fixture.ts';

/** Actions that AWS authorizes only on Resource "*". */
const RESOURCELESS_ACTIONS =
  /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|secretsmanager:GetRandomPassword|dynamodb:ListStreams|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;

/** Rule ids cdk-nag (AWS Solutions) reports for a stack, acknowledged ones excluded. */
function findings(built: Built): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description.slice(0, 160)}`),
  );
}

/** Every acknowledgement in the stack, with its reason. */
function acknowledgements(built: Built): Array<{ path: string; id: string; reason: string }> {
  return built.stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag: AWS Solutions checks', () => {
  let sample: Built;
  let rotating: Built;
  beforeAll(() => {
    // Not bundled: cdk-nag reads the template, not the code (test/cdk/bundles.test.ts bundles).
    sample = build();
    rotating = build(
      configWith([
        { id: 'apirot', rotation: { strategy: 'api', endpoint: 'https://apirot.example.com/token' } },
        {
          id: 'oauth',
          auth: { type: 'oauth2-client-credentials', tokenUrl: 'https://oauth.example.com/t', clientId: 'c' },
          rotation: { strategy: 'oauth2' },
          mode: 'report-only',
        },
      ]),
    );
  }, 180_000);

  it('finds nothing unacknowledged in the stack for the sample config', () => {
    expect(findings(sample)).toEqual([]);
  });

  it('finds nothing unacknowledged with rotating targets, OAuth2 and report-only lanes', () => {
    expect(findings(rotating)).toEqual([]);
  });

  it("puts the config in no function's environment (test/cdk/bundles.test.ts: the bundles carry it)", () => {
    const functions = sample.template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThan(5);
    for (const fn of Object.values(functions)) {
      expect(JSON.stringify(fn.Properties.Environment ?? {})).not.toContain('SCIMITAR_CONFIG');
    }
  });

  it('is not vacuous: it reports an unencrypted queue', () => {
    const probe = build(configWith([{ id: 'probe' }]));
    const queue = probe.stack.lanes[0]?.deadLetterQueue.node.defaultChild as CfnQueue;
    queue.sqsManagedSseEnabled = false;
    expect(findings(probe).join('\n')).toContain('AwsSolutions-SQS2');
  });

  it('gives every acknowledgement a specific reason', () => {
    const acks = acknowledgements(sample);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(40);
    }
  });

  it('acknowledges wildcard resources only where AWS requires them', () => {
    const acked = [sample, rotating].flatMap(acknowledgements).filter((a) => a.id.includes('IAM5'));
    const ids = new Set(acked.map((a) => a.id.replace(/^Annotation::/i, '')));
    for (const id of ids) {
      expect(id).toMatch(
        /^AwsSolutions-IAM5\[(Resource::\*|Action::kms:GenerateDataKey\*|Resource::<(Workflow\w+|CredentialsCanary|Reconciler)Function\w+\.Arn>:\*|Resource::<AuditArchiveBucket\w+\.Arn>\/(entries|changes)\/\*|Resource::<AuditArchiveDeliveryBucket\w+\.Arn>\/deliveries\/\*|Resource::arn:<AWS::Partition>:(sqs:<AWS::Region>:<AWS::AccountId>:Scimitar_(lane|prio|dlq)_|secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:Scimitar\/targets\/|scheduler:<AWS::Region>:<AWS::AccountId>:schedule\/Scimitar-terminations\/|cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:Scimitar-|cloudformation:<AWS::Region>:<AWS::AccountId>:stack\/Scimitar\/)\*|Resource::<AuditStore(Audit|State)Table\w+\.Arn>\/index\/\*|Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"WorkflowStateMachine\w+"\}\]\}\]\}:\*)\]$/,
      );
    }
    // A role whose "*" is acknowledged must use it only for actions that take no resource.
    const policies = [sample, rotating].flatMap((b) =>
      Object.values(b.template.findResources('AWS::IAM::Policy')),
    );
    for (const policy of policies) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (statement.Resource !== '*') continue;
        const actions: string[] = [statement.Action].flat();
        for (const action of actions) {
          expect(action).toMatch(RESOURCELESS_ACTIONS);
        }
      }
    }
  });
});

describe('the CDK app (bin/scimitar.ts)', () => {
  it('fails synth on an invalid config with the ValidationError message and no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scimitar-cdk-'));
    const file = join(dir, 'bad.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        sources: [{ id: 'generic', kind: 'generic' }],
        targets: [
          {
            id: 'app',
            kind: 'scim',
            displayName: 'App',
            owner: 'o@example.com',
            baseUrl: 'https://app.example.com/scim/v2',
            leaverAction: 'suspend',
          },
        ],
      }),
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/scimitar.ts'], {
      env: { ...process.env, SCIMITAR_CONFIG_FILE: file, CDK_OUTDIR: join(dir, 'out') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid config in');
    expect(result.stderr).toContain('target "app" (targets[0]) field "leaverAction"');
    expect(result.stderr).toContain('"suspend"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
