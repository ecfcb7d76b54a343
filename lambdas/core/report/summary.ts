// An evidence report's numbers, computed from its rows only, so every figure in the summary can be
// recomputed from the CSV: leavers, revocations, the share verified within the SLA, latency per
// application (median and p95, nearest rank), failures and how each ended, owner tasks.
import { type ReportOutcome, type ReportRow, VERIFIED_OUTCOMES } from './rows.ts';

/** A row scimitar was to revoke (not a manual, delegated, report-only target, nor a dry run). */
export function isRevocation(row: Pick<ReportRow, 'action' | 'outcome'>): boolean {
  // A session target's revocation (docs/sessions.md) counts against the SLA like an account's.
  return (
    (row.action === 'deactivate' || row.action === 'delete' || row.action === 'revoke-sessions') &&
    row.outcome !== 'dry-run'
  );
}

export function isVerified(row: Pick<ReportRow, 'outcome' | 'verifiedAt'>): boolean {
  return VERIFIED_OUTCOMES.includes(row.outcome) && row.verifiedAt !== '';
}

/** Nearest-rank percentile (p in 0..100) of values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface ApplicationStats {
  readonly targetId: string;
  readonly application: string;
  readonly leavers: number;
  readonly revocations: number;
  readonly verified: number;
  readonly withinSla: number;
  readonly failed: number;
  readonly medianSeconds?: number;
  readonly p95Seconds?: number;
  readonly maxSeconds?: number;
  readonly outcomes: Readonly<Partial<Record<ReportOutcome, number>>>;
}

export interface ReportSummary {
  readonly leavers: number;
  readonly people: number;
  /** Terminations planned in the period but rescinded or superseded before their start. */
  readonly cancelled: number;
  readonly revocations: number;
  readonly verified: number;
  readonly verifiedWithinSla: number;
  /** verifiedWithinSla / revocations; undefined when there were none. */
  readonly withinSlaShare?: number;
  readonly slaMinutes: number;
  readonly failures: readonly ReportRow[];
  readonly tasks: {
    readonly total: number;
    readonly acked: number;
    readonly open: number;
    readonly overdue: number;
    readonly untracked: number;
  };
  readonly applications: readonly ApplicationStats[];
}

export function withinSla(row: ReportRow, slaMinutes: number): boolean {
  return isVerified(row) && row.latencySeconds !== undefined && row.latencySeconds <= slaMinutes * 60;
}

export function summarizeRows(
  rows: readonly ReportRow[],
  slaMinutes: number,
  cancelled: number,
): ReportSummary {
  const revocations = rows.filter(isRevocation);
  const verified = revocations.filter(isVerified);
  const inSla = verified.filter((r) => withinSla(r, slaMinutes));
  const manual = rows.filter((r) => r.action === 'manual');
  const byTarget = new Map<string, ReportRow[]>();
  for (const row of rows) byTarget.set(row.targetId, [...(byTarget.get(row.targetId) ?? []), row]);
  const applications = [...byTarget.values()].map((own): ApplicationStats => {
    const first = own[0] as ReportRow;
    const revoking = own.filter(isRevocation);
    const latencies = revoking
      .filter(isVerified)
      .flatMap((r) => (r.latencySeconds === undefined ? [] : [r.latencySeconds]));
    const outcomes: Partial<Record<ReportOutcome, number>> = {};
    for (const r of own) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const median = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const max = percentile(latencies, 100);
    return {
      targetId: first.targetId,
      application: first.application,
      leavers: own.length,
      revocations: revoking.length,
      verified: revoking.filter(isVerified).length,
      withinSla: revoking.filter((r) => withinSla(r, slaMinutes)).length,
      failed: own.filter((r) => r.outcome === 'failed' || r.outcome === 'refused').length,
      ...(median !== undefined && { medianSeconds: median }),
      ...(p95 !== undefined && { p95Seconds: p95 }),
      ...(max !== undefined && { maxSeconds: max }),
      outcomes,
    };
  });
  return {
    leavers: new Set(rows.map((r) => r.eventId)).size,
    people: new Set(rows.map((r) => r.personId)).size,
    cancelled,
    revocations: revocations.length,
    verified: verified.length,
    verifiedWithinSla: inSla.length,
    ...(revocations.length > 0 && { withinSlaShare: inSla.length / revocations.length }),
    slaMinutes,
    failures: rows.filter((r) => r.failure !== ''),
    tasks: {
      total: manual.length,
      acked: manual.filter((r) => r.task?.status === 'acked').length,
      open: manual.filter((r) => r.task?.status === 'open').length,
      overdue: manual.filter((r) => r.task?.overdue).length,
      untracked: manual.filter((r) => !r.task).length,
    },
    applications,
  };
}

/** A duration for people: 42 s, 3 min 5 s, 2 h 4 min. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** A share as a percentage with one decimal: 97.5 %. */
export function formatShare(share: number | undefined): string {
  return share === undefined ? 'n/a' : `${(Math.floor(share * 1000) / 10).toFixed(1)} %`;
}
