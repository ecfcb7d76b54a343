import { describe, expect, it } from 'vitest';
import {
  type Entitlements,
  entitlementChanges,
  grantedGroups,
  hasEntitlements,
} from '../../../lambdas/core/entitlements/rules.ts';
import { entitlementsSchema } from '../../../lambdas/core/model/target-config.ts';

const entitlements: Entitlements = entitlementsSchema.parse({
  managedGroups: ['engineering', 'finance', 'on-call', 'managers'],
  rules: [
    { group: 'engineering', when: { department: 'Engineering' } },
    { group: 'on-call', when: { department: 'Engineering', title: ['SRE', 'Staff SRE'] } },
    { group: 'finance', when: { department: ['Finance', 'Accounting'] } },
    { group: 'managers', when: { employmentType: 'manager' } },
    { group: 'managers', when: { title: 'Director' } },
  ],
});

describe('entitlement rules: granted groups', () => {
  it('grants a group when every key of a rule matches', () => {
    expect(grantedGroups(entitlements, { department: 'Engineering', title: 'SRE' })).toEqual(
      new Set(['engineering', 'on-call']),
    );
  });

  it('grants on one of several listed values', () => {
    expect(grantedGroups(entitlements, { department: 'Accounting' })).toEqual(new Set(['finance']));
  });

  it('grants a group when any of the rules naming it matches', () => {
    expect(grantedGroups(entitlements, { title: 'Director' })).toEqual(new Set(['managers']));
    expect(grantedGroups(entitlements, { employmentType: 'manager' })).toEqual(new Set(['managers']));
  });

  it('does not grant when one key of the rule does not match', () => {
    expect(grantedGroups(entitlements, { department: 'Engineering', title: 'Engineer' })).toEqual(
      new Set(['engineering']),
    );
  });

  it('compares values exactly and case-sensitively', () => {
    expect(grantedGroups(entitlements, { department: 'engineering' })).toEqual(new Set());
    expect(grantedGroups(entitlements, { department: 'Engineering ' })).toEqual(new Set());
  });

  it('grants nothing without attributes', () => {
    expect(grantedGroups(entitlements, undefined)).toEqual(new Set());
    expect(grantedGroups(entitlements, {})).toEqual(new Set());
  });

  it('is not fooled by inherited members: a rule on "constructor" needs the attribute itself', () => {
    const tricky = entitlementsSchema.parse({
      managedGroups: ['g'],
      rules: [{ group: 'g', when: { constructor: 'function Object() { [native code] }' } }],
    });
    expect(grantedGroups(tricky, { department: 'x' })).toEqual(new Set());
    expect(grantedGroups(tricky, { constructor: 'function Object() { [native code] }' })).toEqual(
      new Set(['g']),
    );
  });
});

describe('entitlement rules: changes for a mover', () => {
  it('removes the managed groups the new attributes no longer grant', () => {
    const plan = entitlementChanges(entitlements, { department: 'Finance' }, ['engineering', 'on-call']);
    expect(plan).toEqual({ remove: ['engineering', 'on-call'], add: [] });
  });

  it('never removes a group that is not managed', () => {
    const plan = entitlementChanges(entitlements, { department: 'Finance' }, [
      'engineering',
      'everyone',
      'Engineering',
    ]);
    expect(plan.remove).toEqual(['engineering']);
  });

  it('keeps the groups still granted', () => {
    const plan = entitlementChanges(entitlements, { department: 'Engineering', title: 'Engineer' }, [
      'engineering',
      'on-call',
    ]);
    expect(plan).toEqual({ remove: ['on-call'], add: [] });
  });

  it('adds nothing unless the target opts in with addGranted', () => {
    const plan = entitlementChanges(entitlements, { department: 'Finance' }, []);
    expect(plan.add).toEqual([]);
  });

  it('adds the granted groups the person lacks when addGranted is on', () => {
    const adding = { ...entitlements, addGranted: true };
    const plan = entitlementChanges(adding, { department: 'Engineering', title: 'SRE' }, ['engineering']);
    expect(plan).toEqual({ remove: [], add: ['on-call'] });
  });

  it('removes every managed group held when the attributes grant none', () => {
    const plan = entitlementChanges(entitlements, {}, ['finance', 'managers', 'other']);
    expect(plan).toEqual({ remove: ['finance', 'managers'], add: [] });
  });

  it('lists each group once, sorted, however often it is held', () => {
    const plan = entitlementChanges(entitlements, {}, ['on-call', 'engineering', 'on-call']);
    expect(plan.remove).toEqual(['engineering', 'on-call']);
  });
});

describe('entitlement rules: config', () => {
  function problemsOf(input: unknown): string[] {
    const result = entitlementsSchema.safeParse(input);
    if (result.success) throw new Error('expected the entitlements to be refused');
    return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }

  it('defaults to removing only, and to reporting drift without removing it', () => {
    const parsed = entitlementsSchema.parse({ managedGroups: ['g'], rules: [] });
    expect(parsed.addGranted).toBe(false);
    expect(parsed.removeDrift).toBe(false);
  });

  it('refuses a rule naming a group that is not managed, naming the rule', () => {
    expect(
      problemsOf({
        managedGroups: ['engineering'],
        rules: [
          { group: 'engineering', when: { department: 'Engineering' } },
          { group: 'admins', when: { title: 'CTO' } },
        ],
      }),
    ).toEqual([
      'rules.1.group: rule 1 grants group "admins", which is not in managedGroups; add it to managedGroups or correct the rule\'s group (scimitar touches only managed groups)',
    ]);
  });

  it('refuses a managed group listed twice', () => {
    expect(problemsOf({ managedGroups: ['a', 'b', 'a'], rules: [] })).toEqual([
      'managedGroups.2: group "a" is listed twice; list each managed group once',
    ]);
  });

  it('refuses two managed groups whose names differ only in case: SCIM holds them as one', () => {
    expect(problemsOf({ managedGroups: ['Eng', 'eng'], rules: [] })).toEqual([
      'managedGroups.1: group "eng" is the group "Eng" already listed (SCIM group names compare without case); list it once',
    ]);
  });

  it('refuses an empty or oversized managedGroups', () => {
    expect(problemsOf({ managedGroups: [], rules: [] })[0]).toContain('must list at least one group');
    const many = Array.from({ length: 501 }, (_, i) => `g${i}`);
    expect(problemsOf({ managedGroups: many, rules: [] })[0]).toContain('at most 500 groups');
  });

  it('refuses a rule with no condition, which would grant the group to everyone', () => {
    expect(problemsOf({ managedGroups: ['g'], rules: [{ group: 'g', when: {} }] })[0]).toContain(
      'must name at least one attribute',
    );
  });

  it('refuses an attribute key that is not a plain name', () => {
    for (const key of ['__proto__', '1st', 'a b', 'dept"]', 'x'.repeat(65)]) {
      const when = JSON.parse(`{${JSON.stringify(key)}: "v"}`);
      expect(problemsOf({ managedGroups: ['g'], rules: [{ group: 'g', when }] }).join()).toContain(
        'an attribute key must be a letter',
      );
    }
  });

  it('refuses an empty list of values', () => {
    expect(
      problemsOf({ managedGroups: ['g'], rules: [{ group: 'g', when: { department: [] } }] }).join(),
    ).toContain('must list at least one value');
  });

  it('refuses unknown fields, catching typos', () => {
    expect(problemsOf({ managedGroups: ['g'], rules: [], removeDrfit: true }).join()).toContain(
      'removeDrfit',
    );
  });
});

describe('entitlement rules: which targets have them', () => {
  it('counts a SCIM target with entitlements only', () => {
    expect(hasEntitlements({ kind: 'scim', entitlements })).toBe(true);
    expect(hasEntitlements({ kind: 'scim' })).toBe(false);
    expect(hasEntitlements({ kind: 'manual' })).toBe(false);
  });
});
