import { describe, expect, it } from 'vitest';
import { deletionDue, leaverLaneAction } from '../../lambdas/core/revocation/leaver-action.ts';
import type { LedgerRecord } from '../../lambdas/core/revocation/ports.ts';

const revoked = (at: string, outcome: LedgerRecord['outcome'] = 'revoked'): LedgerRecord => ({
  personId: 'E1',
  targetId: 'app',
  outcome,
  eventId: 'evt-1',
  at,
});
const now = new Date('2026-12-31T00:00:00Z');
const later = { leaverAction: 'deactivate-then-delete', deleteAfterDays: 30 } as const;

describe('leaver action', () => {
  it('deletes only where the target deletes at once; deactivate-then-delete deactivates first', () => {
    expect(leaverLaneAction({ leaverAction: 'delete' })).toBe('delete');
    expect(leaverLaneAction({ leaverAction: 'deactivate' })).toBe('deactivate');
    expect(leaverLaneAction({ leaverAction: 'deactivate-then-delete' })).toBe('deactivate');
  });

  it('makes a deletion due deleteAfterDays after the revocation, not a moment before', () => {
    expect(deletionDue(later, revoked('2026-12-01T00:00:00Z'), now)).toBe(true);
    expect(deletionDue(later, revoked('2026-12-01T00:00:01Z'), now)).toBe(false);
  });

  it('refuses a deletion for a leaver not revoked there, or a target that does not delete later', () => {
    expect(deletionDue(later, revoked('2026-01-01T00:00:00Z', 'failed'), now)).toBe(false);
    expect(deletionDue(later, undefined, now)).toBe(false);
    expect(deletionDue({ leaverAction: 'delete' }, revoked('2026-01-01T00:00:00Z'), now)).toBe(false);
    expect(
      deletionDue({ leaverAction: 'deactivate-then-delete' }, revoked('2026-01-01T00:00:00Z'), now),
    ).toBe(false);
  });
});
