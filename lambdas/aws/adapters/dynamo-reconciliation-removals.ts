// Entitlement drift removals waiting in the lane, as the state table holds them
// (dynamo-reconciliation.ts): one item per account, TARGET#<targetId> / ENTITLEMENTS#<scimId>, written
// when a pass queues a removal and deleted when a later pass no longer finds that drift.
import type { QueuedEntitlementRemoval } from '../../core/reconcile/entitlement-removal.ts';

export const REMOVAL_PREFIX = 'ENTITLEMENTS#';

/** The item of a removal (without its partition key). */
export function removalItem(removal: QueuedEntitlementRemoval): Record<string, unknown> {
  return { sk: `${REMOVAL_PREFIX}${removal.scimId}`, kind: 'entitlement-removal', ...removal };
}

/** The removal an item holds; undefined for one that is not one (then the drift is queued again). */
export function removalOf(item: Record<string, unknown>): QueuedEntitlementRemoval | undefined {
  const { scimId, at, eventId, personId, userName, groups } = item;
  const strings = [scimId, at, eventId, personId, userName];
  if (!strings.every((v) => typeof v === 'string' && v.length > 0)) return undefined;
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) return undefined;
  return {
    scimId: scimId as string,
    at: at as string,
    eventId: eventId as string,
    personId: personId as string,
    userName: userName as string,
    groups: groups as string[],
  };
}
