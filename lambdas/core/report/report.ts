// An evidence report of a period: the leavers the audit index lists, each event's entries read
// (a few at a time), their rows and summary, the coverage ledger and the owner tasks' state.
import type { ScimitarConfig } from '../model/config.ts';
import type { Clock } from '../model/ports.ts';
import type { CoverageReport } from '../reconcile/coverage.ts';
import type { ReportPeriod } from './leaver-index.ts';
import type { LeaverEvidence, OwnerTaskLookup, ReportedOwnerTask } from './ports.ts';
import { type LeaverRows, leaverRows, type ReportRow } from './rows.ts';
import { type ReportSummary, summarizeRows } from './summary.ts';

/** The SLA when the config names none: verified within an hour of the termination's start. */
export const DEFAULT_SLA_MINUTES = 60;

export interface EvidenceReport {
  readonly stackName: string;
  readonly period: ReportPeriod;
  readonly generatedAt: string;
  readonly summary: ReportSummary;
  readonly rows: readonly ReportRow[];
  /** Terminations of the period cancelled before they started (rescinded, superseded). */
  readonly cancelled: readonly { readonly eventId: string; readonly reason: string }[];
  /** Every application's coverage now. @default - left out when not gathered */
  readonly coverage?: CoverageReport;
}

export interface EvidenceReportDeps {
  readonly config: ScimitarConfig;
  readonly evidence: LeaverEvidence;
  /** Owner tasks of manual targets. @default - manual rows say their task is not tracked */
  readonly tasks?: OwnerTaskLookup;
  /** The coverage ledger as of now. @default - the report has no coverage section */
  readonly coverage?: () => Promise<CoverageReport>;
  readonly clock: Clock;
  /** Events read at once. @default 8 */
  readonly concurrency?: number;
}

export async function buildEvidenceReport(
  period: ReportPeriod,
  deps: EvidenceReportDeps,
): Promise<EvidenceReport> {
  const now = deps.clock.now();
  const eventIds = [...new Set(await deps.evidence.leaversIn(period))].sort();
  const results = await mapPooled(eventIds, deps.concurrency ?? 8, async (eventId): Promise<LeaverRows> => {
    const entries = await deps.evidence.forEvent(eventId);
    const tasks = new Map<string, ReportedOwnerTask>();
    if (deps.tasks) {
      for (const e of entries) {
        if (e.step !== 'MANUAL_TASK' || !e.targetId) continue;
        const task = await deps.tasks.task(eventId, e.targetId, entries);
        if (task) tasks.set(e.targetId, task);
      }
    }
    return leaverRows({ eventId, entries, tasks }, deps.config, now);
  });
  const rows = results
    .flatMap((r) => (r.kind === 'leaver' ? r.rows : []))
    .sort((a, b) => (a.effectiveAt < b.effectiveAt ? -1 : a.effectiveAt > b.effectiveAt ? 1 : 0));
  const cancelled = results.flatMap((r) =>
    r.kind === 'cancelled' ? [{ eventId: r.eventId, reason: r.reason }] : [],
  );
  const slaMinutes = deps.config.report?.slaMinutes ?? DEFAULT_SLA_MINUTES;
  return {
    stackName: deps.config.stackName,
    period,
    generatedAt: now.toISOString(),
    summary: summarizeRows(rows, slaMinutes, cancelled.length),
    rows,
    cancelled,
    ...(deps.coverage && { coverage: await deps.coverage() }),
  };
}

/** fn over items, at most `limit` at a time, results in the items' order. */
async function mapPooled<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
