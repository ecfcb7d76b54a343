// Which leavers go before the bulk: the lane priority the plan gives every lane of an event.
// Urgent: an involuntary termination, an operator's revoke-now, or a privileged-tier leaver (a
// person the last reconciliation saw holding an active account in a privileged-tier target).
import type { ScimitarConfig } from '../model/config.ts';
import type { LifecycleEvent } from '../model/event.ts';
import type { LanePriority } from '../model/messages.ts';
import type { ReconciliationStore } from '../reconcile/ports.ts';

export type UrgentReason = 'involuntary' | 'revoke-now' | 'privileged-tier';

/** Who holds an account in a privileged-tier target, as far as scimitar knows. */
export abstract class PrivilegedHolders {
  /** The privileged-tier targets where the person holds an account (empty when none is known). */
  abstract targetsOf(personId: string): Promise<readonly string[]>;
}

/** Why an event's lanes are urgent (empty: normal), given where the person holds privileged access. */
export function urgentReasons(event: LifecycleEvent, privilegedTargets: readonly string[]): UrgentReason[] {
  const reasons: UrgentReason[] = [];
  if (event.terminationType === 'involuntary') reasons.push('involuntary');
  if (event.urgent) reasons.push('revoke-now');
  if (privilegedTargets.length > 0) reasons.push('privileged-tier');
  return reasons;
}

export function lanePriority(reasons: readonly UrgentReason[]): LanePriority {
  return reasons.length > 0 ? 'urgent' : 'normal';
}

/**
 * Privileged holders from the reconciliation state: the people whose account in a privileged-tier
 * SCIM target the reconciler classified `managed` (active, matched to an active person). The state
 * is keyed by target and SCIM id, with no index by person, so each privileged target's accounts are
 * read once and kept until the target's next complete pass (one GetItem per target per plan says
 * whether it changed). Privileged targets are usually the small ones (code, cloud, finance); a
 * person never reconciled there (a joiner since the last pass) is not known as privileged.
 */
export class ReconciledPrivilegedHolders extends PrivilegedHolders {
  private readonly targetIds: readonly string[];
  private readonly cache = new Map<string, { pass: string; holders: ReadonlySet<string> }>();

  constructor(
    config: Pick<ScimitarConfig, 'targets'>,
    private readonly store: ReconciliationStore,
  ) {
    super();
    this.targetIds = config.targets
      .filter((t) => t.kind === 'scim' && t.tier === 'privileged')
      .map((t) => t.id);
  }

  async targetsOf(personId: string): Promise<readonly string[]> {
    const held: string[] = [];
    for (const targetId of this.targetIds) {
      if ((await this.holders(targetId)).has(personId)) held.push(targetId);
    }
    return held;
  }

  private async holders(targetId: string): Promise<ReadonlySet<string>> {
    const pass = (await this.store.target(targetId)).lastComplete?.runId ?? '';
    const known = this.cache.get(targetId);
    if (known && known.pass === pass) return known.holders;
    const holders = new Set<string>();
    if (pass !== '') {
      for await (const account of this.store.accounts(targetId)) {
        if (account.classification === 'managed' && account.personId !== undefined)
          holders.add(account.personId);
      }
    }
    this.cache.set(targetId, { pass, holders });
    return holders;
  }
}
