// The audit log's model: one append-only entry per step of a revocation, keyed by event, with
// the person for a per-leaver timeline. Entries are evidence for auditors: never updated or deleted.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';

export const auditSteps = [
  'RECEIVED', // ingest accepted an event
  'SCHEDULED', // ingest scheduled a termination for its effective time (the person's pending termination)
  'RESCHEDULED', // a later event for the person moved the pending termination (both dates in detail)
  'RESCINDED', // the pending termination was cancelled (rescind, hire, rehire, superseded): nothing more is written
  'REHIRED', // a hire or rehire for a person already revoked: owners told (no reactivation)
  'APPROVED', // an operator released a revocation the blast-radius guard held (who, in detail)
  'BURST_APPROVED', // an operator let N more revocations past the guard at targets for windows (who, how many, why)
  'CANCELLED', // a lane did not write: its termination was rescinded after the plan
  'PLANNED', // plan chose the targets
  'REFUSED', // plan refused (blast radius) or a target was out of scope
  'DRY_RUN', // plan/worker would have written, dry-run is on
  'MANUAL_TASK', // a target without automation: its owner was notified
  'TASK_ACKED', // the owner of a manual target said the account is closed (`scimitar ack`: who, note)
  'DELEGATED', // a target revoked by other automation
  'FOUND', // worker found exactly one account
  'NO_ACCOUNT', // worker found no account: nothing to revoke
  'GROUPS_REMOVED',
  'ENTITLEMENT_REMOVED', // a mover left a managed group their attributes no longer grant (group, account in detail)
  'ENTITLEMENT_ADDED', // a mover joined a managed group their attributes now grant (target opted in: addGranted)
  'ENTITLEMENTS_VERIFIED', // a mover's managed memberships read back: before, change and after in detail
  'WRITE_SENT', // worker is about to send the revoking PATCH or DELETE (noted before it goes)
  'DEACTIVATED',
  'DELETED',
  'SESSIONS_REVOKED', // a session target ended the person's sessions and tokens (docs/sessions.md)
  'VERIFIED', // read back: inactive or gone
  'REPORTED', // report-only target: found, not written
  'RETRY', // a retryable failure; the message will come again
  'FAILED', // a permanent failure, or the last attempt
  'DLQ', // the message went to the dead-letter queue
  'DEFERRED', // worker handed the message back unprocessed: too little time left in its invocation
  'THROTTLED', // the target's rate limit (or, for a remediation, no spare budget): handed back with a delay, no attempt spent
  'REDRIVEN', // a message from the DLQ completed after its execution ended
  'REMEDIATED', // the reconciler re-queued drift
  'COMPLETED', // every target revoked (or nothing to revoke)
  'PARTIAL', // at least one target failed
  'RESUMED', // the Lifecycle Workflows task that sent the event was resumed with the outcome (entra-lcw)
] as const;
export type AuditStep = (typeof auditSteps)[number];

export const auditEntrySchema = z.object({
  eventId: z.string(),
  /** Sort key within the event: time, then a unique suffix so two steps never collide. */
  entryId: z.string(),
  at: z.string(),
  step: z.enum(auditSteps),
  personId: z.string(),
  targetId: z.string().optional(),
  /** Which function wrote it. */
  actor: z.enum(['ingest', 'plan', 'worker', 'summarize', 'reconciler', 'operator']),
  /** Step-specific evidence: requests made, verified state, error class and reason. Never secrets. */
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export type NewAuditEntry = Omit<AuditEntry, 'entryId' | 'at'> & { at?: string };

// Orders entries written by one process within the same millisecond in the order they were made.
let sequence = 0;

/**
 * Completes an entry that may exist at most once per event and `key` (RECEIVED per source): its
 * id is deterministic, so `AuditLog.appendOnce` lets exactly one of several concurrent writers
 * win. The id starts with `#` and carries no time, so it sorts before every timed entry of the event.
 */
export function onceAuditEntry(entry: NewAuditEntry, key: string, now: Date): AuditEntry {
  return { ...entry, at: entry.at ?? now.toISOString(), entryId: `#${entry.step}#${key}` };
}

/** Timeline order: by time, then by id (code-unit order, as DynamoDB sorts keys), which orders entries of one millisecond by creation. */
export function compareAuditEntries(a: AuditEntry, b: AuditEntry): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0;
}

/** Completes an entry with its time and a collision-free id that sorts by time, then by creation. */
export function auditEntry(entry: NewAuditEntry, now: Date): AuditEntry {
  const at = entry.at ?? now.toISOString();
  sequence = (sequence + 1) % 36 ** 4;
  const order = sequence.toString(36).padStart(4, '0');
  return {
    ...entry,
    at,
    entryId: `${at}#${order}#${entry.step}#${entry.targetId ?? '-'}#${randomUUID().slice(0, 8)}`,
  };
}
