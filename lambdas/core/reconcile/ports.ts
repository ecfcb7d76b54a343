// Ports of reconciliation: its state per target (checkpoint, last result, one record per account),
// the ledger read by target, and the lane queues drift is re-queued through. Abstract classes, as in
// ports.ts; the DynamoDB and SQS adapters live in lambdas/aws/adapters, test doubles in test/support.
import { ScimitarError } from '../model/errors.ts';
import type { LaneMessage } from '../model/messages.ts';
import type { LedgerRecord } from '../model/ports.ts';
import type { ListPosition } from '../scim/index.ts';

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
  /** For orphans and drift: the roster and ledger keys tried, and what came of each. */
  readonly match?: MatchAttempt;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** The run that last saw it, and the page of that run: how a resumed run tells repeats. */
  readonly runId: string;
  readonly page: number;
}

/** Keys tried against one source (the roster, the leaver ledger), and what came of them. */
export interface KeyAttempt {
  /** Each key as `<attribute> "<value>"`, e.g. `userName "ada@example.com"`, `SCIM id "7f3a"`. */
  readonly keys: readonly string[];
  /** What came of them, in words: who matched, or why nobody did. */
  readonly result: string;
}

/** How the reconciler tried to place an account: the roster (active people) and the leaver ledger. */
export interface MatchAttempt {
  readonly roster: KeyAttempt;
  readonly ledger: KeyAttempt;
}

/** The classifications an auditor is shown account by account. */
export const findingClassifications = ['drift', 'orphan'] as const;
export type FindingClassification = (typeof findingClassifications)[number];

/** An orphan or drift account, as its persisted state records it. */
export interface AccountFinding {
  readonly scimId: string;
  readonly userName: string;
  readonly classification: FindingClassification;
  /** The leaver (drift). */
  readonly personId?: string;
  readonly reason?: string;
  readonly match?: MatchAttempt;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/**
 * A target's orphan and drift accounts, read from the persisted account states: drift first, then
 * orphans, each in SCIM id order, capped at `limit`; `more` counts those not listed.
 */
export interface FindingsList {
  readonly accounts: readonly AccountFinding[];
  readonly more: number;
  readonly limit: number;
  /** The list could not be read (the counts still stand). */
  readonly error?: string;
}

/** Default cap of a findings list per target: enough for a review, bounded for 100,000 accounts. */
export const DEFAULT_FINDINGS_LIMIT = 100;

export function accountFinding(state: AccountState): AccountFinding | undefined {
  const { classification } = state;
  if (classification !== 'drift' && classification !== 'orphan') return undefined;
  return {
    scimId: state.scimId,
    userName: state.userName,
    classification,
    ...(state.personId !== undefined && { personId: state.personId }),
    ...(state.reason !== undefined && { reason: state.reason }),
    ...(state.match !== undefined && { match: state.match }),
    firstSeen: state.firstSeen,
    lastSeen: state.lastSeen,
  };
}

/**
 * Collects findings from account states in one read, holding at most `limit` per classification:
 * drift first, then orphans, capped at `limit` in all, the rest counted.
 */
export class FindingsCollector {
  private readonly kept: Record<FindingClassification, AccountFinding[]> = { drift: [], orphan: [] };
  private seen = 0;

  constructor(readonly limit: number) {}

  add(state: AccountState): void {
    const finding = accountFinding(state);
    if (!finding) return;
    this.seen += 1;
    const list = this.kept[finding.classification];
    if (list.length < this.limit) list.push(finding);
  }

  /** Counts a finding without keeping it (a read that only counts the rest). */
  count(n: number): void {
    this.seen += n;
  }

  /** Whether both lists are full, so the rest need only be counted. */
  get full(): boolean {
    return this.kept.drift.length >= this.limit;
  }

  result(): FindingsList {
    const bySort = (a: AccountFinding, b: AccountFinding) =>
      a.scimId < b.scimId ? -1 : a.scimId > b.scimId ? 1 : 0;
    const accounts = [...this.kept.drift.sort(bySort), ...this.kept.orphan.sort(bySort)].slice(0, this.limit);
    return { accounts, more: this.seen - accounts.length, limit: this.limit };
  }
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

  /**
   * The target's orphan and drift accounts from their persisted states, capped at `limit` with a
   * count of the rest (see FindingsList); only those the run `runId` saw, when given. Reads every
   * state once and keeps at most `limit` of each kind; adapters may filter where the data lives.
   */
  async findings(targetId: string, options: { limit: number; runId?: string }): Promise<FindingsList> {
    const collector = new FindingsCollector(options.limit);
    for await (const state of this.accounts(targetId)) {
      if (options.runId === undefined || state.runId === options.runId) collector.add(state);
    }
    return collector.result();
  }
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
