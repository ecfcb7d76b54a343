// Renders what the audit log says about an event or a person, for the CLI and the demo: the
// state of each target (pending → revoked and verified / no account / failed) and the timeline.
import type { AuditEntry } from '../lambdas/core/model/audit.ts';

export type TargetState =
  | 'pending'
  | 'retrying'
  | 'revoked (verified)'
  | 'revoked (answer lost, verified by read-back)'
  | 'already inactive (verified)'
  | 'already gone (verified)'
  | 'no account'
  | 'manual task sent to owner'
  | 'delegated to other automation'
  | 'reported only'
  | 'dry run'
  | 'refused'
  | 'failed'
  | 'failed, in the DLQ'
  // A mover's lane (a change event): managed groups changed and read back, or nothing to change.
  | 'managed groups updated (verified)'
  | 'managed groups unchanged';

const FINAL_STEP: Partial<Record<AuditEntry['step'], TargetState>> = {
  VERIFIED: 'revoked (verified)',
  NO_ACCOUNT: 'no account',
  MANUAL_TASK: 'manual task sent to owner',
  DELEGATED: 'delegated to other automation',
  REPORTED: 'reported only',
  DRY_RUN: 'dry run',
  REFUSED: 'refused',
  FAILED: 'failed',
  DLQ: 'failed, in the DLQ',
  RETRY: 'retrying',
  // Handed back for the target's rate limit (no attempt spent): it comes again, as a retry does.
  THROTTLED: 'retrying',
  ENTITLEMENTS_VERIFIED: 'managed groups updated (verified)',
};

export interface TargetView {
  targetId: string;
  state: TargetState;
  detail?: string;
}

/**
 * What a VERIFIED entry shows: scimitar's own revocation (its answer possibly lost on the way), or
 * an account that was inactive or gone before scimitar wrote. Entries written before VERIFIED
 * carried `outcome` say it in the write entry that precedes them.
 */
function verifiedState(verified: AuditEntry, write: AuditEntry | undefined): TargetState {
  const detail = verified.detail ?? {};
  if (detail.answerLost !== undefined) return 'revoked (answer lost, verified by read-back)';
  const gone = write?.detail?.alreadyGone === true;
  const already =
    detail.outcome === undefined
      ? gone || write?.detail?.alreadyInactive === true
      : detail.outcome === 'already-revoked';
  if (!already) return 'revoked (verified)';
  return gone ? 'already gone (verified)' : 'already inactive (verified)';
}

/** The targets the plan named, each with the state its latest audit entry shows. */
export function targetStates(entries: readonly AuditEntry[]): TargetView[] {
  const planned = entries.find((e) => e.step === 'PLANNED');
  const ids: string[] = [];
  const lanes = (planned?.detail?.lanes ?? []) as { targetId: string }[];
  const settled = (planned?.detail?.settled ?? []) as { targetId: string }[];
  for (const { targetId } of [...lanes, ...settled]) if (!ids.includes(targetId)) ids.push(targetId);
  return ids.map((targetId) => {
    let view: TargetView = { targetId, state: 'pending' };
    let write: AuditEntry | undefined;
    for (const entry of entries) {
      if (entry.targetId !== targetId) continue;
      if (entry.step === 'DEACTIVATED' || entry.step === 'DELETED') write = entry;
      const step = FINAL_STEP[entry.step];
      if (!step) continue;
      const state =
        entry.step === 'VERIFIED'
          ? verifiedState(entry, write)
          : entry.step === 'ENTITLEMENTS_VERIFIED' && entry.detail?.outcome !== 'updated'
            ? 'managed groups unchanged'
            : step;
      // A redriven success supersedes an earlier failure; a failure supersedes retries.
      const detail = entry.detail ?? {};
      const text =
        state === 'failed' || state === 'retrying' || state === 'refused'
          ? String(detail.cause ?? detail.reason ?? '')
          : entry.step === 'VERIFIED'
            ? `account ${String(detail.accountId ?? '')}`
            : undefined;
      view = { targetId, state, ...(text ? { detail: text } : {}) };
    }
    return view;
  });
}

const MARK: Record<TargetState, string> = {
  pending: '…',
  retrying: '↻',
  'revoked (verified)': '✔',
  'revoked (answer lost, verified by read-back)': '✔',
  'already inactive (verified)': '✔',
  'already gone (verified)': '✔',
  'no account': '○',
  'manual task sent to owner': '✉',
  'delegated to other automation': '→',
  'reported only': 'ℹ',
  'dry run': 'ℹ',
  refused: '✖',
  failed: '✖',
  'failed, in the DLQ': '✖',
  'managed groups updated (verified)': '✔',
  'managed groups unchanged': '✔',
};

const SETTLED: ReadonlySet<TargetState> = new Set<TargetState>([
  'revoked (verified)',
  'revoked (answer lost, verified by read-back)',
  'already inactive (verified)',
  'already gone (verified)',
  'no account',
  'manual task sent to owner',
  'delegated to other automation',
  'reported only',
  'dry run',
  'managed groups updated (verified)',
  'managed groups unchanged',
]);

/**
 * A line explaining an execution status that the targets' states seem to contradict: an
 * execution that FAILED (a target had failed when it summarized) whose failed targets a redrive
 * completed afterwards. Undefined when nothing needs explaining.
 */
export function executionNote(
  execution: { readonly status: string } | null | undefined,
  entries: readonly AuditEntry[],
): string | undefined {
  if (execution?.status !== 'FAILED') return undefined;
  const redriven = entries.filter((e) => e.step === 'REDRIVEN' && e.targetId !== undefined);
  if (redriven.length === 0) return undefined;
  const views = targetStates(entries);
  const names = [...new Set(redriven.map((e) => e.targetId as string))];
  const completed = names.filter((id) => views.find((v) => v.targetId === id && SETTLED.has(v.state)));
  if (completed.length === 0) return undefined;
  const open = views.filter((v) => !SETTLED.has(v.state)).map((v) => v.targetId);
  return `  note: the execution failed before the redrive; the redrive completed ${completed.join(', ')}${
    open.length ? ` (still open: ${open.join(', ')})` : ', so every target is settled now'
  }`;
}

export function renderTargets(views: readonly TargetView[]): string {
  const width = Math.max(8, ...views.map((v) => v.targetId.length));
  return views
    .map(
      (v) => `  ${MARK[v.state]} ${v.targetId.padEnd(width)}  ${v.state}${v.detail ? `  (${v.detail})` : ''}`,
    )
    .join('\n');
}

export function renderTimeline(entries: readonly AuditEntry[]): string {
  return entries
    .map((e) => {
      const detail = e.detail ?? {};
      const note =
        e.step === 'FAILED' || e.step === 'RETRY'
          ? String(detail.cause ?? '')
          : e.step === 'PLANNED'
            ? `lanes: ${((detail.lanes ?? []) as { targetId: string }[]).map((l) => l.targetId).join(', ') || 'none'}`
            : lifecycleNote(e.step, detail);
      return `  ${e.at}  ${e.step.padEnd(14)} ${(e.targetId ?? '').padEnd(10)} ${e.actor.padEnd(10)} ${e.eventId}${note ? `  ${note}` : ''}`;
    })
    .join('\n');
}

interface Dates {
  readonly effectiveAt?: string;
  readonly startAt?: string;
}

/** What a lifecycle step did: the schedule, both dates of a reschedule, who cancelled or approved. */
function lifecycleNote(step: AuditEntry['step'], detail: Record<string, unknown>): string {
  const of = detail.pendingEventId ? ` (termination ${String(detail.pendingEventId)})` : '';
  switch (step) {
    case 'SCHEDULED':
      return `scheduled for ${String(detail.startAt)}`;
    case 'RESCHEDULED': {
      if (detail.unchanged) return String(detail.reason ?? 'same dates: unchanged');
      const from = (detail.from ?? {}) as Dates;
      const to = (detail.to ?? {}) as Dates;
      return `from ${String(from.startAt)} to ${String(to.startAt)}${of}`;
    }
    case 'RESCINDED':
    case 'REHIRED':
      return `by ${String(detail.by ?? step.toLowerCase())}${of}: ${String(detail.reason ?? '')}`;
    case 'APPROVED':
      return `by ${String(detail.approvedBy)}: ${((detail.targets ?? []) as string[]).join(', ')} released`;
    default:
      return '';
  }
}
