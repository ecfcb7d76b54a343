// Ports of reconciliation: its state per target (checkpoint, last result, one record per account),
// the ledger read by target, and the lane queues drift is re-queued through. Abstract classes, as in
// ports.ts; the DynamoDB and SQS adapters live in lambdas/aws/adapters, test doubles in test/support.
import { ScimitarError } from './errors.ts';
import type { LaneMessage } from './messages.ts';
import type { LedgerRecord } from './ports.ts';
import type { ListPosition } from './scim/index.ts';

export const classifications = ['managed', 'drift', 'orphan', 'accepted', 'inactive'] as const;
/**
 * managed: active, matches an active person; drift: active, belongs to a leaver; orphan: active,
 * matches nobody active; accepted: on the target's allow-list; inactive: not active (nothing to do).
 */
export type Classification = (typeof classifications)[number];

/** One account of a target as the last pass saw it. */
export interface AccountState {
  readonly targetId: string;
  readonly scimId: string;
  readonly userName: string;
  /** As the server said; undefined when it did not say (treated as active). */
  readonly active?: boolean;
  readonly classification: Classification;
  /** The roster person (managed) or the leaver (drift). */
  readonly personId?: string;
  /** Why, when it is not obvious (identifier reused, rehired, ambiguous roster match). */
  readonly reason?: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** The run that last saw it, and the page of that run: how a resumed run tells repeats. */
  readonly runId: string;
  readonly page: number;
}

export interface RunCounts {
  accounts: number;
  managed: number;
  drift: number;
  orphan: number;
  accepted: number;
  inactive: number;
  /** Re-queued to the lane: drift, orphans (deactivateOrphans) and due deletions. */
  remediated: number;
  /** Remediations the blast-radius guard refused. */
  refused: number;
  /** Accounts of earlier passes that the target no longer lists (state removed). */
  removed: number;
}

export function emptyCounts(): RunCounts {
  return {
    accounts: 0,
    managed: 0,
    drift: 0,
    orphan: 0,
    accepted: 0,
    inactive: 0,
    remediated: 0,
    refused: 0,
    removed: 0,
  };
}

/** A pass in progress: where it stopped, so the next invocation continues there. */
export interface RunProgress {
  readonly runId: string;
  readonly startedAt: string;
  readonly phase: 'scan' | 'sweep';
  /** Next page to read (scan); absent before the first page. */
  readonly position?: ListPosition;
  /** Pages whose accounts are written. */
  readonly pagesDone: number;
  /** Where the sweep of vanished accounts continues (a state-table sort key). */
  readonly sweepFrom?: string;
  readonly counts: RunCounts;
  readonly invocations: number;
}

/** A finished pass. Only 'complete' passes saw every account; 'incomplete' ones are never clean. */
export interface RunResult {
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly status: 'complete' | 'incomplete';
  readonly counts: RunCounts;
  readonly error?: string;
}

/** Reconciliation of one target: at most one pass in progress, the last result, the last complete one. */
export interface TargetReconciliation {
  readonly targetId: string;
  /** Optimistic lock: every save expects the version it read. 0: never saved. */
  readonly version: number;
  readonly current?: RunProgress;
  /** Until when an invocation holds the pass in progress; another one leaves it alone until then. */
  readonly leaseUntil?: string;
  readonly last?: RunResult;
  readonly lastComplete?: RunResult;
}

/** Another invocation saved the target's reconciliation since we read it. */
export class ReconcileConflictError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReconcileConflictError';
  }
}

export abstract class ReconciliationStore {
  /** The target's reconciliation; `{ targetId, version: 0 }` when it never ran. */
  abstract target(targetId: string): Promise<TargetReconciliation>;
  /**
   * Saves when the stored version is still `state.version`; returns the state with the new version.
   * @throws ReconcileConflictError when another invocation saved in between
   */
  abstract saveTarget(state: TargetReconciliation): Promise<TargetReconciliation>;
  /** The stored state of these accounts (absent ones are new). */
  abstract accountsByIds(targetId: string, scimIds: readonly string[]): Promise<Map<string, AccountState>>;
  abstract putAccounts(states: readonly AccountState[]): Promise<void>;
  /**
   * Removes up to `limit` examined account states of the target that the run `runId` did not see;
   * `next` continues where it stopped.
   */
  abstract sweep(
    targetId: string,
    runId: string,
    options: { from?: string; limit: number },
  ): Promise<{ removed: number; next?: string }>;
  /** Every account state of the target (reports). */
  abstract accounts(targetId: string): AsyncIterable<AccountState>;
}

/** The leaver ledger read by target: every leaver with their latest outcome there. */
export abstract class LeaverIndex {
  abstract forTarget(targetId: string): AsyncIterable<LedgerRecord>;
}

/**
 * A target's lane queue. Messages without a task token: no workflow waits; the lane worker handles
 * them as it handles a redriven message.
 */
export abstract class LaneQueue {
  abstract send(targetId: string, message: LaneMessage): Promise<void>;
}

/** Where a complete pass leaves the target's size, for the blast-radius guard. */
export interface AccountCountRecorder {
  setAccountCount(targetId: string, accountCount: number, at: string): Promise<void>;
}
