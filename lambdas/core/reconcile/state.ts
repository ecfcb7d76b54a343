// What reconciliation records per target and per account: classifications, account states, pass
// progress and results, and the orphan and drift findings read back from them.
import { createHash } from 'node:crypto';
import type { ListPosition } from '../scim/index.ts';
import type { EntitlementDriftSummary } from './entitlement-drift.ts';

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
  /** When a pass last wrote it: first listed, or listed changed (an unchanged account is not rewritten). */
  readonly lastSeen: string;
  /** The run that last wrote it, and the page of that run. */
  readonly runId: string;
  readonly page: number;
  /**
   * The remediation a pass queued for it and the lane has not answered yet, as far as the
   * reconciler knows (remediate.ts): a later pass does not queue the same one again while it is
   * recent. Absent when none is waiting.
   */
  readonly queued?: QueuedRemediation;
}

/** A remediation a pass sent to the target's lane. */
export interface QueuedRemediation {
  /** When it was queued. */
  readonly at: string;
  /** The account's classification then. */
  readonly classification: Classification;
  readonly action: 'deactivate' | 'delete';
  /** The lane message's eventId: the lane records its outcome in the ledger under it. */
  readonly eventId: string;
}

/** A queued remediation in one string, as a pass's listing keeps it (space-free fields). */
export function queuedMark(queued: QueuedRemediation): string {
  return `${queued.at} ${queued.classification} ${queued.action} ${queued.eventId}`;
}

/** The queued remediation of a listing's mark; undefined when it is not one. */
export function parseQueuedMark(mark: string): QueuedRemediation | undefined {
  const [at, classification, action, eventId, ...rest] = mark.split(' ');
  if (rest.length > 0 || !at || !eventId) return undefined;
  if (!classifications.includes(classification as Classification)) return undefined;
  if (action !== 'deactivate' && action !== 'delete') return undefined;
  return { at, classification: classification as Classification, action, eventId };
}

/** Whether two queued remediations are the same one (either may be absent). */
export function sameQueued(a: QueuedRemediation | undefined, b: QueuedRemediation | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.at === b.at && a.classification === b.classification && a.action === b.action && a.eventId === b.eventId
  );
}

/**
 * Whether a state says something the stored one does not: a pass writes only those, so a second
 * pass over an unchanged target writes nothing per account (the sweep reads the pass's seen set).
 * `lastSeen`, `runId` and `page` say when it was written, not what the account is, and are left out.
 */
export function stateChanged(previous: AccountState | undefined, next: AccountState): boolean {
  if (!previous) return true;
  return (
    previous.userName !== next.userName ||
    previous.active !== next.active ||
    previous.classification !== next.classification ||
    previous.personId !== next.personId ||
    previous.reason !== next.reason ||
    !sameMatch(previous.match, next.match) ||
    !sameQueued(previous.queued, next.queued)
  );
}

/**
 * What stateChanged compares but the queued remediation, as a short digest: kept per account with
 * a pass's seen set (the queued remediation beside it, for the few that have one), so the next pass
 * knows an unchanged account without reading its state. 96 bits of SHA-256.
 */
export function stateFingerprint(state: AccountState): string {
  const { userName, active, classification, personId, reason, match } = state;
  const facts = [
    userName,
    active,
    classification,
    personId,
    reason,
    match && [match.roster.keys, match.roster.result, match.ledger.keys, match.ledger.result],
  ];
  return createHash('sha256').update(JSON.stringify(facts)).digest('base64').slice(0, 16);
}

// Field by field: a map read back from DynamoDB need not keep its attributes' order.
function sameMatch(a: MatchAttempt | undefined, b: MatchAttempt | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const same = (x: KeyAttempt, y: KeyAttempt) =>
    x.result === y.result && x.keys.length === y.keys.length && x.keys.every((k, i) => k === y.keys[i]);
  return same(a.roster, b.roster) && same(a.ledger, b.ledger);
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
  /**
   * Not queued again: an earlier pass queued the same remediation (classification and action) or
   * entitlement removal (groups) within the lanes' retention, and the lane has not answered it
   * (remediate.ts, entitlement-removal.ts).
   */
  alreadyQueued: number;
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
    alreadyQueued: 0,
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
  /**
   * The complete pass whose listed fingerprints tell this pass's unchanged accounts (no read, no
   * write). Absent when the pass before did not complete, was abandoned, or this one resumed after
   * a crash (a page may be written past its checkpoint): then every listed account's state is read.
   */
  readonly knownFrom?: string;
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
  /** What the entitlement drift check found, for a target with `entitlements` (complete passes). */
  readonly entitlements?: EntitlementDriftSummary;
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
