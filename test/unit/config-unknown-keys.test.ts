import { describe, expect, it } from 'vitest';
import { checkConfig, type ScimitarConfigInput } from '../../lambdas/core/model/config.ts';
import { closestName, editDistance } from '../../lambdas/core/model/did-you-mean.ts';

function minimal(
  target: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): ScimitarConfigInput {
  return {
    sources: [{ id: 'bamboohr', kind: 'bamboohr' }],
    targets: [
      {
        id: 'github',
        kind: 'scim',
        displayName: 'GitHub',
        owner: 'o@example.com',
        baseUrl: 'https://api.github.com/scim/v2/enterprises/acme',
        ...target,
      } as never,
    ],
    ...top,
  };
}

describe('did you mean: edit distance', () => {
  it('counts one typo of each kind as one edit', () => {
    expect(editDistance('matchAttribute', 'matchAttribute')).toBe(0);
    expect(editDistance('matchAtribute', 'matchAttribute')).toBe(1); // a letter missing
    expect(editDistance('matchAttributes', 'matchAttribute')).toBe(1); // one too many
    expect(editDistance('matchAttrubute', 'matchAttribute')).toBe(1); // one wrong
    expect(editDistance('matchAttirbute', 'matchAttribute')).toBe(1); // two swapped
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the closest name, ignoring case, only when it looks like a typo', () => {
    const keys = ['leaverAction', 'matchAttribute', 'mode', 'baseUrl'];
    expect(closestName('matchAtribute', keys)).toBe('matchAttribute');
    expect(closestName('baseURL', keys)).toBe('baseUrl');
    expect(closestName('mod', keys)).toBe('mode');
    expect(closestName('somethingElse', keys)).toBeUndefined();
    expect(closestName('x', keys)).toBeUndefined();
  });
});

describe('config: unknown keys', () => {
  it('refuses a misspelt target key, naming the target, the key and the key it meant', () => {
    expect(checkConfig(minimal({ matchAtribute: 'email' }))).toEqual([
      'target "github" (targets[0]) field "matchAtribute": unknown field (given "email"); did you mean "matchAttribute"?',
    ]);
  });

  it('refuses misspelt keys nested in a target, a source and at the top level', () => {
    const input = minimal(
      { quirks: { patchstyle: 'okta' }, auth: { type: 'bearer', secretNme: 'x' } },
      {
        reconcilation: { schedule: 'rate(1 day)' },
        sources: [{ id: 'bamboohr', kind: 'bamboohr', toleranceSecond: 3 }],
      },
    );
    expect(checkConfig(input).sort()).toEqual(
      [
        'field "reconcilation": unknown field (given {"schedule":"rate(1 day)"}); did you mean "reconciliation"?',
        'source "bamboohr" (sources[0]) field "toleranceSecond": unknown field (given 3); did you mean "toleranceSeconds"?',
        'target "github" (targets[0]) field "auth.secretNme": unknown field (given "x"); did you mean "secretName"?',
        'target "github" (targets[0]) field "quirks.patchstyle": unknown field (given "okta"); did you mean "patchStyle"?',
      ].sort(),
    );
  });

  it('refuses a key of another kind of target, listing the keys that kind allows', () => {
    const [problem, ...rest] = checkConfig({
      ...minimal(),
      targets: [
        {
          id: 'payroll',
          kind: 'manual',
          displayName: 'Payroll',
          owner: 'o@example.com',
          baseUrl: 'https://payroll.example.com',
          coverage: {
            status: 'accepted-gap',
            compensatingControl: 'Reviewed monthly.',
            reviewCadenceDays: 30,
          },
        },
      ],
    });
    expect(rest).toEqual([]);
    expect(problem).toBe(
      'target "payroll" (targets[0]) field "baseUrl": unknown field (given "https://payroll.example.com"); allowed here: id, displayName, owner, tier, kind, coverage',
    );
  });
});
