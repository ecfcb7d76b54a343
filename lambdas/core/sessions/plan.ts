// The lane a leaver gets at a session target: the same queues, retries and guards as a SCIM
// target's, with the action `revoke-sessions` (docs/sessions.md).
import type { SessionTargetConfig } from '../model/config.ts';
import type { Lane } from '../model/messages.ts';

/** The lane of a leaver at a session target, the user named by `matchValue`. */
export function sessionLane(target: SessionTargetConfig, matchValue: string): Lane {
  return {
    targetId: target.id,
    tier: target.tier,
    action: 'revoke-sessions',
    matchAttribute: target.matchAttribute,
    matchValue,
    removeFromGroups: false,
    reportOnly: false,
  };
}
