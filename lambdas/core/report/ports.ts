// The ports an evidence report reads through: the audit log's leavers of a period and each
// event's entries, and (where owner tasks are kept) the state of each manual target's task.
import type { AuditEntry } from '../model/audit.ts';
import type { ReportPeriod } from './leaver-index.ts';

export abstract class LeaverEvidence {
  /** The events whose termination was planned in the period (UTC days, both ends included). */
  abstract leaversIn(period: ReportPeriod): Promise<readonly string[]>;
  /** Every audit entry of one event, in timeline order. */
  abstract forEvent(eventId: string): Promise<readonly AuditEntry[]>;
}

/** An owner task as the report shows it (the fields of the tasks subsystem's OwnerTask it reads). */
export interface ReportedOwnerTask {
  readonly taskId: string;
  readonly status: 'open' | 'acked';
  readonly dueAt?: string;
  readonly ackedAt?: string;
  readonly ackedBy?: string;
  readonly note?: string;
}

/**
 * The owner task of a leaver at a manual target. The tasks subsystem answers it from the event's
 * audit entries (MANUAL_TASK, TASK_ACKED), which outlive the task's item:
 * `{ task: async (_eventId, targetId, entries) => ownerTaskFromAudit(entries, targetId) }`.
 */
export abstract class OwnerTaskLookup {
  abstract task(
    eventId: string,
    targetId: string,
    entries: readonly AuditEntry[],
  ): Promise<ReportedOwnerTask | undefined>;
}
