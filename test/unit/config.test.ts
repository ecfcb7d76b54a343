import { describe, expect, it } from 'vitest';
import {
  checkConfig,
  parseConfig,
  type ScimitarConfigInput,
  targetSecretName,
  targetsInRevocationOrder,
  ValidationError,
} from '../../lambdas/core/model/config.ts';
import { loadConfigFile } from '../../lib/config-file.ts';
import sample from '../../scimitar.config.ts';

function minimal(overrides: Partial<ScimitarConfigInput> = {}): ScimitarConfigInput {
  return {
    sources: [{ id: 'generic', kind: 'generic' }],
    targets: [
      {
        id: 'app',
        kind: 'scim',
        displayName: 'App',
        owner: 'o@example.com',
        baseUrl: 'https://app.example.com/scim/v2',
      },
    ],
    ...overrides,
  };
}

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return [...(err as ValidationError).problems];
  }
  throw new Error('expected the config to be refused');
}

describe('config: valid input', () => {
  it('accepts the sample config that drives the demo and the tests', () => {
    const config = parseConfig(sample);
    expect(config.targets.map((t) => t.id)).toEqual(['code', 'chat', 'wiki', 'sso', 'payroll']);
  });

  it('loads the sample config from its file', async () => {
    const config = await loadConfigFile('scimitar.config.ts');
    expect(config.sources.map((s) => s.kind)).toEqual(['bamboohr', 'generic']);
  });

  it('fills safe defaults for a minimal SCIM target', () => {
    const [target] = parseConfig(minimal()).targets;
    expect(target).toMatchObject({
      kind: 'scim',
      tier: 'standard',
      leaverAction: 'deactivate',
      matchAttribute: 'userName',
      auth: { type: 'bearer' },
      mode: 'revoke',
      removeFromGroups: false,
      quirks: { patchStyle: 'rfc', filter: 'full', paging: 'index', maxPageSize: 100 },
      rateBudget: { requestsPerSecond: 5, burst: 5 },
    });
    expect(target && targetSecretName(target)).toBe('Scimitar/targets/app');
  });

  it('fills safe defaults for a session target without them: 5 requests a second, burst 5, matched by email', () => {
    const session = { id: 'sso', kind: 'session', provider: 'okta', baseUrl: 'https://acme.okta.com' };
    const [target] = parseConfig(
      minimal({ targets: [{ ...session, displayName: 'SSO', owner: 'o@example.com' } as never] }),
    ).targets;
    expect(target).toMatchObject({ kind: 'session', tier: 'standard', matchAttribute: 'email' });
    expect(target?.kind === 'session' && target.rateBudget).toEqual({ requestsPerSecond: 5, burst: 5 });
    expect(target && targetSecretName(target)).toBe('Scimitar/targets/sso');
  });

  it('fills global defaults: daily reconciliation, 10% blast radius, no dry run', () => {
    const config = parseConfig(minimal());
    expect(config.reconciliation.schedule).toBe('rate(1 day)');
    expect(config.blastRadius).toEqual({ maxShare: 0.1, windowMinutes: 60, floor: 5 });
    expect(config.dryRun).toBe(false);
    expect(config.maxAttempts).toBe(5);
  });

  it('orders privileged targets first, otherwise keeping the configured order', () => {
    const config = parseConfig(sample);
    expect(targetsInRevocationOrder(config).map((t) => t.id)).toEqual([
      'code',
      'payroll',
      'chat',
      'wiki',
      'sso',
    ]);
  });
});

describe('config: invalid input', () => {
  it('fails naming the target, the field, the value given and what is allowed', () => {
    const input = minimal();
    input.targets = [{ ...input.targets[0], leaverAction: 'suspend' } as never];
    const [problem, ...rest] = problemsOf(input);
    expect(rest).toEqual([]);
    expect(problem).toContain('target "app" (targets[0])');
    expect(problem).toContain('field "leaverAction"');
    expect(problem).toContain('"suspend"');
    expect(problem).toMatch(/deactivate.*delete.*deactivate-then-delete/);
  });

  it('fails on every problem at once, not only the first', () => {
    const problems = problemsOf({
      sources: [],
      targets: [{ id: 'Bad Id', kind: 'scim', displayName: '', owner: 'nobody', baseUrl: 'ftp://x' }],
    });
    expect(problems.join('\n')).toMatch(/sources.*at least one/);
    expect(problems.some((p) => p.includes('field "id"') && p.includes('lowercase'))).toBe(true);
    expect(problems.some((p) => p.includes('field "owner"') && p.includes('email'))).toBe(true);
    expect(problems.some((p) => p.includes('field "baseUrl"'))).toBe(true);
    expect(problems.some((p) => p.includes('field "displayName"'))).toBe(true);
  });

  it('refuses plain http to anything but localhost', () => {
    const input = minimal();
    input.targets = [{ ...input.targets[0], baseUrl: 'http://app.example.com/scim/v2' } as never];
    expect(problemsOf(input).join()).toContain('must be https://');
    input.targets = [{ ...input.targets[0], baseUrl: 'http://127.0.0.1:4100/scim/v2' } as never];
    expect(checkConfig(input)).toEqual([]);
  });

  it('requires deleteAfterDays exactly when the action is deactivate-then-delete', () => {
    const input = minimal();
    input.targets = [{ ...input.targets[0], leaverAction: 'deactivate-then-delete' } as never];
    expect(problemsOf(input).join()).toContain('"deleteAfterDays": is required');
    input.targets = [{ ...input.targets[0], leaverAction: 'delete', deleteAfterDays: 3 } as never];
    expect(problemsOf(input).join()).toContain("applies only when leaverAction is 'deactivate-then-delete'");
  });

  it('refuses duplicate target ids, naming both places', () => {
    const input = minimal();
    input.targets = [input.targets[0], { ...input.targets[0] }] as never;
    const problems = problemsOf(input);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('targets[1]');
    expect(problems[0]).toContain('duplicates the id of targets[0]');
  });

  it('refuses unknown fields, catching typos', () => {
    const input = minimal();
    input.targets = [{ ...input.targets[0], leaverActon: 'delete' } as never];
    expect(problemsOf(input).join()).toContain('leaverActon');
  });

  it('requires the coverage of a manual target', () => {
    const problems = problemsOf(
      minimal({
        targets: [{ id: 'legacy', kind: 'manual', displayName: 'Legacy', owner: 'o@example.com' } as never],
      }),
    );
    expect(problems.join()).toContain('target "legacy" (targets[0]) field "coverage"');
  });

  it('refuses an unknown target kind, listing the allowed ones', () => {
    const problems = problemsOf(
      minimal({ targets: [{ id: 'x1', kind: 'ldap', displayName: 'X', owner: 'o@example.com' } as never] }),
    );
    expect(problems.join()).toMatch(/field "kind".*scim.*manual.*custom/);
  });

  it('refuses schedules that EventBridge would reject', () => {
    const problems = problemsOf(minimal({ reconciliation: { schedule: 'every day' } }));
    expect(problems.join()).toContain('field "reconciliation.schedule"');
    expect(problems.join()).toContain('"every day"');
  });

  it('refuses a blast radius of zero, which would block every revocation', () => {
    expect(problemsOf(minimal({ blastRadius: { maxShare: 0 } })).join()).toContain('blastRadius.maxShare');
  });
});

describe('config: hostile input', () => {
  it('refuses ids that would inject into resource names', () => {
    for (const id of ['a; rm -rf /', '../../etc', 'a'.repeat(200), 'app\u0000', 'ap"p']) {
      const input = minimal();
      input.targets = [{ ...input.targets[0], id } as never];
      expect(problemsOf(input).join()).toContain('lowercase letters, digits and dashes');
    }
  });

  it('truncates enormous values in messages instead of echoing them whole', () => {
    const input = minimal();
    input.targets = [{ ...input.targets[0], displayName: 'x'.repeat(100_000) } as never];
    const [problem] = problemsOf(input);
    expect(problem?.length).toBeLessThan(400);
    expect(problem).toContain('(100000 chars)');
  });

  it('refuses non-objects without throwing anything but a ValidationError', () => {
    for (const input of [null, 42, 'config', [], { __proto__: { targets: [] } }]) {
      expect(() => parseConfig(input)).toThrow(ValidationError);
    }
  });

  it('is not fooled by a prototype-polluting key', () => {
    const input = JSON.parse(
      '{"sources":[{"id":"generic","kind":"generic"}],"targets":[],"__proto__":{"dryRun":true}}',
    ) as unknown;
    expect(problemsOf(input).join()).toContain('at least one target');
    expect(({} as { dryRun?: boolean }).dryRun).toBeUndefined();
  });
});
