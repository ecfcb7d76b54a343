// Ports: what the domain core needs from the world, as abstract classes. AWS adapters
// (lambdas/aws/adapters) and the local runtime implement them; the core imports no SDK.
import type { AuditEntry } from './audit.ts';
import type { MatchAttribute } from './config.ts';
import { ScimitarError } from './errors.ts';
import type { LaneMessage } from './messages.ts';

/** An audit entry with this key exists already: the log never overwrites evidence. */
export class AuditEntryExistsError extends ScimitarError {
  constructor(eventId: string, entryId: string, options?: ErrorOptions) {
    super(`audit entry ${eventId}/${entryId} already exists`, options);
    this.name = 'AuditEntryExistsError';
  }
}

/**
 * Append-only audit log. Implementations must refuse to overwrite an entry, throwing
 * AuditEntryExistsError, atomically (a conditional put), so two writers of one key never both win.
 */
export abstract class AuditLog {
  abstract append(entry: AuditEntry): Promise<void>;
  /**
   * Appends an entry whose key is deterministic (`onceEntryId`): true when this call wrote it,
   * false when an entry with that key existed (a concurrent or repeated writer got there first).
   */
  async appendOnce(entry: AuditEntry): Promise<boolean> {
    try {
      await this.append(entry);
      return true;
    } catch (err) {
      if (err instanceof AuditEntryExistsError) return false;
      throw err;
    }
  }
  /** Every entry of one event, oldest first. */
  abstract forEvent(eventId: string): Promise<AuditEntry[]>;
  /** Every entry about one person across events, oldest first: the leaver's timeline. */
  abstract forPerson(personId: string): Promise<AuditEntry[]>;
}

export type LeaverOutcome =
  | 'revoked'
  | 'no-account'
  | 'failed'
  | 'manual-task'
  | 'delegated'
  | 'reported'
  | 'refused';

export interface LedgerRecord {
  personId: string;
  targetId: string;
  outcome: LeaverOutcome;
  eventId: string;
  at: string;
  accountId?: string;
  userName?: string;
  /** How the person was matched at the target: lets the reconciler recognise the account later. */
  matchAttribute?: MatchAttribute;
  matchValue?: string;
}

/** A revoking write a lane was about to send: noted first, so a lost answer cannot hide it. */
export interface SentWrite {
  personId: string;
  targetId: string;
  eventId: string;
  accountId: string;
  userName: string;
  action: 'deactivate' | 'delete';
  /** `<METHOD> <path below the base URL>`. */
  request: string;
  /** The account's `active` when found, before the write (absent: the server did not say). */
  activeBefore?: boolean;
  attempt: number;
  at: string;
}

/** The leaver ledger: per person and target, the latest revocation outcome. */
export abstract class LeaverLedger {
  abstract record(entry: LedgerRecord): Promise<void>;
  abstract forPerson(personId: string): Promise<LedgerRecord[]>;
  /**
   * Notes a write before it is sent. The first write of an event at a target is kept (a later
   * attempt never replaces it): it says what the account was before scimitar touched it.
   */
  abstract recordWriteSent(write: SentWrite): Promise<void>;
  /** The first write noted for this event at this target, if any. */
  abstract writeSent(personId: string, targetId: string, eventId: string): Promise<SentWrite | undefined>;
}

/**
 * Blast-radius budget: how many revocations a target may take within a time window.
 * `tryConsume` is atomic (a conditional update): two workers never both take the last unit.
 */
export abstract class RevocationBudget {
  abstract tryConsume(targetId: string, windowStart: string, limit: number): Promise<boolean>;
  /** Last known number of accounts at a target (from reconciliation), if any. */
  abstract accountCount(targetId: string): Promise<number | undefined>;
}

/** The workflow no longer waits for this task (it ended, timed out, or the token is unknown). */
export class TaskNotWaitingError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TaskNotWaitingError';
  }
}

/**
 * Reports a lane's outcome back to the waiting workflow (Step Functions task token).
 * Throws TaskNotWaitingError when nobody waits any more (e.g. a message redriven from the DLQ).
 */
export abstract class TaskCallback {
  abstract succeed(taskToken: string, output: unknown): Promise<void>;
  abstract fail(taskToken: string, error: string, cause: string): Promise<void>;
}

export interface WorkflowStart {
  executionArn: string;
  /** True when an execution of that name already existed: a duplicate delivery. */
  alreadyStarted: boolean;
}

/** Starts one workflow execution per lifecycle event, named for dedupe. */
export abstract class WorkflowStarter {
  abstract start(name: string, input: unknown): Promise<WorkflowStart>;
}

export interface Notification {
  subject: string;
  message: string;
  /** Target owner to address; absent for operator alerts. */
  owner?: string;
  /** The target the notification is about: owners' subscriptions filter on it. */
  targetId?: string;
}

/**
 * A target lane's dead-letter queue, written to directly: a permanent failure that no waiting
 * workflow reports is parked there, so the queue's alarm fires and a redrive retries it.
 */
export abstract class DeadLetterQueue {
  abstract park(message: LaneMessage, failure: { error: string; cause: string; at: string }): Promise<void>;
}

/** Tells people: a target owner about a manual task, operators about a failure. */
export abstract class Notifier {
  abstract notify(notification: Notification): Promise<void>;
}

/** Time, injectable so tests and the local runtime can move it. */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
