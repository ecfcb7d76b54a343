// The leaver-action rule: what a target's leaverAction writes when a leaver is revoked there, and
// when a deactivate-then-delete target's deactivated account is due for deletion. The plan step
// and the reconciler's remediation both follow it.
import type { ScimTargetConfig } from '../model/config.ts';
import type { LedgerRecord } from './ports.ts';

/** The write a lane sends for a leaver: deactivate-then-delete deactivates now, deletes later. */
export function leaverLaneAction(target: Pick<ScimTargetConfig, 'leaverAction'>): 'deactivate' | 'delete' {
  return target.leaverAction === 'delete' ? 'delete' : 'deactivate';
}

/**
 * Whether the leaver's account, deactivated at a deactivate-then-delete target, is due for deletion:
 * revoked there at least deleteAfterDays ago.
 */
export function deletionDue(
  target: Pick<ScimTargetConfig, 'leaverAction' | 'deleteAfterDays'>,
  leaver: LedgerRecord | undefined,
  now: Date,
): boolean {
  if (leaver?.outcome !== 'revoked') return false;
  if (target.leaverAction !== 'deactivate-then-delete' || target.deleteAfterDays === undefined) return false;
  return now.getTime() - Date.parse(leaver.at) >= target.deleteAfterDays * 86_400_000;
}
