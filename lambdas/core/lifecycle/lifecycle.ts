// The termination lifecycle at ingest: a termination becomes the person's one pending termination
// and is scheduled for its effective time (or started at once); a later termination reschedules
// it; a rescind, hire or rehire cancels it; a change (a mover) starts its execution at once, which
// waits for its effective time. Ingest records and schedules; it never plans.

import type { WorkflowStarter } from '../ingest/ports.ts';
import { type AuditEntry, auditEntry } from '../model/audit.ts';
import type { ScimitarConfig, TargetConfig } from '../model/config.ts';
import type { LifecycleEvent } from '../model/event.ts';
import type { AuditLog, Notifier } from '../model/ports.ts';
import type { PendingTermination, PendingTerminations, TerminationScheduler } from './ports.ts';

export interface TerminationLifecycleDeps {
  readonly terminations: PendingTerminations;
  readonly scheduler: TerminationScheduler;
  readonly workflows: WorkflowStarter;
  readonly audit: AuditLog;
  /** Target owners: told when a revocation they may have acted on is rescinded, or a revoked person is rehired. */
  readonly owners: Notifier;
  readonly config: Pick<ScimitarConfig, 'involuntary' | 'scheduleHorizonDays' | 'targets'>;
}

/** What ingest did with one event, for the sender's answer and the log. */
export type LifecycleOutcome =
  | { readonly action: 'started'; readonly executionArn: string; readonly duplicate: boolean }
  | { readonly action: 'scheduled' | 'rescheduled'; readonly startAt: string; readonly previous?: string }
  | { readonly action: 'unchanged'; readonly reason: string }
  | { readonly action: 'rescinded'; readonly eventId: string; readonly afterStart: boolean }
  | { readonly action: 'nothing-pending'; readonly reason: string };

const DAY_MS = 86_400_000;
/**
 * A start this close (or closer) starts the execution now, whose Wait state sleeps the rest: a
 * schedule for it could be in the past by the time it exists.
 */
const SCHEDULE_MARGIN_MS = 60_000;
/** Compare-and-set rounds before giving up on a person whose record keeps changing under us. */
const MAX_ROUNDS = 5;

/**
 * How far ahead a change (a mover) may be dated: its execution starts at once and its Wait state
 * sleeps until effectiveAt, within the workflow's execution timeout (31 days by default).
 */
export const CHANGE_HORIZON_DAYS = 30;

/** The latest effectiveAt accepted at `now`, or why `event` is past it; undefined when within. */
export function beyondHorizon(event: LifecycleEvent, now: Date, horizonDays: number): string | undefined {
  if (event.kind === 'change') {
    const latest = now.getTime() + CHANGE_HORIZON_DAYS * DAY_MS;
    if (Date.parse(event.effectiveAt) <= latest) return undefined;
    return `field "effectiveAt": ${event.effectiveAt} is more than ${CHANGE_HORIZON_DAYS} days ahead (latest accepted ${new Date(latest).toISOString()}); send a change within ${CHANGE_HORIZON_DAYS} days of its effective date`;
  }
  if (event.kind !== 'termination') return undefined;
  const latest = now.getTime() + horizonDays * DAY_MS;
  if (Date.parse(event.effectiveAt) <= latest) return undefined;
  return `field "effectiveAt": ${event.effectiveAt} is past the scheduling horizon of ${horizonDays} days (latest accepted ${new Date(latest).toISOString()}; config scheduleHorizonDays)`;
}

/** When a termination's revocation starts: its effective time, or now (past dates, involuntary exits revoked at once). */
export function revocationStart(
  event: LifecycleEvent,
  now: Date,
  involuntary: ScimitarConfig['involuntary'],
): Date {
  if (event.terminationType === 'involuntary' && involuntary === 'immediate') return now;
  const effective = new Date(event.effectiveAt);
  return effective > now ? effective : now;
}

export class TerminationLifecycle {
  constructor(private readonly deps: TerminationLifecycleDeps) {}

  /** Applies one accepted event (RECEIVED is written) to the person's pending termination. */
  async apply(
    event: LifecycleEvent,
    executionName: string,
    input: unknown,
    now: Date,
  ): Promise<LifecycleOutcome> {
    // A mover's change cancels nothing and waits for no termination: its execution updates the
    // person's managed groups (its lanes check for a pending termination before adding any).
    if (event.kind === 'change') {
      const start = await this.deps.workflows.start(executionName, input);
      return { action: 'started', executionArn: start.executionArn, duplicate: start.alreadyStarted };
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const pending = await this.deps.terminations.get(event.person.employeeId);
      const outcome =
        event.kind === 'termination'
          ? await this.terminate(event, pending, executionName, input, now)
          : await this.cancel(event, pending, now);
      if (outcome) return outcome;
    }
    throw new Error(`the pending termination of ${event.person.employeeId} kept changing; try again`);
  }

  /** undefined: another writer changed the record first; read again. */
  private async terminate(
    event: LifecycleEvent,
    pending: PendingTermination | undefined,
    executionName: string,
    input: unknown,
    now: Date,
  ): Promise<LifecycleOutcome | undefined> {
    const startAt = revocationStart(event, now, this.deps.config.involuntary);
    const next: PendingTermination = {
      personId: event.person.employeeId,
      eventId: event.eventId,
      source: event.source,
      executionName,
      effectiveAt: new Date(event.effectiveAt).toISOString(),
      startAt: startAt.toISOString(),
      terminationType: event.terminationType ?? 'involuntary',
      status: 'scheduled',
      version: (pending?.version ?? 0) + 1,
    };
    const replaces =
      pending?.status === 'scheduled' && pending.eventId !== event.eventId ? pending : undefined;
    const repeated = pending?.eventId === event.eventId;
    if (repeated) {
      // A repeated delivery: redo the action (its schedule or start may be what failed before).
      if (pending.status === 'cancelled') {
        return { action: 'unchanged', reason: `this termination was cancelled at ${pending.cancelledAt}` };
      }
      if (pending.status === 'started') return this.start(pending, input, true);
    } else if (replaces && replaces.startAt === next.startAt && replaces.effectiveAt === next.effectiveAt) {
      const reason = `the pending termination ${replaces.eventId} has the same dates; it stays`;
      await this.note(event, 'RESCHEDULED', now, {
        unchanged: true,
        pendingEventId: replaces.eventId,
        reason,
      });
      return { action: 'unchanged', reason };
    } else if (!(await this.deps.terminations.replace(next, pending?.version))) {
      return undefined;
    }
    const record = repeated ? pending : next;
    if (replaces) {
      await this.note(event, 'RESCHEDULED', now, {
        pendingEventId: replaces.eventId,
        from: { effectiveAt: replaces.effectiveAt, startAt: replaces.startAt },
        to: { effectiveAt: record.effectiveAt, startAt: record.startAt },
      });
    }
    if (Date.parse(record.startAt) <= now.getTime() + SCHEDULE_MARGIN_MS) {
      // Scheduled no more: the earlier schedule (if any) must not start the replaced event.
      if (replaces) await this.deps.scheduler.cancel(record.personId);
      return this.start(record, input, false);
    }
    await this.deps.scheduler.schedule({
      personId: record.personId,
      executionName: record.executionName,
      startAt: new Date(record.startAt),
      input,
    });
    if (!replaces && !repeated) {
      await this.note(event, 'SCHEDULED', now, { effectiveAt: record.effectiveAt, startAt: record.startAt });
    }
    return {
      action: replaces ? 'rescheduled' : 'scheduled',
      startAt: record.startAt,
      ...(replaces && { previous: replaces.startAt }),
    };
  }

  private async start(
    record: PendingTermination,
    input: unknown,
    repeated: boolean,
  ): Promise<LifecycleOutcome> {
    const start = await this.deps.workflows.start(record.executionName, input);
    return {
      action: 'started',
      executionArn: start.executionArn,
      duplicate: repeated || start.alreadyStarted,
    };
  }

  /** A rescind, hire or rehire: cancels the pending termination. undefined: read again. */
  private async cancel(
    event: LifecycleEvent,
    pending: PendingTermination | undefined,
    now: Date,
  ): Promise<LifecycleOutcome | undefined> {
    if (!pending || pending.status === 'cancelled') {
      const reason = pending
        ? `the termination ${pending.eventId} was already cancelled at ${pending.cancelledAt}`
        : 'no termination is pending for this person';
      return { action: 'nothing-pending', reason };
    }
    const cancelled: PendingTermination = {
      ...pending,
      status: 'cancelled',
      cancelledAt: now.toISOString(),
      cancelledBy: { eventId: event.eventId, kind: event.kind },
      version: pending.version + 1,
    };
    if (!(await this.deps.terminations.replace(cancelled, pending.version))) return undefined;
    const afterStart = pending.status === 'started';
    if (!afterStart) await this.deps.scheduler.cancel(pending.personId);
    await this.note(event, 'RESCINDED', now, {
      by: event.kind,
      pendingEventId: pending.eventId,
      effectiveAt: pending.effectiveAt,
      ...(afterStart
        ? {
            afterStart: true,
            startedAt: pending.startedAt,
            reason: `revocation already started at ${pending.startedAt}: writes made before ${now.toISOString()} stand (scimitar does not reactivate); no target is written after it`,
          }
        : { reason: `cancelled before its start at ${pending.startAt}: nothing was revoked` }),
    });
    // Owners may have acted on the plan's tasks, or see accounts scimitar disabled.
    if (afterStart) await this.tellOwners(event, pending, now);
    return { action: 'rescinded', eventId: pending.eventId, afterStart };
  }

  private async tellOwners(event: LifecycleEvent, pending: PendingTermination, now: Date): Promise<void> {
    const rehire = event.kind === 'hire' || event.kind === 'rehire';
    const person = event.person.displayName ?? event.person.userName ?? `employee ${pending.personId}`;
    for (const target of this.deps.config.targets) {
      await this.deps.owners.notify(ownerNotice(target, person, pending, event, rehire));
    }
    if (rehire) {
      await this.note(event, 'REHIRED', now, {
        pendingEventId: pending.eventId,
        startedAt: pending.startedAt,
        told: this.deps.config.targets.map((t) => t.owner),
        reason: 'scimitar does not reactivate accounts: owners were told to restore access by hand',
      });
    }
  }

  private note(event: LifecycleEvent, step: AuditEntry['step'], now: Date, detail: Record<string, unknown>) {
    return this.deps.audit.append(
      auditEntry(
        { eventId: event.eventId, step, personId: event.person.employeeId, actor: 'ingest', detail },
        now,
      ),
    );
  }
}

function ownerNotice(
  target: TargetConfig,
  person: string,
  pending: PendingTermination,
  event: LifecycleEvent,
  rehire: boolean,
) {
  const what = rehire ? `${event.kind}d` : 'termination rescinded';
  return {
    subject: `scimitar: ${person} ${what}; access in ${target.displayName} may need restoring`,
    message: [
      `${person}'s termination (event ${pending.eventId}, effective ${pending.effectiveAt}) ${rehire ? `was followed by a ${event.kind}` : 'was rescinded'} (event ${event.eventId}).`,
      `Its revocation had already started at ${pending.startedAt}: scimitar writes nothing more, and does not reactivate accounts.`,
      `If ${target.displayName} access was removed (by scimitar, or by you after its task), restore it by hand.`,
    ].join('\n'),
    owner: target.owner,
    targetId: target.id,
    eventId: event.eventId,
  };
}
