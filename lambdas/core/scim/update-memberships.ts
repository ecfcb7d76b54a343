// A mover's memberships update, end to end: find exactly one account, find the managed groups, read
// which the account belongs to, let the caller decide what to remove and add, write, read back and
// verify. Never writes on a doubt; never touches a group outside the managed ones.
import type { ScimConnection } from './connection.ts';
import type { AccountMatch } from './filter.ts';
import {
  changeMemberships,
  findManagedGroups,
  type MembershipChange,
  type MembershipSource,
  managedMemberships,
  verifyMemberships,
} from './memberships.ts';
import type { RequestRecord } from './options.ts';
import { findAccount } from './resources.ts';

/** The account an update found. */
export interface FoundAccount {
  readonly id: string;
  readonly userName: string;
  readonly active?: boolean;
}

/** What to change: configured names of managed groups. */
export interface MembershipPlan {
  readonly remove: readonly string[];
  readonly add: readonly string[];
}

export interface MembershipUpdateRequest {
  readonly match: AccountMatch;
  /** displayNames of the groups scimitar manages at the target (config `entitlements.managedGroups`). */
  readonly managedGroups: readonly string[];
  /**
   * Decides the change from the managed groups the account belongs to now (and those the target
   * lacks); only names it was given can be removed, only found managed groups added.
   */
  readonly decide: (current: {
    readonly account: FoundAccount;
    readonly memberOf: readonly string[];
    readonly missing: readonly string[];
  }) => MembershipPlan;
  /**
   * Called with the account and the decided change before anything is written (only when there is
   * something to write): the caller's last word (a rescinded change, a spent budget). When it
   * throws, nothing is written. @default - nothing is called
   */
  readonly beforeChanges?: (account: FoundAccount, plan: MembershipPlan) => Promise<void>;
  /** Read and decide only: nothing is written (dry run, report-only). @default false */
  readonly readOnly?: boolean;
}

export interface MembershipUpdateEvidence {
  /** would-update: a read-only request found something to change and wrote nothing. */
  readonly outcome: 'no-account' | 'updated' | 'unchanged' | 'would-update';
  readonly account?: FoundAccount;
  /** Managed groups the account belonged to before. */
  readonly before?: readonly string[];
  /** Configured managed groups the target has no group for. */
  readonly missing?: readonly string[];
  /** What was decided (managed groups held to remove, found managed groups not held to add). */
  readonly plan?: MembershipPlan;
  readonly change?: MembershipChange;
  /** Managed groups the account belongs to, read back after the change (verified). */
  readonly after?: readonly string[];
  readonly source?: MembershipSource;
  readonly requests: readonly RequestRecord[];
}

export async function updateMemberships(
  conn: ScimConnection,
  request: MembershipUpdateRequest,
): Promise<MembershipUpdateEvidence> {
  const requests: RequestRecord[] = [];
  const found = await findAccount(conn, request.match, requests);
  if (found.status === 'none') return { outcome: 'no-account', requests };
  const account: FoundAccount = {
    id: found.account.id,
    userName: found.account.userName,
    ...(found.account.active !== undefined && { active: found.account.active }),
  };
  const managed = await findManagedGroups(conn, request.managedGroups, requests);
  const before = await managedMemberships(conn, account.id, managed, requests);
  const held = new Set(before.memberOf);
  const decided = request.decide({ account, memberOf: before.memberOf, missing: managed.missing });
  // Only what the read showed can be removed, only found managed groups not held added.
  const plan: MembershipPlan = {
    remove: decided.remove.filter((name) => held.has(name)),
    add: decided.add.filter((name) => managed.byName.has(name) && !held.has(name)),
  };
  const common = { account, before: before.memberOf, missing: managed.missing, plan, requests };
  if (plan.remove.length === 0 && plan.add.length === 0) {
    return { outcome: 'unchanged', ...common, after: before.memberOf, source: before.source };
  }
  if (request.readOnly) return { outcome: 'would-update', ...common, source: before.source };
  await request.beforeChanges?.(account, plan);
  const change = await changeMemberships(conn, account.id, managed, plan, requests);
  const after = await verifyMemberships(conn, account.id, managed, plan, requests);
  return { outcome: 'updated', ...common, change, after: after.memberOf, source: after.source };
}
