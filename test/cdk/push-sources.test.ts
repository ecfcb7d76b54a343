// The stack for the push sources: Okta's verification GET exists only with an okta-event-hook
// source; with an entra-lcw source, Summarize may read that source's secret (and no other) and the
// audit log; cdk-nag finds nothing unacknowledged.
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOf, type Built, build, configWith, roleId, statementsOfRole } from './fixture.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
let plain: Built;
let push: Built;

beforeAll(() => {
  plain = build(configWith([{ id: 'wiki' }]));
  push = build(
    configWith([{ id: 'wiki' }], {
      sources: [
        { id: 'generic', kind: 'generic' },
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
    }),
  );
}, 180_000);

const methods = (built: Built, verb: string) =>
  Object.keys(built.template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: verb } }));

/** The policy statements attached to the Summarize function's role. */
const summarizeStatements = (built: Built) =>
  statementsOfRole(built.template, roleId(built.stack.workflow.summarizeFunction));

describe('IngestApi and Summarize for the push sources', () => {
  it('adds GET /events/{source} (the challenge header required) only with an okta-event-hook source', () => {
    expect(methods(plain, 'GET')).toEqual([]);
    expect(methods(push, 'GET')).toHaveLength(1);
    push.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: {
        'method.request.path.source': true,
        'method.request.header.X-Okta-Verification-Challenge': true,
      },
      Integration: Match.objectLike({ Type: 'AWS_PROXY' }),
    });
  });

  it("lets Summarize read the entra-lcw source's secret only, and the audit log, only when such a source exists", () => {
    const reads = (built: Built) =>
      summarizeStatements(built).filter((s) =>
        JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'),
      );
    expect(reads(plain)).toEqual([]);
    const granted = reads(push);
    expect(granted).toHaveLength(1);
    const resource = JSON.stringify(granted[0]?.Resource);
    expect(resource).toMatch(/TokenVaultSourceentra/);
    expect(resource).not.toMatch(/Sourceokta|Sourcehibob|Sourcegeneric/);
    // The event's RECEIVED entry names the resume path: a Query on the audit table.
    const queriesAudit = (built: Built) =>
      summarizeStatements(built).some(
        (s) =>
          actionsOf(s).includes('dynamodb:Query') &&
          JSON.stringify(s.Resource).includes('AuditStoreAuditTable'),
      );
    expect(queriesAudit(push)).toBe(true);
    expect(queriesAudit(plain)).toBe(false);
  });

  it('finds nothing unacknowledged by cdk-nag with every push source', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(push.stack);
    expect(
      report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
      ),
    ).toEqual([]);
  });
});
