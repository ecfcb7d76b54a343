// An evidence report as CSV (RFC 4180): one line per leaver × application, the columns an auditor
// filters on. A text cell that a spreadsheet would run as a formula is prefixed with an apostrophe.
import type { EvidenceReport } from './report.ts';
import type { ReportRow } from './rows.ts';
import { withinSla } from './summary.ts';

export const CSV_COLUMNS = [
  'event_id',
  'person_id',
  'source',
  'termination_type',
  'received_at',
  'effective_at',
  'target_id',
  'application',
  'action',
  'verified_at',
  'latency_seconds',
  'within_sla',
  'outcome',
  'attempts',
  'failure',
  'ended',
  'task_id',
  'task_state',
  'evidence',
] as const;

export function taskState(row: ReportRow): string {
  if (row.action !== 'manual') return '';
  const { task } = row;
  if (!task) return 'not tracked';
  if (task.status === 'acked')
    return `acknowledged by ${task.ackedBy ?? 'unknown'} at ${task.ackedAt ?? 'unknown'}`;
  return task.overdue ? `open, overdue since ${task.dueAt}` : 'open';
}

function csvCells(row: ReportRow, slaMinutes: number): (string | number | undefined)[] {
  return [
    row.eventId,
    row.personId,
    row.source,
    row.terminationType,
    row.receivedAt,
    row.effectiveAt,
    row.targetId,
    row.application,
    row.action,
    row.verifiedAt,
    row.latencySeconds,
    row.latencySeconds === undefined ? '' : withinSla(row, slaMinutes) ? 'yes' : 'no',
    row.outcome,
    row.attempts,
    row.failure,
    row.ended,
    row.task?.taskId ?? '',
    taskState(row),
    row.evidence,
  ];
}

export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function renderCsv(report: EvidenceReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of report.rows) lines.push(csvCells(row, report.summary.slaMinutes).map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
