import { describe, expect, it } from 'vitest';
import { type AccountState, stateChanged, stateFingerprint } from '../../lambdas/core/reconcile/state.ts';

const orphan: AccountState = {
  targetId: 'code',
  scimId: '7f3a',
  userName: 'eve@example.com',
  active: true,
  classification: 'orphan',
  match: {
    roster: {
      keys: ['userName "eve@example.com"'],
      result: 'no active person in the roster of 2026-11-28 has it',
    },
    ledger: { keys: ['SCIM id "7f3a"'], result: 'no leaver is recorded at this target under any of them' },
  },
  firstSeen: '2026-11-01T00:00:00.000Z',
  lastSeen: '2026-11-01T00:00:00.000Z',
  runId: 'r1',
  page: 3,
};

describe('reconciliation: what counts as a changed account state', () => {
  it('ignores when and by which pass and page it was written', () => {
    const later = {
      ...orphan,
      firstSeen: '2026-11-02T00:00:00.000Z',
      lastSeen: '2026-11-28T00:00:00.000Z',
      runId: 'r9',
      page: 1,
    };
    expect(stateChanged(orphan, later)).toBe(false);
    expect(stateFingerprint(later)).toBe(stateFingerprint(orphan));
  });

  it('ignores the order of a match read back from the table', () => {
    const match = orphan.match;
    if (!match) throw new Error('unreachable');
    const reordered = {
      ...orphan,
      match: { ledger: { result: match.ledger.result, keys: match.ledger.keys }, roster: match.roster },
    };
    expect(stateChanged(orphan, reordered)).toBe(false);
    expect(stateFingerprint(reordered)).toBe(stateFingerprint(orphan));
  });

  it.each([
    ['classification', { classification: 'managed', personId: 'E1' }],
    ['active', { active: false }],
    ['userName', { userName: 'eve2@example.com' }],
    ['reason', { reason: 'on the target allow-list' }],
    [
      'the roster a match was tried against',
      {
        match: {
          ...orphan.match,
          roster: {
            keys: ['userName "eve@example.com"'],
            result: 'no active person in the roster of 2026-11-29 has it',
          },
        },
      },
    ],
    [
      'a key tried',
      {
        match: {
          ...orphan.match,
          roster: { keys: [], result: 'no active person in the roster of 2026-11-28 has it' },
        },
      },
    ],
  ] as const)('tells a change of %s, in the comparison and in the fingerprint', (_, change) => {
    const next = { ...orphan, ...change } as AccountState;
    expect(stateChanged(orphan, next)).toBe(true);
    expect(stateFingerprint(next)).not.toBe(stateFingerprint(orphan));
  });

  it('counts an account with no stored state as changed', () => {
    expect(stateChanged(undefined, orphan)).toBe(true);
  });
});
