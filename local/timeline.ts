// Renders what the audit log says about an event or a person, for the CLI and the demo: the
// state of each target (pending → revoked and verified / no account / failed) and the timeline.
import type { AuditEntry } from '../lambdas/core/audit.ts';

export type TargetState =
  | 'pending'
  | 'retrying'
  | 'revoked (verified)'
  | 'no account'
  | 'manual task sent to owner'
  | 'delegated to other automation'
  | 'reported only'
  | 'dry run'
  | 'refused'
  | 'failed'
  | 'failed, in the DLQ';

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
};

export interface TargetView {
  targetId: string;
  state: TargetState;
  detail?: string;
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
    for (const entry of entries) {
      if (entry.targetId !== targetId) continue;
      const state = FINAL_STEP[entry.step];
      if (!state) continue;
      // A redriven success supersedes an earlier failure; a failure supersedes retries.
      const detail = entry.detail ?? {};
      const text =
        state === 'failed' || state === 'retrying' || state === 'refused'
          ? String(detail.cause ?? detail.reason ?? '')
          : state === 'revoked (verified)'
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
  'no account': '○',
  'manual task sent to owner': '✉',
  'delegated to other automation': '→',
  'reported only': 'ℹ',
  'dry run': 'ℹ',
  refused: '✖',
  failed: '✖',
  'failed, in the DLQ': '✖',
};

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
            : '';
      return `  ${e.at}  ${e.step.padEnd(14)} ${(e.targetId ?? '').padEnd(10)} ${e.actor.padEnd(10)} ${e.eventId}${note ? `  ${note}` : ''}`;
    })
    .join('\n');
}
