// The plan of a mover's `change` event: one lane with action `entitlements` for every SCIM target
// that has entitlement rules, matched as a leaver would be; a target the person cannot be matched
// at is settled as failed (visible, alerted), never guessed.
import type { ScimitarConfig, ScimTargetConfig } from '../model/config.ts';
import type { LifecycleEvent } from '../model/event.ts';
import type { Lane, SettledTarget } from '../model/messages.ts';
import { eventMatch } from '../targets/person-match.ts';

export interface MoverPlan {
  readonly lanes: Lane[];
  readonly settled: SettledTarget[];
}

/** The SCIM targets whose managed groups a change event updates. */
export function entitlementTargets(config: Pick<ScimitarConfig, 'targets'>): ScimTargetConfig[] {
  return config.targets.filter(
    (t): t is ScimTargetConfig => t.kind === 'scim' && t.entitlements !== undefined,
  );
}

export function planMover(config: Pick<ScimitarConfig, 'targets'>, event: LifecycleEvent): MoverPlan {
  const lanes: Lane[] = [];
  const settled: SettledTarget[] = [];
  for (const target of entitlementTargets(config)) {
    const match = eventMatch(event, target.matchAttribute);
    if (match.kind !== 'value') {
      const why =
        match.kind === 'unusable'
          ? `the event's ${target.matchAttribute} is unusable (${match.fields.map((f) => `${f.field} ${f.problem}`).join('; ')})`
          : `the event gives no ${target.matchAttribute} for the person`;
      settled.push({
        targetId: target.id,
        status: 'failed',
        reason: `not matchable: target "${target.id}" matches accounts by ${target.matchAttribute}, and ${why}; its managed groups were not updated`,
      });
      continue;
    }
    lanes.push({
      targetId: target.id,
      tier: target.tier,
      action: 'entitlements',
      matchAttribute: target.matchAttribute,
      matchValue: match.value,
      removeFromGroups: false,
      reportOnly: target.mode === 'report-only',
    });
  }
  return { lanes, settled };
}
