// Entitlement drift: after a target's accounts are classified, the members of each group scimitar
// manages there (config `entitlements`) are checked against the HR roster: a managed account whose
// person's attributes do not grant a managed group they hold is an `entitlement-drift` finding. With
// `removeDrift` the account goes to the target's lane (action `entitlements`, the person's roster
// attributes), each through the blast-radius guard; report-only targets and dry runs write nothing.
import { createHash } from 'node:crypto';
import { entitlementChanges } from '../entitlements/rules.ts';
import { type AuditStep, auditEntry } from '../model/audit.ts';
import type { ScimTargetConfig } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import type { Person } from '../model/event.ts';
import { type LaneMessage, laneMessageSchema } from '../model/messages.ts';
import { BlastRadiusGuard } from '../revocation/blast-radius.ts';
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
  /** What was done: queued to the lane, refused by the guard, or only reported (and why). */
  readonly action: 'queued' | 'refused' | 'reported';
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
  readonly notJudged: NotJudged;
}

export interface EntitlementDriftReport extends EntitlementDriftSummary {
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
  const findings: EntitlementDriftFinding[] = [];
  let queued = 0;
  let refused = 0;
  for (const drift of drifting) {
    const done = await remover.act(drift.state, drift.person, drift.groups);
    if (done.action === 'queued') queued += 1;
    if (done.action === 'refused') refused += 1;
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
  return {
    groupsRead: read.groups.length,
    missingGroups: read.missing,
    members: held.size,
    accounts: drifting.length,
    memberships: drifting.reduce((n, d) => n + d.groups.length, 0),
    queued,
    refused,
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

/** Sends drift to the lane through the guard, audited; or says why it only reports. */
class DriftRemover {
  private readonly guard: BlastRadiusGuard;

  constructor(
    private readonly target: ScimTargetConfig,
    private readonly runId: string,
    private readonly deps: ReconcileDeps,
  ) {
    this.guard = new BlastRadiusGuard(deps.config, deps.budget);
  }

  async act(
    state: AccountState,
    person: Person,
    groups: readonly string[],
  ): Promise<Pick<EntitlementDriftFinding, 'action' | 'reason'>> {
    const { target, deps } = this;
    if (!target.entitlements?.removeDrift) {
      return { action: 'reported', reason: 'entitlements.removeDrift is off: reported only' };
    }
    if (target.mode === 'report-only') {
      return { action: 'reported', reason: 'target is report-only: scimitar never writes to it' };
    }
    const now = deps.clock.now();
    const digest = createHash('sha256').update(`${target.id}\n${state.scimId}\nentitlements`).digest('hex');
    const eventId = `reconcile-${this.runId}-${digest.slice(0, 16)}`;
    const audit = (step: AuditStep, extra: Record<string, unknown>) =>
      deps.audit.append(
        auditEntry(
          {
            eventId,
            step,
            personId: person.employeeId,
            targetId: target.id,
            actor: 'reconciler',
            detail: {
              runId: this.runId,
              kind: 'entitlement-drift',
              accountId: state.scimId,
              userName: state.userName,
              groups,
              ...extra,
            },
          },
          now,
        ),
      );
    if (deps.config.dryRun) {
      await audit('DRY_RUN', { wouldDo: 'remove from managed groups', reason: 'dry run' });
      return { action: 'reported', reason: 'dry run' };
    }
    const refusal = await this.guard.take(target.id, now);
    if (refusal) {
      const reason = `blast-radius guard: target "${target.id}" already had ${refusal.limit} revocations in the ${refusal.windowMinutes}-minute window from ${refusal.window}; the next run tries again`;
      await audit('REFUSED', { reason });
      return { action: 'refused', reason };
    }
    const message: LaneMessage = {
      eventId,
      receivedAt: now.toISOString(),
      dryRun: false,
      // The roster's attributes decide: the lane removes the managed groups they do not grant.
      person: { employeeId: person.employeeId, ...(person.attributes && { attributes: person.attributes }) },
      lane: {
        targetId: target.id,
        tier: target.tier,
        action: 'entitlements',
        // Found by the userName listed and pinned by its SCIM id, as drift remediation is.
        matchAttribute: 'userName',
        matchValue: state.userName,
        accountId: state.scimId,
        removeFromGroups: false,
        reportOnly: false,
      },
    };
    const checked = laneMessageSchema.safeParse(message);
    if (!checked.success) {
      const reason = `cannot address the account in a lane message: ${checked.error.message}`;
      await audit('FAILED', { reason });
      return { action: 'refused', reason };
    }
    await deps.queue.send(target.id, checked.data);
    await audit('REMEDIATED', {});
    return { action: 'queued' };
  }
}
