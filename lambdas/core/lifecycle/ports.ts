// Ports of the termination lifecycle: the person's one pending termination (state table) and the
// one-time schedule that starts its revocation at the effective time. Abstract classes, as in
// model/ports.ts; the DynamoDB and EventBridge Scheduler adapters live in lambdas/aws/adapters,
// in-memory ones in test/support, the local runtime's over its clock in local/.
import type { TerminationType } from '../model/event.ts';

export type PendingStatus = 'scheduled' | 'started' | 'cancelled';

/** A person's termination between ingest and its revocation: at most one per person. */
export interface PendingTermination {
  readonly personId: string;
  /** The termination event that runs it (a reschedule replaces it with the later event). */
  readonly eventId: string;
  readonly source: string;
  /** The workflow execution that revokes it, named from source and eventId (dedupe). */
  readonly executionName: string;
  /** When access must end, as the event gave it. */
  readonly effectiveAt: string;
  /** When the revocation starts: effectiveAt, or the ingest time for an involuntary termination revoked at once. */
  readonly startAt: string;
  readonly terminationType: TerminationType;
  /** scheduled: waiting for startAt; started: claimed by its plan; cancelled: rescinded or superseded. */
  readonly status: PendingStatus;
  /** When the plan claimed it (status started). */
  readonly startedAt?: string;
  /** When and why it was cancelled (status cancelled). */
  readonly cancelledAt?: string;
  readonly cancelledBy?: { readonly eventId: string; readonly kind: string };
  /** Bumped by every write: each write is conditional on the version read. */
  readonly version: number;
}

/**
 * The pending terminations, one per person. `replace` is a compare-and-set on the version read
 * (absent: none stored), so of two writers racing on one person (a rescind and the plan's claim)
 * exactly one wins and the other reads again.
 */
export abstract class PendingTerminations {
  abstract get(personId: string): Promise<PendingTermination | undefined>;
  /** Stores `next` if the stored version is still `expectedVersion`; false when another writer got there first. */
  abstract replace(next: PendingTermination, expectedVersion: number | undefined): Promise<boolean>;
}

/** What a schedule starts: the workflow execution of a termination, by name, with its input. */
export interface ScheduledStart {
  /** The schedule's name: one per person, so a reschedule updates it and a rescind deletes it. */
  readonly personId: string;
  readonly executionName: string;
  readonly startAt: Date;
  readonly input: unknown;
}

/**
 * One-time schedules that start a termination's workflow execution at its effective time (on AWS,
 * EventBridge Scheduler `at(...)` schedules, deleted after they run), so no workflow timeout or
 * Wait stands between ingest and a date months ahead.
 */
export abstract class TerminationScheduler {
  /** Creates the person's schedule, or replaces it (a reschedule). */
  abstract schedule(start: ScheduledStart): Promise<void>;
  /** Deletes the person's schedule; a schedule already gone (it ran) is fine. */
  abstract cancel(personId: string): Promise<void>;
}
