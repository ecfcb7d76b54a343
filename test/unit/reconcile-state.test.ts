import { describe, expect, it } from 'vitest';
import {
  type AccountState,
  parseQueuedMark,
  queuedMark,
  stateChanged,
  stateFingerprint,
} from '../../lambdas/core/reconcile/state.ts';

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

describe('reconciliation: the remediation an account state records as queued', () => {
  const queued = {
    at: '2026-11-28T10:00:00.000Z',
    classification: 'orphan' as const,
    action: 'deactivate' as const,
    eventId: 'reconcile-20261128T100000000Z-ab12-0123456789abcdef',
  };

  it('is a change of the state, but not of its fingerprint (the listing carries it beside)', () => {
    const marked = { ...orphan, queued };
    expect(stateChanged(orphan, marked)).toBe(true);
    expect(stateChanged(marked, { ...orphan, queued: { ...queued, at: '2026-12-02T10:00:00.000Z' } })).toBe(
      true,
    );
    expect(stateChanged(marked, { ...orphan, queued: { ...queued } })).toBe(false);
    expect(stateFingerprint(marked)).toBe(stateFingerprint(orphan));
  });

  it('reads back from a listing mark what it wrote', () => {
    expect(parseQueuedMark(queuedMark(queued))).toEqual(queued);
  });

  it('refuses a listing mark that is not one', () => {
    expect(parseQueuedMark('')).toBeUndefined();
    expect(parseQueuedMark('2026-11-28T10:00:00.000Z orphan deactivate')).toBeUndefined();
    expect(parseQueuedMark('2026-11-28T10:00:00.000Z lost deactivate e1')).toBeUndefined();
    expect(parseQueuedMark('2026-11-28T10:00:00.000Z orphan suspend e1')).toBeUndefined();
    expect(parseQueuedMark('2026-11-28T10:00:00.000Z orphan deactivate e1 extra')).toBeUndefined();
  });
});
