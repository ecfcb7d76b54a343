// The audit table's sparse index of leavers, for reports over a period: one index entry per
// leaver (the plan of a termination), keyed by its month and a shard, sorted by its entry id (which
// starts with its time). A period is then a few Queries (months × shards), never a Scan, and a
// layoff's plans spread over the shards instead of heating one partition of the index.
import { createHash } from 'node:crypto';
import type { AuditEntry } from '../model/audit.ts';
import { ScimitarError } from '../model/errors.ts';

/** The index's name, and its partition key attribute (present only on indexed entries). */
export const LEAVER_INDEX = 'leaversByMonth';
export const LEAVER_INDEX_KEY = 'leaverMonth';
/**
 * Partitions per month. DynamoDB takes about 1,000 writes a second on one partition of an index
 * (a keys-only item is one write unit), so 10 shards take 10,000 plans a second, beyond what Step
 * Functions starts; a report of a quarter is 30 Queries.
 */
export const LEAVER_INDEX_SHARDS = 10;
/** The longest period one report covers: a year (and a day, for leap years). */
export const MAX_REPORT_DAYS = 366;

/**
 * The index key of an audit entry, or undefined when the entry is not indexed: only the plan of a
 * termination (PLANNED by the plan function with kind termination) is, once per event.
 */
export function leaverIndexKey(entry: AuditEntry): string | undefined {
  if (entry.step !== 'PLANNED' || entry.actor !== 'plan' || entry.detail?.kind !== 'termination') return;
  return leaverIndexPartition(entry.at.slice(0, 7), leaverShard(entry.eventId));
}

export function leaverIndexPartition(month: string, shard: number): string {
  return `${month}#${shard}`;
}

/** A stable shard per event: the first bytes of its id's SHA-256. */
export function leaverShard(eventId: string): number {
  return createHash('sha256').update(eventId).digest().readUInt32BE(0) % LEAVER_INDEX_SHARDS;
}

/** A report's period: whole UTC days, both ends included. */
export interface ReportPeriod {
  /** yyyy-mm-dd */
  readonly from: string;
  /** yyyy-mm-dd */
  readonly to: string;
}

/** A report period a person gave that cannot be reported: the message says what to give. */
export class ReportPeriodError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'ReportPeriodError';
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Checks a period given by a person: two calendar dates, in order, at most a year apart. */
export function parseReportPeriod(from: string | undefined, to: string | undefined): ReportPeriod {
  if (!from || !to) {
    throw new ReportPeriodError(
      'a report covers a period: give --from and --to as dates (yyyy-mm-dd, UTC days, both included), e.g. --from 2026-07-01 --to 2026-09-30',
    );
  }
  for (const [flag, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    const m = DAY.exec(value);
    const date = m && new Date(`${value}T00:00:00Z`);
    if (!m || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
      throw new ReportPeriodError(
        `${flag} ${JSON.stringify(value)} is not a date: give yyyy-mm-dd, e.g. 2026-07-01`,
      );
    }
  }
  if (from > to)
    throw new ReportPeriodError(`--from ${from} is after --to ${to}: give the earlier date first`);
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
  if (days > MAX_REPORT_DAYS) {
    throw new ReportPeriodError(
      `the period ${from} to ${to} is ${days} days; a report covers at most ${MAX_REPORT_DAYS}: report a longer time in parts`,
    );
  }
  return { from, to };
}

/** The months (yyyy-mm) a period touches, in order. */
export function monthsOf(period: ReportPeriod): string[] {
  const months: string[] = [];
  let [year, month] = period.from.slice(0, 7).split('-').map(Number) as [number, number];
  const last = period.to.slice(0, 7);
  for (;;) {
    const m = `${year}-${String(month).padStart(2, '0')}`;
    months.push(m);
    if (m >= last) return months;
    month += 1;
    if (month > 12) [year, month] = [year + 1, 1];
  }
}

/** The index's sort key bounds of a period: entry ids start with the ISO time. */
export function entryIdBounds(period: ReportPeriod): { readonly lower: string; readonly upper: string } {
  // 'T' sorts below '~', so every time on the last day is below `<to>~`.
  return { lower: period.from, upper: `${period.to}~` };
}
