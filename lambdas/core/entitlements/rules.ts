// Entitlement rules: which of a target's managed groups a person's HR attributes grant, and what a
// change of attributes (a mover) or a reconciliation pass must remove or add. Pure: no SCIM, no I/O.
// Only groups in `managedGroups` ever appear in a plan; any other group is never touched.
import type { EntitlementRule, Entitlements } from '../model/target-config.ts';

export type { EntitlementRule, Entitlements };

/** A person's attributes as events and rosters carry them (lambdas/core/model/event.ts). */
export type Attributes = Readonly<Record<string, string>>;

/** What to change in one application, by group displayName, each list sorted. */
export interface EntitlementPlan {
  /** Managed groups the person holds and their attributes do not grant. */
  readonly remove: string[];
  /** Managed groups their attributes grant and they do not hold (only with `addGranted`). */
  readonly add: string[];
}

/** Whether every key of the rule's `when` matches: the person's value equals it, or one of them. */
export function ruleMatches(rule: EntitlementRule, attributes: Attributes | undefined): boolean {
  if (!attributes) return false;
  for (const [key, wanted] of Object.entries(rule.when)) {
    // Own keys only: a rule naming `constructor` must not match Object.prototype's.
    if (!Object.hasOwn(attributes, key)) return false;
    const value = attributes[key];
    if (typeof value !== 'string') return false;
    if (Array.isArray(wanted) ? !wanted.includes(value) : wanted !== value) return false;
  }
  return true;
}

/**
 * The managed groups the attributes grant: those named by any rule that matches. No attributes
 * (undefined) grant nothing: a caller that does not know a person's attributes must not act on
 * this answer (the reconciler sets such people aside; a mover's change event carries them).
 */
export function grantedGroups(entitlements: Entitlements, attributes: Attributes | undefined): Set<string> {
  const managed = new Set(entitlements.managedGroups);
  const granted = new Set<string>();
  for (const rule of entitlements.rules) {
    if (managed.has(rule.group) && !granted.has(rule.group) && ruleMatches(rule, attributes)) {
      granted.add(rule.group);
    }
  }
  return granted;
}

/**
 * What must change for a person holding `currentManaged` (the groups they are a member of; any
 * group not managed is ignored, never removed) whose attributes are now `attributes`: remove the
 * managed groups not granted; add the granted ones they lack when the target opts in (`addGranted`).
 * Names compare exactly, as SCIM displayNames.
 */
export function entitlementChanges(
  entitlements: Entitlements,
  attributes: Attributes | undefined,
  currentManaged: Iterable<string>,
): EntitlementPlan {
  const managed = new Set(entitlements.managedGroups);
  const granted = grantedGroups(entitlements, attributes);
  const held = new Set<string>();
  for (const group of currentManaged) if (managed.has(group)) held.add(group);
  const remove = [...held].filter((group) => !granted.has(group)).sort();
  const add = entitlements.addGranted ? [...granted].filter((group) => !held.has(group)).sort() : [];
  return { remove, add };
}

/** Whether the target has entitlement rules scimitar applies. */
export function hasEntitlements(target: { kind: string; entitlements?: Entitlements }): boolean {
  return target.kind === 'scim' && target.entitlements !== undefined;
}
