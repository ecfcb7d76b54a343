import { describe, expect, it } from 'vitest';
import { countOf } from '../../lambdas/core/model/count-noun.ts';

describe('countOf', () => {
  it('puts the noun in the singular for exactly one', () => {
    expect(countOf(1, 'accepted gap')).toBe('1 accepted gap');
    expect(countOf(1, 'drift account')).toBe('1 drift account');
  });

  it('puts the noun in the plural for zero, several and fractions', () => {
    expect(countOf(0, 'orphan')).toBe('0 orphans');
    expect(countOf(2, 'accepted gap')).toBe('2 accepted gaps');
    expect(countOf(100_000, 'account')).toBe('100000 accounts');
    expect(countOf(1.5, 'day')).toBe('1.5 days');
  });

  it('takes an irregular plural when given one', () => {
    expect(countOf(1, 'entry', 'entries')).toBe('1 entry');
    expect(countOf(3, 'entry', 'entries')).toBe('3 entries');
  });
});
