import { describe, expect, it } from 'vitest';
import {
  parseConfig,
  type ScimitarConfigInput,
  type ScimTargetConfig,
  ValidationError,
} from '../../lambdas/core/model/config.ts';
import { presetNames, targetPresets } from '../../lambdas/core/targets/presets/index.ts';
import { patternPlaceholders } from '../../lambdas/core/targets/presets/preset.ts';

type TargetInput = ScimitarConfigInput['targets'][number];

function configWith(target: Record<string, unknown>): ScimitarConfigInput {
  return {
    sources: [{ id: 'generic', kind: 'generic' }],
    targets: [
      { id: 'app', kind: 'scim', displayName: 'App', owner: 'o@example.com', ...target } as TargetInput,
    ],
  };
}

function parsed(target: Record<string, unknown>): ScimTargetConfig {
  const config = parseConfig(configWith(target));
  return config.targets[0] as ScimTargetConfig;
}

function problemsOf(target: Record<string, unknown>): string[] {
  try {
    parseConfig(configWith(target));
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return [...(err as ValidationError).problems];
  }
  throw new Error('expected the config to be refused');
}

const VALUES: Record<string, Record<string, string>> = {
  'github-emu': { enterprise: 'acme' },
  atlassian: { directoryId: 'abcdeg1234' },
  'aws-iam-identity-center': { region: 'eu-west-1', tenantId: 'd-1234567890' },
  salesforce: { myDomain: 'acme' },
  zoom: { accountId: 'zoom-account-1' },
};

describe('target presets: what each preset sets', () => {
  it('lists every preset under its own name, each placeholder described and every source an https address', () => {
    expect(Object.keys(targetPresets).sort()).toEqual([...presetNames].sort());
    for (const [name, preset] of Object.entries(targetPresets)) {
      expect(preset.name).toBe(name);
      expect(patternPlaceholders(preset).sort()).toEqual(Object.keys(preset.placeholders).sort());
      expect(preset.sources.length).toBeGreaterThan(0);
      for (const source of preset.sources) expect(new URL(source).protocol).toBe('https:');
    }
  });

  it.each(presetNames)('%s: fills base URL, auth, leaver action, quirks and rate budget', (name) => {
    const preset = targetPresets[name];
    const target = parsed({
      preset: name,
      ...(VALUES[name] && { presetValues: VALUES[name] }),
      ...(preset.baseUrl === undefined && { baseUrl: 'https://app.example.com/scim/v2' }),
      ...(preset.auth.type === 'oauth2-client-credentials' && {
        auth: { type: 'oauth2-client-credentials', clientId: 'scimitar' },
      }),
    });
    expect(target.preset).toBe(name);
    expect(target.leaverAction).toBe(preset.leaverAction);
    expect(target.quirks).toMatchObject(preset.quirks);
    expect(target.rateBudget).toMatchObject(preset.rateBudget);
    expect(target.auth.type).toBe(preset.auth.type);
    expect(new URL(target.baseUrl).protocol).toBe('https:');
    expect(target.baseUrl).not.toMatch(/[{}]/);
  });

  it('fills the placeholders of the documented base URLs', () => {
    expect(parsed({ preset: 'github-emu', presetValues: { enterprise: 'acme' } }).baseUrl).toBe(
      'https://api.github.com/scim/v2/enterprises/acme',
    );
    expect(parsed({ preset: 'atlassian', presetValues: { directoryId: 'abcdeg1234' } }).baseUrl).toBe(
      'https://api.atlassian.com/scim/directory/abcdeg1234',
    );
    expect(
      parsed({ preset: 'aws-iam-identity-center', presetValues: { region: 'eu-west-1', tenantId: 'd-1' } })
        .baseUrl,
    ).toBe('https://scim.eu-west-1.amazonaws.com/d-1/scim/v2');
    expect(parsed({ preset: 'slack' }).baseUrl).toBe('https://api.slack.com/scim/v2');
    expect(
      parsed({ preset: 'zoom', presetValues: { accountId: 'a1' }, auth: { clientId: 'c' } }).baseUrl,
    ).toBe('https://api.zoom.us/scim2');
  });

  it("fills Zoom's server-to-server grant with the account id, and refuses it without one", () => {
    const target = parsed({
      preset: 'zoom',
      presetValues: { accountId: 'zoom-account-1' },
      auth: { clientId: 'zoom-client' },
    });
    expect(target.auth).toMatchObject({
      type: 'oauth2-client-credentials',
      tokenUrl: 'https://zoom.us/oauth/token',
      grantType: 'account_credentials',
      accountId: 'zoom-account-1',
      clientId: 'zoom-client',
    });
    expect(problemsOf({ preset: 'zoom', auth: { clientId: 'zoom-client' } }).join('\n')).toContain(
      'presetValues.accountId',
    );
    expect(
      problemsOf({
        baseUrl: 'https://api.zoom.us/scim2',
        auth: {
          type: 'oauth2-client-credentials',
          tokenUrl: 'https://zoom.us/oauth/token',
          clientId: 'c',
          grantType: 'account_credentials',
        },
      }).join('\n'),
    ).toMatch(/auth\.accountId.*is required when auth\.grantType is 'account_credentials'/);
  });

  it("fills Salesforce's token URL from the same My Domain and keeps the target's client id", () => {
    const target = parsed({
      preset: 'salesforce',
      presetValues: { myDomain: 'acme--uat.sandbox' },
      auth: { type: 'oauth2-client-credentials', clientId: '3MVG9-client' },
    });
    expect(target.baseUrl).toBe('https://acme--uat.sandbox.my.salesforce.com/services/scim/v2');
    expect(target.auth).toMatchObject({
      type: 'oauth2-client-credentials',
      clientId: '3MVG9-client',
      tokenUrl: 'https://acme--uat.sandbox.my.salesforce.com/services/oauth2/token',
    });
  });
});

describe('target presets: the target wins', () => {
  it('keeps every field the target gives over the preset, field by field', () => {
    const target = parsed({
      preset: 'slack',
      baseUrl: 'http://127.0.0.1:9999/scim/v2',
      leaverAction: 'delete',
      quirks: { maxPageSize: 50 },
      rateBudget: { requestsPerSecond: 1 },
    });
    expect(target.baseUrl).toBe('http://127.0.0.1:9999/scim/v2');
    expect(target.leaverAction).toBe('delete');
    // Given: maxPageSize; the rest of the quirks and the burst still from the preset.
    expect(target.quirks).toMatchObject({ patchStyle: 'rfc', maxPageSize: 50 });
    expect(target.rateBudget).toEqual({ requestsPerSecond: 1, burst: 20 });
  });

  it('needs no placeholder values when the target gives its own base URL', () => {
    const target = parsed({ preset: 'github-emu', baseUrl: 'http://127.0.0.1:9999/scim/v2/enterprises/x' });
    expect(target.baseUrl).toBe('http://127.0.0.1:9999/scim/v2/enterprises/x');
    expect(target.quirks.patchStyle).toBe('okta');
  });

  it('replaces the auth altogether when the target chooses another auth type', () => {
    const target = parsed({
      preset: 'salesforce',
      presetValues: { myDomain: 'acme' },
      auth: { type: 'bearer' },
    });
    expect(target.auth.type).toBe('bearer');
    expect(target.auth).not.toHaveProperty('tokenUrl');
  });

  it('changes nothing for a target without a preset', () => {
    const target = parsed({ baseUrl: 'https://app.example.com/scim/v2' });
    expect(target.preset).toBeUndefined();
    expect(target.quirks).toMatchObject({ patchStyle: 'rfc', filter: 'full', paging: 'index' });
    expect(target.rateBudget).toEqual({ requestsPerSecond: 5, burst: 5 });
  });
});

describe('target presets: refusals', () => {
  it('refuses an unknown preset, listing the known ones', () => {
    const [problem] = problemsOf({ preset: 'github', baseUrl: 'https://x.example.com' });
    expect(problem).toContain('preset');
    expect(problem).toContain('github-emu');
  });

  it('refuses a missing placeholder value, saying where to find it', () => {
    const problems = problemsOf({ preset: 'github-emu' });
    expect(problems.join('\n')).toContain('presetValues.enterprise');
    expect(problems.join('\n')).toContain('enterprise slug');
  });

  it('refuses a placeholder value the preset does not take', () => {
    const problems = problemsOf({ preset: 'github-emu', presetValues: { enterprise: 'acme', org: 'x' } });
    expect(problems.join('\n')).toMatch(
      /presetValues\.org.*not a placeholder of preset 'github-emu'.*enterprise/,
    );
  });

  it.each([
    'acme/../../users',
    'evil.example.com#',
    'acme?x=1',
    'a b',
    '..',
    'acme..evil',
    '-acme',
    'x'.repeat(129),
    'acme\u0000',
  ])('refuses a placeholder value that could change the URL: %j', (value) => {
    const problems = problemsOf({ preset: 'github-emu', presetValues: { enterprise: value } });
    expect(problems.join('\n')).toMatch(/presetValues\.enterprise.*letters, digits/);
  });

  it('refuses presetValues without a preset', () => {
    const problems = problemsOf({ baseUrl: 'https://x.example.com', presetValues: { a: 'b' } });
    expect(problems.join('\n')).toMatch(/presetValues.*applies only with a preset/);
  });

  it('refuses a preset for applications built for an IdP without the application base URL', () => {
    for (const preset of ['okta', 'entra']) {
      const problems = problemsOf({ preset });
      expect(problems.join('\n')).toMatch(/baseUrl.*is required with preset/);
    }
  });

  it("refuses a match attribute the application's filter cannot search", () => {
    const problems = problemsOf({
      preset: 'github-emu',
      presetValues: { enterprise: 'acme' },
      matchAttribute: 'email',
    });
    expect(problems.join('\n')).toMatch(
      /matchAttribute.*'email' cannot be searched.*userName and externalId/,
    );
  });
});
