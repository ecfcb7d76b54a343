// A mover's lane at one SCIM target (a `change` event, lane action `entitlements`): find the
// account, read its memberships of the target's managed groups, remove those the person's new
// attributes no longer grant (and add the granted ones where the target opts in), read back,
// verify, and audit each change. Groups not managed are never touched; a person whose termination
// is pending or started is never given a group.
import { type Entitlements, entitlementChanges } from '../entitlements/rules.ts';
import type { PendingTerminations } from '../lifecycle/ports.ts';
import type { LaneMessage, LaneResult } from '../model/messages.ts';
import type { Clock } from '../model/ports.ts';
import type { LaneLog } from '../revocation/lane.ts';
import type { MembershipUpdateEvidence, MembershipUpdateRequest } from '../scim/index.ts';

export interface MoverLaneDeps {
  readonly targetId: string;
  readonly clock: Clock;
  readonly scim: { updateMemberships(request: MembershipUpdateRequest): Promise<MembershipUpdateEvidence> };
  /**
   * The target's entitlement rules (config `entitlements`).
   * @default - none: scimitar manages no group at this target, the lane changes nothing
   */
  readonly entitlements?: Entitlements;
  /** @default - not checked: grants are added whenever the target opts in */
  readonly terminations?: PendingTerminations;
}

/** Why a lane adds no group though the target opts in; undefined when it may add. */
async function addsWithheld(message: LaneMessage, deps: MoverLaneDeps): Promise<string | undefined> {
  if (!deps.entitlements?.addGranted)
    return 'the target does not add granted groups (entitlements.addGranted is off)';
  const pending = await deps.terminations?.get(message.person.employeeId);
  if (pending && pending.status !== 'cancelled') {
    return `the person's termination (event ${pending.eventId}, effective ${pending.effectiveAt}) is ${pending.status}: a leaver is given no group`;
  }
  return undefined;
}

/** Runs one `entitlements` lane message; SCIM failures are thrown for the lane's failure handling. */
export async function updateMoverEntitlements(
  message: LaneMessage,
  attempt: number,
  deps: MoverLaneDeps,
  log: LaneLog,
): Promise<LaneResult> {
  const { lane, person } = message;
  const result = (status: LaneResult['status'], extra: Partial<LaneResult> = {}): LaneResult => ({
    targetId: deps.targetId,
    status,
    attempts: attempt,
    ...extra,
  });
  const { entitlements } = deps;
  if (!entitlements) {
    await log('ENTITLEMENTS_VERIFIED', {
      outcome: 'unchanged',
      reason: 'the target has no entitlement rules (any more): scimitar manages no group there',
    });
    return result('unchanged');
  }
  // Attributes unknown grant nothing, which would strip every managed group: never act on that.
  // Ingest refuses such a change; a message from elsewhere is stopped here.
  if (person.attributes === undefined) {
    await log('ENTITLEMENTS_VERIFIED', {
      outcome: 'unchanged',
      reason:
        'the event carries no attributes for the person: nothing is removed on attributes scimitar does not know',
    });
    return result('unchanged');
  }
  const match = { attribute: lane.matchAttribute, value: lane.matchValue };
  const withheld = await addsWithheld(message, deps);
  const readOnly = lane.reportOnly || message.dryRun;
  const evidence = await deps.scim.updateMemberships({
    match,
    managedGroups: entitlements.managedGroups,
    readOnly,
    decide: ({ account, memberOf }) => {
      const planned = entitlementChanges(entitlements, person.attributes, memberOf);
      // An inactive account (a revoked leaver) is not given groups either.
      const mayAdd = withheld === undefined && account.active !== false;
      return { remove: [...planned.remove], add: mayAdd ? [...planned.add] : [] };
    },
  });
  const { account, requests } = evidence;
  if (evidence.outcome === 'no-account' || !account) {
    await log('NO_ACCOUNT', { match, requests });
    return result('no-account');
  }
  const found = log('FOUND', { account });
  const common = {
    accountId: account.id,
    managedGroups: entitlements.managedGroups,
    before: evidence.before,
    ...(evidence.missing && evidence.missing.length > 0 && { missingAtTarget: evidence.missing }),
    ...(withheld && { addsWithheld: withheld }),
  };
  if (readOnly) {
    await found;
    await log(lane.reportOnly ? 'REPORTED' : 'DRY_RUN', {
      ...common,
      wouldRemove: evidence.plan?.remove ?? [],
      wouldAdd: evidence.plan?.add ?? [],
      reason: lane.reportOnly ? 'target is report-only: scimitar never writes to it' : 'dry run',
      requests,
    });
    return result(lane.reportOnly ? 'reported' : 'dry-run', { accountId: account.id });
  }
  const change = evidence.change ?? { removed: [], alreadyAbsent: [], added: [] };
  const verifiedAt = deps.clock.now().toISOString();
  // Made in this order when log is called, written at once.
  await Promise.all([
    found,
    ...change.removed.map((group) => log('ENTITLEMENT_REMOVED', { group, accountId: account.id })),
    ...change.alreadyAbsent.map((group) =>
      log('ENTITLEMENT_REMOVED', { group, accountId: account.id, alreadyAbsent: true }),
    ),
    ...change.added.map((group) => log('ENTITLEMENT_ADDED', { group, accountId: account.id })),
    log('ENTITLEMENTS_VERIFIED', {
      ...common,
      outcome: evidence.outcome,
      removed: change.removed,
      added: change.added,
      after: evidence.after,
      readFrom: evidence.source,
      requests,
    }),
  ]);
  return result(evidence.outcome === 'updated' ? 'updated' : 'unchanged', {
    accountId: account.id,
    verifiedAt,
  });
}
