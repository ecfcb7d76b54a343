// An evidence report's rows: one per leaver × application, read from the event's audit entries
// alone (the plan says which applications, each lane's entries say what happened there), so the
// report shows what the audit log proves and nothing the log does not hold.
import type { AuditEntry } from '../model/audit.ts';
import type { ScimitarConfig } from '../model/config.ts';
import { leaverLaneAction } from '../revocation/leaver-action.ts';
import type { ReportedOwnerTask } from './ports.ts';

export const reportOutcomes = [
  'revoked',
  'already-revoked',
  'no-account',
  'failed',
  'refused',
  'cancelled',
  'manual-task',
  'delegated',
  'reported',
  'dry-run',
  'in-progress',
] as const;
export type ReportOutcome = (typeof reportOutcomes)[number];

/** Outcomes that prove the person has no active account there, read back by scimitar. */
export const VERIFIED_OUTCOMES: readonly ReportOutcome[] = ['revoked', 'already-revoked', 'no-account'];

export interface ReportRow {
  readonly eventId: string;
  readonly personId: string;
  /** The HR source that sent the termination ('' when its RECEIVED entry is not in the log). */
  readonly source: string;
  /** voluntary, involuntary, … as the HR event said ('' when it did not). */
  readonly terminationType: string;
  readonly receivedAt: string;
  /** When the revocation was due: the plan's claimed start (the HR event's effective time). */
  readonly effectiveAt: string;
  readonly targetId: string;
  readonly application: string;
  /** deactivate | delete (scimitar revokes), report-only, manual, delegated. */
  readonly action: string;
  /** When scimitar read the account back revoked (or found none): '' when it did not. */
  readonly verifiedAt: string;
  /** verifiedAt − the later of effectiveAt and receivedAt, in whole seconds. */
  readonly latencySeconds?: number;
  readonly outcome: ReportOutcome;
  /** Attempts the lane made (its last entry's attempt). */
  readonly attempts?: number;
  /** The last failure's reason, when the revocation failed or was held at any point. */
  readonly failure: string;
  /** How that failure ended: verified after a redrive, still in the dead-letter queue, … */
  readonly ended: string;
  /** A manual target's owner task, where tasks are kept. */
  readonly task?: ReportedOwnerTask & { readonly overdue: boolean };
  /** The audit entry that proves the outcome: `audit:<eventId>/<entryId>`. */
  readonly evidence: string;
}

/** One leaver's evidence: the event's audit entries and its owner tasks by target. */
export interface LeaverRecord {
  readonly eventId: string;
  readonly entries: readonly AuditEntry[];
  readonly tasks?: ReadonlyMap<string, ReportedOwnerTask>;
}

/** What the rows of an event came to: rows, or why the event has none. */
export type LeaverRows =
  | { readonly kind: 'leaver'; readonly rows: readonly ReportRow[] }
  | { readonly kind: 'cancelled'; readonly eventId: string; readonly reason: string }
  | { readonly kind: 'not-a-leaver' };

const DECISIVE: Partial<Record<AuditEntry['step'], ReportOutcome>> = {
  NO_ACCOUNT: 'no-account',
  REPORTED: 'reported',
  DRY_RUN: 'dry-run',
  FAILED: 'failed',
  REFUSED: 'refused',
  CANCELLED: 'cancelled',
  MANUAL_TASK: 'manual-task',
  DELEGATED: 'delegated',
};

interface PlannedTarget {
  readonly targetId: string;
  readonly action?: string;
  readonly reportOnly?: boolean;
  readonly status?: string;
  readonly reason?: string;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const evidenceOf = (e: AuditEntry) => `audit:${e.eventId}/${e.entryId}`;

export function leaverRows(record: LeaverRecord, config: ScimitarConfig, now: Date): LeaverRows {
  const { entries } = record;
  const planned = entries.find((e) => e.step === 'PLANNED' && e.actor === 'plan');
  if (planned?.detail?.kind !== 'termination') return { kind: 'not-a-leaver' };
  const detail = planned.detail;
  if (typeof detail.reason === 'string')
    return { kind: 'cancelled', eventId: record.eventId, reason: detail.reason };

  const received = entries.find((e) => e.step === 'RECEIVED');
  const event = (received?.detail?.event ?? {}) as Record<string, unknown>;
  const receivedAt = received?.at ?? text((detail.plan as Record<string, unknown> | undefined)?.receivedAt);
  const effectiveAt = text(detail.effectiveAt) || planned.at;
  const start = Math.max(Date.parse(effectiveAt), Date.parse(receivedAt) || 0);
  const dryRun = detail.dryRun === true;

  const targets = new Map<string, PlannedTarget>();
  for (const lane of (detail.lanes ?? []) as PlannedTarget[]) targets.set(lane.targetId, lane);
  for (const settled of (detail.settled ?? []) as PlannedTarget[]) targets.set(settled.targetId, settled);
  for (const e of entries)
    if (e.targetId && !targets.has(e.targetId)) targets.set(e.targetId, { targetId: e.targetId });
  const order = new Map(config.targets.map((t, i) => [t.id, i]));
  const ids = [...targets.keys()].sort(
    (a, b) => (order.get(a) ?? order.size) - (order.get(b) ?? order.size) || (a < b ? -1 : 1),
  );

  const rows = ids.map((targetId): ReportRow => {
    const plannedTarget = targets.get(targetId) as PlannedTarget;
    const own = entries.filter((e) => e.targetId === targetId);
    const configured = config.targets.find((t) => t.id === targetId);
    let outcome: ReportOutcome | undefined;
    let decisive: AuditEntry | undefined;
    let failed: AuditEntry | undefined;
    for (const e of own) {
      const step =
        e.step === 'VERIFIED'
          ? e.detail?.outcome === 'already-revoked'
            ? 'already-revoked'
            : 'revoked'
          : DECISIVE[e.step];
      if (e.step === 'FAILED' || e.step === 'REFUSED') failed = e;
      if (step) [outcome, decisive] = [step, e];
    }
    const settledStatus = plannedTarget.status as ReportOutcome | undefined;
    outcome ??= settledStatus ?? 'in-progress';
    const settledFailure =
      settledStatus === 'failed' || settledStatus === 'refused' ? text(plannedTarget.reason) : '';
    const failure = failed
      ? text(failed.detail?.reason) ||
        [text(failed.detail?.error), text(failed.detail?.cause)].filter(Boolean).join(': ')
      : settledFailure;
    const verified = VERIFIED_OUTCOMES.includes(outcome) ? decisive : undefined;
    const latencySeconds = verified
      ? Math.max(0, Math.round((Date.parse(verified.at) - start) / 1000))
      : undefined;
    const attempt = own.at(-1)?.detail?.attempt;
    const task = record.tasks?.get(targetId);
    return {
      eventId: record.eventId,
      personId: planned.personId,
      source: text(received?.detail?.source),
      terminationType: text(event.terminationType),
      receivedAt,
      effectiveAt,
      targetId,
      application: configured?.displayName ?? targetId,
      action: actionOf(plannedTarget, configured),
      verifiedAt: verified?.at ?? '',
      ...(latencySeconds !== undefined && { latencySeconds }),
      outcome: dryRun && outcome === 'in-progress' ? 'dry-run' : outcome,
      ...(typeof attempt === 'number' && { attempts: attempt }),
      failure,
      ended: failure ? howItEnded(outcome, own, entries, targetId, record.eventId) : '',
      ...(task && {
        task: { ...task, overdue: task.status === 'open' && !!task.dueAt && task.dueAt < now.toISOString() },
      }),
      evidence: evidenceOf(decisive ?? planned),
    };
  });
  return { kind: 'leaver', rows };
}

function actionOf(planned: PlannedTarget, configured: ScimitarConfig['targets'][number] | undefined): string {
  if (planned.reportOnly) return 'report-only';
  if (planned.action) return planned.action;
  if (planned.status === 'manual-task') return 'manual';
  if (planned.status === 'delegated') return 'delegated';
  if (configured?.kind === 'session') return 'revoke-sessions';
  if (configured?.kind === 'scim')
    return configured.mode === 'report-only' ? 'report-only' : leaverLaneAction(configured);
  if (configured) return configured.kind === 'manual' ? 'manual' : 'delegated';
  return 'unknown';
}

/** How a revocation that failed or was held at some point ended, in the words an auditor needs. */
function howItEnded(
  outcome: ReportOutcome,
  own: readonly AuditEntry[],
  entries: readonly AuditEntry[],
  targetId: string,
  eventId: string,
): string {
  if (VERIFIED_OUTCOMES.includes(outcome)) {
    if (own.some((e) => e.step === 'REDRIVEN')) return 'redriven from the dead-letter queue, then verified';
    const approval = entries.find(
      (e) => e.step === 'APPROVED' && (e.detail?.targets as unknown[] | undefined)?.includes(targetId),
    );
    if (approval) return `released by ${text(approval.detail?.approvedBy) || 'an operator'}, then verified`;
    return 'verified on a later attempt';
  }
  if (outcome === 'failed') {
    const lastFailed = own.findLastIndex((e) => e.step === 'FAILED');
    if (lastFailed >= 0 && own.slice(lastFailed).some((e) => e.step === 'DLQ'))
      return `in the dead-letter queue: redrive it (scimitar redrive ${targetId})`;
    if (lastFailed < 0) return 'nothing written: the plan could not revoke here';
    return 'failed permanently: the reconciler re-checks the account as drift';
  }
  if (outcome === 'refused')
    return `held by the blast-radius guard, nothing written: release it with scimitar approve ${eventId}`;
  return 'still in progress';
}
