import { describe, expect, it } from 'vitest';
import { auditEntry } from '../../../lambdas/core/model/audit.ts';
import {
  entryIdBounds,
  LEAVER_INDEX_SHARDS,
  leaverIndexKey,
  leaverShard,
  monthsOf,
  parseReportPeriod,
} from '../../../lambdas/core/report/leaver-index.ts';

const at = new Date('2026-07-31T23:59:59.999Z');
const planned = (kind: string) =>
  auditEntry({ eventId: 'evt-1', personId: 'E1', step: 'PLANNED', actor: 'plan', detail: { kind } }, at);

describe('leaver index: which entries it lists', () => {
  it("lists a termination's plan under its month and the event's shard", () => {
    expect(leaverIndexKey(planned('termination'))).toBe(`2026-07#${leaverShard('evt-1')}`);
  });

  it('lists nothing else: plans of other events, and every other step', () => {
    expect(leaverIndexKey(planned('hire'))).toBeUndefined();
    const received = auditEntry({ eventId: 'evt-1', personId: 'E1', step: 'RECEIVED', actor: 'ingest' }, at);
    expect(leaverIndexKey(received)).toBeUndefined();
  });

  it('spreads a layoff over every shard', () => {
    const shards = new Set(Array.from({ length: 500 }, (_, i) => leaverShard(`layoff-${i}`)));
    expect(shards.size).toBe(LEAVER_INDEX_SHARDS);
  });
});

describe('leaver index: a report period', () => {
  it('covers whole UTC days, both ends included, and the months they touch', () => {
    const period = parseReportPeriod('2026-11-15', '2027-02-01');
    expect(monthsOf(period)).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    const { lower, upper } = entryIdBounds(period);
    expect('2026-11-15T00:00:00.000Z#0001' >= lower).toBe(true);
    expect('2027-02-01T23:59:59.999Z#zzzz' <= upper).toBe(true);
    expect('2027-02-02T00:00:00.000Z' <= upper).toBe(false);
    expect('2026-11-14T23:59:59.999Z' >= lower).toBe(false);
  });

  it('refuses a period without both dates, with dates that do not exist, or in the wrong order', () => {
    expect(() => parseReportPeriod(undefined, '2026-09-30')).toThrow(/give --from and --to/);
    expect(() => parseReportPeriod('2026-02-30', '2026-09-30')).toThrow(/--from "2026-02-30" is not a date/);
    expect(() => parseReportPeriod('2026-07-01', '30/09/2026')).toThrow(/--to "30\/09\/2026" is not a date/);
    expect(() => parseReportPeriod('2026-09-30', '2026-07-01')).toThrow(/after --to.*earlier date first/);
  });

  it('refuses a period longer than a year, saying to report it in parts', () => {
    expect(parseReportPeriod('2028-01-01', '2028-12-31')).toEqual({ from: '2028-01-01', to: '2028-12-31' });
    expect(() => parseReportPeriod('2026-01-01', '2027-01-02')).toThrow(/367 days.*in parts/);
  });
});
