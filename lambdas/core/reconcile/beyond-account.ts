// The coverage report's column of what a target takes away besides the account: the identity
// provider's sessions (a session target) and managed groups (a SCIM target's entitlement rules).
import type { TargetConfig } from '../model/config.ts';
import { countOf } from '../model/count-noun.ts';

/** The coverage column of what a target takes away besides the account itself. */
export interface BeyondAccount {
  /** A session revocation target: the identity provider's sessions and tokens are ended for leavers. */
  readonly sessions: boolean;
  /** Entitlement rules: movers lose managed groups their attributes no longer grant; drift is reconciled. */
  readonly entitlements?: {
    readonly managedGroups: number;
    readonly rules: number;
    readonly addGranted: boolean;
    readonly removeDrift: boolean;
  };
}

/** What the target takes away besides the account (the coverage column). */
export function beyondAccount(target: TargetConfig): BeyondAccount {
  // A session target (kind 'session', i16-sessions) ends sessions; only SCIM targets carry entitlements.
  const sessions = (target.kind as string) === 'session';
  if (target.kind !== 'scim' || !target.entitlements) return { sessions };
  const { managedGroups, rules, addGranted, removeDrift } = target.entitlements;
  return {
    sessions,
    entitlements: { managedGroups: managedGroups.length, rules: rules.length, addGranted, removeDrift },
  };
}

/** The column's cell: `sessions`, `entitlements (3 groups, drift removed)`, both, or `-`. */
export function beyondAccountLabel(b: BeyondAccount): string {
  const parts: string[] = [];
  if (b.sessions) parts.push('sessions');
  if (b.entitlements) {
    const drift = b.entitlements.removeDrift ? 'drift removed' : 'drift reported';
    parts.push(`entitlements (${countOf(b.entitlements.managedGroups, 'group')}, ${drift})`);
  }
  return parts.length > 0 ? parts.join(', ') : '-';
}
