// Ports of reconciliation: its state per target (checkpoint, last result, one record per account),
// the ledger read by target, the HR roster, the SCIM listing it pages through, and the continuation
// of a round. Abstract classes, as in model/ports.ts; the DynamoDB, SQS and Lambda adapters live in
// lambdas/aws/adapters, test doubles in test/support.
import * as z from 'zod';
import { ScimitarError } from '../model/errors.ts';
import type { LedgerRecord } from '../revocation/ports.ts';
import type { ListedPage, ListPosition, ManagedGroupMembers, ScimAccount } from '../scim/index.ts';
import type { QueuedEntitlementRemoval } from './entitlement-removal.ts';
import type { Roster } from './roster.ts';
import {
  type AccountState,
  FindingsCollector,
  type FindingsList,
  type QueuedRemediation,
  type TargetReconciliation,
} from './state.ts';

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
   * Saves one page of a pass: the account states that changed, and the accounts the page listed
   * with their fingerprints and queued remediations (its part of the pass's seen set: read back by
   * a resumed pass, and by the next pass to tell unchanged accounts). Saving the same page again
   * replaces what it listed.
   */
  abstract recordPage(page: PageRecord): Promise<void>;
  /**
   * Saves several pages (the pages a pass judged since its last checkpoint) as recordPage would,
   * each page's states before its listing; adapters may write them together.
   */
  async recordPages(pages: readonly PageRecord[]): Promise<void> {
    for (const page of pages) await this.recordPage(page);
  }
  /** What pages 1 to `throughPage` (default: every page) of the run listed, a page at a time. */
  abstract listed(targetId: string, runId: string, throughPage?: number): AsyncIterable<PageListing>;
  /** Forgets what every run of the target listed, but the run `keepRunId`'s. */
  abstract forgetListed(targetId: string, keepRunId?: string): Promise<void>;
  /**
   * Removes up to `limit` examined account states of the target whose SCIM id the pass did not
   * list (`seen` says no); `next` continues where it stopped.
   */
  abstract sweep(
    targetId: string,
    seen: (scimId: string) => boolean,
    options: { from?: string; limit: number },
  ): Promise<{ removed: number; next?: string }>;
  /** Removes the states of these accounts of the target (those absent are no matter). */
  abstract removeAccounts(targetId: string, scimIds: readonly string[]): Promise<void>;
  /** Every account state of the target (reports). */
  abstract accounts(targetId: string): AsyncIterable<AccountState>;
  /** The entitlement drift removals earlier passes queued that may still wait in the lane, by SCIM id. */
  abstract entitlementRemovals(targetId: string): Promise<Map<string, QueuedEntitlementRemoval>>;
  /** Records removals just queued (each replacing its account's earlier one) and forgets others, by SCIM id. */
  abstract saveEntitlementRemovals(
    targetId: string,
    change: { readonly put: readonly QueuedEntitlementRemoval[]; readonly remove: readonly string[] },
  ): Promise<void>;

  /**
   * The target's orphan and drift accounts from their persisted states, capped at `limit` with a
   * count of the rest (see FindingsList); only those the run `runId` wrote, when given, and only
   * those `seen` accepts, when given. Reads every state once and keeps at most `limit` of each
   * kind; adapters may filter where the data lives.
   */
  async findings(targetId: string, options: FindingsQuery): Promise<FindingsList> {
    const collector = new FindingsCollector(options.limit);
    for await (const state of this.accounts(targetId)) {
      if (options.runId !== undefined && state.runId !== options.runId) continue;
      if (options.seen && !options.seen(state.scimId)) continue;
      collector.add(state);
    }
    return collector.result();
  }
}

export interface FindingsQuery {
  readonly limit: number;
  /** Only states this run wrote. */
  readonly runId?: string;
  /** Only states of accounts a pass listed (its seen set). */
  readonly seen?: (scimId: string) => boolean;
}

/** Accounts a page listed: SCIM id to the fingerprint of its state (stateFingerprint). */
export type ListedAccounts = ReadonlyMap<string, string>;

/** Queued remediations by SCIM id: the `queued` of the listed accounts' states that have one. */
export type QueuedRemediations = ReadonlyMap<string, QueuedRemediation>;

/** What a page of a pass listed, as `listed` reads it back. */
export interface PageListing {
  readonly listed: ListedAccounts;
  readonly queued: QueuedRemediations;
}

/** One page of a pass, as recordPage saves it. */
export interface PageRecord {
  readonly targetId: string;
  readonly runId: string;
  /** The page's number in the run, from 1. */
  readonly page: number;
  /** The accounts the page listed that no earlier page of the run did. */
  readonly listed: ListedAccounts;
  /**
   * The queued remediations of the listed accounts (their states' `queued`, saved or about to be),
   * so the next pass knows them without reading the states. @default - none
   */
  readonly queued?: QueuedRemediations;
  /** The states that are new or differ from the stored ones; the others are left as they are. */
  readonly changed: readonly AccountState[];
}

/** The leaver ledger read by target: every leaver with their latest outcome there. */
export abstract class LeaverIndex {
  abstract forTarget(targetId: string): AsyncIterable<LedgerRecord>;
}

/** Where a complete pass leaves the target's size, for the blast-radius guard. */
export interface AccountCountRecorder {
  setAccountCount(targetId: string, accountCount: number, at: string): Promise<void>;
}

/** Where the reconciler reads the current roster from. */
export abstract class RosterSource {
  /** The latest roster, or undefined when none was ever supplied. */
  abstract current(): Promise<Roster | undefined>;
}

export interface StoredRoster {
  readonly version: string;
  readonly asOf: string;
  readonly count: number;
}

/** A roster that uploads replace as a whole. */
export abstract class RosterStore extends RosterSource {
  abstract replace(roster: Roster): Promise<StoredRoster>;
}

/** The part of the SCIM client reconciliation reads with. */
export interface AccountPager {
  listAccountPages(options?: {
    pageSize?: number;
    from?: ListPosition;
  }): AsyncGenerator<ListedPage<ScimAccount>, void, undefined>;
  /**
   * The members of the target's managed groups, found by displayName (entitlement drift). Needed
   * only for targets with `entitlements`. @default - such a target's pass ends incomplete
   */
  managedGroupMembers?(names: readonly string[]): Promise<ManagedGroupMembers>;
}

/** How the reconciler function is invoked: by the schedule, an operator, or itself (a continuation). */
export const reconcileInvocationSchema = z.object({
  /** Who asked: the schedule, an operator, or the previous invocation of this round. */
  source: z.enum(['schedule', 'cli', 'continuation']).default('schedule'),
  /** Only these targets. @default every SCIM target */
  targets: z.array(z.string().min(1)).min(1).optional(),
  /** Abandon passes in progress and start over. */
  restart: z.boolean().default(false),
  /** Start of the round: targets finished since are not reconciled again in it. */
  since: z.iso.datetime({ offset: true }).optional(),
  /** How many invocations continued this round so far. */
  continuation: z.number().int().min(0).default(0),
});
export type ReconcileInvocation = z.output<typeof reconcileInvocationSchema>;

/** Starts the next invocation of a round (the function invoking itself asynchronously). */
export abstract class ReconcileContinuation {
  abstract resume(invocation: ReconcileInvocation): Promise<void>;
}
