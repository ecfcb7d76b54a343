// Entitlement drift: after a target's accounts are classified, the members of each group scimitar
// manages there (config `entitlements`) are checked against the HR roster: a managed account whose
// person's attributes do not grant a managed group they hold is an `entitlement-drift` finding. With
// `removeDrift` the account goes to the target's lane (action `entitlements`, the person's roster
// attributes), each through the blast-radius guard, once while it waits there (entitlement-removal.ts);
// report-only targets and dry runs write nothing.
import { entitlementChanges } from '../entitlements/rules.ts';
import type { ScimTargetConfig } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import type { Person } from '../model/event.ts';
import { DriftRemover, type QueuedEntitlementRemoval, type RemovalDecision } from './entitlement-removal.ts';
import type { ReconcileDeps } from './reconcile.ts';
import type { Roster } from './roster.ts';
import type { AccountState } from './state.ts';

/** The managed groups' members could not be read (or judged): the pass is incomplete. */
export class EntitlementDriftCheckError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EntitlementDriftCheckError';
  }
}

/** An account holding managed groups its person's roster attributes do not grant. */
export interface EntitlementDriftFinding {
  readonly scimId: string;
  readonly userName: string;
  /** The roster person (employeeId). */
  readonly personId: string;
  /** Managed groups held and not granted, sorted. */
  readonly groups: readonly string[];
  /**
   * What was done: queued to the lane, refused by the guard, only reported, or not queued again
   * because an earlier pass's removal still waits in the lane (and why).
   */
  readonly action: RemovalDecision['action'];
  readonly reason?: string;
}

/** Members of managed groups set aside, not judged, by why. */
export interface NotJudged {
  /** Not listed by this pass as a user account (a nested group, a member the listing did not show). */
  readonly unknownAccount: number;
  /** Inactive, allow-listed, orphan or leaver accounts: the other findings deal with them. */
  readonly notManaged: number;
  /** Matched several roster people, or a person whose roster entry has no attributes. */
  readonly noAttributes: number;
}

/** What the entitlement drift check of a pass found; kept with the pass's result. */
export interface EntitlementDriftSummary {
  /** Managed groups found at the target and read. */
  readonly groupsRead: number;
  /** Configured managed groups the target has no group for. */
  readonly missingGroups: readonly string[];
  /** Distinct accounts among the managed groups' members. */
  readonly members: number;
  /** Accounts with entitlement drift, and their drift memberships (account × group). */
  readonly accounts: number;
  readonly memberships: number;
  readonly queued: number;
  readonly refused: number;
  /**
   * Queued by an earlier pass and still waiting in the lane: not queued again (also counted in the
   * pass's `alreadyQueued`). Absent in results saved before it was counted.
   */
  readonly alreadyQueued?: number;
  readonly notJudged: NotJudged;
}

export interface EntitlementDriftReport extends EntitlementDriftSummary {
  readonly alreadyQueued: number;
  /** The drift accounts, capped at the findings limit; `more` counts the rest. */
  readonly findings: readonly EntitlementDriftFinding[];
  readonly more: number;
}

/** A member id longer than this is no account a pass listed (and no DynamoDB key part): not judged. */
const MAX_MEMBER_ID = 512;

/**
 * Checks the target's managed groups for entitlement drift and, where configured, removes it
 * through the lane. Runs after the pass's scan, so the account states it reads are this pass's.
 */
export async function checkEntitlementDrift(
  target: ScimTargetConfig,
  roster: Roster,
  context: { readonly runId: string; readonly findingsLimit: number },
  deps: ReconcileDeps,
): Promise<EntitlementDriftReport | undefined> {
  const entitlements = target.entitlements;
  if (!entitlements) return undefined;
  const reader = deps.scim(target);
  if (!reader.managedGroupMembers) {
    throw new ScimitarError(`target ${target.id}: its SCIM client cannot read group members`);
  }
  const read = await reader.managedGroupMembers(entitlements.managedGroups);
  const held = new Map<string, string[]>();
  for (const group of read.groups) {
    for (const id of group.members) held.set(id, [...(held.get(id) ?? []), group.name]);
  }
  const ids = [...held.keys()].filter((id) => id.length <= MAX_MEMBER_ID);
  const states = await deps.store.accountsByIds(target.id, ids);
  const people = new Map<string, Person>(roster.people.map((p) => [p.employeeId, p]));
  const notJudged = { unknownAccount: 0, notManaged: 0, noAttributes: 0 };
  const drifting: { state: AccountState; person: Person; groups: string[] }[] = [];
  for (const [id, groups] of held) {
    const state = id.length > MAX_MEMBER_ID ? undefined : states.get(id);
    if (!state) {
      notJudged.unknownAccount += 1;
      continue;
    }
    if (state.classification !== 'managed') {
      notJudged.notManaged += 1;
      continue;
    }
    const person = state.personId === undefined ? undefined : people.get(state.personId);
    // Without attributes nothing is granted; judging would call every membership drift.
    if (!person?.attributes || Object.keys(person.attributes).length === 0) {
      notJudged.noAttributes += 1;
      continue;
    }
    const { remove } = entitlementChanges(entitlements, person.attributes, groups);
    if (remove.length > 0) drifting.push({ state, person, groups: remove });
  }
  drifting.sort((a, b) => (a.state.scimId < b.state.scimId ? -1 : a.state.scimId > b.state.scimId ? 1 : 0));

  const remover = new DriftRemover(target, context.runId, deps);
  // The removals earlier passes queued: read (and kept up to date) only where removals are queued.
  const earlier = remover.queues
    ? await deps.store.entitlementRemovals(target.id)
    : new Map<string, QueuedEntitlementRemoval>();
  const waiting: QueuedEntitlementRemoval[] = [];
  const findings: EntitlementDriftFinding[] = [];
  const counted = { queued: 0, refused: 0, 'already-queued': 0, reported: 0 };
  // What waits in the lane now is saved even when a send fails midway: those are not sent twice.
  const saveWaiting = async () => {
    if (!remover.queues) return;
    const kept = new Set(waiting.map((r) => r.scimId));
    const put = waiting.filter((r) => earlier.get(r.scimId) !== r);
    // An account no longer drifting (the lane removed the groups), or refused: nothing stands for it.
    const remove = [...earlier.keys()].filter((id) => !kept.has(id));
    if (put.length > 0 || remove.length > 0)
      await deps.store.saveEntitlementRemovals(target.id, { put, remove });
  };
  try {
    for (const drift of drifting) {
      const { queued, ...done } = await remover.act(
        drift.state,
        drift.person,
        drift.groups,
        earlier.get(drift.state.scimId),
      );
      counted[done.action] += 1;
      if (queued) waiting.push(queued);
      if (findings.length < context.findingsLimit) {
        findings.push({
          scimId: drift.state.scimId,
          userName: drift.state.userName,
          personId: drift.person.employeeId,
          groups: drift.groups,
          ...done,
        });
      }
    }
  } catch (err) {
    await saveWaiting().catch(() => {});
    throw err;
  }
  await saveWaiting();
  const { queued, refused, 'already-queued': alreadyQueued } = counted;
  return {
    groupsRead: read.groups.length,
    missingGroups: read.missing,
    members: held.size,
    accounts: drifting.length,
    memberships: drifting.reduce((n, d) => n + d.groups.length, 0),
    queued,
    refused,
    alreadyQueued,
    notJudged,
    findings,
    more: drifting.length - findings.length,
  };
}

/** The summary kept with a pass's result (no account list: the outcome carries that). */
export function driftSummary(report: EntitlementDriftReport): EntitlementDriftSummary {
  const { findings: _f, more: _m, ...summary } = report;
  return summary;
}
