import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { csvCell, renderCsv } from '../../../lambdas/core/report/csv.ts';
import { type LeaverRecord, leaverRows, type ReportRow } from '../../../lambdas/core/report/rows.ts';
import { formatShare, percentile, summarizeRows } from '../../../lambdas/core/report/summary.ts';
import sample from '../../../scimitar.config.ts';
import { laneEntry, plannedLeaver, verifiedLane } from '../../support/report-fixtures.ts';

const config = parseConfig(sample);
const now = new Date('2026-08-01T00:00:00Z');
const ada = { eventId: 'evt-ada', personId: 'E1', at: '2026-07-10T09:00:00.000Z' };
const lanes = [
  { targetId: 'code', action: 'deactivate' as const },
  { targetId: 'chat', action: 'delete' as const },
];

function rowsOf(record: LeaverRecord): ReportRow[] {
  const result = leaverRows(record, config, now);
  if (result.kind !== 'leaver') throw new Error(`not a leaver: ${result.kind}`);
  return [...result.rows];
}
const byTarget = (rows: ReportRow[], targetId: string) => rows.find((r) => r.targetId === targetId);

describe('evidence report: rows of a leaver', () => {
  it('gives one row per application with its effective and verified times, latency and evidence', () => {
    const entries = [
      ...plannedLeaver({ ...ada, lanes }),
      ...verifiedLane(ada, 'code', 4),
      ...verifiedLane(ada, 'chat', 91, 'delete'),
    ];
    const rows = rowsOf({ eventId: ada.eventId, entries });
    expect(rows.map((r) => r.targetId)).toEqual(['code', 'chat']);
    const code = byTarget(rows, 'code');
    expect(code).toMatchObject({
      personId: 'E1',
      source: 'generic',
      terminationType: 'voluntary',
      receivedAt: ada.at,
      effectiveAt: '2026-07-10T09:00:01.000Z',
      application: 'Code hosting (demo)',
      action: 'deactivate',
      verifiedAt: '2026-07-10T09:00:04.000Z',
      latencySeconds: 3,
      outcome: 'revoked',
      failure: '',
      ended: '',
    });
    const verified = entries.find((e) => e.step === 'VERIFIED' && e.targetId === 'code');
    expect(code?.evidence).toBe(`audit:evt-ada/${verified?.entryId}`);
    expect(byTarget(rows, 'chat')).toMatchObject({
      action: 'delete',
      latencySeconds: 90,
      outcome: 'revoked',
    });
  });

  it('says a failure ended in the dead-letter queue, with the command that retries it', () => {
    const entries = [
      ...plannedLeaver({ ...ada, lanes }),
      laneEntry(ada, 'code', 5, 'FAILED', {
        error: 'ScimServerError',
        cause: '503 from the target',
        attempt: 5,
      }),
      laneEntry(ada, 'code', 5, 'DLQ', { reason: 'failed 5 attempts', attempt: 5 }),
    ];
    expect(byTarget(rowsOf({ eventId: ada.eventId, entries }), 'code')).toMatchObject({
      outcome: 'failed',
      verifiedAt: '',
      failure: 'ScimServerError: 503 from the target',
      ended: 'in the dead-letter queue: redrive it (scimitar redrive code)',
      attempts: 5,
    });
  });

  it('says a failure that a redrive fixed ended verified, and counts its latency from the start', () => {
    const entries = [
      ...plannedLeaver({ ...ada, lanes }),
      laneEntry(ada, 'code', 5, 'FAILED', { error: 'ScimServerError', cause: '503' }),
      laneEntry(ada, 'code', 5, 'DLQ'),
      ...verifiedLane(ada, 'code', 3601),
      laneEntry(ada, 'code', 3601, 'REDRIVEN', { status: 'revoked' }),
    ];
    expect(byTarget(rowsOf({ eventId: ada.eventId, entries }), 'code')).toMatchObject({
      outcome: 'revoked',
      latencySeconds: 3600,
      failure: 'ScimServerError: 503',
      ended: 'redriven from the dead-letter queue, then verified',
    });
  });

  it('says who released a revocation the blast-radius guard held', () => {
    const entries = [
      ...plannedLeaver({ ...ada, lanes }),
      laneEntry(ada, 'chat', 3, 'REFUSED', { reason: 'blast radius: 5 of 5 this hour' }),
      laneEntry(ada, undefined, 60, 'APPROVED', { approvedBy: 'alice', targets: ['chat'] }, 'operator'),
      ...verifiedLane(ada, 'chat', 62, 'delete'),
    ];
    expect(byTarget(rowsOf({ eventId: ada.eventId, entries }), 'chat')).toMatchObject({
      outcome: 'revoked',
      failure: 'blast radius: 5 of 5 this hour',
      ended: 'released by alice, then verified',
    });
  });

  it('refuses to count a held revocation as done: it names the approve command', () => {
    const entries = [
      ...plannedLeaver({ ...ada, lanes }),
      laneEntry(ada, 'chat', 3, 'REFUSED', { reason: 'held' }),
    ];
    expect(byTarget(rowsOf({ eventId: ada.eventId, entries }), 'chat')).toMatchObject({
      outcome: 'refused',
      verifiedAt: '',
      ended: 'held by the blast-radius guard, nothing written: release it with scimitar approve evt-ada',
    });
  });

  it('shows a manual target with its owner task state, overdue when open past its due time', () => {
    const entries = [
      ...plannedLeaver({
        ...ada,
        settled: [{ targetId: 'payroll', status: 'manual-task', reason: 'tell the owner' }],
      }),
      laneEntry(ada, 'payroll', 1, 'MANUAL_TASK', { owner: 'hr@example.com' }, 'plan'),
    ];
    const open = { taskId: 'T-AAAAAAAA', status: 'open' as const, dueAt: '2026-07-14T09:00:01.000Z' };
    const rows = rowsOf({ eventId: ada.eventId, entries, tasks: new Map([['payroll', open]]) });
    expect(byTarget(rows, 'payroll')).toMatchObject({
      action: 'manual',
      outcome: 'manual-task',
      task: { taskId: 'T-AAAAAAAA', status: 'open', overdue: true },
    });
    expect(byTarget(rowsOf({ eventId: ada.eventId, entries }), 'payroll')?.task).toBeUndefined();
  });

  it('leaves out an event that is no termination, and reports a cancelled one apart', () => {
    const cancelled = plannedLeaver({ ...ada, cancelled: 'rescinded before its start' });
    expect(leaverRows({ eventId: ada.eventId, entries: cancelled }, config, now)).toEqual({
      kind: 'cancelled',
      eventId: 'evt-ada',
      reason: 'rescinded before its start',
    });
    expect(leaverRows({ eventId: 'x', entries: [] }, config, now)).toEqual({ kind: 'not-a-leaver' });
  });
});

describe('evidence report: summary', () => {
  it('counts revocations verified within the SLA, and leaves manual, report-only and dry-run rows out', () => {
    const bob = { eventId: 'evt-bob', personId: 'E2', at: '2026-07-11T09:00:00.000Z' };
    const rows = [
      ...rowsOf({
        eventId: ada.eventId,
        entries: [
          ...plannedLeaver({ ...ada, lanes }),
          ...verifiedLane(ada, 'code', 4),
          ...verifiedLane(ada, 'chat', 7201),
        ],
      }),
      ...rowsOf({
        eventId: bob.eventId,
        entries: [
          ...plannedLeaver({
            ...bob,
            lanes: [...lanes, { targetId: 'wiki', action: 'deactivate', reportOnly: true }],
            settled: [{ targetId: 'payroll', status: 'manual-task', reason: 'owner told' }],
          }),
          ...verifiedLane(bob, 'code', 11),
          laneEntry(bob, 'chat', 3, 'FAILED', { error: 'ScimClientError', cause: '403' }),
          laneEntry(bob, 'wiki', 3, 'REPORTED'),
          laneEntry(bob, 'payroll', 1, 'MANUAL_TASK', {}, 'plan'),
        ],
      }),
    ];
    const summary = summarizeRows(rows, 60, 1);
    expect(summary).toMatchObject({
      leavers: 2,
      people: 2,
      cancelled: 1,
      revocations: 4,
      verified: 3,
      verifiedWithinSla: 2,
      withinSlaShare: 0.5,
      tasks: { total: 1, acked: 0, open: 0, overdue: 0, untracked: 1 },
    });
    expect(summary.failures.map((r) => [r.eventId, r.targetId])).toEqual([['evt-bob', 'chat']]);
    const code = summary.applications.find((a) => a.targetId === 'code');
    expect(code).toMatchObject({
      revocations: 2,
      verified: 2,
      withinSla: 2,
      medianSeconds: 3,
      p95Seconds: 10,
    });
  });

  it('takes percentiles by nearest rank, and never rounds a share up to 100 %', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(
      percentile(
        Array.from({ length: 20 }, (_, i) => i + 1),
        95,
      ),
    ).toBe(19);
    expect(percentile([], 95)).toBeUndefined();
    expect(formatShare(1999 / 2000)).toBe('99.9 %');
    expect(formatShare(1)).toBe('100.0 %');
  });
});

describe('evidence report: CSV', () => {
  it('quotes what needs quoting and defuses cells a spreadsheet would run as a formula', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('@sum')).toBe("'@sum");
    expect(csvCell(42)).toBe('42');
    expect(csvCell(undefined)).toBe('');
  });

  it('writes a header and one line per row', () => {
    const rows = rowsOf({
      eventId: ada.eventId,
      entries: [...plannedLeaver({ ...ada, lanes }), ...verifiedLane(ada, 'code', 4)],
    });
    const csv = renderCsv({
      stackName: 'Scimitar',
      period: { from: '2026-07-01', to: '2026-09-30' },
      generatedAt: now.toISOString(),
      summary: summarizeRows(rows, 60, 0),
      rows,
      cancelled: [],
    });
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^event_id,person_id,.*,latency_seconds,within_sla,outcome,.*,evidence$/);
    expect(lines[1]).toContain(',3,yes,revoked,');
    expect(lines[2]).toMatch(/,chat,Team chat \(demo\),delete,,,,in-progress,/);
  });
});
