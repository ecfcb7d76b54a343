// Ports every subsystem shares: the audit log, the notifier, the clock. Each subsystem keeps its
// own ports beside it (revocation/ports.ts, ingest/ports.ts, reconcile/ports.ts, archive/ports.ts),
// as abstract classes; AWS adapters (lambdas/aws/adapters) and the local runtime implement them.
import type { AuditEntry } from './audit.ts';
import { ScimitarError } from './errors.ts';

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

export interface Notification {
  subject: string;
  message: string;
  /** Target owner to address; absent for operator alerts. */
  owner?: string;
  /** The target the notification is about: owners' subscriptions filter on it. */
  targetId?: string;
  /** The lifecycle event it is about, if one: kept with it (NOTIFY items). */
  eventId?: string;
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
