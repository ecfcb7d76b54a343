// An owner task's state as the audit log proves it: MANUAL_TASK (opened: task id, owner, due time)
// and TASK_ACKED (who, when, note). The audit log keeps both for good, while an acknowledged task's
// item on the state table expires 90 days after the ack: evidence reports read this.
import type { AuditEntry } from '../model/audit.ts';
import type { OwnerTaskStatus } from './owner-task.ts';

export interface AuditedOwnerTask {
  readonly taskId: string;
  readonly targetId: string;
  readonly status: OwnerTaskStatus;
  readonly openedAt: string;
  readonly owner?: string;
  readonly dueAt?: string;
  readonly ackedAt?: string;
  readonly ackedBy?: string;
  readonly note?: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** The task of one event at one target from the event's audit entries; undefined when none was opened. */
export function ownerTaskFromAudit(
  entries: readonly AuditEntry[],
  targetId: string,
): AuditedOwnerTask | undefined {
  const opened = entries.find(
    (e) => e.step === 'MANUAL_TASK' && e.targetId === targetId && text(e.detail?.taskId),
  );
  const taskId = text(opened?.detail?.taskId);
  if (!opened || !taskId) return undefined;
  const acked = entries.find((e) => e.step === 'TASK_ACKED' && e.detail?.taskId === taskId);
  const owner = text(opened.detail?.owner);
  const dueAt = text(opened.detail?.dueAt);
  const ackedBy = text(acked?.detail?.by);
  const note = text(acked?.detail?.note);
  return {
    taskId,
    targetId,
    status: acked ? 'acked' : 'open',
    openedAt: opened.at,
    ...(owner && { owner }),
    ...(dueAt && { dueAt }),
    ...(acked && { ackedAt: acked.at }),
    ...(ackedBy && { ackedBy }),
    ...(note && { note }),
  };
}
