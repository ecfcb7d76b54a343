// Ports of revocation: the leaver ledger, the blast-radius budget, the waiting workflow's task
// callback, the lane queues, their messages' visibility and hand-back, the dead-letter queues, and the part of
// the SCIM client a lane uses. Abstract classes, as in model/ports.ts; adapters live in
// lambdas/aws/adapters and local/.
import type { MatchAttribute } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import type { Lane, LaneMessage } from '../model/messages.ts';
import type {
  FindResult,
  MembershipUpdateEvidence,
  MembershipUpdateRequest,
  RequestRecord,
  RevokeEvidence,
  RevokeRequest,
  Verified,
} from '../scim/index.ts';

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
  action: Lane['action'];
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
 * `tryConsume` is atomic (a conditional update): two workers never both take the last unit. Past
 * the limit it takes from the burst an operator approved for the window, as atomically.
 */
export abstract class RevocationBudget {
  abstract tryConsume(targetId: string, windowStart: string, limit: number): Promise<boolean>;
  /** Adds `count` revocations past the limit to the window's approved burst (atomic; approvals add up). */
  abstract grantBurst(targetId: string, windowStart: string, count: number): Promise<void>;
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

/**
 * A target lane's dead-letter queue, written to directly: a permanent failure that no waiting
 * workflow reports is parked there, so the queue's alarm fires and a redrive retries it.
 */
export abstract class DeadLetterQueue {
  abstract park(message: LaneMessage, failure: { error: string; cause: string; at: string }): Promise<void>;
}

/**
 * A target's lane queue. Messages without a task token: no workflow waits; the lane worker handles
 * them as it handles a redriven message.
 */
export abstract class LaneQueue {
  abstract send(targetId: string, message: LaneMessage): Promise<void>;
}

/**
 * Puts a lane message back on the queue it was received from, delivered again after a delay as a
 * new message: how a lane hands back a message the target throttled without spending an attempt
 * (the message carries the attempts already spent; SQS's receive count starts again).
 */
export abstract class LaneRequeue {
  /** Sends the message; the caller then lets the original be deleted (send first: a crash duplicates, never loses). */
  abstract later(message: LaneMessage, delaySeconds: number): Promise<void>;
}

/**
 * Delays the next delivery of a lane message being handled: Retry-After and backoff go through
 * the message's visibility, and an exhausted message goes to the DLQ without waiting.
 */
export abstract class MessageVisibility {
  abstract delay(receiptHandle: string, seconds: number): Promise<void>;
}

/**
 * What a session target's read-back showed (docs/sessions.md): sessions ended, proven by reading
 * the provider's state back (`read-back`: Entra's signInSessionsValidFromDateTime) or, where the
 * provider offers no read, by its answer alone (`answer`), with what was and was not checked.
 */
export interface SessionsVerified {
  readonly sessionsRevoked: true;
  readonly checkedBy: 'read-back' | 'answer';
  readonly detail: string;
}
export type LaneVerified = Verified | SessionsVerified;

/** A revocation as a lane asks for it: SCIM's, or a session target's (`revoke-sessions`). */
export type LaneRevokeRequest = Omit<RevokeRequest, 'action'> & { readonly action: Lane['action'] };
export type LaneRevokeEvidence = Omit<RevokeEvidence, 'verified'> & { readonly verified?: LaneVerified };

/**
 * What a lane's client does: find, revoke, verify. The SCIM client, or a session target's revoker
 * (lambdas/core/sessions), the worker choosing by the target's kind.
 */
export interface LaneScimClient {
  findAccount(match: RevokeRequest['match']): Promise<FindResult>;
  revoke(request: LaneRevokeRequest): Promise<LaneRevokeEvidence>;
  verify(id: string, after: Lane['action'], trace?: RequestRecord[]): Promise<LaneVerified>;
  /** A mover's managed group memberships (an entitlements lane; SCIM targets only). */
  updateMemberships(request: MembershipUpdateRequest): Promise<MembershipUpdateEvidence>;
}
