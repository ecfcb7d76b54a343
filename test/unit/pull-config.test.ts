// The pulled sources' config: the roster's source must be able to serve it, the API credential is
// a secret of its own, and each Workday field refuses what the RaaS URL could not carry.
import { describe, expect, it } from 'vitest';
import { checkConfig, parseConfig, type ScimitarConfigInput } from '../../lambdas/core/model/config.ts';

const target = {
  id: 'app',
  kind: 'scim',
  displayName: 'App',
  owner: 'it@example.com',
  baseUrl: 'https://app.example.com/scim/v2',
} as const;
const workday = {
  id: 'wd',
  kind: 'workday',
  host: 'https://wd2-impl-services1.workday.com',
  tenant: 'acme',
} as const;
const config = (extra: Partial<ScimitarConfigInput>): ScimitarConfigInput => ({
  sources: [{ id: 'generic', kind: 'generic' }],
  targets: [target],
  ...extra,
});

describe('config: roster pull and pulled sources', () => {
  it('resolves the API secret beside the signing key, and the Workday user as the source secret', () => {
    const parsed = parseConfig(
      config({
        sources: [{ id: 'bamboo', kind: 'bamboohr', api: { companyDomain: 'acme' } }, workday],
        roster: { source: 'bamboo' },
      }),
    );
    expect(parsed.sources[0]).toMatchObject({
      secretName: 'Scimitar/sources/bamboo',
      api: {
        companyDomain: 'acme',
        baseUrl: 'https://api.bamboohr.com/api/gateway.php',
        secretName: 'Scimitar/sources/bamboo/api',
        existingSecret: false,
      },
    });
    expect(parsed.sources[1]).toMatchObject({
      secretName: 'Scimitar/sources/wd',
      columns: { employeeId: 'Employee_ID' },
    });
    expect(parsed.roster).toEqual({ source: 'bamboo', schedule: 'rate(6 hours)' });
  });

  it('refuses a roster source that is unknown, generic, or has nothing to read', () => {
    expect(checkConfig(config({ roster: { source: 'nope' } })).join('\n')).toContain(
      'names no configured source; no source can yet',
    );
    expect(checkConfig(config({ roster: { source: 'generic' } })).join('\n')).toContain(
      'source "generic" is generic (push only)',
    );
    expect(
      checkConfig(
        config({ sources: [{ id: 'bamboo', kind: 'bamboohr' }], roster: { source: 'bamboo' } }),
      ).join('\n'),
    ).toContain('source "bamboo" (bamboohr) has no api block');
    expect(checkConfig(config({ sources: [workday], roster: { source: 'wd' } })).join('\n')).toContain(
      'source "wd" (workday) has no rosterReport',
    );
  });

  it('refuses a Workday host over plain http, a report path without its owner, and a hostile tenant', () => {
    const problems = checkConfig(
      config({
        sources: [
          {
            ...workday,
            host: 'http://wd.example.com',
            tenant: 'acme/../x',
            terminations: { report: 'Terminations?format=xml' },
          },
        ],
      }),
    ).join('\n');
    expect(problems).toContain('must be https://');
    expect(problems).toContain('must be the Workday tenant name');
    expect(problems).toContain('must be "<report owner>/<report name>"');
  });

  it('refuses a BambooHR company domain that is not a subdomain', () => {
    expect(
      checkConfig(
        config({ sources: [{ id: 'bamboo', kind: 'bamboohr', api: { companyDomain: 'acme.com/x' } }] }),
      ).join('\n'),
    ).toContain('must be the BambooHR subdomain');
  });
});
